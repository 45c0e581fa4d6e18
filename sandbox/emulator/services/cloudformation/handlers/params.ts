import { Capability } from "@aws-sdk/client-cloudformation";
import type { Tags } from "../../../state.js";
import { validationError } from "../errors.js";

/**
 * Query-protocol inputs arrive decoded, but scalars may still be the wire's strings and a
 * one-item list may arrive bare; these accept either form.
 */
export function list<T = string>(value: unknown): T[] {
  if (value === undefined || value === null || value === "") return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

export function flag(value: unknown): boolean {
  return value === true || value === "true";
}

export function optionalText(value: unknown): string | undefined {
  return value === undefined || value === null || value === "" ? undefined : String(value);
}

export function requiredText(value: unknown, member: string): string {
  const text = optionalText(value);
  if (text === undefined) {
    throw validationError(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return text;
}

export function maxResults(value: unknown, member: string, fallback: number, limit: number): number {
  if (value === undefined || value === null || value === "") return fallback;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > limit) {
    throw validationError(
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must have value between 1 and ${limit}`,
    );
  }
  return count;
}

export function tags(value: unknown): Tags {
  return Object.fromEntries(list<{ Key?: string; Value?: string }>(value).map((tag) => [String(tag.Key), String(tag.Value ?? "")]));
}

export function tagList(values: Tags): { Key: string; Value: string }[] {
  return Object.entries(values).map(([Key, Value]) => ({ Key, Value }));
}

export function parameterList(values: Record<string, string>): { ParameterKey: string; ParameterValue: string }[] {
  return Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
}

const CAPABILITIES: readonly string[] = Object.values(Capability);

/**
 * The Capabilities member, checked against the API's enum (API_CreateStack.html, Capabilities:
 * "Valid Values: CAPABILITY_IAM | CAPABILITY_NAMED_IAM | CAPABILITY_AUTO_EXPAND") with the
 * validation message AWS's query services give a list member outside its enum.
 */
export function capabilityList(value: unknown): Capability[] {
  const given = list(value);
  if (given.every((c) => CAPABILITIES.includes(c))) return given as Capability[];
  throw validationError(
    `1 validation error detected: Value '[${given.join(", ")}]' at 'capabilities' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${CAPABILITIES.join(", ")}]]`,
  );
}
