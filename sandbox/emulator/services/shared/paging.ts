/**
 * Opaque pagination tokens (NextToken, Marker, ContinuationToken): the offset of the next page,
 * base64-encoded so callers treat them as opaque, as real AWS tokens are.
 */

export interface Page<T> {
  items: T[];
  next?: string;
}

export function paginate<T>(all: T[], token: string | undefined, pageSize: number, invalid: () => Error): Page<T> {
  let start = 0;
  if (token !== undefined && token !== "") {
    const decoded = Number(Buffer.from(token, "base64").toString("utf8").replace(/^offset:/, ""));
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > all.length) throw invalid();
    start = decoded;
  }
  const end = start + pageSize;
  return { items: all.slice(start, end), next: end < all.length ? Buffer.from(`offset:${end}`).toString("base64") : undefined };
}
