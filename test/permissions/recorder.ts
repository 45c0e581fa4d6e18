import { appendFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Client } from "@smithy/core/client";
import type { DeserializeHandler, DeserializeHandlerArguments, HandlerExecutionContext, MetadataBearer } from "@smithy/types";
import { expect } from "vitest";
import { iamActionOf } from "../../sandbox/emulator/authorization/requests.js";
import { principalOfAccessKey } from "../../sandbox/harness/running-worlds.js";
import { RECORDS_ENV, type PermissionRecord } from "./records.js";

/**
 * The permission recorder (a vitest setup file for the unit and e2e projects): an SDK middleware
 * on every client records each call a driftguard role sends to a sandbox — the role (from the
 * access key that signed it), the IAM action, and the functions/ code that sent it. Paginators,
 * waiters and helpers all go through `send`, so nothing is missed the way a source scan misses
 * them. test/permissions/permissions.test.ts checks the records against the synthesized policies.
 */

const ROOT = join(import.meta.dirname, "../..");
const NAME = "driftguardPermissionRecorder";
const AUTHORIZATION = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;

/** The nearest frame in functions/ of the stack that called `send`. */
function callsiteOf(stack: string | undefined): string | undefined {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const path = relative(ROOT, m[1]!.replace(/^file:\/\//, ""));
    if (path.startsWith("functions/")) return `${path}:${m[2]}`;
  }
  return undefined;
}

function write(record: PermissionRecord): void {
  const dir = process.env[RECORDS_ENV];
  if (dir) appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

function recorder(callsite: string | undefined) {
  return (next: DeserializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) => async (args: DeserializeHandlerArguments<object>) => {
    const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
    const m = AUTHORIZATION.exec(headers.authorization ?? "");
    const role = (m ? principalOfAccessKey(m[1]!) : undefined)?.roleArn?.split("/").pop();
    const operation = String(context.commandName ?? "").replace(/Command$/, "");
    const base = role && m ? { role, action: iamActionOf(m[2]!, operation), operation, callsite, testFile: relative(ROOT, expect.getState().testPath ?? "") } : undefined;
    try {
      const out = await next(args);
      if (base) write(base);
      return out;
    } catch (err) {
      if (base) write({ ...base, error: (err as { name?: string }).name });
      throw err;
    }
  };
}

const send = Client.prototype.send;
// The SDK has no hook on every client, so the base class's send puts the middleware on each command.
Client.prototype.send = function (this: Client<never, never, never, never>, command: { middlewareStack: { add: (...a: unknown[]) => void } }, ...rest: unknown[]) {
  command.middlewareStack.add(recorder(callsiteOf(new Error().stack)), { step: "deserialize", name: NAME, override: true });
  return (send as (...a: unknown[]) => unknown).call(this, command, ...rest);
} as typeof Client.prototype.send;
