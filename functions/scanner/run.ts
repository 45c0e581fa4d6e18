import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import pLimit from "p-limit";
import { resolveAccounts, type EffectiveAccount } from "../config/resolve.js";
import type { Config, Mode } from "../config/schema.js";
import type { AccountReport, RunReport } from "../core/types.js";
import { createGuards, withModeOverride } from "../remediation/index.js";
import { buildReport, type PublishOutcome, publishReport, type PublishTarget } from "../report/index.js";
import { NO_DEADLINE, type Deadline } from "../core/deadline.js";
import { scoped, type Logger } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import { joinWithOrganization, listOrganizationAccounts, organizationUnavailable, type AccountSelection } from "./organization.js";
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

/** Who is scanned and who is only listed; also the fan-out planner's first step. */
export async function selectAccounts(org: OrganizationsClient, accounts: EffectiveAccount[], log: Logger): Promise<AccountSelection> {
  try {
    return joinWithOrganization(accounts, await listOrganizationAccounts(org));
  } catch (err) {
    const error = toErrorInfo(err);
    log.error("cannot list the organization's accounts; nothing is scanned", { error });
    return organizationUnavailable(accounts, error);
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

  const accounts = resolveAccounts(config).map((a) => withModeOverride(a, options.modeOverride));
  const selection = await selectAccounts(deps.organizations, accounts, log);
  progress({ kind: "accounts", configured: accounts.length, toScan: selection.toScan.length });
  log.info("scan started", { configured: accounts.length, toScan: selection.toScan.length, mode: options.modeOverride ?? "per account" });

  const guards = await createGuards({ runId, limits: config.defaults.remediation, store: deps.flappingStore });
  const ctx: ScanContext = { deps, config, runId, deadline: options.deadline ?? NO_DEADLINE, guards, progress };
  const limit = pLimit(config.defaults.concurrency.accounts);
  const scanned = await limit.map(selection.toScan, async (account) => {
    const report = await scanAccount(ctx, account, log);
    progress({ kind: "account", account: report });
    return report;
  });

  const byId = new Map([...selection.listedOnly, ...scanned].map((a) => [a.accountId, a]));
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
  });
  const published = await publishReport({ s3: deps.s3, sns: deps.sns, logger: log }, report, options.publish);
  log.info("scan finished", { totals: report.totals, incomplete: report.incomplete, reportKey: published.keys.json, s3: published.s3.ok, sns: published.sns.ok });
  return { report, publish: published };
}
