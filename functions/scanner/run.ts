import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import { resolveAccounts, type EffectiveAccount } from "../config/resolve.js";
import type { Config, Mode } from "../config/schema.js";
import type { ErrorInfo, RunReport } from "../core/types.js";
import { DriftguardError, toErrorInfo } from "../core/errors.js";
import { createGuards, GUARD_STATE_NOT_SAVED, type RemediationGuards, withModeOverride } from "../remediation/index.js";
import { buildReport, type PublishOutcome, publishReport, type PublishTarget } from "../report/index.js";
import { NO_DEADLINE, type Deadline } from "../core/deadline.js";
import { scoped, type Logger } from "../core/logger.js";
import { checkOrganization, joinWithOrganization, listOrganizationAccounts, organizationUnavailable, type AccountSelection, type OrganizationIdSource } from "./organization.js";
import { scanWithRetry } from "./retry.js";
import { acquireRunLease, leaseProblem, releaseRunLease, RUN_LEASE_BUSY } from "./run-lease.js";
import { scanAccount } from "./scan-account.js";
import { openCapacity } from "./capacity.js";
import type { RuntimeLimits } from "./concurrency.js";
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
  /** How long the run lease lasts: the Lambda's timeout (remaining time at the start); 15 minutes when absent. */
  leaseTtlMs?: number;
  publish: PublishTarget;
  onProgress?(event: ScanProgress): void;
  /** Where organization.id was read from, for the mismatch message (the CLI knows the file and line). */
  configSource?: OrganizationIdSource;
  /** What the concurrency plan is sized for; by default the configured Lambda (hub.lambda.memoryMb, 1,024 file descriptors). */
  runtime?: RuntimeLimits;
}

/** The longest a Lambda invocation can run; the lease of a local run (no timeout) lasts as long. */
export const DEFAULT_LEASE_TTL_MS = 15 * 60_000;

/** Another run holds the lease: this one exits without scanning or repairing. */
export class RunInProgressError extends DriftguardError {
  constructor(message: string) {
    super(RUN_LEASE_BUSY, message);
  }
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

/** A person must see a flapping record that was not saved: the next runs count from stale state. */
export async function saveGuards(guards: RemediationGuards, log: Logger): Promise<ErrorInfo | undefined> {
  try {
    await guards.finish();
    return undefined;
  } catch (err) {
    const error = toErrorInfo(err);
    log.error("flapping record not saved", { error });
    return { code: GUARD_STATE_NOT_SAVED, message: `the flapping record could not be saved (${error.code}: ${error.message}); this run's repairs and in-sync findings are not counted` };
  }
}

export type ScanOrganizationOptions = Omit<RunScanOptions, "publish"> & {
  /**
   * false: scan every configured account without asking Organizations (the CLI's
   * --current-credentials, whose member-account credentials cannot list the organization).
   */
  organizationCheck?: boolean;
  /**
   * The bucket holding the run lease (one run at a time per hub). Absent for the CLI, which has
   * no hub: its runs are the operator's own and take no lease.
   */
  leaseBucket?: string;
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

  const leaseTarget = options.leaseBucket === undefined ? undefined : { s3: deps.s3, bucket: options.leaseBucket, backoff: deps, now: deps.now };
  const lease = leaseTarget && (await acquireRunLease(leaseTarget, { runId, trigger: options.trigger ?? "schedule", ttlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS }));
  if (lease?.kind === "busy") {
    log.warn("run not started", { reason: lease.reason, holder: lease.holder });
    throw new RunInProgressError(lease.reason);
  }
  const runErrors: ErrorInfo[] = [];
  const leaseError = lease && leaseProblem(lease);
  if (leaseError) {
    log.error("run lease not taken; only security-critical drift is reverted", { error: leaseError });
    runErrors.push(leaseError);
  }

  const guards = await createGuards({ runId, limits: config.defaults.remediation, store: deps.flappingStore, counting: "scan", ...(leaseError ? { blockedBy: leaseError } : {}) });
  if (guards.stateProblem) {
    log.error("guard state unreadable; only security-critical drift is reverted", { error: guards.stateProblem });
    runErrors.push(guards.stateProblem);
  }
  const capacity = openCapacity(config, plan.toScan, deps, options.runtime);
  log.info("concurrency planned", { ...capacity.plan });
  const ctx: ScanContext = { deps, config, runId, deadline: options.deadline ?? NO_DEADLINE, guards, capacity, progress };
  const scanned = await scanWithRetry(
    ctx,
    plan.toScan,
    async (account) => {
      const report = await scanAccount(ctx, account, log);
      progress({ kind: "account", account: report });
      return report;
    },
    capacity.plan.accounts,
    log,
  ).finally(() => capacity.close());

  const byId = new Map([...plan.listedOnly, ...scanned].map((a) => [a.accountId, a]));
  const reports = accounts.map((a) => byId.get(a.id)!);
  const saved = await saveGuards(guards, log);
  if (saved) runErrors.push(saved);
  if (leaseTarget && lease?.kind === "held") {
    const released = await releaseRunLease(leaseTarget, runId);
    if (released) log.warn("run lease not released; the next run waits for it to expire", { error: released });
  }

  return buildReport({
    runId,
    trigger: options.trigger ?? "schedule",
    mode: options.modeOverride ?? config.defaults.mode,
    startedAt,
    finishedAt: new Date(deps.now()),
    config,
    accounts: reports,
    runErrors,
  });
}

/** The scheduled scan end to end: scanOrganization, then the report stored in S3 and the summary on SNS. */
export async function runScan(deps: ScanDeps, options: RunScanOptions): Promise<RunScanResult> {
  const report = await scanOrganization(deps, { ...options, leaseBucket: options.publish.bucket });
  const log = scoped(deps.logger, { runId: options.runId });
  const published = await publishReport({ s3: deps.s3, sns: deps.sns, logger: log }, report, options.publish);
  log.info("scan finished", { totals: report.totals, incomplete: report.incomplete, reportKey: published.keys.json, s3: published.s3.ok, sns: published.sns.ok });
  return { report, publish: published };
}
