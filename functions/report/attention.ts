import type { RemediationAction, RunReport } from "../core/types.js";
import { isResourceError } from "./build.js";
import { refusals } from "./view.js";

/**
 * The counts an operator acts on, derived once from the report, so the SNS subject, the EMF
 * metrics, the alarms and the CLI's exit code cannot disagree. Outcomes are tallied by their
 * string: outcomes other engineers add to the report (`refused`, `contested`) are counted
 * without this file learning about them first.
 */
export interface RunCounts {
  accounts: number;
  accountsFailed: number;
  regionsFailed: number;
  stacksScanned: number;
  stacksFailed: number;
  stacksDrifted: number;
  resourcesDrifted: number;
  remediated: number;
  planned: number;
  manual: number;
  failed: number;
  /** A repair the privilege invariants refused (outcome `refused`), REVERT_DRIFT change sets included. */
  refused: number;
  /** The first refusal's reason, shown in the subject: what would have been granted, and where. */
  firstRefusal?: string;
  /** A resource someone keeps changing back (the guards mark its action `contested`). */
  contested: number;
  /** Held by the blast-radius limits. */
  heldByBlastRadius: number;
  /** Held because the resource is flagged as flapping. */
  heldByFlapping: number;
  /** Held because a guard could not be evaluated (fail closed): its record is unreadable. */
  guardTrips: number;
  errors: number;
  /**
   * Errors the items above do not already name: failed regions and stacks, run errors, accounts
   * missing from the organization. Guard stops, refusals and contested resources are counted in
   * the report's errors (report/build.ts) and named on their own, so they are not counted twice.
   */
  otherErrors: number;
  incomplete: boolean;
}

export type GuardHold = "blast-radius" | "flapping" | "guard-unavailable";

/** Which guard held a skipped action back, if any: the guard the engine named on the action. */
export function heldBy(action: RemediationAction): GuardHold | undefined {
  if (action.outcome !== "skipped" || action.guard === undefined) return undefined;
  return action.guard === "guard-state" ? "guard-unavailable" : action.guard;
}

export function runCounts(report: RunReport): RunCounts {
  const t = report.totals;
  const resources = report.accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources)));
  const actions = resources.map((res) => res.action);
  const held = (g: GuardHold) => actions.filter((a) => heldBy(a) === g).length;
  return {
    accounts: t.accounts,
    accountsFailed: t.accountsFailed,
    regionsFailed: report.accounts.flatMap((a) => a.regions).filter((r) => r.status === "failed").length,
    stacksScanned: t.stacksScanned,
    stacksFailed: t.stacksFailed,
    stacksDrifted: t.stacksDrifted,
    resourcesDrifted: t.resourcesDrifted,
    remediated: t.remediated,
    planned: t.planned,
    manual: t.manual,
    failed: t.failed,
    refused: t.refused,
    ...(refusals(report)[0] ? { firstRefusal: refusals(report)[0]!.reason } : {}),
    contested: actions.filter((a) => a.contested !== undefined).length,
    heldByBlastRadius: held("blast-radius"),
    heldByFlapping: held("flapping"),
    guardTrips: held("guard-unavailable"),
    errors: t.errors,
    otherErrors: t.errors - t.accountsFailed - resources.filter(isResourceError).length,
    incomplete: report.incomplete,
  };
}

/** Needs a person: something broke, was refused, contested, held by a broken guard, or waits for a hand repair. */
export function needsAttention(c: RunCounts): boolean {
  return c.accountsFailed + c.regionsFailed + c.stacksFailed + c.failed + c.refused + c.contested + c.guardTrips + c.manual + c.errors > 0 || c.incomplete;
}
