import type { AccountReport, ErrorInfo } from "../core/types.js";
import type { AccountPart, RunManifest, ManifestAccount, WorkerFailure } from "./types.js";

/** What the reducer found in S3 for one account that had a worker. */
export type WorkerResult =
  | { kind: "part"; part: AccountPart }
  | { kind: "failed"; failure: WorkerFailure }
  | { kind: "missing" }
  | { kind: "unreadable"; error: ErrorInfo };

/** Lambda puts `{"errorType", "errorMessage", "trace"}` in the Cause; only the message is worth a report row. */
const MAX_CAUSE_CHARS = 500;

function causeText(cause: string | undefined): string | undefined {
  if (cause === undefined || cause === "") return undefined;
  let text = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") text = parsed.errorMessage;
  } catch {
    // Not JSON: States errors (e.g. States.Timeout) carry plain text.
  }
  return text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS)}…` : text;
}

function workerError(result: Exclude<WorkerResult, { kind: "part" }>): ErrorInfo {
  switch (result.kind) {
    case "failed": {
      const cause = causeText(result.failure.Cause);
      return {
        code: "FanoutWorkerFailed",
        message: `the worker scanning this account failed (${result.failure.Error ?? "unknown error"}${cause ? `: ${cause}` : ""}); it is not scanned in this run`,
      };
    }
    case "missing":
      return { code: "FanoutWorkerMissing", message: "no partial report and no recorded failure for this account; it is not scanned in this run" };
    case "unreadable":
      return { code: "FanoutPartUnreadable", message: `the worker's partial report could not be read (${result.error.code}: ${result.error.message})` };
  }
}

function failedRow(account: ManifestAccount, error: ErrorInfo): AccountReport {
  return { accountId: account.accountId, name: account.name, status: "failed", error, mode: account.mode, regions: [] };
}

/**
 * Every account of the manifest, in accounts.yaml order, as the single-invocation scan would list it:
 * listed-only rows from the manifest, scanned rows from the workers' parts, and a failed row for an
 * account whose worker left no usable part, so one failed worker never sinks the run.
 */
export function mergeAccounts(manifest: RunManifest, results: ReadonlyMap<string, WorkerResult>): AccountReport[] {
  return manifest.accounts.map((account) => {
    if (account.listed) return account.listed;
    const result = results.get(account.accountId) ?? { kind: "missing" };
    if (result.kind !== "part") return failedRow(account, workerError(result));
    if (result.part.runId !== manifest.runId || result.part.accountId !== account.accountId) {
      return failedRow(account, {
        code: "FanoutPartMismatch",
        message: `the partial report is for account ${result.part.accountId} of run ${result.part.runId}, not this one`,
      });
    }
    return result.part.account;
  });
}
