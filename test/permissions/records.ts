import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Where the workers of this `vitest run` write what each role sent (set by global-setup.ts). */
export const RECORDS_ENV = "DRIFTGUARD_PERMISSION_RECORDS";

/** One API call a driftguard client sent to a sandbox, as the SDK middleware saw it. */
export interface PermissionRecord {
  /** The IAM role whose session signed the request, e.g. driftguard-spoke. */
  role: string;
  /** The IAM action the call is authorized as, e.g. s3:GetEncryptionConfiguration. */
  action: string;
  /** The SDK operation, e.g. GetBucketEncryption. */
  operation: string;
  /** The nearest functions/ frame that sent it (path:line), or undefined for a call a test made itself. */
  callsite?: string;
  /** The test file whose run sent it. */
  testFile?: string;
  /** The error code when the call failed, e.g. AccessDenied. */
  error?: string;
  /** Its message: whose policy denied it (IAM's "because no identity-based policy allows …", "… in a service control policy"). */
  message?: string;
}

export function readRecords(dir: string): PermissionRecord[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .flatMap((f) =>
      readFileSync(join(dir, f), "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as PermissionRecord),
    );
}
