import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import pLimit from "p-limit";
import { resolveAccounts, resolveOnboarded, type EffectiveAccount } from "../config/resolve.js";
import type { Config, Mode } from "../config/schema.js";
import type { AccountReport, RunReport } from "../core/types.js";
import { createGuards, withModeOverride } from "../remediation/index.js";
import { buildReport, type PublishOutcome, publishReport, type PublishTarget } from "../report/index.js";
import { NO_DEADLINE, type Deadline } from "../core/deadline.js";
import { scoped, type Logger } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import type { OrganizationSnapshot } from "../core/types.js";
import { joinWithOrganization, organizationUnavailable, placements, snapshotOf, walkOrganization, type AccountPlan } from "./organization.js";
import { scanAccount } from "./scan-account.js";
import type { ScanContext, ScanDeps, ScanProgress } from "./types.js";

export interface RunScanOptions {
  config: Config;
  runId: string;
  /** Recorded in the report: "schedule" (default), "manual", "local" … */
  trigger?: string;
  /** DRIFTGUARD_MODE / `npm start -- --mode`. */
  modeOverride?: Mode;
  /** Lambda time budget; local runs have none. */
  deadline?: Deadline;
  publish: PublishTarget;
  onProgress?(event: ScanProgress): void;
}

export interface RunScanResult {
  report: RunReport;
  publish: PublishOutcome;
}

/** The onboarded accounts, who of them is scanned and who only listed, and the organization as walked. */
export interface AccountsView {
  /** Listed accounts in file order, then members of onboarded OUs; with the mode override applied. */
  accounts: EffectiveAccount[];
  plan: AccountPlan;
  organization: OrganizationSnapshot;
}

/**
 * Who is onboarded (accounts.yaml joined with the OUs' members at run time), who is scanned and
 * who is only listed; also the fan-out planner's first step.
 */
export async function planAccounts(org: OrganizationsClient, config: Config, modeOverride: Mode | undefined, log: Logger): Promise<AccountsView> {
  try {
    const tree = await walkOrganization(org);
    const accounts = resolveOnboarded(config, placements(tree)).map((a) => withModeOverride(a, modeOverride));
    return { accounts, plan: joinWithOrganization(accounts, tree, config), organization: snapshotOf(tree) };
  } catch (err) {
    const error = toErrorInfo(err);
    log.error("cannot walk the organization; nothing is scanned", { error });
    // Only the listed accounts can be named; OU members are unknown until the walk succeeds.
    const accounts = resolveAccounts(config).map((a) => withModeOverride(a, modeOverride));
    return { accounts, plan: organizationUnavailable(accounts, error), organization: { available: false, error } };
  }
}

/** Accounts whose every region and stack was looked at: only their flapping counters may reset. */
export function fullyScanned(accounts: AccountReport[]): string[] {
  return accounts
    .filter((a) => a.status === "scanned" && a.regions.every((r) => r.status === "scanned" && r.stacks.every((s) => s.scan !== "not-scanned" && s.scan !== "failed")))
    .map((a) => a.accountId);
}

/**
 * The scheduled scan end to end: enumerate, assume, detect, remediate (through the injected
 * engine), build the report, store it and notify. Per-account/region/stack failures are rows of
 * the report; only a broken config or programming error throws.
 */
export async function runScan(deps: ScanDeps, options: RunScanOptions): Promise<RunScanResult> {
  const { config, runId } = options;
  const startedAt = new Date(deps.now());
  const log = scoped(deps.logger, { runId });
  const progress = (event: ScanProgress) => options.onProgress?.(event);

  const { accounts, plan, organization } = await planAccounts(deps.organizations, config, options.modeOverride, log);
  progress({ kind: "accounts", configured: accounts.length, toScan: plan.toScan.length });
  log.info("scan started", { configured: accounts.length, toScan: plan.toScan.length, mode: options.modeOverride ?? "per account" });

  const guards = await createGuards({ runId, limits: config.defaults.remediation, store: deps.flappingStore });
  const ctx: ScanContext = { deps, config, runId, deadline: options.deadline ?? NO_DEADLINE, guards, progress };
  const limit = pLimit(config.defaults.concurrency.accounts);
  const scanned = await limit.map(plan.toScan, async (account) => {
    const report = await scanAccount(ctx, account, log);
    progress({ kind: "account", account: report });
    return report;
  });

  const byId = new Map([...plan.listedOnly, ...scanned].map((a) => [a.accountId, a]));
  const reports = accounts.map((a) => byId.get(a.id)!);
  try {
    await guards.finish({ resetScope: { accounts: fullyScanned(reports) } });
  } catch (err) {
    log.error("flapping record not saved", { error: toErrorInfo(err) });
  }

  const report = buildReport({
    runId,
    trigger: options.trigger ?? "schedule",
    mode: options.modeOverride ?? config.defaults.mode,
    startedAt,
    finishedAt: new Date(deps.now()),
    config,
    accounts: reports,
    organization,
  });
  const published = await publishReport({ s3: deps.s3, sns: deps.sns, logger: log }, report, options.publish);
  log.info("scan finished", { totals: report.totals, incomplete: report.incomplete, reportKey: published.keys.json, s3: published.s3.ok, sns: published.sns.ok });
  return { report, publish: published };
}
