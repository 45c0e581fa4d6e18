import type { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { DETECTION_TIMES_KEY } from "../aws/bucket-layout.js";
import { getJson, putJson } from "../aws/s3-json.js";
import { errorText } from "../core/errors.js";
import type { Logger } from "../core/logger.js";

/**
 * How long this organization's drift detections take, learnt from the runs (issue 19):
 * `hub.execution: auto` and synth's scan estimate (execution-choice.ts) assume a detection time,
 * and the configured `hub.scanEstimate.detectionSeconds` is a guess made before any run. Each
 * run measures its detections (a fan-out run in its workers: each account's part carries them,
 * and the reducer keeps the run's summary) (DetectStackDrift answered → the status read that
 * found it finished: an upper bound, polling overshoot and budget queueing included, which is the
 * side to err on for a timeout) and keeps their median and 90th percentile in the report bucket
 * (state/detection-times.json), newest first, for the last RUNS_KEPT runs.
 *
 * The learnt value is the median over the kept runs of each run's p90, bounded:
 * - p90, not the mean: an account-region waits for its slow stacks (T_ar ≈ max(d, …), execution-choice.ts);
 * - a run with fewer than MIN_SAMPLES detections says too little (a CLI run of one stack) and is not kept;
 * - the median across runs: one run against a slow or throttled organization moves it by one rank, not by its size;
 * - within the schema's range for detectionSeconds, [1, 3600] s.
 */
export const LEARNING = { runsKept: 10, minSamples: 20, minSeconds: 1, maxSeconds: 3600 } as const;

const runSchema = z
  .object({
    runId: z.string().min(1),
    at: z.string().min(1),
    samples: z.number().int().positive(),
    p50Seconds: z.number().nonnegative(),
    p90Seconds: z.number().nonnegative(),
  })
  .strict();
export const detectionTimesSchema = z.object({ version: z.literal(1), runs: z.array(runSchema) }).strict();
export type DetectionTimesRecord = z.infer<typeof detectionTimesSchema>;
export type DetectionRun = z.infer<typeof runSchema>;

/** What synth assumes for a detection, and where it came from. */
export type DetectionEstimate = { source: "configured"; seconds: number } | { source: "learned"; seconds: number; runs: number; samples: number };

/** One run's measured detections (ms), collected by the stacks as they finish. */
export class DetectionTimes {
  private readonly ms: number[] = [];

  record(durationMs: number): void {
    if (Number.isFinite(durationMs) && durationMs >= 0) this.ms.push(durationMs);
  }

  get count(): number {
    return this.ms.length;
  }

  /** The measured durations, whole ms (a fan-out worker's part carries them to the reducer). */
  values(): number[] {
    return this.ms.map((ms) => Math.round(ms));
  }

  /** The run's summary, or undefined when it measured too few detections to teach anything. */
  summary(runId: string, at: Date): DetectionRun | undefined {
    if (this.ms.length < LEARNING.minSamples) return undefined;
    const sorted = [...this.ms].sort((a, b) => a - b);
    return { runId, at: at.toISOString(), samples: sorted.length, p50Seconds: quantile(sorted, 0.5) / 1000, p90Seconds: quantile(sorted, 0.9) / 1000 };
  }
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The record with this run first, the oldest beyond RUNS_KEPT dropped. */
export function withRun(record: DetectionTimesRecord | undefined, run: DetectionRun): DetectionTimesRecord {
  return { version: 1, runs: [run, ...(record?.runs ?? []).filter((r) => r.runId !== run.runId)].slice(0, LEARNING.runsKept) };
}

/** The learnt detection time (see LEARNING), or the configured one while no run has taught one. */
export function estimateDetection(record: DetectionTimesRecord | undefined, configuredSeconds: number): DetectionEstimate {
  const runs = (record?.runs ?? []).filter((r) => r.samples >= LEARNING.minSamples).slice(0, LEARNING.runsKept);
  if (runs.length === 0) return { source: "configured", seconds: configuredSeconds };
  const p90s = runs.map((r) => r.p90Seconds).sort((a, b) => a - b);
  const mid = p90s.length / 2;
  const median = p90s.length % 2 === 1 ? p90s[Math.floor(mid)]! : (p90s[mid - 1]! + p90s[mid]!) / 2;
  const seconds = Math.min(LEARNING.maxSeconds, Math.max(LEARNING.minSeconds, Math.round(median * 10) / 10));
  return { source: "learned", seconds, runs: runs.length, samples: runs.reduce((n, r) => n + r.samples, 0) };
}

/** A record read from S3 or a file: unreadable → an error naming where and why (synth falls back to the configured value). */
export function parseDetectionTimes(value: unknown, where: string): DetectionTimesRecord | { error: string } {
  const parsed = detectionTimesSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return { error: `${where}: not a driftguard detection-times record (${issue?.path.join(".") || "(root)"}: ${issue?.message}); delete it and the next run writes a new one` };
}

export interface DetectionTimesStore {
  load(): Promise<unknown>;
  save(record: DetectionTimesRecord): Promise<void>;
  location: string;
}

export function s3DetectionTimesStore(s3: S3Client, bucket: string): DetectionTimesStore {
  return {
    load: async () => (await getJson<unknown>(s3, bucket, DETECTION_TIMES_KEY))?.value,
    save: (record) => putJson(s3, bucket, DETECTION_TIMES_KEY, record),
    location: `s3://${bucket}/${DETECTION_TIMES_KEY}`,
  };
}

/**
 * After a run: its summary added to the stored record. One run writes at a time (the run lease),
 * so a plain read-then-write is enough; a failure costs only this run's lesson and is logged.
 */
export async function saveDetectionTimes(store: DetectionTimesStore, times: DetectionTimes, runId: string, at: Date, log: Logger): Promise<void> {
  const run = times.summary(runId, at);
  if (!run) return;
  try {
    const loaded = await store.load();
    const previous = loaded === undefined ? undefined : parseDetectionTimes(loaded, store.location);
    if (previous && "error" in previous) log.warn("detection-time record unreadable; starting a new one", { detail: previous.error });
    await store.save(withRun(previous && !("error" in previous) ? previous : undefined, run));
  } catch (err) {
    log.warn("detection times not saved; hub.execution auto keeps the previous estimate", { location: store.location, error: errorText(err) });
  }
}
