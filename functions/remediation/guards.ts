import type { Defaults } from "../config/schema.js";
import { errorText } from "../core/errors.js";
import type { FlappingEntry, FlappingRecord, FlappingStore } from "./flapping-store.js";

/**
 * Run-wide brakes on automatic repair, created once per run and shared by every stack (and by
 * the event path, one resource at a time):
 * - blast radius: at most `maxPerRun` repairs per run and `maxPerAccount` per account;
 * - flapping: a resource repaired in `flappingThreshold` consecutive runs is flagged and left
 *   alone until a person deletes its entry from the flapping record.
 */

export type GuardLimits = Defaults["remediation"];

export interface ResourceRef {
  accountId: string;
  region: string;
  stackName: string;
  logicalResourceId: string;
}

/** How each guard's reason begins, so reports and metrics can tell which guard held a repair (report/attention.ts). */
export const BLAST_RADIUS_REASON = "blast radius:";
export const FLAPPING_REASON = "flapping:";
export const GUARD_UNAVAILABLE_REASON = "flapping record";

export type Reservation = { ok: true } | { ok: false; reason: string };

/** Which flapping counters `finish` resets when their resource was not repaired in this run. */
export type ResetScope = "all" | "none" | { accounts: readonly string[] };

export interface RemediationGuards {
  /** Why this resource must not be repaired (flagged as flapping, or the record is unreadable). */
  flappingBlock(ref: ResourceRef): string | undefined;
  /** Reserves `count` repairs for the account, all or nothing. */
  reserve(accountId: string, count?: number): Reservation;
  /** Notes that this run changed the resource; counted once per run however often it is called. */
  recordRepair(ref: ResourceRef, at: Date): void;
  /**
   * Saves the flapping record: repaired resources count one more consecutive run (and are flagged
   * at the threshold); unflagged resources in `resetScope` that were not repaired start again at 0.
   * The scheduled run uses "all" (default), a fan-out worker its accounts, the event path "none".
   */
  finish(options?: { resetScope?: ResetScope }): Promise<void>;
}

export function resourceKey(ref: ResourceRef): string {
  return `${ref.accountId}/${ref.region}/${ref.stackName}/${ref.logicalResourceId}`;
}

export async function createGuards(options: { runId: string; limits: GuardLimits; store: FlappingStore }): Promise<RemediationGuards> {
  const { runId, limits, store } = options;
  let loaded: FlappingRecord | undefined;
  let loadProblem: string | undefined;
  try {
    loaded = await store.load();
  } catch (err) {
    // Fail closed: without the record nothing can tell whether a repair would be the Kth in a row.
    loadProblem = `${GUARD_UNAVAILABLE_REASON} ${store.location} unreadable (${errorText(err)}); not repairing until it can be read`;
  }

  let total = 0;
  const perAccount = new Map<string, number>();
  const repaired = new Map<string, string>();

  return {
    flappingBlock(ref) {
      if (loadProblem !== undefined) return loadProblem;
      const entry = loaded?.entries[resourceKey(ref)];
      if (!entry?.flagged) return undefined;
      return `${FLAPPING_REASON} repaired in ${entry.count} consecutive runs (last ${entry.lastRepairedAt}); clear the "${resourceKey(ref)}" entry of ${store.location} to re-enable`;
    },

    reserve(accountId, count = 1) {
      const inAccount = perAccount.get(accountId) ?? 0;
      const what = count === 1 ? "one more repair" : `${count} more repairs`;
      if (total + count > limits.maxPerRun) {
        return { ok: false, reason: `${BLAST_RADIUS_REASON} ${what} would exceed the limit of ${limits.maxPerRun} per run (${total} made)` };
      }
      if (inAccount + count > limits.maxPerAccount) {
        return {
          ok: false,
          reason: `${BLAST_RADIUS_REASON} ${what} would exceed the limit of ${limits.maxPerAccount} per account in ${accountId} (${inAccount} made)`,
        };
      }
      total += count;
      perAccount.set(accountId, inAccount + count);
      return { ok: true };
    },

    recordRepair(ref, at) {
      repaired.set(resourceKey(ref), at.toISOString());
    },

    async finish({ resetScope = "all" } = {}) {
      if (loadProblem !== undefined) return;
      await store.update((current) => nextRecord(current, { runId, threshold: limits.flappingThreshold, repaired, resetScope }));
    },
  };
}

function nextRecord(
  current: FlappingRecord,
  run: { runId: string; threshold: number; repaired: ReadonlyMap<string, string>; resetScope: ResetScope },
): FlappingRecord {
  const entries: Record<string, FlappingEntry> = {};
  for (const [key, entry] of Object.entries(current.entries)) {
    if (entry.flagged || run.repaired.has(key) || !inScope(key, run.resetScope)) entries[key] = entry;
  }
  for (const [key, at] of run.repaired) {
    const previous = entries[key];
    // Saving twice for one run (a retried write) must not count the run twice.
    const count = previous === undefined ? 1 : previous.lastRunId === run.runId ? previous.count : previous.count + 1;
    entries[key] = { count, lastRunId: run.runId, lastRepairedAt: at, flagged: (previous?.flagged ?? false) || count >= run.threshold };
  }
  return { version: 1, entries };
}

function inScope(key: string, scope: ResetScope): boolean {
  if (scope === "all") return true;
  if (scope === "none") return false;
  return scope.accounts.includes(key.slice(0, key.indexOf("/")));
}
