import { canonicalJson } from "../../core/canonical-json.js";

/** A set's canonical form: unique items sorted by their canonical text. */
export function sortedSet(items: readonly unknown[]): unknown[] {
  const byText = new Map(items.map((item) => [canonicalJson(item), item]));
  return [...byText.keys()].sort().map((k) => byText.get(k));
}
