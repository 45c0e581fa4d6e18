import { randomBytes } from "node:crypto";

/**
 * `20260102T030405Z-1a2b3c`: sorts by start time, is unique across concurrent runs, and only uses
 * characters that are valid in an STS RoleSessionName, an S3 key and a log field alike.
 */
export function newRunId(now: Date, suffix = randomBytes(3).toString("hex")): string {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  return `${stamp}-${suffix}`;
}
