import { runKeys } from "../aws/bucket-layout.js";
import type { Config } from "../config/schema.js";
import { createGuards, withModeOverride } from "../remediation/index.js";
import { NO_DEADLINE, type Deadline } from "../core/deadline.js";
import { scoped } from "../core/logger.js";
import type { ErrorInfo } from "../core/types.js";
import { DEFAULT_LEASE_TTL_MS, DetectionTimes, readMembership, joinRunLease, leaseProblem, openCapacity, openSweepMemory, saveGuards, saveSweepMemory, scanAccount, scanWithRetry, type RuntimeLimits, type ScanContext, type ScanDeps, type ScanProgress } from "../scanner/index.js";
import { leasedGuards, s3RunBudget } from "./budget.js";
import { getJson, putJson } from "../aws/s3-json.js";
import type { AccountPart, RunManifest, WorkerOutput, WorkItem } from "./types.js";

export interface WorkerOptions {
  config: Config;
  item: WorkItem;
  bucket: string;
  /** The worker invocation's own Lambda budget. */
  deadline?: Deadline;
  /** The worker's Lambda timeout: how long it renews its run's lease for. */
  leaseTtlMs?: number;
  onProgress?(event: ScanProgress): void;
  /** What the worker's concurrency plan is sized for; by default the configured Lambda. */
  runtime?: RuntimeLimits;
}

/**
 * One account, through the single-invocation scan's own per-account code (scanAccount), with
 * guards whose per-run limit is leased from the run's shared budget. The partial report goes to
 * S3 and only its key is returned: Step Functions payloads are limited to 256 KB.
 */
export async function runWorker(deps: ScanDeps, options: WorkerOptions): Promise<WorkerOutput> {
  const { config, item, bucket } = options;
  const { runId, accountId } = item;
  const log = scoped(deps.logger, { runId, account: accountId });
  const keys = runKeys(runId);
  // The partitioner resolved every account (OU members are not in accounts.yaml) and kept it in the manifest.
  const manifest = await getJson<RunManifest>(deps.s3, bucket, keys.manifest);
  const entry = manifest?.value.accounts.find((a) => a.accountId === accountId);
  if (entry === undefined || entry.listed !== undefined) {
    throw new Error(`account ${accountId} is not awaiting a worker in the manifest of run ${runId} (s3://${bucket}/${keys.manifest}); did the Plan step run?`);
  }
  const account = withModeOverride(entry.account, item.modeOverride);

  // The worker acts under its run's lease (taken by the partitioner): without it, only critical reverts.
  const runLease = await joinRunLease({ s3: deps.s3, bucket, backoff: deps, now: deps.now }, { runId, ttlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS });
  const runErrors: ErrorInfo[] = [];
  const leaseError = leaseProblem(runLease);
  if (leaseError) {
    log.error("run lease not held; only security-critical drift is reverted", { error: leaseError });
    runErrors.push(leaseError);
  }

  const limits = config.defaults.remediation;
  const inner = await createGuards({ runId, limits, store: deps.flappingStore, counting: "scan", ...(leaseError ? { blockedBy: leaseError } : {}) });
  if (inner.stateProblem) runErrors.push(inner.stateProblem);
  const budget = s3RunBudget(deps.s3, bucket, keys.budget, limits.maxPerRun, deps);
  const lease = leasedGuards(inner, budget, limits, log);
  const reported = await openSweepMemory(deps, log, runErrors);
  // A worker plans for its own invocation: one account, the Lambda's whole memory and sockets.
  const capacity = openCapacity(config, [account], deps, options.runtime);
  const membership = await readMembership(deps.organizations);
  if ("error" in membership) log.error("organization membership unreadable; repairs that trust another account are refused", { error: membership.error });
  const detectionTimes = new DetectionTimes();
  const ctx: ScanContext = {
    ...(reported ? { reported } : {}),
    detectionTimes,
    membership,
    deps: { ...deps, remediateStack: lease.remediateStack(deps.remediateStack) },
    config,
    runId,
    deadline: options.deadline ?? NO_DEADLINE,
    guards: lease.guards,
    capacity,
    progress: (event) => options.onProgress?.(event),
  };

  const [report] = await scanWithRetry(ctx, [account], (a) => scanAccount(ctx, a, log), 1, log).finally(() => capacity.close());
  if (report === undefined) throw new Error(`no report for account ${accountId}`);
  options.onProgress?.(capacity.stackSlots.progress(capacity.sizing.heap.oldSpaceMb));
  options.onProgress?.({ kind: "account", account: report });
  await lease.release();
  const saved = await saveGuards(lease.guards, log);
  if (saved) runErrors.push(saved);
  await saveSweepMemory(reported, log, runErrors);

  const part: AccountPart = {
    version: 1,
    runId,
    accountId,
    finishedAt: new Date(deps.now()).toISOString(),
    account: report,
    ...(runErrors.length > 0 ? { runErrors } : {}),
    ...(detectionTimes.count > 0 ? { detectionMs: detectionTimes.values() } : {}),
  };
  const key = keys.part(accountId);
  await putJson(deps.s3, bucket, key, part);
  log.info("account scanned", { status: report.status, key });
  return { accountId, key };
}
