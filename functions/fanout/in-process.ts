import pLimit from "p-limit";
import { scoped } from "../runtime/logger.js";
import { toErrorInfo } from "../scanner/errors.js";
import type { RunScanOptions, RunScanResult } from "../scanner/run.js";
import type { ScanDeps } from "../scanner/types.js";
import { runPlanner } from "./planner.js";
import { runReducer } from "./reduce.js";
import { putJson } from "./s3-json.js";
import { runKeys, type WorkerFailure } from "./types.js";
import { runWorker } from "./worker.js";

/**
 * The state machine's work in one process (`npm start -- --execution fanout`, tests): plan, one
 * worker per account at most `hub.fanout.maxConcurrency` at once, reduce, through the same S3
 * objects. A worker that throws is recorded exactly as the state machine's Catch records it.
 */
export async function runFanoutInProcess(deps: ScanDeps, options: RunScanOptions): Promise<RunScanResult> {
  const { config, runId, publish } = options;
  const bucket = publish.bucket;
  const planned = await runPlanner(deps, { config, runId, trigger: options.trigger ?? "schedule", modeOverride: options.modeOverride, bucket });
  options.onProgress?.({ kind: "accounts", configured: config.accounts.length, toScan: planned.workers });

  const limit = pLimit(config.hub.fanout.maxConcurrency);
  await limit.map(planned.items, async (item) => {
    try {
      await runWorker(deps, { config, item, bucket, deadline: options.deadline, onProgress: options.onProgress });
    } catch (err) {
      const error = toErrorInfo(err);
      scoped(deps.logger, { runId, account: item.accountId }).error("fan-out worker failed", { error });
      const failure: WorkerFailure = { Error: error.code, Cause: error.message };
      await putJson(deps.s3, bucket, runKeys(runId).failure(item.accountId), failure);
    }
  });

  return runReducer(deps, { config, runId, publish });
}
