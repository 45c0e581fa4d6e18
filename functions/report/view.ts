import type { AccountReport, ActionOutcome, ChangeActor, ErrorInfo, ExemptionState, ResourceReport, RunReport, StackReport } from "../core/types.js";

/**
 * The flat lists every rendering (SNS summary, HTML, Markdown) shows, derived once from the
 * nested report so the three cannot disagree.
 */
export interface DriftedItem {
  account: AccountReport;
  region: string;
  stack: StackReport;
  resource: ResourceReport;
}

export interface Problem {
  where: string;
  error: ErrorInfo;
}

export interface Unscanned {
  where: string;
  reason: string;
}

/** What needs a person first: failures, then manual work, then what was done or would be done. */
const OUTCOME_ORDER: readonly ActionOutcome[] = ["failed", "manual", "remediated", "planned", "skipped"];

export function accountLabel(a: Pick<AccountReport, "name" | "accountId">): string {
  return `${a.name} (${a.accountId})`;
}

export function where(account: AccountReport, region?: string, stack?: string): string {
  return [accountLabel(account), region, stack].filter((p) => p !== undefined).join(" / ");
}

export function driftedItems(report: RunReport): DriftedItem[] {
  const items = report.accounts.flatMap((account) =>
    account.regions.flatMap((r) => r.stacks.flatMap((stack) => stack.resources.map((resource) => ({ account, region: r.region, stack, resource })))),
  );
  const rank = (i: DriftedItem) => OUTCOME_ORDER.indexOf(i.resource.action.outcome);
  return items.sort((a, b) => rank(a) - rank(b));
}

/** The code an error-level resource item is listed under in "Errors". */
function resourceProblem(resource: ResourceReport): ErrorInfo | undefined {
  const { action } = resource;
  if (action.guard !== undefined) return { code: GUARD_CODES[action.guard], message: action.reason };
  if ((action.outcome as string) === "refused") return { code: "RepairRefused", message: action.reason };
  if (action.contested !== undefined) {
    const who = action.contested.changedBy.length > 0 ? action.contested.changedBy.join(", ") : "unknown (turn on cloudTrailLookup)";
    return { code: "Contested", message: `re-drifted in ${action.contested.scans} consecutive scans, changed by ${who}; ${action.outcome}: ${action.reason}` };
  }
  return undefined;
}

const GUARD_CODES: Readonly<Record<NonNullable<ResourceReport["action"]["guard"]>, string>> = {
  flapping: "FlappingGuard",
  "blast-radius": "BlastRadiusGuard",
  "guard-state": "GuardStateUnavailable",
};

/** Everything counted in totals.errors, each with where it happened. */
export function problems(report: RunReport): Problem[] {
  const out: Problem[] = report.runErrors.map((error) => ({ where: "run", error }));
  for (const account of report.accounts) {
    if (account.error && account.status !== "suspended") out.push({ where: where(account), error: account.error });
    for (const region of account.regions) {
      if (region.error) out.push({ where: where(account, region.region), error: region.error });
      for (const stack of region.stacks) {
        if (stack.error) out.push({ where: where(account, region.region, stack.stackName), error: stack.error });
        for (const resource of stack.resources) {
          const error = resourceProblem(resource);
          if (error) out.push({ where: `${where(account, region.region, stack.stackName)} / ${resource.logicalResourceId}`, error });
        }
      }
    }
  }
  return out;
}

export interface ExemptionRow {
  where: string;
  on: string;
  reason: string;
  until: string;
  setBy: string;
}

/** The report's active exemptions as rows: where, why, until when and who set the tag. */
export function exemptionRows(report: RunReport): ExemptionRow[] {
  const names = new Map(report.accounts.map((a) => [a.accountId, a]));
  return report.exemptions.map((e) => {
    const account = names.get(e.accountId);
    const place = account ? where(account, e.region, e.stackName) : `${e.accountId} / ${e.region} / ${e.stackName}`;
    return {
      where: e.logicalResourceId ? `${place} / ${e.logicalResourceId}` : place,
      on: e.on,
      reason: e.reason,
      until: e.until ?? "no expiry",
      setBy: actorText(e.setBy) ?? "",
    };
  });
}

/** Accounts listed but not scanned because of their organization state (suspended, missing). */
export function listedAccounts(report: RunReport): Unscanned[] {
  return report.accounts
    .filter((a) => a.status === "suspended" || a.status === "not-in-organization")
    .map((a) => ({ where: where(a), reason: a.error?.message ?? a.status }));
}

/** Everything the deadline left untouched, at the coarsest level that was not started. */
export function unscanned(report: RunReport): Unscanned[] {
  const out: Unscanned[] = [];
  for (const account of report.accounts) {
    if (account.status === "not-scanned") {
      out.push({ where: where(account), reason: "account not started before the deadline" });
      continue;
    }
    for (const region of account.regions) {
      if (region.status === "not-scanned") out.push({ where: where(account, region.region), reason: "region not started before the deadline" });
      for (const stack of region.stacks) {
        if (stack.scan === "not-scanned") out.push({ where: where(account, region.region, stack.stackName), reason: stack.scanReason ?? "not scanned" });
      }
    }
  }
  return out;
}

export interface StackNote {
  where: string;
  scan: string;
  why: string;
}

/** Stacks whose scan was not a plain success: skipped, failed, or detection only partial. */
export function notableStacks(report: RunReport): StackNote[] {
  return report.accounts.flatMap((a) =>
    a.regions.flatMap((r) =>
      r.stacks
        .filter((s) => s.scan !== "scanned" || s.detectionStatusReason)
        .map((s) => ({
          where: where(a, r.region, s.stackName),
          scan: s.detectionStatusReason ? "partial" : s.scan,
          why: s.detectionStatusReason ?? s.scanReason ?? s.error?.message ?? "",
        })),
    ),
  );
}

export function regionsText(account: AccountReport): string {
  return account.regions.map((r) => `${r.region}: ${r.status}, ${r.stacks.length} stack(s)`).join("; ");
}

export function actorText(actor: ChangeActor | undefined): string | undefined {
  if (!actor?.arn) return undefined;
  return actor.eventTime ? `${actor.arn} at ${actor.eventTime}` : actor.arn;
}

export function exemptionText(e: ExemptionState): string {
  switch (e.kind) {
    case "none":
      return "none";
    case "exempt":
      return `exempt (${e.on}): ${e.reason}${e.until ? ` until ${e.until}` : ""}`;
    case "expired":
      return `expired ${e.until} (${e.on}): ${e.reason}`;
    case "invalid":
      return `invalid tag on ${e.on} "${e.raw}": ${e.problem}`;
  }
}
