import { isResourceError } from "./build.js";
import type { AccountReport, ReportTotals, ActionOutcome, ChangeActor, ErrorInfo, ResourceReport, RunReport, StackReport } from "../core/types.js";

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

/** What needs a person first: refused escalations, failures, manual work, then what was done or would be done. */
const OUTCOME_ORDER: readonly ActionOutcome[] = ["refused", "failed", "manual", "remediated", "planned", "skipped"];

/**
 * Outcomes where driftguard did its job without a person: everything else (failed, manual, and
 * any outcome added later such as refused or contested) lands in "What needs you", so a new
 * outcome is shown by default rather than hidden.
 */
const HANDLED_OUTCOMES: ReadonlySet<string> = new Set(["remediated", "planned", "skipped"]);
export const needsPerson = (outcome: string) => !HANDLED_OUTCOMES.has(outcome);

/** A resource a person must look at: its outcome is not a handled one, a guard stopped it, or it is contested. */
export const needsAttention = (item: DriftedItem) => needsPerson(item.resource.action.outcome) || isResourceError(item.resource);

export function accountLabel(a: Pick<AccountReport, "name" | "accountId">): string {
  return `${a.name} (${a.accountId})`;
}

export function where(account: AccountReport, region?: string, stack?: string): string {
  return [accountLabel(account), region, stack].filter((p) => p !== undefined).join(" / ");
}

function listedItems(report: RunReport): DriftedItem[] {
  return report.accounts.flatMap((account) =>
    account.regions.flatMap((r) => r.stacks.flatMap((stack) => stack.resources.map((resource) => ({ account, region: r.region, stack, resource })))),
  );
}

/** Outcomes of rows CloudFormation listed that are not drift: all false positives, or all ignored. */
const NOT_DRIFT: ReadonlySet<ActionOutcome> = new Set<ActionOutcome>(["in-sync", "ignored"]);

export function driftedItems(report: RunReport): DriftedItem[] {
  const rank = (i: DriftedItem) => OUTCOME_ORDER.indexOf(i.resource.action.outcome);
  return listedItems(report)
    .filter((i) => !NOT_DRIFT.has(i.resource.action.outcome))
    .sort((a, b) => rank(a) - rank(b));
}

/** Rows CloudFormation reported as drifted that driftguard settled without a repair. */
export function notDriftItems(report: RunReport): DriftedItem[] {
  return listedItems(report).filter((i) => NOT_DRIFT.has(i.resource.action.outcome));
}

export interface CoverageLine {
  what: string;
  where: string;
  detail: string;
}

/** The coverage section ("what driftguard could not see") as rows every rendering shows. */
export function coverageLines(report: RunReport): CoverageLine[] {
  const c = report.coverage.drift;
  const label = (accountId: string, region: string, stackName: string) => {
    const account = report.accounts.find((a) => a.accountId === accountId);
    return [account ? accountLabel(account) : accountId, region, stackName].join(" / ");
  };
  return [
    ...c.unchecked.map((u) => ({ what: `${u.status} ${u.resourceType}`, where: label(u.accountId, u.region, u.stackName), detail: `${u.count}: ${u.logicalResourceIds.join(", ")}` })),
    ...c.unlisted.map((u) => ({ what: "resources not listed", where: label(u.accountId, u.region, u.stackName), detail: `${u.error.code}: ${u.error.message}` })),
    ...c.nestedStacks.map((n) => ({
      what: n.reached ? "nested stack, checked" : "nested stack NOT reached",
      where: label(n.accountId, n.region, n.stackName),
      detail: n.reached ? `parent ${n.parentStackId}` : (n.reason ?? ""),
    })),
    ...c.falsePositives.map((f) => ({
      what: `false positive ${f.classes.join(", ")}`,
      where: `${label(f.accountId, f.region, f.stackName)}: ${f.logicalResourceId}`,
      detail: `${f.propertyPath} (${f.roadmapIssues.map((n) => `cloudformation-coverage-roadmap#${n}`).join(", ")})`,
    })),
    ...c.ignored.map((i) => ({
      what: "ignored",
      where: `${label(i.accountId, i.region, i.stackName)}: ${i.logicalResourceId}`,
      detail: `${i.propertyPath}: ${i.reason}${i.until ? ` (until ${i.until})` : ""}`,
    })),
  ];
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

/** Accounts that failed for one shared reason (a wrong organization id, an unlistable organization) make one line, not one per account. */
export function accountProblems(report: RunReport): Problem[] {
  const groups = new Map<string, { error: ErrorInfo; accounts: AccountReport[] }>();
  for (const account of report.accounts) {
    if (!account.error || account.status === "suspended") continue;
    const key = `${account.error.code}\n${account.error.message}`;
    const group = groups.get(key) ?? { error: account.error, accounts: [] };
    group.accounts.push(account);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ error, accounts }) => {
    if (accounts.length === 1) return { where: where(accounts[0]!), error };
    const shown = accounts.slice(0, 5).map(accountLabel).join(", ");
    return { where: `${accounts.length} accounts (${shown}${accounts.length > 5 ? ", ..." : ""})`, error };
  });
}

/** Everything counted in totals.errors, each with where it happened. */
export function problems(report: RunReport): Problem[] {
  const out: Problem[] = [...report.runErrors.map((error) => ({ where: "run", error })), ...accountProblems(report)];
  for (const account of report.accounts) {
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

/** The organization states that leave a listed account unscanned. */
const LISTED_ONLY: readonly AccountReport["status"][] = ["suspended", "not-in-organization"];

/** Accounts listed but not scanned because of their organization state (suspended, missing), or only those of `statuses`. */
export function listedAccounts(report: RunReport, statuses: readonly AccountReport["status"][] = LISTED_ONLY): Unscanned[] {
  return report.accounts
    .filter((a) => statuses.includes(a.status))
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

/** One renderer for exemptions everywhere (core/exemption-text.ts), so the report says what the action's reason says. */
export { describeExemption } from "../core/exemption-text.js";

/** The totals as a small text table, for a terminal (the CLI and the demo). */
export function totalsTable(totals: ReportTotals): string {
  const rows: [string, number][] = [
    ["accounts", totals.accounts],
    ["accounts failed", totals.accountsFailed],
    ["stacks scanned", totals.stacksScanned],
    ["drifted stacks", totals.stacksDrifted],
    ["drifted resources", totals.resourcesDrifted],
    ["remediated", totals.remediated],
    ["planned (report mode)", totals.planned],
    ["exempt", totals.exempt],
    ["invalid exemptions", totals.invalidExemptions],
    ["manual", totals.manual],
    ["failed", totals.failed],
    ["errors", totals.errors],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const line = `+${"-".repeat(width + 2)}+--------+`;
  return [line, ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${String(v).padStart(6)} |`), line].join("\n");
}

export interface Refusal {
  where: string;
  /** The logical id, or "stack" for a REVERT_DRIFT change set. */
  what: string;
  reason: string;
}

/** Every refused action (resources and REVERT_DRIFT change sets), in report order: the summary and the subject show these first. */
export function refusals(report: RunReport): Refusal[] {
  const out: Refusal[] = [];
  for (const account of report.accounts) {
    for (const region of account.regions) {
      for (const stack of region.stacks) {
        const at = where(account, region.region, stack.stackName);
        if (stack.stackAction?.outcome === "refused") out.push({ where: at, what: "REVERT_DRIFT change set", reason: stack.stackAction.reason });
        for (const r of stack.resources) if (r.action.outcome === "refused") out.push({ where: at, what: r.logicalResourceId, reason: r.action.reason });
      }
    }
  }
  return out;
}
