import pLimit from "p-limit";
import { runKeys } from "../aws/bucket-layout.js";
import type { Config } from "../config/schema.js";
import { buildReport, publishReport, type PublishTarget } from "../report/index.js";
import { scoped } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import type { RunScanResult, ScanDeps } from "../scanner/index.js";
import { mergeAccounts, type WorkerResult } from "./merge.js";
import { getJson } from "../aws/s3-json.js";
import type { AccountPart, FanoutPlan, WorkerFailure } from "./types.js";

export type ReducerDeps = Pick<ScanDeps, "s3" | "sns" | "now" | "logger">;

export interface ReducerOptions {
  config: Config;
  runId: string;
  publish: PublishTarget;
}

/** Reads are small and independent; this many at once keeps a 1000-account merge to seconds. */
const PARALLEL_READS = 16;

async function readResult(deps: ReducerDeps, bucket: string, runId: string, accountId: string): Promise<WorkerResult> {
  const keys = runKeys(runId);
  try {
    const part = await getJson<AccountPart>(deps.s3, bucket, keys.part(accountId));
    if (part) return { kind: "part", part: part.value };
    const failure = await getJson<WorkerFailure>(deps.s3, bucket, keys.failure(accountId));
    return failure ? { kind: "failed", failure: failure.value } : { kind: "missing" };
  } catch (err) {
    return { kind: "unreadable", error: toErrorInfo(err) };
  }
}

/**
 * The state machine's last step: merges the workers' partial reports into the run's report, with
 * totals from the same report builder, and publishes it like the single-invocation scan does.
 */
export async function runReducer(deps: ReducerDeps, options: ReducerOptions): Promise<RunScanResult> {
  const { config, runId, publish } = options;
  const log = scoped(deps.logger, { runId });
  const plan = await getJson<FanoutPlan>(deps.s3, publish.bucket, runKeys(runId).plan);
  if (plan === undefined) throw new Error(`no plan for run ${runId} at s3://${publish.bucket}/${runKeys(runId).plan}; was the planner run?`);

  const withWorkers = plan.value.accounts.filter((a) => !a.listed).map((a) => a.accountId);
  const limit = pLimit(PARALLEL_READS);
  const results = new Map(await limit.map(withWorkers, async (id) => [id, await readResult(deps, publish.bucket, runId, id)] as const));
  const failed = [...results].filter(([, r]) => r.kind !== "part").map(([id, r]) => ({ accountId: id, kind: r.kind }));
  if (failed.length > 0) log.warn("accounts without a usable partial report", { failed });

  const report = buildReport({
    runId,
    trigger: plan.value.trigger,
    mode: plan.value.modeOverride ?? config.defaults.mode,
    startedAt: new Date(plan.value.startedAt),
    finishedAt: new Date(deps.now()),
    config,
    accounts: mergeAccounts(plan.value, results),
    organization: plan.value.organization,
  });
  const published = await publishReport({ s3: deps.s3, sns: deps.sns, logger: log }, report, publish);
  log.info("fan-out reduced", { totals: report.totals, incomplete: report.incomplete, reportKey: published.keys.json, s3: published.s3.ok, sns: published.sns.ok });
  return { report, publish: published };
}
