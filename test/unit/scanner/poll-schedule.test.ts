import { describe, expect, it } from "vitest";
import { DetectionTimeEstimator, POLL_TUNING, pollDelays } from "../../../functions/scanner/poll-schedule.js";
import { mean, seeded, uniform } from "./random-sources.js";


interface StackOutcome {
  reads: number;
  /** From the detection's end to the read that saw it. */
  lateMs: number;
  firstReadHit: boolean;
}

/** Reads one detection of `detectionMs` on the estimator's schedule, on a virtual clock. */
function pollOne(estimator: DetectionTimeEstimator, detectionMs: number, random: () => number): StackOutcome {
  const delays = estimator.delays(random);
  let at = 0;
  for (let reads = 1; ; reads++) {
    at += delays.next().value;
    const finished = at >= detectionMs;
    if (reads === 1) estimator.firstRead(finished);
    if (finished) return { reads, lateMs: at - detectionMs, firstReadHit: reads === 1 };
  }
}

/** The schedule before adaptive polling: first read at once, then doubling from 1 s with equal jitter, capped at 15 s. */
function doublingFromOneSecond(detectionMs: number, random: () => number): StackOutcome {
  let at = 0;
  for (let reads = 1, attempt = 0; ; reads++) {
    if (at >= detectionMs) return { reads, lateMs: at - detectionMs, firstReadHit: reads === 1 };
    const ceiling = Math.min(15_000, 1_000 * 2 ** attempt++);
    at += ceiling / 2 + (random() * ceiling) / 2;
  }
}

function run(stacks: number, detection: () => number, poll: (detectionMs: number) => StackOutcome): StackOutcome[] {
  return Array.from({ length: stacks }, () => poll(detection()));
}

/** The percentile the multiplicative controller settles on (see POLL_TUNING). */
const equilibriumHitRate = Math.log(POLL_TUNING.missFactor) / (Math.log(POLL_TUNING.missFactor) - Math.log(POLL_TUNING.hitFactor));

describe("pollDelays", () => {
  it("waits the estimate first, then steps growing by half from 30 % of it, capped at 15 s", () => {
    const delays = pollDelays(2_000, () => 0.5);
    const planned = Array.from({ length: 12 }, () => delays.next().value);
    expect(planned).toEqual([2000, 600, 900, 1350, 2025, 3038, 4556, 6834, 10252, 15000, 15000, 15000]);
  });

  it("jitters each wait by at most ±15 %, both ways", () => {
    const low = pollDelays(10_000, () => 0);
    const high = pollDelays(10_000, () => 0.999999);
    expect([low.next().value, low.next().value]).toEqual([8500, 2550]);
    expect([high.next().value, high.next().value]).toEqual([11500, 3450]);
  });
});

describe("DetectionTimeEstimator", () => {
  it("settles near the 71.5th percentile of 300–900 ms detections and notices them far sooner than doubling from 1 s", () => {
    expect(equilibriumHitRate).toBeCloseTo(0.715, 2);
    const random = seeded(7);
    const detection = uniform(seeded(11), 300, 900);
    const estimator = new DetectionTimeEstimator();
    const warmup = run(50, detection, (d) => pollOne(estimator, d, random));
    const estimates: number[] = [];
    const settled = run(1_000, detection, (d) => {
      estimates.push(estimator.estimateMs);
      return pollOne(estimator, d, random);
    });
    const before = run(1_000, detection, (d) => doublingFromOneSecond(d, random));

    const hitRate = mean(settled.map((s) => (s.firstReadHit ? 1 : 0)));
    expect(hitRate).toBeGreaterThan(0.65);
    expect(hitRate).toBeLessThan(0.8);
    // The 71.5th percentile of U(300, 900) is 729 ms; the estimate wanders a few steps around it.
    expect(mean(estimates)).toBeGreaterThan(680);
    expect(mean(estimates)).toBeLessThan(800);
    // A miss lands in the top ~30 %: one 30 % step past the estimate almost always covers it.
    expect(mean(settled.map((s) => s.reads))).toBeLessThan(1.4);
    expect(Math.max(...settled.map((s) => s.reads))).toBeLessThanOrEqual(4);
    expect(mean(settled.map((s) => s.lateMs))).toBeLessThan(250);
    expect(mean(settled.map((s) => s.lateMs))).toBeLessThan(mean(before.map((s) => s.lateMs)) / 2);
    // Starting at 1 s, above every detection, the warm-up brought the estimate down.
    expect(mean(warmup.slice(0, 10).map((s) => (s.firstReadHit ? 1 : 0)))).toBeGreaterThan(0.8);
    expect(estimates[0]).toBeLessThan(POLL_TUNING.initialMs);
  });

  it("climbs to minute-long detections within 20 stacks, after which each costs a handful of reads", () => {
    const random = seeded(3);
    const detection = uniform(seeded(5), 50_000, 70_000);
    const estimator = new DetectionTimeEstimator();
    const learning = run(20, detection, (d) => pollOne(estimator, d, random));
    expect(estimator.estimateMs).toBe(POLL_TUNING.maxEstimateMs);
    expect(learning.every((s) => !s.firstReadHit)).toBe(true);
    // Even the first stack, read from a 1 s estimate, stays within the logarithmic climb to 15 s steps.
    expect(learning[0]!.reads).toBeLessThanOrEqual(16);

    const settled = run(100, detection, (d) => pollOne(estimator, d, random));
    expect(Math.max(...settled.map((s) => s.reads))).toBeLessThanOrEqual(5);
    expect(mean(settled.map((s) => s.lateMs))).toBeLessThan(POLL_TUNING.maxStepMs);
  });

  it("comes back down when a region's detections turn out fast, and never leaves [200 ms, 30 s]", () => {
    const random = seeded(9);
    const estimator = new DetectionTimeEstimator();
    run(40, () => 120_000, (d) => pollOne(estimator, d, random));
    expect(estimator.estimateMs).toBe(POLL_TUNING.maxEstimateMs);
    // ln(30 s / 1 s) / −ln 0.93 ≈ 47 hits bring it from the ceiling to 1 s.
    run(47, () => 900, (d) => pollOne(estimator, d, random));
    expect(estimator.estimateMs).toBeLessThan(1_000);
    run(200, () => 0, (d) => pollOne(estimator, d, random));
    expect(estimator.estimateMs).toBe(POLL_TUNING.minEstimateMs);
  });

  it("bounds the reads of a 15-minute detection even from the floor estimate", () => {
    const random = seeded(13);
    const estimator = new DetectionTimeEstimator();
    run(200, () => 0, (d) => pollOne(estimator, d, random));
    const { reads } = pollOne(estimator, 15 * 60_000, random);
    // 1 first read, 14 growing steps from 60 ms to the cap (≈ 35 s), then 15 s ± 15 % steps.
    const growing = Math.ceil(Math.log(POLL_TUNING.maxStepMs / (POLL_TUNING.minEstimateMs * POLL_TUNING.stepShare)) / Math.log(POLL_TUNING.stepGrowth));
    const atCap = Math.ceil((15 * 60_000) / (POLL_TUNING.maxStepMs * (1 - POLL_TUNING.jitter)));
    expect(growing).toBe(14);
    expect(reads).toBeLessThanOrEqual(1 + growing + atCap);
    expect(reads).toBeGreaterThan(60);
  });
});

describe("DetectionTimeEstimator, reads sent late", () => {
  it("a late miss still raises the estimate; a late hit leaves it where it was", () => {
    const e = new DetectionTimeEstimator();
    e.firstRead(true, false);
    expect(e.estimateMs).toBe(POLL_TUNING.initialMs);
    e.firstRead(false, false);
    expect(e.estimateMs).toBeCloseTo(POLL_TUNING.initialMs * POLL_TUNING.missFactor);
  });
});
