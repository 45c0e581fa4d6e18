import { validationError } from "./errors.js";

/**
 * Offset pagination behind an opaque NextToken, as every CloudFormation list action pages.
 * The token encodes the offset only; a list that changes between pages shifts, as it may in AWS.
 */
export function paginate<T>(items: T[], nextToken: string | undefined, pageSize: number): { page: T[]; nextToken?: string } {
  const offset = nextToken === undefined ? 0 : decodeToken(nextToken);
  const page = items.slice(offset, offset + pageSize);
  const end = offset + page.length;
  return end < items.length ? { page, nextToken: encodeToken(end) } : { page };
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), "utf8").toString("base64");
}

function decodeToken(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset: unknown };
    if (typeof offset === "number" && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through: not one of ours
  }
  throw validationError("Invalid NextToken");
}
