import type { Defaults } from "../config/schema.js";
import { errorText } from "../core/errors.js";
import type { ContestedInfo, ErrorInfo, GuardName } from "../core/types.js";
import { MAX_ACTORS, type FlappingEntry, type FlappingRecord, type FlappingStore } from "./flapping-store.js";

/**
 * Run-wide brakes on automatic repair, created once per run and shared by every stack (and by
 * the event path, one resource at a time):
 * - blast radius: at most `maxPerRun` repairs per run and `maxPerAccount` per account;
 * - flapping: a resource repaired in `flappingThreshold` consecutive scheduled scans is flagged
 *   (contested) and left alone until a person deletes its entry from the flapping record.
 *
 * Who moves a counter: only a scheduled scan ("scan" counting) that looked at the resource and
 * could have repaired it. A repair adds one (once per run, however often it is repeated); a
 * completed drift detection that found the resource in sync, in remediate mode, resets it. A run
 * in report mode, an exempt or blast-radius-stopped resource, a failed detection and the event
 * path ("event" counting) leave it alone — so events, which an account user can fire as fast as
 * IAM accepts them, can never flag a resource (issue 12: four AttachRolePolicy in a second
 * flagged a role and switched its repair off). The event path records who changed the resource.
 *
 * Security-critical drift (critical.ts) passes the flapping guard, an unreadable record and the
 * blast-radius budget: its revert only takes privilege away. It is still counted, so a resource
 * whose grants keep coming back is escalated as contested.
 *
 * A record that cannot be read stops every other repair (fail safe) and is reported as a run
 * error on every run until fixed; it is then never written, so a person can still inspect it.
 */

export type GuardLimits = Defaults["remediation"];

export interface ResourceRef {
  accountId: string;
  region: string;
  stackName: string;
  logicalResourceId: string;
  /** Lets the in-sync reset tell whether a run could have repaired the resource (mode rules by type). */
  resourceType?: string;
}

export interface StackRef {
  accountId: string;
  region: string;
  stackName: string;
}


export type Reservation = { ok: true } | { ok: false; reason: string };

/** Why a guard stopped a repair: error-level, counted in the report's errors. */
export interface GuardTrip {
  guard: GuardName;
  reason: string;
}

export interface GuardOptions {
  /** The drift is security-critical (critical.ts): guards do not hold its revert back. */
  critical?: boolean;
}

export interface RemediationGuards {
  /** Set when the flapping record could not be read: a run error, reported every run until fixed. */
  readonly stateProblem: ErrorInfo | undefined;
  /** Why this resource must not be repaired now (flagged as flapping, or the record is unreadable). */
  flappingBlock(ref: ResourceRef, options?: GuardOptions): GuardTrip | undefined;
  /** The resource's escalation when it has been re-drifted in `flappingThreshold` consecutive scans. */
  contested(ref: ResourceRef): ContestedInfo | undefined;
  /** Reserves `count` repairs for the account, all or nothing; critical reverts are counted, never refused. */
  reserve(accountId: string, count?: number, options?: GuardOptions): Reservation;
  /** Notes that this run changed the resource; counted once per run however often it is called. */
  recordRepair(ref: ResourceRef, at: Date): void;
  /** Notes who made the change a repair undid (CloudTrail ARN), for the contested escalation. */
  recordActor(ref: ResourceRef, arn: string): void;
  /**
   * A completed drift detection of the stack: its resources not in `drifted`, for which
   * `couldRepair(resourceType)` holds, were seen in sync, and their counters reset.
   */
  observeStack(stack: StackRef, drifted: ReadonlySet<string>, couldRepair: (resourceType: string | undefined) => boolean): void;
  /** Saves the flapping record (merged with concurrent writers); throws when it cannot. */
  finish(): Promise<void>;
}

export function resourceKey(ref: ResourceRef): string {
  return `${ref.accountId}/${ref.region}/${ref.stackName}/${ref.logicalResourceId}`;
}

const stackPrefix = (stack: StackRef): string => `${stack.accountId}/${stack.region}/${stack.stackName}/`;

export const GUARD_STATE_UNREADABLE = "GuardStateUnreadable";
export const GUARD_STATE_NOT_SAVED = "GuardStateNotSaved";

export interface CreateGuardsOptions {
  runId: string;
  limits: GuardLimits;
  store: FlappingStore;
  /** "scan" for scheduled runs and their fan-out workers; "event" for the event path, which never moves counters. */
  counting: "scan" | "event";
  /** Another guard that cannot be evaluated (the run lease): stops non-critical repairs like an unreadable record. */
  blockedBy?: ErrorInfo;
}

export async function createGuards(options: CreateGuardsOptions): Promise<RemediationGuards> {
  const { runId, limits, store, counting, blockedBy } = options;
  let loaded: FlappingRecord | undefined;
  let stateProblem: ErrorInfo | undefined;
  try {
    loaded = await store.load();
  } catch (err) {
    // Fail closed: without the record nothing can tell whether a repair would be the Kth in a row.
    stateProblem = {
      code: GUARD_STATE_UNREADABLE,
      message: `flapping record ${store.location} unreadable (${errorText(err)}); only security-critical drift is reverted until it can be read: fix its JSON, restore a previous version or delete it to start counting again`,
    };
  }

  let total = 0;
  const perAccount = new Map<string, number>();
  const repaired = new Map<string, { at: string; resourceType?: string }>();
  const actors = new Map<string, string[]>();
  const observed: { prefix: string; drifted: ReadonlySet<string>; couldRepair: (type: string | undefined) => boolean }[] = [];

  return {
    stateProblem,

    flappingBlock(ref, { critical = false } = {}) {
      if (critical) return undefined;
      const stop = stateProblem ?? blockedBy;
      if (stop !== undefined) return { guard: "guard-state", reason: stop.message };
      const entry = loaded?.entries[resourceKey(ref)];
      if (!entry?.flagged) return undefined;
      return {
        guard: "flapping",
        reason: `flapping: re-drifted and repaired in ${entry.count} consecutive scans (last ${entry.lastRepairedAt}); clear the "${resourceKey(ref)}" entry of ${store.location} to re-enable`,
      };
    },

    contested(ref) {
      const entry = loaded?.entries[resourceKey(ref)];
      return entry?.flagged ? { scans: entry.count, lastRepairedAt: entry.lastRepairedAt, changedBy: entry.changedBy ?? [] } : undefined;
    },

    reserve(accountId, count = 1, { critical = false } = {}) {
      const inAccount = perAccount.get(accountId) ?? 0;
      const what = count === 1 ? "one more repair" : `${count} more repairs`;
      if (!critical && total + count > limits.maxPerRun) {
        return { ok: false, reason: `blast radius: ${what} would exceed the limit of ${limits.maxPerRun} per run (${total} made)` };
      }
      if (!critical && inAccount + count > limits.maxPerAccount) {
        return {
          ok: false,
          reason: `blast radius: ${what} would exceed the limit of ${limits.maxPerAccount} per account in ${accountId} (${inAccount} made)`,
        };
      }
      total += count;
      perAccount.set(accountId, inAccount + count);
      return { ok: true };
    },

    recordRepair(ref, at) {
      repaired.set(resourceKey(ref), { at: at.toISOString(), ...(ref.resourceType ? { resourceType: ref.resourceType } : {}) });
    },

    recordActor(ref, arn) {
      const key = resourceKey(ref);
      actors.set(key, [...(actors.get(key) ?? []), arn]);
    },

    observeStack(stack, drifted, couldRepair) {
      observed.push({ prefix: stackPrefix(stack), drifted, couldRepair });
    },

    async finish() {
      if (stateProblem !== undefined) return;
      if (repaired.size === 0 && actors.size === 0 && observed.length === 0) return;
      await store.update((current) => nextRecord(current, { runId, counting, threshold: limits.flappingThreshold, repaired, actors, observed }));
    },
  };
}

interface RunObservations {
  runId: string;
  counting: "scan" | "event";
  threshold: number;
  repaired: ReadonlyMap<string, { at: string; resourceType?: string }>;
  actors: ReadonlyMap<string, readonly string[]>;
  observed: readonly { prefix: string; drifted: ReadonlySet<string>; couldRepair: (type: string | undefined) => boolean }[];
}

/** Pure: the record after this run, from the freshest record (it may run again after a lost race). */
export function nextRecord(current: FlappingRecord, run: RunObservations): FlappingRecord {
  const entries: Record<string, FlappingEntry> = { ...current.entries };

  if (run.counting === "scan") {
    for (const [key, entry] of Object.entries(entries)) {
      if (entry.flagged || run.repaired.has(key)) continue;
      const seen = run.observed.find((o) => key.startsWith(o.prefix));
      const logicalId = key.slice(seen?.prefix.length ?? 0);
      if (seen && !seen.drifted.has(logicalId) && seen.couldRepair(entry.resourceType)) delete entries[key];
    }
  }

  for (const [key, { at, resourceType }] of run.repaired) {
    const previous = entries[key];
    if (run.counting === "event") {
      // Events never count: they only say how often the resource was put back between scans.
      entries[key] = previous
        ? { ...previous, eventRepairs: (previous.eventRepairs ?? 0) + 1 }
        : { count: 0, lastRunId: run.runId, lastRepairedAt: at, flagged: false, eventRepairs: 1, ...(resourceType ? { resourceType } : {}) };
      continue;
    }
    // Saving twice for one run (a retried write) must not count the run twice.
    const count = previous === undefined ? 1 : previous.lastRunId === run.runId ? previous.count : previous.count + 1;
    entries[key] = {
      count,
      lastRunId: run.runId,
      lastRepairedAt: at,
      flagged: (previous?.flagged ?? false) || count >= run.threshold,
      ...(resourceType ?? previous?.resourceType ? { resourceType: resourceType ?? previous?.resourceType } : {}),
      ...(previous?.changedBy ? { changedBy: previous.changedBy } : {}),
    };
  }

  for (const [key, arns] of run.actors) {
    const entry = entries[key];
    if (entry === undefined) continue;
    const merged = [...(entry.changedBy ?? []).filter((a) => !arns.includes(a)), ...new Set(arns)];
    entries[key] = { ...entry, changedBy: merged.slice(-MAX_ACTORS) };
  }
  return { version: 1, entries };
}
