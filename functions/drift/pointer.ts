/**
 * CloudFormation's PropertyPath is a JSON pointer into the resource's Properties
 * ("/SecurityGroupIngress/0/IpProtocol"); ignore rules use the same syntax with `*` for any one
 * segment. RFC 6901 escapes (~0 for ~, ~1 for /) are honoured.
 */

export type Segment = string | number;

export function parsePointer(pointer: string): string[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer
    .replace(/^\//, "")
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function formatPointer(path: readonly Segment[]): string {
  return path.map((s) => `/${String(s).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** The value at `path`, or undefined when any step is missing. Numeric segments index arrays. */
export function valueAt(root: unknown, path: readonly Segment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (node !== null && typeof node === "object") node = (node as Record<string, unknown>)[String(segment)];
    else return undefined;
  }
  return node;
}

/** A copy of `root` with `value` at `path` (undefined removes it); missing containers are created as objects. */
export function withValueAt(root: unknown, path: readonly Segment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [Segment, ...Segment[]];
  if (Array.isArray(root)) {
    const copy = [...root];
    const index = Number(head);
    const next = withValueAt(copy[index], rest, value);
    if (next === undefined && rest.length === 0) copy.splice(index, 1);
    else copy[index] = next;
    return copy;
  }
  const base = root !== null && typeof root === "object" ? { ...(root as Record<string, unknown>) } : {};
  const next = withValueAt(base[String(head)], rest, value);
  if (next === undefined) delete base[String(head)];
  else base[String(head)] = next;
  return base;
}

/** True when `pattern` (segments, `*` = any one) matches `path` exactly, or a prefix of it when `prefix`. */
export function matchesPattern(pattern: readonly string[], path: readonly Segment[], prefix = false): boolean {
  if (prefix ? pattern.length > path.length : pattern.length !== path.length) return false;
  return pattern.every((p, i) => p === "*" || p === String(path[i]));
}
