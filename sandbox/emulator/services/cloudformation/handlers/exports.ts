import type { ListExportsCommandInput, ListExportsCommandOutput, ListImportsCommandInput, ListImportsCommandOutput } from "@aws-sdk/client-cloudformation";
import type { ActionHandler, CallContext, SdkOutput } from "../../../protocol/types.js";
import { envOf } from "../env.js";
import { validationError } from "../errors.js";
import { exportsOf, importersOf } from "../exports.js";
import { paginate } from "../pagination.js";
import { optionalText, requiredText } from "./params.js";

/** API_ListExports.html and API_ListImports.html: "up to 100" per page, then a NextToken. */
const PAGE_SIZE = 100;

export const exportHandlers: Record<string, ActionHandler> = {
  ListExports(params: ListExportsCommandInput, ctx: CallContext): SdkOutput<ListExportsCommandOutput> {
    const all = exportsOf(envOf(ctx)).map((e) => ({ ExportingStackId: e.exportingStackId, Name: e.name, Value: e.value }));
    const { page, nextToken } = paginate(all, optionalText(params.NextToken), PAGE_SIZE);
    return { Exports: page, ...(nextToken ? { NextToken: nextToken } : {}) };
  },

  ListImports(params: ListImportsCommandInput, ctx: CallContext): SdkOutput<ListImportsCommandOutput> {
    const name = requiredText(params.ExportName, "exportName");
    const importers = importersOf(envOf(ctx), name);
    // The message AWS answers for an export nothing imports (also for one that does not exist).
    if (importers.length === 0) throw validationError(`Export '${name}' is not imported by any stack.`);
    const { page, nextToken } = paginate(importers, optionalText(params.NextToken), PAGE_SIZE);
    return { Imports: page, ...(nextToken ? { NextToken: nextToken } : {}) };
  },
};
