import type { S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { runKeys } from "../aws/bucket-layout.js";
import { type Logger, scoped } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import { RunInProgressError, type RunScanOptions, type RunScanResult, type ScanDeps, type SkippedRun } from "../scanner/index.js";
import { runPartitioner } from "./partitioner.js";
import { runReducer } from "./reduce.js";
import { getJson, putJson } from "../aws/s3-json.js";
import type { PartitionOutput, WorkerFailure, WorkItem } from "./types.js";
import { runWorker } from "./worker.js";

/** The three Lambda steps the state machine invokes, however they are reached (directly, or through the handler). */
export interface FanoutSteps<R> {
  plan(): Promise<PartitionOutput | SkippedRun>;
  scan(item: WorkItem): Promise<unknown>;
  reduce(runId: string): Promise<R>;
}

export interface FanoutDriverOptions {
  s3: S3Client;
  bucket: string;
  maxConcurrency: number;
  logger: Logger;
}

/**
 * The state machine's definition (modules/fanout-state-machine.ts) run in one process, for
 * `npm start -- --execution fanout` and tests: Plan → workers over items.json (as the Distributed
 * Map's ItemReader reads it) at most `maxConcurrency` at once, a failed worker recorded as the
 * Catch records it → Reduce; a Plan that answers with a skip (another run holds the lease) ends
 * the run there, as the state machine's "Skipped" state does.
 */
export async function driveFanout<R>(steps: FanoutSteps<R>, options: FanoutDriverOptions): Promise<R | SkippedRun> {
  const { s3, bucket } = options;
  const planned = await steps.plan();
  if ("skipped" in planned) return planned;
  const { runId, itemsKey } = planned;
  const items = await getJson<WorkItem[]>(s3, bucket, itemsKey);
  if (items === undefined) throw new Error(`the Plan step returned ${itemsKey} but s3://${bucket}/${itemsKey} does not exist`);

  await pLimit(options.maxConcurrency).map(items.value, async (item) => {
    try {
      await steps.scan(item);
    } catch (err) {
      const error = toErrorInfo(err);
      scoped(options.logger, { runId, account: item.accountId }).error("fan-out worker failed", { error });
      const failure: WorkerFailure = { Error: error.code, Cause: error.message };
      await putJson(s3, bucket, runKeys(runId).failure(item.accountId), failure);
    }
  });
  return steps.reduce(runId);
}

/** The fan-out with the functions called directly; same options and result as runScan. */
export async function runFanoutInProcess(deps: ScanDeps, options: RunScanOptions): Promise<RunScanResult> {
  const { config, runId, publish } = options;
  const bucket = publish.bucket;
  const result = await driveFanout(
    {
      plan: async () => {
        const partitioned = await runPartitioner(deps, { config, runId, trigger: options.trigger ?? "schedule", modeOverride: options.modeOverride, bucket });
        if ("skipped" in partitioned) return partitioned;
        options.onProgress?.({ kind: "accounts", configured: config.accounts.length, toScan: partitioned.workers });
        return partitioned;
      },
      scan: (item) => runWorker(deps, { config, item, bucket, deadline: options.deadline, onProgress: options.onProgress }),
      reduce: (id) => runReducer(deps, { config, runId: id, publish }),
    },
    { s3: deps.s3, bucket, maxConcurrency: config.hub.fanout.maxConcurrency, logger: deps.logger },
  );
  // runScan's contract: a run that finds the lease held throws RunInProgressError.
  if ("skipped" in result) throw new RunInProgressError(result);
  return result;
}
