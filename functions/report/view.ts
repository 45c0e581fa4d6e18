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

export function problems(report: RunReport): Problem[] {
  const out: Problem[] = [];
  for (const account of report.accounts) {
    if (account.error && account.status !== "suspended") out.push({ where: where(account), error: account.error });
    for (const region of account.regions) {
      if (region.error) out.push({ where: where(account, region.region), error: region.error });
      for (const stack of region.stacks) {
        if (stack.error) out.push({ where: where(account, region.region, stack.stackName), error: stack.error });
      }
    }
  }
  return out;
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
