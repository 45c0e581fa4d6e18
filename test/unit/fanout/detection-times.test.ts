import { describe, expect, it } from "vitest";
import { runDetectionTimes } from "../../../functions/fanout/reduce.js";
import type { WorkerResult } from "../../../functions/fanout/merge.js";
import type { AccountPart } from "../../../functions/fanout/types.js";
import { LEARNING, withRun } from "../../../functions/scanner/detection-times.js";

/**
 * A fan-out run learns its detection time as a single-invocation run does (issue 19): the
 * workers' parts carry their accounts' measured detections, and the reducer summarises all of
 * them as one run's, so the 10 ms, 20 ms … 300 ms below give the nearest-rank median and p90 of
 * the 30 values together, not of any one account.
 */

function part(accountId: string, detectionMs?: number[]): WorkerResult {
  const value: AccountPart = {
    version: 1,
    runId: "r1",
    accountId,
    finishedAt: "2026-12-02T01:00:00.000Z",
    account: { accountId, name: accountId, status: "scanned", mode: "report", regions: [] },
    ...(detectionMs ? { detectionMs } : {}),
  };
  return { kind: "part", part: value };
}

const tens = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => (from + i) * 10);

describe("runDetectionTimes", () => {
  it("pools every worker's detections into one run's summary", () => {
    // Three accounts of ten detections each, interleaved: 10..100, 110..200, 210..300 ms.
    const results = [part("a", tens(1, 10)), part("b", tens(11, 20)), part("c", tens(21, 30))];
    const run = runDetectionTimes(results).summary("r1", new Date("2026-12-02T01:00:00Z"));
    expect(run).toEqual({ runId: "r1", at: "2026-12-02T01:00:00.000Z", samples: 30, p50Seconds: 0.15, p90Seconds: 0.27 });
    expect(withRun(undefined, run!).runs).toHaveLength(1);
  });

  it("skips failed, missing and unreadable workers and parts without detections (an older worker's)", () => {
    const results: WorkerResult[] = [
      part("a", tens(1, LEARNING.minSamples)),
      part("b"),
      { kind: "failed", failure: { Error: "States.Timeout" } },
      { kind: "missing" },
      { kind: "unreadable", error: { code: "AccessDenied", message: "no" } },
    ];
    expect(runDetectionTimes(results).count).toBe(LEARNING.minSamples);
  });

  it("teaches nothing from fewer detections than a run needs, as a single run", () => {
    expect(runDetectionTimes([part("a", tens(1, LEARNING.minSamples - 1))]).summary("r1", new Date())).toBeUndefined();
  });
});
