import "aws-sdk-client-mock-vitest/extend";
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  type DescribeStackDriftDetectionStatusCommandOutput,
} from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import pLimit from "p-limit";
import { beforeEach, describe, expect, it } from "vitest";
import { createDeadline, NO_DEADLINE } from "../../../functions/core/deadline.js";
import { DeadlineReachedError, detectStackDrift, type DetectOptions } from "../../../functions/scanner/detect.js";
import { DetectionTimeEstimator, POLL_TUNING } from "../../../functions/scanner/poll-schedule.js";
import { mean, seeded, uniform } from "./random-sources.js";
import { cfnError, deletedQueueDrift, detectionInProgressError, lambdaDrift, roleDrift, stackId } from "./fixtures.js";
import { stackResourceDrift } from "../../support/drift.js";

const cfn = mockClient(CloudFormationClient);
const client = () => new CloudFormationClient({ region: "us-east-1" });
const A = "222222222222";
const R = "us-east-1";
const STACK = stackId(A, R, "payments-api");
const DETECTION = "b78ac9b0-dec1-11e7-a451-503a3407c0c6";

function status(s: Partial<DescribeStackDriftDetectionStatusCommandOutput>): DescribeStackDriftDetectionStatusCommandOutput {
  return { $metadata: {}, StackId: STACK, StackDriftDetectionId: DETECTION, Timestamp: new Date("2024-10-02T05:58:40.000Z"), DetectionStatus: "DETECTION_IN_PROGRESS", ...s };
}

/** A sleep that records what it was asked to wait and advances a fake clock. */
function fakeTime(start = 0) {
  const state = { now: start, delays: [] as number[] };
  const sleep = async (ms: number) => {
    state.delays.push(ms);
    state.now += ms;
  };
  return { state, sleep, now: () => state.now };
}

function options(sleep: DetectOptions["sleep"], extra: Partial<DetectOptions> = {}): DetectOptions {
  return { estimator: new DetectionTimeEstimator(), sleep, random: () => 0.5, deadline: NO_DEADLINE, ...extra };
}

/**
 * Timers on a virtual clock, for work that runs concurrently: whenever every task is waiting,
 * time jumps to the earliest timer.
 */
function virtualClock() {
  let now = 0;
  const timers: { at: number; fire: () => void }[] = [];
  const sleep = (ms: number) => new Promise<void>((fire) => timers.push({ at: now + ms, fire }));
  async function settle<T>(work: Promise<T>): Promise<T> {
    let done = false;
    work.then(
      () => (done = true),
      () => (done = true),
    );
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done) return work;
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) throw new Error("the work waits on nothing");
      now = next.at;
      next.fire();
    }
  }
  return { now: () => now, sleep, settle };
}


interface TimedDetection {
  completesAt: number;
  reads: number;
  /** From completion to the first read that saw it. */
  noticedLateMs?: number;
}

/** One region's CloudFormation whose detections finish `detectionMs()` after they start, on the virtual clock. */
function timedCloudFormation(clock: { now(): number }, detectionMs: () => number) {
  const regionClient = client();
  const mock = mockClient(regionClient);
  const detections: TimedDetection[] = [];
  mock.on(DetectStackDriftCommand).callsFake(async () => {
    detections.push({ completesAt: clock.now() + detectionMs(), reads: 0 });
    return { StackDriftDetectionId: String(detections.length - 1) };
  });
  mock.on(DescribeStackDriftDetectionStatusCommand).callsFake(async (input: { StackDriftDetectionId: string }) => {
    const detection = detections[Number(input.StackDriftDetectionId)]!;
    detection.reads++;
    if (clock.now() < detection.completesAt) return status({});
    detection.noticedLateMs ??= clock.now() - detection.completesAt;
    return status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "IN_SYNC" });
  });
  return { cfn: regionClient, detections };
}

beforeEach(() => cfn.reset());

/** DetectStackDrift answers; the first `reads` status reads find the detection running, the next ones `finished`. */
function detectionFinishingAfter(reads: number, finished: DescribeStackDriftDetectionStatusCommandOutput): void {
  cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
  let answered = 0;
  cfn.on(DescribeStackDriftDetectionStatusCommand).callsFake(async () => (answered++ < reads ? status({}) : finished));
}

describe("detectStackDrift", () => {
  it("reads first after the account-region's estimate, then at growing steps until complete, then lists MODIFIED and DELETED drifts across pages", async () => {
    detectionFinishingAfter(6, status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "DRIFTED", DriftedStackResourceCount: 3 }));
    cfn
      .on(DescribeStackResourceDriftsCommand)
      .resolvesOnce({ StackResourceDrifts: [lambdaDrift(A, R, "payments-api")], NextToken: "drifts-page-2" })
      .resolvesOnce({ StackResourceDrifts: [roleDrift(A, R, "payments-api"), deletedQueueDrift(A, R, "payments-api")] });
    const time = fakeTime();

    const outcome = await detectStackDrift(client(), STACK, options(time.sleep));

    // Nothing known yet: the initial 1 s, then 30 % of it growing by half (random 0.5 = no jitter).
    expect(time.state.delays).toEqual([1000, 300, 450, 675, 1013, 1519, 2278]);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStackDriftDetectionStatusCommand, 7);
    expect(cfn).toHaveReceivedCommandWith(DetectStackDriftCommand, { StackName: STACK });
    expect(cfn).toHaveReceivedCommandWith(DescribeStackDriftDetectionStatusCommand, { StackDriftDetectionId: DETECTION });
    expect(cfn).toHaveReceivedNthCommandWith(DescribeStackResourceDriftsCommand, 1, {
      StackName: STACK,
      StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"],
      MaxResults: 100,
    });
    expect(cfn).toHaveReceivedNthCommandWith(DescribeStackResourceDriftsCommand, 2, { NextToken: "drifts-page-2" });

    expect(outcome).toMatchObject({ detectionId: DETECTION, detectionStatus: "DETECTION_COMPLETE", driftStatus: "DRIFTED" });
    expect(outcome.drifts).toHaveLength(3);
    expect(outcome.drifts[0]).toEqual({
      logicalResourceId: "function",
      physicalResourceId: "my-function-SEZV4XMPL4S5",
      resourceType: "AWS::Lambda::Function",
      status: "MODIFIED",
      expected: expect.objectContaining({ MemorySize: 128, Timeout: 900, Environment: { Variables: { bucket: "my-stack-bucket-1vc62xmplgguf" } } }),
      actual: expect.objectContaining({ MemorySize: 256, Timeout: 22 }),
      differences: [
        { propertyPath: "/MemorySize", expectedValue: "128", actualValue: "256", differenceType: "NOT_EQUAL" },
        { propertyPath: "/Timeout", expectedValue: "900", actualValue: "22", differenceType: "NOT_EQUAL" },
      ],
      detectedAt: "2024-10-02T05:58:47.433Z",
    });
    expect(outcome.drifts[1]!.differences[0]).toMatchObject({ differenceType: "ADD", actualValue: "arn:aws:iam::aws:policy/AdministratorAccess" });
    expect((outcome.drifts[1]!.actual!.ManagedPolicyArns as string[]).length).toBe(2);
    expect(outcome.drifts[2]).toMatchObject({ status: "DELETED", expected: { VisibilityTimeout: 60 }, differences: [] });
    expect(outcome.drifts[2]!.actual).toBeUndefined();
  });

  it("does not list resources of a stack found in sync", async () => {
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "IN_SYNC", DriftedStackResourceCount: 0 }));
    const outcome = await detectStackDrift(client(), STACK, options(fakeTime().sleep));
    expect(outcome).toEqual({ detectionId: DETECTION, detectionStatus: "DETECTION_COMPLETE", driftStatus: "IN_SYNC", drifts: [] });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStackResourceDriftsCommand, 0);
  });

  it("keeps the partial results and the reason of DETECTION_FAILED", async () => {
    const reason =
      "Failed to detect drift on resource [LegacyBucketPolicy]: Internal Failure. Drift detection is not supported for resource type [AWS::S3::BucketPolicy] in this region.";
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
    cfn
      .on(DescribeStackDriftDetectionStatusCommand)
      .resolves(status({ DetectionStatus: "DETECTION_FAILED", StackDriftStatus: "DRIFTED", DetectionStatusReason: reason, DriftedStackResourceCount: 1 }));
    cfn.on(DescribeStackResourceDriftsCommand).resolves({ StackResourceDrifts: [roleDrift(A, R, "payments-api")] });
    const outcome = await detectStackDrift(client(), STACK, options(fakeTime().sleep));
    expect(outcome).toMatchObject({ detectionStatus: "DETECTION_FAILED", driftStatus: "DRIFTED", reason });
    expect(outcome.drifts.map((d) => d.logicalResourceId)).toEqual(["AppRole"]);
  });

  it("a failed detection without a stack status still reports what it found", async () => {
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(status({ DetectionStatus: "DETECTION_FAILED", DetectionStatusReason: "Internal Failure" }));
    cfn.on(DescribeStackResourceDriftsCommand).resolves({ StackResourceDrifts: [] });
    const outcome = await detectStackDrift(client(), STACK, options(fakeTime().sleep));
    expect(outcome).toMatchObject({ detectionStatus: "DETECTION_FAILED", driftStatus: "UNKNOWN", reason: "Internal Failure", drifts: [] });
  });

  it("waits for a detection already running on the stack instead of failing or starting a second one alongside", async () => {
    cfn
      .on(DetectStackDriftCommand)
      .rejectsOnce(detectionInProgressError(STACK))
      .rejectsOnce(detectionInProgressError(STACK))
      .resolves({ StackDriftDetectionId: DETECTION });
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "IN_SYNC" }));
    const time = fakeTime();
    let told = 0;
    const estimator = new DetectionTimeEstimator();
    const outcome = await detectStackDrift(client(), STACK, options(time.sleep, { estimator, onWaitingForRunningDetection: () => told++ }));
    expect(outcome.detectionStatus).toBe("DETECTION_COMPLETE");
    expect(cfn).toHaveReceivedCommandTimes(DetectStackDriftCommand, 3);
    // Two waits on the region's schedule for the running detection, then this run's own first read.
    expect(time.state.delays).toEqual([1000, 300, 1000]);
    expect(told).toBe(2);
    // When the running detection started is unknown, so only this run's first read taught: one hit.
    expect(estimator.estimateMs).toBeCloseTo(POLL_TUNING.initialMs * POLL_TUNING.hitFactor);
    // Untimed without a clock.
    expect(outcome.durationMs).toBeUndefined();
  });

  it("times its own detection from DetectStackDrift's answer to the read that found it finished (what hub.execution auto learns)", async () => {
    cfn.on(DetectStackDriftCommand).rejectsOnce(detectionInProgressError(STACK)).resolves({ StackDriftDetectionId: DETECTION });
    cfn
      .on(DescribeStackDriftDetectionStatusCommand)
      .resolvesOnce(status({}))
      .resolves(status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "IN_SYNC" }));
    const time = fakeTime(5_000);
    const outcome = await detectStackDrift(client(), STACK, options(time.sleep, { now: time.now }));
    // The wait for the running detection (1,000 ms) is not this detection's; its reads at 1,000 and 1,000 + 300 ms are.
    expect(time.state.delays).toEqual([1000, 1000, 300]);
    expect(outcome.durationMs).toBe(1300);
  });

  it("shares one estimate among the stacks given the same estimator, i.e. of an account-region", async () => {
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "IN_SYNC" }));
    const time = fakeTime();
    const payments = new DetectionTimeEstimator();
    await detectStackDrift(client(), STACK, options(time.sleep, { estimator: payments }));
    await detectStackDrift(client(), STACK, options(time.sleep, { estimator: payments }));
    await detectStackDrift(client(), STACK, options(time.sleep));
    // Each first read found its detection done, so the next stack of the region is read sooner; another region starts afresh.
    expect(time.state.delays).toEqual([1000, 930, 1000]);
    expect(payments.estimateMs).toBeCloseTo(1000 * 0.93 * 0.93);
  });

  it("five stacks at a time of one region, with 300–900 ms detections: few reads, noticed soon after they finish", async () => {
    const clock = virtualClock();
    const detectionMs = uniform(seeded(21), 300, 900);
    const region = timedCloudFormation(clock, detectionMs);
    const limit = pLimit(5);
    const random = seeded(22);
    const estimator = new DetectionTimeEstimator();
    const stacks = Array.from({ length: 200 }, (_, i) => stackId(A, R, `stack-${i}`));
    await clock.settle(limit.map(stacks, (stack) => detectStackDrift(region.cfn, stack, options(clock.sleep, { random, estimator }))));

    const settled = region.detections.slice(50);
    expect(region.detections).toHaveLength(200);
    expect(mean(settled.map((d) => (d.reads === 1 ? 1 : 0)))).toBeGreaterThan(0.6);
    expect(mean(settled.map((d) => (d.reads === 1 ? 1 : 0)))).toBeLessThan(0.85);
    expect(mean(settled.map((d) => d.reads))).toBeLessThan(1.45);
    expect(mean(settled.map((d) => d.noticedLateMs!))).toBeLessThan(300);
    expect(estimator.estimateMs).toBeGreaterThan(500);
    expect(estimator.estimateMs).toBeLessThan(1000);
  });

  it("passes other DetectStackDrift errors through", async () => {
    cfn.on(DetectStackDriftCommand).rejects(cfnError("ValidationError", "Stack with id payments-api does not exist"));
    await expect(detectStackDrift(client(), STACK, options(fakeTime().sleep))).rejects.toMatchObject({ name: "ValidationError", message: expect.stringContaining("does not exist") });
    expect(cfn).toHaveReceivedCommandTimes(DetectStackDriftCommand, 1);
  });

  it("gives up waiting once the deadline has expired", async () => {
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(status({}));
    const time = fakeTime();
    const deadline = createDeadline(60_000, time.now, 30_000); // expires 45 s in
    const err = await detectStackDrift(client(), STACK, options(time.sleep, { deadline })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineReachedError);
    expect((err as Error).name).toBe("DeadlineReached");
    expect(time.state.now).toBeGreaterThanOrEqual(45_000);
    expect(time.state.now).toBeLessThan(60_000);
  });

  it("gives up after the maximum wait when there is no deadline", async () => {
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(status({}));
    const time = fakeTime();
    await expect(detectStackDrift(client(), STACK, options(time.sleep, { maxWaitMs: 60_000 }))).rejects.toMatchObject({ name: "DetectionTimeout", message: expect.stringContaining(`drift detection ${DETECTION}`) });
    expect(time.state.now).toBeGreaterThanOrEqual(60_000);
  });
});

describe("the drift factory (test/support/drift.ts)", () => {
  it("computes the PropertyDifferences the AWS CLI documentation shows for the same expected and actual properties", () => {
    // Oracle: the describe-stack-resource-drifts example (lambdaDrift), copied from the AWS CLI docs.
    const documented = lambdaDrift(A, R, "payments-api");
    const computed = stackResourceDrift({
      stackId: documented.StackId!,
      logicalResourceId: documented.LogicalResourceId!,
      physicalResourceId: documented.PhysicalResourceId!,
      resourceType: documented.ResourceType!,
      expected: JSON.parse(documented.ExpectedProperties!),
      actual: JSON.parse(documented.ActualProperties!),
    });
    expect(computed.PropertyDifferences).toEqual(documented.PropertyDifferences);
    expect(computed.StackResourceDriftStatus).toBe("MODIFIED");
  });
});

describe("detectStackDrift on the account-region's pace", () => {
  it("reads first at the estimate, then never closer than one pace slot, and learns nothing from a hit that was queued", async () => {
    detectionFinishingAfter(2, status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "IN_SYNC" }));
    const time = fakeTime();
    // 20 stacks in flight at 10 requests/s: a slot of 2 s, longer than the schedule's own steps (300, 450 ms).
    const estimator = new DetectionTimeEstimator();
    await detectStackDrift(client(), STACK, options(time.sleep, { estimator, pace: { backlogMs: () => 0, slotMs: () => 2_000 } }));
    expect(time.state.delays).toEqual([1000, 2000, 2000]);
    // The first read missed, on time: the estimate rose once.
    expect(estimator.estimateMs).toBeCloseTo(POLL_TUNING.initialMs * POLL_TUNING.missFactor);

    cfn.reset();
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "IN_SYNC" }));
    const before = estimator.estimateMs;
    // The read waits 800 ms in the bucket: beyond the jitter's 15 % of a 1.2 s wait, so its hit says nothing.
    await detectStackDrift(client(), STACK, options(fakeTime().sleep, { estimator, pace: { backlogMs: () => 800, slotMs: () => 2_000 } }));
    expect(estimator.estimateMs).toBe(before);
    // Queued under the tolerance, it teaches as before.
    await detectStackDrift(client(), STACK, options(fakeTime().sleep, { estimator, pace: { backlogMs: () => 100, slotMs: () => 2_000 } }));
    expect(estimator.estimateMs).toBeCloseTo(before * POLL_TUNING.hitFactor);
  });
});
