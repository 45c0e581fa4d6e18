import type { Tags } from "../../state.js";
import { AwsError } from "../../protocol/types.js";
import { list } from "../shared/params.js";

/**
 * EC2's Filters parameter: every filter must match (AND), any of a filter's values may match (OR),
 * values may use * and ? wildcards, and `tag:<key>`, `tag-key`, `tag-value` work on every resource.
 */

export interface FilterInput {
  Name?: string;
  Values?: string[];
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
}

/** `fields` maps a filter name to the resource's values for it. */
export function matchesFilters(filters: FilterInput[] | undefined, fields: Record<string, string | string[] | undefined>, tags: Tags): boolean {
  return list(filters).every((f) => {
    const name = f.Name ?? "";
    let actual: string[];
    if (name.startsWith("tag:")) {
      const v = tags[name.slice(4)];
      actual = v === undefined ? [] : [v];
    } else if (name === "tag-key") actual = Object.keys(tags);
    else if (name === "tag-value") actual = Object.values(tags);
    else if (name in fields) actual = list(fields[name]);
    else throw new AwsError("InvalidParameterValue", `The filter '${name}' is invalid`);
    return list(f.Values).some((p) => actual.some((a) => wildcard(p).test(a)));
  });
}
