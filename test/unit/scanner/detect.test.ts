import "aws-sdk-client-mock-vitest/extend";
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  type DescribeStackDriftDetectionStatusCommandOutput,
} from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createDeadline, NO_DEADLINE } from "../../../functions/runtime/deadline.js";
import { backoffDelayMs, DeadlineReachedError, detectStackDrift, POLL_BACKOFF, type DetectOptions } from "../../../functions/scanner/detect.js";
import { cfnError, deletedQueueDrift, detectionInProgressError, lambdaDrift, roleDrift, stackId } from "./fixtures.js";

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
  return { sleep, random: () => 0.5, deadline: NO_DEADLINE, ...extra };
}

beforeEach(() => cfn.reset());

describe("backoff", () => {
  it("doubles from ~1 s, caps at 15 s, and jitters within the upper half", () => {
    const high = [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, () => 0.999999));
    const low = [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, () => 0));
    expect(high).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(low).toEqual([500, 1000, 2000, 4000, 7500, 7500, 7500]);
    expect(POLL_BACKOFF).toEqual({ firstMs: 1000, maxMs: 15000 });
  });
});

describe("detectStackDrift", () => {
  it("polls with growing, capped delays until complete, then lists MODIFIED and DELETED drifts across pages", async () => {
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
    const inProgress = status({});
    cfn
      .on(DescribeStackDriftDetectionStatusCommand)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolves(status({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "DRIFTED", DriftedStackResourceCount: 3 }));
    cfn
      .on(DescribeStackResourceDriftsCommand)
      .resolvesOnce({ StackResourceDrifts: [lambdaDrift(A, R, "payments-api")], NextToken: "drifts-page-2" })
      .resolvesOnce({ StackResourceDrifts: [roleDrift(A, R, "payments-api"), deletedQueueDrift(A, R, "payments-api")] });
    const time = fakeTime();

    const outcome = await detectStackDrift(client(), STACK, options(time.sleep));

    expect(time.state.delays).toEqual([750, 1500, 3000, 6000, 11250, 11250]);
    for (let i = 1; i < time.state.delays.length; i++) expect(time.state.delays[i]).toBeGreaterThanOrEqual(time.state.delays[i - 1]!);
    expect(Math.max(...time.state.delays)).toBeLessThanOrEqual(POLL_BACKOFF.maxMs);
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
    const outcome = await detectStackDrift(client(), STACK, options(time.sleep, { onWaitingForRunningDetection: () => told++ }));
    expect(outcome.detectionStatus).toBe("DETECTION_COMPLETE");
    expect(cfn).toHaveReceivedCommandTimes(DetectStackDriftCommand, 3);
    expect(time.state.delays).toEqual([750, 1500]);
    expect(told).toBe(2);
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
