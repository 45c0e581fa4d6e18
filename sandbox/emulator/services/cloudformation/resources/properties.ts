import type { CfnStack, Tags } from "../../../state.js";
import { isPlainObject } from "../template/intrinsics.js";

/** Copies the listed properties that are present, in that order. */
export function pick(properties: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (properties[name] !== undefined) out[name] = properties[name];
  return out;
}

export function optionalString(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

/** A property the resource type requires, failing the way CloudFormation's schema validation does. */
export function required(properties: Record<string, unknown>, name: string, logicalId: string): unknown {
  const value = properties[name];
  if (value === undefined || value === null || value === "") {
    throw new Error(`Properties validation failed for resource ${logicalId} with message: #: required key [${name}] not found`);
  }
  return value;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

export function objectList(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

export function bool(value: unknown): boolean {
  return value === true || value === "true";
}

/** A JSON document property given either as an object or as a JSON string. */
export function jsonDocument(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Template `Tags: [{Key, Value}]` as a map. */
export function templateTags(value: unknown): Tags {
  return Object.fromEntries(objectList(value).map((tag) => [String(tag.Key), String(tag.Value ?? "")]));
}

/** Live tags in CloudFormation's list shape, without the `aws:` tags users can neither set nor manage. */
export function userTagList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags)
    .filter(([key]) => !key.startsWith("aws:"))
    .map(([Key, Value]) => ({ Key, Value }));
}

/** The tags CloudFormation puts on every resource it creates in a taggable type. */
export function cloudFormationTags(stack: CfnStack, logicalId: string): Tags {
  return {
    "aws:cloudformation:stack-name": stack.stackName,
    "aws:cloudformation:logical-id": logicalId,
    "aws:cloudformation:stack-id": stack.stackId,
  };
}

/**
 * The tag keys a stack update takes off a resource: keys the previous template set that neither
 * the new template nor the stack's own tags name, and that the resource still carries. Tags added
 * out of band are left alone, as CloudFormation only manages the tags it set (a tag removed from
 * the template is removed from the resource: its type's update handler untags it, e.g. EC2
 * DeleteTags, IAM UntagRole, SNS UntagResource — the `update` handler permissions of the type
 * schemas, such as aws-sns-topic.json's sns:UntagResource).
 */
export function staleTagKeys(live: Tags, wanted: Tags, previousTemplateTags: unknown): string[] {
  return Object.keys(templateTags(previousTemplateTags ?? [])).filter((key) => !(key in wanted) && key in live);
}
