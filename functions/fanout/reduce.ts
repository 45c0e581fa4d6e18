import pLimit from "p-limit";
import { runKeys } from "../aws/bucket-layout.js";
import type { Config } from "../config/schema.js";
import { buildReport, publishReport, type PublishTarget } from "../report/index.js";
import { scoped } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import { DetectionTimes, releaseRunLease, saveDetectionTimes, type RunScanResult, type ScanDeps } from "../scanner/index.js";
import { resolveAccounts } from "../config/resolve.js";
import { runMode, withModeOverride } from "../remediation/index.js";
import { mergeAccounts, type WorkerResult } from "./merge.js";
import type { ErrorInfo } from "../core/types.js";
import { getJson } from "../aws/s3-json.js";
import type { AccountPart, RunManifest, WorkerFailure } from "./types.js";

export type ReducerDeps = Pick<ScanDeps, "s3" | "sns" | "now" | "sleep" | "random" | "logger" | "chat" | "detectionTimesStore">;

/** Every worker meets the same unreadable record: list it once. */
function distinctErrors(errors: ErrorInfo[]): ErrorInfo[] {
  return [...new Map(errors.map((e) => [`${e.code}\n${e.message}`, e])).values()];
}

/** Every worker's measured detections, as one run's. */
export function runDetectionTimes(results: Iterable<WorkerResult>): DetectionTimes {
  const times = new DetectionTimes();
  for (const result of results) if (result.kind === "part") for (const ms of result.part.detectionMs ?? []) times.record(ms);
  return times;
}

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
  const manifest = await getJson<RunManifest>(deps.s3, publish.bucket, runKeys(runId).manifest);
  if (manifest === undefined) throw new Error(`no manifest for run ${runId} at s3://${publish.bucket}/${runKeys(runId).manifest}; did the Plan step run?`);

  const withWorkers = manifest.value.accounts.filter((a) => !a.listed).map((a) => a.accountId);
  const limit = pLimit(PARALLEL_READS);
  const results = new Map(await limit.map(withWorkers, async (id) => [id, await readResult(deps, publish.bucket, runId, id)] as const));
  const failed = [...results].filter(([, r]) => r.kind !== "part").map(([id, r]) => ({ accountId: id, kind: r.kind }));
  if (failed.length > 0) log.warn("accounts without a usable partial report", { failed });

  const report = buildReport({
    runId,
    trigger: manifest.value.trigger,
    // The accounts the workers scanned, in the modes the partitioner fixed for them.
    mode: runMode(resolveAccounts(config).filter((a) => withWorkers.includes(a.id)).map((a) => withModeOverride(a, manifest.value.modeOverride))),
    startedAt: new Date(manifest.value.startedAt),
    finishedAt: new Date(deps.now()),
    config,
    accounts: mergeAccounts(manifest.value, results),
    organization: manifest.value.organization,
    runErrors: distinctErrors([...(manifest.value.runErrors ?? []), ...[...results.values()].flatMap((r) => (r.kind === "part" ? (r.part.runErrors ?? []) : []))]),
  });
  // What hub.execution: auto learns from, as a single-invocation run keeps it (scanner/run.ts runScan).
  if (deps.detectionTimesStore) await saveDetectionTimes(deps.detectionTimesStore, runDetectionTimes(results.values()), runId, new Date(deps.now()), log);
  const released = await releaseRunLease({ s3: deps.s3, bucket: publish.bucket, backoff: deps, now: deps.now }, runId);
  if (released) log.warn("run lease not released; the next run waits for it to expire", { error: released });
  const published = await publishReport({ s3: deps.s3, sns: deps.sns, logger: log, ...(deps.chat ? { chat: deps.chat } : {}) }, report, publish);
  log.info("fan-out reduced", { totals: report.totals, incomplete: report.incomplete, reportKey: published.keys.json, s3: published.s3.ok, sns: published.sns.ok });
  return { report, publish: published };
}
