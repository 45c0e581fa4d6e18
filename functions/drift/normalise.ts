import { FALSE_POSITIVE_CLASSES } from "./false-positives/registry.js";
import { isObject, type FalsePositiveClass, type NodeContext } from "./false-positives/types.js";
import type { Segment } from "./pointer.js";

/** Whose resource a document belongs to: what the classes need besides the path. */
export type ResourceContext = Omit<NodeContext, "path">;

/**
 * `value` (found at `path` of a Properties document) in the form every class in `classes`
 * agrees on. Each class sees each node twice, before and after its children, so a policy
 * document given as a string is parsed before its principals are rewritten, and sets are sorted
 * after their items are normalised.
 */
export function normaliseAt(
  value: unknown,
  path: readonly Segment[],
  ctx: ResourceContext,
  classes: readonly FalsePositiveClass[] = FALSE_POSITIVE_CLASSES,
): unknown {
  const at: NodeContext = { ...ctx, path };
  let node = value;
  for (const c of classes) node = c.normalise(node, at);
  if (Array.isArray(node)) node = node.map((item, i) => normaliseAt(item, [...path, i], ctx, classes));
  else if (isObject(node)) node = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, normaliseAt(v, [...path, k], ctx, classes)]));
  for (const c of classes) node = c.normalise(node, at);
  return node;
}

/**
 * Values as drift detection means them: scalars by their text ("80" is 80, "true" is true, as
 * CloudFormation compares template strings with typed live values), objects without key order.
 */
export function comparable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(comparable).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${comparable(value[k])}`).join(",")}}`;
  }
  return value === undefined || value === null ? "null" : JSON.stringify(String(value));
}

export function sameValue(a: unknown, b: unknown): boolean {
  return comparable(a) === comparable(b);
}

/**
 * Whether two values of one property would compare equal under every false-positive class: the
 * remediators' "is a write needed?" test, so a repair is never planned for a difference the
 * classification would call a false positive (the same judgement as the decision and convergence).
 */
export function equivalentAt(a: unknown, b: unknown, path: readonly Segment[], ctx: ResourceContext): boolean {
  return comparable(normaliseAt(a, path, ctx)) === comparable(normaliseAt(b, path, ctx));
}
