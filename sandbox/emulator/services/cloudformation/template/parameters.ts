import { validationError } from "../errors.js";
import type { Template } from "./parse.js";

export interface ParameterInput {
  ParameterKey?: string;
  ParameterValue?: string;
  UsePreviousValue?: boolean;
}

/**
 * The stack's parameter values as strings (what DescribeStacks reports): the caller's values
 * over the template defaults, validated the way CreateStack validates them. On an update,
 * `UsePreviousValue` keeps the value in `previous`; a parameter left out takes its default.
 */
export function bindParameters(
  template: Template,
  given: ParameterInput[] | undefined,
  previous: Record<string, string> = {},
): Record<string, string> {
  const declared = template.Parameters ?? {};
  const values: Record<string, string> = {};
  const unknown = (given ?? []).map((p) => p.ParameterKey ?? "").filter((key) => !(key in declared));
  if (unknown.length > 0) throw validationError(`Parameters: [${unknown.join(", ")}] do not exist in the template`);
  for (const parameter of given ?? []) {
    const key = parameter.ParameterKey!;
    const value = parameter.UsePreviousValue ? previous[key] : parameter.ParameterValue;
    if (value === undefined) throw validationError(`Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`);
    values[key] = value;
  }

  const missing: string[] = [];
  for (const [name, declaration] of Object.entries(declared)) {
    if (!(name in values)) {
      if (declaration.Default === undefined) missing.push(name);
      else values[name] = Array.isArray(declaration.Default) ? declaration.Default.join(",") : String(declaration.Default);
    }
    const allowed = declaration.AllowedValues?.map(String);
    if (allowed && name in values && !allowed.includes(values[name])) {
      throw validationError(`Parameter '${name}' must be one of AllowedValues`);
    }
  }
  if (missing.length > 0) throw validationError(`Parameters: [${missing.join(", ")}] must have values`);
  return values;
}

/** What `Ref` yields for each parameter: list types (`List<…>`, CommaDelimitedList) become arrays. */
export function parameterValues(template: Template, bound: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(bound)) {
    const type = template.Parameters?.[name]?.Type ?? "String";
    out[name] = type === "CommaDelimitedList" || type.startsWith("List<") ? value.split(",").map((item) => item.trim()) : value;
  }
  return out;
}

export function pseudoParameters(input: { accountId: string; region: string; stackName: string; stackId: string }): Record<string, string | string[]> {
  return {
    "AWS::AccountId": input.accountId,
    "AWS::Region": input.region,
    "AWS::StackName": input.stackName,
    "AWS::StackId": input.stackId,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
  };
}
