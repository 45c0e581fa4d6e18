import { createHash } from "node:crypto";
import type { Config } from "../config/schema.js";
import {
  REPORT_SCHEMA_VERSION,
  type AccountReport,
  type ActiveExemption,
  type ErrorInfo,
  type ReportTotals,
  type ResourceReport,
  type RunReport,
  type StackReport,
} from "../core/types.js";
import { canonicalJson } from "../core/canonical-json.js";
import { driftCoverage } from "./coverage.js";
import { foldInSync } from "./in-sync.js";

/** Equal configs hash equally whatever their key order (core/canonical-json.ts). */
export { canonicalJson };

/** Ties a report to the exact configuration that produced it. */
export function configHash(config: Config): string {
  return `sha256:${createHash("sha256").update(canonicalJson(config)).digest("hex")}`;
}

function allStacks(accounts: AccountReport[]): StackReport[] {
  return accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks));
}

/** A row CloudFormation listed whose differences are all false positives or ignored: not drift. */
const notDrift = (r: ResourceReport): boolean => r.action.outcome === "in-sync" || r.action.outcome === "ignored";

export function computeTotals(accounts: AccountReport[], runErrors: readonly ErrorInfo[] = []): ReportTotals {
  const stacks = allStacks(accounts);
  const listed = stacks.flatMap((s) => s.resources.map((r) => ({ stack: s, resource: r })));
  const resources = listed.filter(({ resource }) => !notDrift(resource));
  const unchecked = stacks.flatMap((s) => s.unchecked ?? []);
  const countStacks = (scan: StackReport["scan"]) => stacks.filter((s) => s.scan === scan).length;
  const countOutcome = (outcome: string) => resources.filter(({ resource }) => resource.action.outcome === outcome).length;
  const regions = accounts.flatMap((a) => a.regions);
  return {
    accounts: accounts.length,
    accountsFailed: accounts.filter((a) => a.status === "failed").length,
    regions: regions.length,
    // In-sync stacks counted instead of listed (report/in-sync.ts) were scanned too.
    stacksScanned: countStacks("scanned") + regions.reduce((n, r) => n + (r.inSyncStacks ?? 0), 0),
    stacksSkipped: countStacks("skipped"),
    stacksFailed: countStacks("failed"),
    stacksNotScanned: countStacks("not-scanned"),
    stacksDrifted: stacks.filter((s) => s.driftStatus === "DRIFTED" && (s.resources.length === 0 || s.resources.some((r) => !notDrift(r)))).length,
    resourcesDrifted: resources.length,
    refused: countOutcome("refused") + stacks.filter((s) => s.stackAction?.outcome === "refused").length,
    remediated: countOutcome("remediated"),
    planned: countOutcome("planned"),
    skipped: countOutcome("skipped"),
    // A resource is exempt when it or its stack carries a valid exemption.
    exempt: resources.filter(({ stack, resource }) => resource.exemption.kind === "exempt" || stack.exemption.kind === "exempt").length,
    invalidExemptions:
      stacks.filter((s) => s.exemption.kind === "invalid").length +
      resources.filter(({ resource }) => resource.exemption.kind === "invalid").length,
    manual: countOutcome("manual"),
    failed: countOutcome("failed"),
    guardTrips: resources.filter(({ resource }) => resource.action.guard !== undefined).length,
    contested: resources.filter(({ resource }) => resource.action.contested !== undefined).length,
    runErrors: runErrors.length,
    retried: accounts.filter((a) => a.retried).length + regions.filter((r) => r.retried).length,
    // Suspended accounts are expected and not errors; a member missing from the org is a config error.
    // A stopped repair (guard trip, a `refused` step) and a contested resource need a person too.
    errors:
      accounts.filter((a) => a.error && a.status !== "suspended").length +
      regions.filter((r) => r.error).length +
      stacks.filter((s) => s.error).length +
      resources.filter(({ resource }) => isResourceError(resource)).length +
      runErrors.length,
    falsePositives: listed.filter(({ resource }) => resource.action.outcome === "in-sync").length,
    ignored: listed.filter(({ resource }) => resource.action.outcome === "ignored").length,
    resourcesNotChecked: unchecked.filter((u) => u.status === "NOT_CHECKED").length,
    resourcesUnknown: unchecked.filter((u) => u.status !== "NOT_CHECKED").length,
    nestedStacksNotReached: stacks.filter((s) => s.parentStackId && s.scan !== "scanned").length,
  };
}

/** Error-level resource items: a guard stopped its repair, a step was refused, or it is contested. */
export function isResourceError(resource: ResourceReport): boolean {
  const { action } = resource;
  return action.guard !== undefined || action.contested !== undefined || (action.outcome as string) === "refused";
}

/** True when the deadline left anything unscanned. */
export function isIncomplete(accounts: AccountReport[]): boolean {
  return accounts.some(
    (a) => a.status === "not-scanned" || a.regions.some((r) => r.status === "not-scanned" || r.stacks.some((s) => s.scan === "not-scanned")),
  );
}

/**
 * Every valid exemption the run saw: stack exemptions of stacks with drift (their tags are read
 * only then) and resource exemptions of drifted resources, in report order.
 */
export function activeExemptions(accounts: AccountReport[]): ActiveExemption[] {
  const out: ActiveExemption[] = [];
  for (const account of accounts) {
    for (const region of account.regions) {
      for (const stack of region.stacks) {
        const where = { accountId: account.accountId, region: region.region, stackName: stack.stackName };
        if (stack.exemption.kind === "exempt") {
          const e = stack.exemption;
          out.push({ ...where, on: "stack", reason: e.reason, ...(e.until ? { until: e.until } : {}), ...(e.setBy ? { setBy: e.setBy } : {}) });
        }
        for (const r of stack.resources) {
          if (r.exemption.kind !== "exempt" || r.exemption.on !== "resource") continue;
          const e = r.exemption;
          out.push({ ...where, logicalResourceId: r.logicalResourceId, on: "resource", reason: e.reason, ...(e.until ? { until: e.until } : {}), ...(e.setBy ? { setBy: e.setBy } : {}) });
        }
      }
    }
  }
  return out;
}

export interface ReportInput {
  runId: string;
  trigger: string;
  mode: RunReport["mode"];
  startedAt: Date;
  finishedAt: Date;
  config: Config;
  accounts: AccountReport[];
  /** Run-level problems: guard state, lease (see RunReport.runErrors). */
  runErrors?: ErrorInfo[];
  exemptions?: ActiveExemption[];
}

export function buildReport(input: ReportInput): RunReport {
  const includeInSync = input.config.report.includeInSync;
  const accounts = input.accounts.map((a) => ({ ...a, regions: a.regions.map((r) => foldInSync(r, includeInSync)) }));
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: input.runId,
    trigger: input.trigger,
    mode: input.mode,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    configHash: configHash(input.config),
    incomplete: isIncomplete(accounts),
    accounts,
    runErrors: input.runErrors ?? [],
    exemptions: input.exemptions ?? activeExemptions(accounts),
    totals: computeTotals(accounts, input.runErrors ?? []),
    coverage: { drift: driftCoverage(accounts) },
  };
}
