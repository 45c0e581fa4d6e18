import { DetectionTimes, saveDetectionTimes } from "./detection-times.js";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import { resolveAccounts, resolveOnboarded, type EffectiveAccount } from "../config/resolve.js";
import type { Config, Mode } from "../config/schema.js";
import type { AccountReport, ErrorInfo, RunReport } from "../core/types.js";
import { DriftguardError, toErrorInfo } from "../core/errors.js";
import { describeExpired, expiredIgnoreRules } from "../drift/index.js";
import { createGuards, GUARD_STATE_NOT_SAVED, type RemediationGuards, runMode, withModeOverride } from "../remediation/index.js";
import { buildReport, type PublishOutcome, publishReport, type PublishTarget } from "../report/index.js";
import { NO_DEADLINE, type Deadline } from "../core/deadline.js";
import { scoped, type Logger } from "../core/logger.js";
import type { OrganizationSnapshot } from "../core/types.js";
import {
  checkOrganization,
  joinWithOrganization,
  organizationUnavailable,
  placements,
  snapshotOf,
  walkOrganization,
  membershipOf,
  type AccountSelection,
  type OrganizationIdSource,
} from "./organization.js";
import { scanWithRetry } from "./retry.js";
import { acquireRunLease, type LeaseOutcome, leaseProblem, releaseRunLease, RUN_LEASE_BUSY } from "./run-lease.js";
import type { SkippedRun } from "./skipped-run.js";
import { scanAccount } from "./scan-account.js";
import { openCapacity, type ScanCapacity } from "./capacity.js";
import type { RuntimeLimits } from "./concurrency.js";
import type { ScanContext, ScanDeps, ScanProgress } from "./types.js";
import { openReported, type ReportedMemory } from "../sweep/index.js";

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
  /** What the concurrency is sized for; by default the configured Lambda (hub.lambda.memoryMb, 1,024 file descriptors). */
  runtime?: RuntimeLimits;
}

/** The longest a Lambda invocation can run; the lease of a local run (no timeout) lasts as long. */
export const DEFAULT_LEASE_TTL_MS = 15 * 60_000;

/** Another run holds the lease: this one exits without scanning or repairing (scanner/skipped-run.ts). */
export class RunInProgressError extends DriftguardError {
  constructor(readonly skip: SkippedRun) {
    super(RUN_LEASE_BUSY, skip.skipped);
  }
}

/** The skip a busy lease stands for. */
export function skippedRun(runId: string, lease: Extract<LeaseOutcome, { kind: "busy" }>): SkippedRun {
  const { runId: holderRun, trigger, acquiredAt, expiresAt } = lease.holder;
  return { runId, skipped: lease.reason, holder: { runId: holderRun, trigger, acquiredAt, expiresAt } };
}

export interface RunScanResult {
  report: RunReport;
  publish: PublishOutcome;
}

/** The configuration object the hub stack wrote from accounts.yaml has no line numbers. */
const RUNTIME_CONFIG: OrganizationIdSource = { file: "accounts.yaml (the hub's configuration object)" };

/** The onboarded accounts, who of them is scanned and who only listed, and the organization as walked. */
export interface AccountsView {
  /** Listed accounts in file order, then members of onboarded OUs; with the mode override applied. */
  accounts: EffectiveAccount[];
  selection: AccountSelection;
  organization: OrganizationSnapshot;
}

/**
 * Who is onboarded (accounts.yaml joined with the OUs' members at run time), who is scanned and
 * who is only listed; also the fan-out partitioner's first step. The organization is checked
 * first: a mismatch is one error on every listed account, and nothing is scanned.
 */
export async function selectAccounts(
  org: OrganizationsClient,
  config: Config,
  modeOverride: Mode | undefined,
  log: Logger,
  source: OrganizationIdSource = RUNTIME_CONFIG,
): Promise<AccountsView> {
  // Only the listed accounts can be named until the walk succeeds; OU members are unknown.
  const listedOnly = () => resolveAccounts(config).map((a) => withModeOverride(a, modeOverride));
  const mismatch = await checkOrganization(org, config.organization.id, source);
  if (mismatch) {
    log.error("organization check failed; nothing is scanned", { error: mismatch });
    const accounts = listedOnly();
    return { accounts, selection: organizationUnavailable(accounts, mismatch, ""), organization: { available: false, error: mismatch } };
  }
  try {
    const tree = await walkOrganization(org);
    const accounts = resolveOnboarded(config, placements(tree)).map((a) => withModeOverride(a, modeOverride));
    return { accounts, selection: joinWithOrganization(accounts, tree, config), organization: snapshotOf(tree) };
  } catch (err) {
    const error = toErrorInfo(err);
    log.error("cannot walk the organization; nothing is scanned", { error });
    const accounts = listedOnly();
    return { accounts, selection: organizationUnavailable(accounts, error), organization: { available: false, error } };
  }
}

/**
 * The CLI's --current-credentials: member-account credentials cannot read the organization, so
 * every listed account is scanned as is; OU members are unknown and the report has no
 * organization coverage.
 */
function listedWithoutOrganization(config: Config, modeOverride: Mode | undefined): Omit<AccountsView, "organization"> & { organization?: OrganizationSnapshot } {
  const accounts = resolveAccounts(config).map((a) => withModeOverride(a, modeOverride));
  return { accounts, selection: { toScan: accounts, listedOnly: [] } };
}

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

/** The sweep's record of what notify-only rules reported; a problem with it is a run error a person sees. */
export async function openSweepMemory(deps: Pick<ScanDeps, "reportedStore">, log: Logger, runErrors: ErrorInfo[]): Promise<ReportedMemory | undefined> {
  if (!deps.reportedStore) return undefined;
  const memory = await openReported(deps.reportedStore);
  if (memory.problem) {
    log.error("sweep record unreadable; every hand-made VPC is reported as new", { error: memory.problem });
    runErrors.push(memory.problem);
  }
  return memory;
}

export async function saveSweepMemory(memory: ReportedMemory | undefined, log: Logger, runErrors: ErrorInfo[]): Promise<void> {
  const problem = await memory?.finish();
  if (!problem) return;
  log.error("sweep record not saved", { error: problem });
  runErrors.push(problem);
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
  /**
   * The report's configHash, when `config` is a narrowed copy of accounts.yaml (the CLI's
   * --accounts, --regions, --stacks): the file's hash, which `driftguard apply` checks.
   */
  configHash?: string;
  /** Collects the run's measured detection times (detection-times.ts); runScan keeps them. */
  detectionTimes?: DetectionTimes;
};

/**
 * Ignore rules past their `until`, once per run: their differences are drift again (repaired in
 * remediate mode), so whoever wrote the rule must hear it. Each affected row says so as well.
 */
export function warnExpiredIgnores(config: Config, now: Date, log: Logger): void {
  for (const { at, rule } of expiredIgnoreRules(config, now)) {
    log.warn("ignore rule expired: its differences are drift again", {
      rule: at,
      detail: `accounts.yaml ${at}: ${describeExpired(rule)}; extend \`until\` to keep ignoring, or remove the rule`,
    });
  }
}

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

  const { accounts, selection, organization } =
    options.organizationCheck === false ? listedWithoutOrganization(config, options.modeOverride) : await selectAccounts(deps.organizations, config, options.modeOverride, log, options.configSource);
  progress({ kind: "accounts", configured: accounts.length, toScan: selection.toScan.length });
  log.info("scan started", { configured: accounts.length, toScan: selection.toScan.length, mode: options.modeOverride ?? "per account" });

  const leaseTarget = options.leaseBucket === undefined ? undefined : { s3: deps.s3, bucket: options.leaseBucket, backoff: deps, now: deps.now };
  const lease = leaseTarget && (await acquireRunLease(leaseTarget, { runId, trigger: options.trigger ?? "schedule", ttlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS }));
  if (lease?.kind === "busy") {
    throw new RunInProgressError(skippedRun(runId, lease));
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
  warnExpiredIgnores(config, startedAt, log);
  const reported = await openSweepMemory(deps, log, runErrors);
  const capacity = openCapacity(config, selection.toScan, deps, options.runtime);
  log.info("concurrency sized", { ...capacity.sizing });
  // --current-credentials reads no organization: trust in accounts outside trustedPrincipals is refused.
  const membership = membershipOf(organization, "the organization was not read (--current-credentials)");
  if ("error" in membership) log.error("organization membership unknown; repairs that trust another account are refused", { error: membership.error });
  const ctx: ScanContext = { deps, config, membership, runId, deadline: options.deadline ?? NO_DEADLINE, guards, capacity, progress, ...(reported ? { reported } : {}), ...(options.detectionTimes ? { detectionTimes: options.detectionTimes } : {}) };
  const scanned = await scanWithRetry(
    ctx,
    selection.toScan,
    async (account) => {
      const report = await scanAccount(ctx, account, log);
      holdReport(capacity, report, log);
      progress({ kind: "account", account: report });
      return report;
    },
    capacity.sizing.accounts,
    log,
  ).finally(() => capacity.close());
  progress(capacity.stackSlots.progress(capacity.sizing.heap.oldSpaceMb));

  const byId = new Map([...selection.listedOnly, ...scanned].map((a) => [a.accountId, a]));
  const reports = accounts.map((a) => byId.get(a.id)!);
  const saved = await saveGuards(guards, log);
  if (saved) runErrors.push(saved);
  await saveSweepMemory(reported, log, runErrors);
  if (leaseTarget && lease?.kind === "held") {
    const released = await releaseRunLease(leaseTarget, runId);
    if (released) log.warn("run lease not released; the next run waits for it to expire", { error: released });
  }

  return buildReport({
    runId,
    trigger: options.trigger ?? "schedule",
    mode: runMode(selection.toScan),
    startedAt,
    finishedAt: new Date(deps.now()),
    config,
    ...(options.configHash ? { configHash: options.configHash } : {}),
    accounts: reports,
    ...(organization ? { organization } : {}),
    runErrors,
  });
}

/**
 * A finished account's rows stay in the heap until the report is built: the run's stacks in
 * flight make room for them (capacity.ts StackSlots). When they leave fewer stacks in flight than
 * account-regions, the organization's report is too large for one invocation's heap, and a person
 * should hear it: the run goes on, slower, and fan-out keeps each account's rows in its own worker.
 */
function holdReport(capacity: ScanCapacity, account: AccountReport, log: Logger): void {
  const slots = capacity.stackSlots;
  const wasEnough = slots.cap >= capacity.sizing.accountRegions;
  slots.holdReport(JSON.stringify(account).length);
  if (wasEnough && slots.cap < capacity.sizing.accountRegions) {
    log.warn("the report's rows held in memory now limit the scan; run this organization with hub.execution: fanout", {
      reportMb: Math.round(slots.reportBytes / 2 ** 20),
      stacksInFlight: slots.cap,
      accountRegions: capacity.sizing.accountRegions,
      oldSpaceMb: capacity.sizing.heap.oldSpaceMb,
    });
  }
}

/** The scheduled scan end to end: scanOrganization, then the report stored in S3 and the summary on SNS. */
export async function runScan(deps: ScanDeps, options: RunScanOptions): Promise<RunScanResult> {
  const detectionTimes = new DetectionTimes();
  const report = await scanOrganization(deps, { ...options, leaseBucket: options.publish.bucket, detectionTimes });
  const log = scoped(deps.logger, { runId: options.runId });
  // What hub.execution: auto learns from (synth reads it back: execution-choice.ts).
  if (deps.detectionTimesStore) await saveDetectionTimes(deps.detectionTimesStore, detectionTimes, options.runId, new Date(deps.now()), log);
  const published = await publishReport({ s3: deps.s3, sns: deps.sns, logger: log, ...(deps.chat ? { chat: deps.chat } : {}) }, report, options.publish);
  log.info("scan finished", { totals: report.totals, incomplete: report.incomplete, reportKey: published.keys.json, s3: published.s3.ok, sns: published.sns.ok });
  return { report, publish: published };
}
