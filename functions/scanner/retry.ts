import pLimit from "p-limit";
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import type { SdkError } from "@smithy/types";
import type { EffectiveAccount } from "../config/resolve.js";
import type { AccountReport, ErrorInfo, RegionReport } from "../core/types.js";
import type { Logger } from "../core/logger.js";
import type { ScanContext } from "./types.js";

/**
 * Retry-once of an account or region whose failure was retryable. The SDK already retries each
 * call (standard mode: 3 attempts, backoff from 100 ms, so about a second in all), which a
 * service outage of a few seconds outlasts: issue 12 saw a 5-second ServiceUnavailable from STS
 * or CloudFormation drop whole accounts or regions until the next scheduled scan. So such a
 * failure is tried once more at the end of the run, after the rest and at least
 * RETRY_AFTER_MS after it happened, and only then reported failed; the report says it was retried.
 */

/** Comfortably past the SDK's own ~1 s of retries, short against a 15-minute Lambda. */
export const RETRY_AFTER_MS = 10_000;

/**
 * True for 5xx and throttling errors, as the SDK classifies them (@smithy/core/retry), after its
 * own retries gave up. Access errors, missing roles and validation errors are not: trying again
 * cannot help.
 */
export function isRetryableFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const sdk = err as SdkError;
  return isThrottlingError(sdk) || isTransientError(sdk) || isServerError(sdk);
}

/** An account or region error, marked when it is worth the retry at the end of the run. */
export function failureInfo(info: ErrorInfo, err: unknown): ErrorInfo & { retryable?: true } {
  return isRetryableFailure(err) ? { ...info, retryable: true } : info;
}

const retryable = (error: ErrorInfo | undefined): error is ErrorInfo => (error as { retryable?: boolean } | undefined)?.retryable === true;

/** Strips the in-run marker: the report's ErrorInfo is code and message. */
function plain(error: ErrorInfo): ErrorInfo {
  return { code: error.code, message: error.message };
}

function needsRetry(report: AccountReport): { whole: boolean; regions: RegionReport[] } {
  if (report.status === "failed") return { whole: retryable(report.error), regions: [] };
  return { whole: false, regions: report.regions.filter((r) => r.status === "failed" && retryable(r.error)) };
}

function cleaned(report: AccountReport): AccountReport {
  return {
    ...report,
    ...(report.error ? { error: plain(report.error) } : {}),
    regions: report.regions.map((r) => (r.error ? { ...r, error: plain(r.error) } : r)),
  };
}

type ScanOne = (account: EffectiveAccount) => Promise<AccountReport>;

/**
 * Scans `accounts` with `scan` (already concurrency-limited by the caller), then retries once the
 * accounts and regions that failed retryably, after waiting out RETRY_AFTER_MS from the last such
 * failure when the deadline allows. Returns the reports in input order.
 */
export async function scanWithRetry(ctx: ScanContext, accounts: readonly EffectiveAccount[], scan: ScanOne, concurrency: number, log: Logger): Promise<AccountReport[]> {
  const limit = pLimit(concurrency);
  const scanAll = (list: EffectiveAccount[], one: ScanOne) => limit.map(list, one);
  let lastFailureAt = 0;
  const first = await scanAll([...accounts], async (account) => {
    const report = await scan(account);
    const retry = needsRetry(report);
    if (retry.whole || retry.regions.length > 0) lastFailureAt = ctx.deps.now();
    return report;
  });

  const todo = accounts.map((account, i) => ({ account, report: first[i] as AccountReport, retry: needsRetry(first[i] as AccountReport) })).filter((t) => t.retry.whole || t.retry.regions.length > 0);
  if (todo.length === 0) return first.map(cleaned);

  const wait = Math.max(0, lastFailureAt + RETRY_AFTER_MS - ctx.deps.now());
  if (ctx.deadline.remainingMs() - wait > 0) await ctx.deps.sleep(wait);
  log.info("retrying retryable failures once", { accounts: todo.filter((t) => t.retry.whole).length, regions: todo.reduce((n, t) => n + t.retry.regions.length, 0), waitedMs: wait });

  const again = await scanAll(
    todo.map((t) => (t.retry.whole ? t.account : { ...t.account, regions: t.retry.regions.map((r) => r.region) })),
    scan,
  );
  const merged = new Map<string, AccountReport>();
  todo.forEach((t, i) => merged.set(t.account.id, mergeRetry(t.report, again[i] as AccountReport, t.retry.whole)));
  return first.map((r) => cleaned(merged.get(r.accountId) ?? r));
}

function mergeRetry(before: AccountReport, after: AccountReport, whole: boolean): AccountReport {
  if (whole) {
    // Not started again (deadline): the first failure stands.
    if (after.status === "not-scanned") return before;
    const error = plain(before.error as ErrorInfo);
    return { ...after, retried: { error, outcome: after.status === "failed" ? "failed-again" : "recovered" } };
  }
  const retriedRegions = new Map(after.regions.map((r) => [r.region, r]));
  const regions = before.regions.map((r) => {
    const next = retriedRegions.get(r.region);
    if (next === undefined) return r;
    // Not started again (deadline): still the first failure, marked as not retried.
    if (next.status === "not-scanned") return r;
    return { ...next, retried: { error: plain(r.error as ErrorInfo), outcome: next.status === "failed" ? ("failed-again" as const) : ("recovered" as const) } };
  });
  return { ...before, regions };
}
