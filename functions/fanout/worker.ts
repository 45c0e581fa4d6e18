import { runKeys } from "../aws/bucket-layout.js";
import type { Config } from "../config/schema.js";
import { createGuards, withModeOverride } from "../remediation/index.js";
import { NO_DEADLINE, type Deadline } from "../core/deadline.js";
import { scoped } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import { fullyScanned, scanAccount, type ScanContext, type ScanDeps, type ScanProgress } from "../scanner/index.js";
import { leasedGuards, s3RunBudget } from "./budget.js";
import { getJson, putJson } from "../aws/s3-json.js";
import type { AccountPart, FanoutPlan, WorkerOutput, WorkItem } from "./types.js";

export interface WorkerOptions {
  config: Config;
  item: WorkItem;
  bucket: string;
  /** The worker invocation's own Lambda budget. */
  deadline?: Deadline;
  onProgress?(event: ScanProgress): void;
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
  // The planner resolved every account (OU members are not in accounts.yaml) and kept it in the plan.
  const plan = await getJson<FanoutPlan>(deps.s3, bucket, keys.plan);
  const planned = plan?.value.accounts.find((a) => a.accountId === accountId);
  if (planned === undefined || planned.listed !== undefined) {
    throw new Error(`account ${accountId} is not awaiting a worker in the plan of run ${runId} (s3://${bucket}/${keys.plan}); was the planner run?`);
  }
  const account = withModeOverride(planned.account, item.modeOverride);

  const limits = config.defaults.remediation;
  const inner = await createGuards({ runId, limits, store: deps.flappingStore });
  const budget = s3RunBudget(deps.s3, bucket, keys.budget, limits.maxPerRun, deps);
  const lease = leasedGuards(inner, budget, limits, log);
  const ctx: ScanContext = {
    deps: { ...deps, remediateStack: lease.remediateStack(deps.remediateStack) },
    config,
    runId,
    deadline: options.deadline ?? NO_DEADLINE,
    guards: lease.guards,
    progress: (event) => options.onProgress?.(event),
  };

  const report = await scanAccount(ctx, account, log);
  options.onProgress?.({ kind: "account", account: report });
  await lease.release();
  try {
    // Only this account's flapping counters: the other workers save theirs.
    await lease.guards.finish({ resetScope: { accounts: fullyScanned([report]) } });
  } catch (err) {
    log.error("flapping record not saved", { error: toErrorInfo(err) });
  }

  const part: AccountPart = { version: 1, runId, accountId, finishedAt: new Date(deps.now()).toISOString(), account: report };
  const key = keys.part(accountId);
  await putJson(deps.s3, bucket, key, part);
  log.info("account scanned", { status: report.status, key });
  return { accountId, key };
}
