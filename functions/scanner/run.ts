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
import { checkOrganization, joinWithOrganization, listOrganizationAccounts, organizationUnavailable, type AccountSelection, type OrganizationIdSource } from "./organization.js";
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
  /** Where organization.id was read from, for the mismatch message (the CLI knows the file and line). */
  configSource?: OrganizationIdSource;
}

export interface RunScanResult {
  report: RunReport;
  publish: PublishOutcome;
}

/**
 * Who is scanned and who is only listed; also the fan-out planner's first step. The
 * organization is checked first: a mismatch is one error on every account, and nothing is scanned.
 */
export async function selectAccounts(org: OrganizationsClient, config: Pick<Config, "organization">, accounts: EffectiveAccount[], log: Logger, source: OrganizationIdSource = BUNDLED_CONFIG): Promise<AccountSelection> {
  const mismatch = await checkOrganization(org, config.organization.id, source);
  if (mismatch) {
    log.error("organization check failed; nothing is scanned", { error: mismatch });
    return organizationUnavailable(accounts, mismatch, "");
  }
  try {
    return joinWithOrganization(accounts, await listOrganizationAccounts(org));
  } catch (err) {
    const error = toErrorInfo(err);
    log.error("cannot list the organization's accounts; nothing is scanned", { error });
    return organizationUnavailable(accounts, error);
  }
}

/** The Lambda's config.json was written from accounts.yaml at synth; it has no line numbers. */
const BUNDLED_CONFIG: OrganizationIdSource = { file: "accounts.yaml (bundled with the Lambda)" };

/** Accounts whose every region and stack was looked at: only their flapping counters may reset. */
export function fullyScanned(accounts: AccountReport[]): string[] {
  return accounts
    .filter((a) => a.status === "scanned" && a.regions.every((r) => r.status === "scanned" && r.stacks.every((s) => s.scan !== "not-scanned" && s.scan !== "failed")))
    .map((a) => a.accountId);
}

export type ScanOrganizationOptions = Omit<RunScanOptions, "publish"> & {
  /**
   * false: scan every configured account without asking Organizations (the CLI's
   * --current-credentials, whose member-account credentials cannot list the organization).
   */
  organizationCheck?: boolean;
};

/**
 * Enumerate, assume, detect, remediate (through the injected engine) and build the report.
 * Per-account/region/stack failures are rows of the report; only a broken config or programming
 * error throws. The Lambda stores and notifies it (runScan); the CLI writes it to a directory.
 */
export async function scanOrganization(deps: ScanDeps, options: ScanOrganizationOptions): Promise<RunReport> {
  const { config, runId } = options;
  const startedAt = new Date(deps.now());
  const log = scoped(deps.logger, { runId });
  const progress = (event: ScanProgress) => options.onProgress?.(event);

  const accounts = resolveAccounts(config).map((a) => withModeOverride(a, options.modeOverride));
  const plan: AccountSelection =
    options.organizationCheck === false ? { toScan: accounts, listedOnly: [] } : await selectAccounts(deps.organizations, config, accounts, log, options.configSource);
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

  return buildReport({
    runId,
    trigger: options.trigger ?? "schedule",
    mode: options.modeOverride ?? config.defaults.mode,
    startedAt,
    finishedAt: new Date(deps.now()),
    config,
    accounts: reports,
  });
}

/** The scheduled scan end to end: scanOrganization, then the report stored in S3 and the summary on SNS. */
export async function runScan(deps: ScanDeps, options: RunScanOptions): Promise<RunScanResult> {
  const report = await scanOrganization(deps, options);
  const log = scoped(deps.logger, { runId: options.runId });
  const published = await publishReport({ s3: deps.s3, sns: deps.sns, logger: log }, report, options.publish);
  log.info("scan finished", { totals: report.totals, incomplete: report.incomplete, reportKey: published.keys.json, s3: published.s3.ok, sns: published.sns.ok });
  return { report, publish: published };
}
