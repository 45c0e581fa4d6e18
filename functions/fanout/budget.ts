import type { S3Client } from "@aws-sdk/client-s3";
import type { EffectiveAccount } from "../config/resolve.js";
import { effectiveMode, type GuardLimits, type RemediationGuards, type StackRemediationInput, type StackRemediationResult } from "../remediation/index.js";
import { toErrorInfo } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { updateJson, type Backoff } from "../aws/s3-json.js";

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

type Engine = (input: StackRemediationInput) => Promise<StackRemediationResult>;

export interface LeasedGuards {
  /** The worker's guards (flapping, finish); repairs are only reserved through a stack's own lease. */
  guards: RemediationGuards;
  /**
   * Wraps the engine: before it sees a stack, the repairs the stack may need are leased (the
   * engine's reserve is synchronous, so it cannot wait for S3), and the stack's engine call gets
   * guards that reserve from that lease. What a stack did not use serves the next stacks first.
   */
  remediateStack(engine: Engine): Engine;
  /** Gives back what no stack used. */
  release(): Promise<void>;
}

export function leasedGuards(inner: RemediationGuards, budget: RunBudget, limits: GuardLimits, log: Logger): LeasedGuards {
  /** Leased from the run's budget over the worker's life; one worker scans one account, so never past maxPerAccount. */
  let leased = 0;
  /** Leased and not granted to any stack in flight. */
  let spare = 0;
  /** Reserved by every stack so far: the account's count in `inner`. */
  let used = 0;
  let problem: string | undefined;

  async function grantFor(input: StackRemediationInput): Promise<number> {
    const wanted = repairsWanted(input.account, input);
    const fromSpare = Math.min(wanted, spare);
    spare -= fromSpare;
    const ask = Math.min(wanted - fromSpare, limits.maxPerAccount - leased);
    if (ask <= 0) return fromSpare;
    leased += ask; // claimed before the await, so concurrent stacks never ask for the same repairs twice
    let granted = 0;
    try {
      granted = await budget.lease(ask);
      problem = undefined;
    } catch (err) {
      const error = toErrorInfo(err);
      // Fail closed: without the shared budget no worker can know the run's total.
      problem = `the run's shared budget could not be leased: ${error.code}: ${error.message}`;
      log.error("repair budget not leased; repairs in this stack are skipped", { error });
    }
    leased -= ask - granted;
    return fromSpare + granted;
  }

  function reserveFrom(grant: { left: number }): RemediationGuards["reserve"] {
    return (accountId, count = 1, options = {}) => {
      // Critical reverts are counted, never refused (guards.ts); they take no lease from other workers.
      if (options.critical) {
        const reservation = inner.reserve(accountId, count, options);
        used += count;
        return reservation;
      }
      // What stacks that finished meanwhile did not use can still serve this one.
      const top = Math.min(Math.max(0, count - grant.left), spare);
      spare -= top;
      grant.left += top;
      // Past the per-account limit `inner` refuses with its own reason.
      if (used + count <= limits.maxPerAccount && count > grant.left) {
        const what = count === 1 ? "one more repair" : `${count} more repairs`;
        const why = problem ?? "the run's workers have leased all of it";
        return { ok: false, reason: `blast radius: ${what} would exceed the limit of ${limits.maxPerRun} per run (${why})` };
      }
      const reservation = inner.reserve(accountId, count, options);
      if (reservation.ok) {
        used += count;
        grant.left -= count;
      }
      return reservation;
    };
  }

  const guardsWith = (grant: { left: number }): RemediationGuards => ({
    stateProblem: inner.stateProblem,
    flappingBlock: (ref, options) => inner.flappingBlock(ref, options),
    contested: (ref) => inner.contested(ref),
    reserve: reserveFrom(grant),
    recordRepair: (ref, at) => inner.recordRepair(ref, at),
    recordActor: (ref, arn) => inner.recordActor(ref, arn),
    observeStack: (stack, drifted, couldRepair) => inner.observeStack(stack, drifted, couldRepair),
    finish: () => inner.finish(),
  });

  return {
    guards: guardsWith({ left: 0 }),

    remediateStack: (engine) => async (input) => {
      const grant = { left: await grantFor(input) };
      try {
        return await engine({ ...input, guards: guardsWith(grant) });
      } finally {
        spare += grant.left;
      }
    },

    async release() {
      if (spare === 0) return;
      try {
        await budget.giveBack(spare);
        leased -= spare;
        spare = 0;
      } catch (err) {
        log.error("unused repair budget not given back; the run may repair less than its limit", { error: toErrorInfo(err) });
      }
    },
  };
}
