import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/accounts-file/index.js";
import { chooseExecution, describeExecution } from "../../../functions/scanner/execution-choice.js";
import {
  DetectionTimes,
  estimateDetection,
  LEARNING,
  parseDetectionTimes,
  saveDetectionTimes,
  withRun,
  type DetectionRun,
  type DetectionTimesRecord,
  type DetectionTimesStore,
} from "../../../functions/scanner/detection-times.js";
import type { Logger } from "../../../functions/core/logger.js";

/** hub.execution auto learns the detection time from the runs' measured detections (issue 19). */

const run = (runId: string, p90Seconds: number, samples = 100): DetectionRun => ({ runId, at: "2026-12-01T00:00:00.000Z", samples, p50Seconds: p90Seconds / 2, p90Seconds });
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function measured(ms: number[]): DetectionTimes {
  const times = new DetectionTimes();
  for (const m of ms) times.record(m);
  return times;
}

describe("DetectionTimes", () => {
  it("summarises a run by nearest-rank median and p90, in seconds", () => {
    // 1..100 s: the 50th and 90th values.
    const summary = measured(Array.from({ length: 100 }, (_, i) => (i + 1) * 1000)).summary("r1", new Date("2026-12-01T10:00:00Z"));
    expect(summary).toEqual({ runId: "r1", at: "2026-12-01T10:00:00.000Z", samples: 100, p50Seconds: 50, p90Seconds: 90 });
  });

  it("keeps no lesson from a run with too few detections, nor from impossible durations", () => {
    const few = measured(Array.from({ length: LEARNING.minSamples - 1 }, () => 5000));
    few.record(Number.NaN);
    few.record(-1);
    expect(few.count).toBe(LEARNING.minSamples - 1);
    expect(few.summary("r", new Date())).toBeUndefined();
  });
});

describe("estimateDetection", () => {
  it("first run: the configured detection time", () => {
    expect(estimateDetection(undefined, 30)).toEqual({ source: "configured", seconds: 30 });
    expect(estimateDetection({ version: 1, runs: [] }, 30)).toEqual({ source: "configured", seconds: 30 });
  });

  it("later: the runs' p90, whatever was configured", () => {
    expect(estimateDetection({ version: 1, runs: [run("a", 4.2)] }, 30)).toEqual({ source: "learned", seconds: 4.2, runs: 1, samples: 100 });
  });

  it("one outlier run moves it by one rank, not by its size", () => {
    const steady = ["a", "b", "c", "d"].map((id) => run(id, 6));
    expect(estimateDetection({ version: 1, runs: [run("slow", 900), ...steady] }, 30).seconds).toBe(6);
    expect(estimateDetection({ version: 1, runs: [run("fast", 0.01), ...steady] }, 30).seconds).toBe(6);
    // Two runs: the middle of both.
    expect(estimateDetection({ version: 1, runs: [run("a", 4), run("b", 8)] }, 30).seconds).toBe(6);
  });

  it("stays within the schema's range and ignores runs with too few samples", () => {
    expect(estimateDetection({ version: 1, runs: [run("huge", 99_999)] }, 30).seconds).toBe(LEARNING.maxSeconds);
    expect(estimateDetection({ version: 1, runs: [run("tiny", 0.05)] }, 30).seconds).toBe(LEARNING.minSeconds);
    expect(estimateDetection({ version: 1, runs: [run("cli", 2, LEARNING.minSamples - 1)] }, 30)).toEqual({ source: "configured", seconds: 30 });
  });

  it("keeps the newest runs only, this run first", () => {
    let record: DetectionTimesRecord | undefined;
    for (let i = 0; i < LEARNING.runsKept + 3; i++) record = withRun(record, run(`r${i}`, i + 1));
    expect(record!.runs.map((r) => r.runId)).toEqual(Array.from({ length: LEARNING.runsKept }, (_, i) => `r${LEARNING.runsKept + 2 - i}`));
    // The same run written twice (a retried save) counts once.
    expect(withRun(record, run(`r${LEARNING.runsKept + 2}`, 1)).runs).toHaveLength(LEARNING.runsKept);
  });
});

describe("the record in the bucket", () => {
  function memoryStore(initial?: unknown): DetectionTimesStore & { saved: DetectionTimesRecord[] } {
    let value = initial;
    const saved: DetectionTimesRecord[] = [];
    return { location: "s3://bucket/state/detection-times.json", saved, load: async () => value, save: async (r) => void (saved.push(r), (value = r)) };
  }

  it("each run adds its summary; the next synth learns from it", async () => {
    const store = memoryStore();
    const times = measured(Array.from({ length: 40 }, (_, i) => 2000 + i * 100));
    await saveDetectionTimes(store, times, "run-1", new Date("2026-12-01T10:00:00Z"), silent);
    await saveDetectionTimes(store, measured(Array.from({ length: 40 }, () => 4000)), "run-2", new Date("2026-12-01T16:00:00Z"), silent);
    expect(store.saved.at(-1)!.runs.map((r) => r.runId)).toEqual(["run-2", "run-1"]);
    const estimate = estimateDetection(parseDetectionTimes(store.saved.at(-1), "x") as DetectionTimesRecord, 30);
    // p90 of run-1: the 36th of 2.0, 2.1, … s = 5.5 s; run-2: 4 s; the middle of both.
    expect(estimate).toEqual({ source: "learned", seconds: 4.8, runs: 2, samples: 80 });
  });

  it("an unreadable record is replaced, with a warning naming it; a failed load or save costs only the lesson", async () => {
    const warnings: string[] = [];
    const log: Logger = { ...silent, warn: (m: string) => void warnings.push(m) };
    const store = memoryStore({ version: 2, stuff: [] });
    await saveDetectionTimes(store, measured(Array.from({ length: 30 }, () => 1000)), "run-1", new Date(), log);
    expect(store.saved[0]!.runs.map((r) => r.runId)).toEqual(["run-1"]);
    expect(warnings).toEqual(["detection-time record unreadable; starting a new one"]);
    const broken: DetectionTimesStore = { location: "s3://b/k", load: async () => { throw new Error("AccessDenied"); }, save: async () => {} };
    await expect(saveDetectionTimes(broken, measured(Array.from({ length: 30 }, () => 1000)), "run-2", new Date(), log)).resolves.toBeUndefined();
    expect(warnings.at(-1)).toBe("detection times not saved; hub.execution auto keeps the previous estimate");
    expect(parseDetectionTimes({ version: 1, runs: [{ runId: "x" }] }, "detection-times.json")).toMatchObject({ error: expect.stringContaining("detection-times.json: not a driftguard detection-times record (runs.0.at:") });
  });
});

describe("hub.execution auto with a learnt detection time", () => {
  const config = parseConfig(
    `version: 1\norganization: { id: o-example0001 }\nhub: { accountId: "111111111111", region: us-east-1, execution: auto, scanEstimate: { detectionSeconds: 30 } }\ndefaults: { regions: [us-east-1, eu-west-1, eu-central-1, ap-southeast-2] }\naccounts:\n${Array.from({ length: 1000 }, (_, i) => `  - { id: "${String(200000000000 + i)}", name: a${i} }`).join("\n")}\n`,
  );

  it("picks single when the runs measured fast detections where the configured guess fanned out, and says where the number came from", () => {
    const configured = chooseExecution(config);
    expect(configured.execution).toBe("fanout");
    expect(describeExecution(configured)).toContain("30 s per detection from hub.scanEstimate, no run measured yet");
    const learned = chooseExecution(config, estimateDetection({ version: 1, runs: [run("a", 3), run("b", 3), run("c", 4)] }, 30));
    expect(learned.assumed.detectionSeconds).toBe(3);
    // 16 waves of max(3 s, 2 × 25 / 10 s) + 2 s overhead = 7 s each, then publishing: 122 s < 450 s.
    expect(learned.singleSeconds).toBe(16 * 7 + 10);
    expect(learned.execution).toBe("single");
    expect(describeExecution(learned)).toContain("3 s per detection, learned: p90 of 300 detections over the last 3 runs");
  });
});
