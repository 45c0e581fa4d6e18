import type { S3Client } from "@aws-sdk/client-s3";
import type { EffectiveAccount } from "../config/resolve.js";
import type { StackRemediationInput } from "../remediation/engine.js";
import type { GuardLimits, RemediationGuards } from "../remediation/guards.js";
import { effectiveMode } from "../remediation/mode.js";
import { toErrorInfo } from "../scanner/errors.js";
import type { Logger } from "../runtime/logger.js";
import { updateJson, type Backoff } from "./s3-json.js";

/**
 * The per-run blast radius across parallel workers. Workers share no memory, so the run's
 * `maxPerRun` lives in one S3 object (runs/<runId>/budget.json) from which each worker leases
 * repairs with conditional writes, only when a stack it scanned has drift it may repair, and gives
 * back what it did not use when it finishes. Total repairs of a run therefore never exceed
 * `maxPerRun`, however many workers run at once; while the budget is not exhausted a worker
 * behaves exactly like the single-invocation scan. A worker that dies holding a lease takes it
 * with it: the run then repairs less, never more.
 */

interface BudgetRecord {
  version: 1;
  maxPerRun: number;
  /** Repairs leased to workers and not given back. */
  leased: number;
}

export interface RunBudget {
  /** Leases up to `wanted` repairs; returns how many were granted (0 once the run's budget is spent). */
  lease(wanted: number): Promise<number>;
  giveBack(count: number): Promise<void>;
}

export function s3RunBudget(s3: S3Client, bucket: string, key: string, maxPerRun: number, backoff: Backoff): RunBudget {
  const fresh = (): BudgetRecord => ({ version: 1, maxPerRun, leased: 0 });
  return {
    lease: (wanted) =>
      updateJson<BudgetRecord, number>(
        s3,
        bucket,
        key,
        (current = fresh()) => {
          const granted = Math.max(0, Math.min(wanted, current.maxPerRun - current.leased));
          return granted === 0 ? { result: 0 } : { next: { ...current, leased: current.leased + granted }, result: granted };
        },
        backoff,
      ),
    giveBack: (count) =>
      updateJson<BudgetRecord, void>(
        s3,
        bucket,
        key,
        (current = fresh()) => ({ next: { ...current, leased: Math.max(0, current.leased - count) }, result: undefined }),
        backoff,
      ),
  };
}

/** Repairs the engine may reserve for this stack: drifted resources in remediate mode that still exist. */
export function repairsWanted(account: Pick<EffectiveAccount, "mode" | "modeRules">, input: Pick<StackRemediationInput, "stack" | "drifts">): number {
  return input.drifts.filter((d) => d.status !== "DELETED" && effectiveMode(account, input.stack.stackName, d.resourceType) === "remediate").length;
}

export interface LeasedGuards {
  /** The worker's guards: flapping and per-account limits from `inner`, per-run limit from leases. */
  guards: RemediationGuards;
  /** Leases what this stack may need before the engine sees it (reserve itself must stay synchronous). */
  prepare(input: StackRemediationInput): Promise<void>;
  /** Gives back the unused part of the leases. */
  release(): Promise<void>;
}

export function leasedGuards(inner: RemediationGuards, budget: RunBudget, limits: GuardLimits, log: Logger): LeasedGuards {
  let leased = 0;
  let used = 0;
  let problem: string | undefined;

  return {
    guards: {
      flappingBlock: (ref) => inner.flappingBlock(ref),
      reserve(accountId, count = 1) {
        // Past the per-account limit `inner` refuses with its own reason (its count for the account is `used`).
        if (used + count <= limits.maxPerAccount && used + count > leased) {
          const what = count === 1 ? "one more repair" : `${count} more repairs`;
          const why = problem ?? `the run's workers have leased all of it, ${used} used here`;
          return { ok: false, reason: `blast radius: ${what} would exceed the limit of ${limits.maxPerRun} per run (${why})` };
        }
        const reservation = inner.reserve(accountId, count);
        if (reservation.ok) used += count;
        return reservation;
      },
      recordRepair: (ref, at) => inner.recordRepair(ref, at),
      finish: (options) => inner.finish(options),
    },

    async prepare(input) {
      const spare = leased - used;
      // One worker scans one account, so it never needs more than the per-account limit.
      const wanted = Math.min(repairsWanted(input.account, input) - spare, limits.maxPerAccount - leased);
      if (wanted <= 0) return;
      try {
        leased += await budget.lease(wanted);
      } catch (err) {
        const error = toErrorInfo(err);
        // Fail closed: without the shared budget no worker can know the run's total.
        problem = `the run's shared budget could not be leased: ${error.code}: ${error.message}`;
        log.error("repair budget not leased; repairs in this stack are skipped", { error });
      }
    },

    async release() {
      if (leased <= used) return;
      try {
        await budget.giveBack(leased - used);
        leased = used;
      } catch (err) {
        log.error("unused repair budget not given back; the run may repair less than its limit", { error: toErrorInfo(err) });
      }
    },
  };
}
