import type { AwsError } from "../../protocol/types.js";

/**
 * Handler inputs arrive typed from the wire codecs, but scenario drift entries come from YAML
 * written by hand, so handlers read them through these tolerant accessors.
 */

export function required<T>(value: T | undefined | null, missing: () => AwsError): T {
  if (value === undefined || value === null || (value as unknown) === "") throw missing();
  return value;
}

export function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function list<T>(value: T[] | T | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
