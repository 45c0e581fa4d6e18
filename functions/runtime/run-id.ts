import { createHash, randomBytes } from "node:crypto";

/**
 * `20260102T030405Z-1a2b3c`: sorts by start time, is unique across concurrent runs, and only uses
 * characters that are valid in an STS RoleSessionName, an S3 key and a log field alike.
 */
export function newRunId(now: Date, suffix = randomBytes(3).toString("hex")): string {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  return `${stamp}-${suffix}`;
}

/**
 * The run id of a fan-out execution, derived from the execution itself (its start time and name,
 * from the Plan step's context object `$$.Execution`): when Step Functions retries a Plan that
 * failed after taking the run lease, the retry gets the same run id, so it renews its own lease
 * instead of finding it "held by another run" and skipping until the lease expires.
 */
export function executionRunId(execution: { name: string; startTime: string }): string {
  const started = new Date(execution.startTime);
  if (Number.isNaN(started.getTime())) throw new Error(`execution.startTime ${JSON.stringify(execution.startTime)} is not an ISO 8601 time`);
  return newRunId(started, createHash("sha256").update(execution.name).digest("hex").slice(0, 12));
}
