/** JSON with object keys sorted at every level: equal values give equal text, whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return value === undefined ? "null" : JSON.stringify(value);
}

/** A set's canonical form: unique items sorted by their canonical text. */
export function sortedSet(items: readonly unknown[]): unknown[] {
  const byText = new Map(items.map((item) => [canonicalJson(item), item]));
  return [...byText.keys()].sort().map((k) => byText.get(k));
}
