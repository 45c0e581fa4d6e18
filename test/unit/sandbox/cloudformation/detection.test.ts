import { describe, expect, it } from "vitest";
import { account, createStack, detectDrift, EC2_READ_ONLY_ROLE, harness, HTTPS_GROUP, region, rejection } from "./fixture.js";

const TEMPLATE = `
Resources:
  Sg:${HTTPS_GROUP}
  Role:${EC2_READ_ONLY_ROLE}
  Bucket:
    Type: AWS::S3::Bucket
  Queue:
    Type: AWS::SQS::Queue
`;

describe("DetectStackDrift", () => {
  it("completes after a random time within latency.detectionMs and reports the stack's drift", async () => {
    const h = harness({ detectionMs: [1_000, 5_000] });
    const ids = await createStack(h, "app", TEMPLATE);
    region(h.world).securityGroups.get(ids.Sg)!.ingress.push({ ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" });

    const { StackDriftDetectionId } = await h.call("DetectStackDrift", { StackName: "app" });
    const detection = region(h.world).stacks[0].detections[0];
    const duration = detection.completesAt - Date.parse(detection.startedAt);
    expect(duration).toBeGreaterThanOrEqual(1_000);
    expect(duration).toBeLessThanOrEqual(5_000);

    expect(await h.call("DescribeStackDriftDetectionStatus", { StackDriftDetectionId })).toEqual({
      StackId: detection.stackId,
      StackDriftDetectionId,
      DetectionStatus: "DETECTION_IN_PROGRESS",
      DetectionStatusReason: "User Initiated",
      Timestamp: new Date(detection.startedAt),
    });
    expect(await rejection(h.call("DetectStackDrift", { StackName: "app" }))).toEqual({
      code: "ValidationError",
      message: `Drift detection is already in progress for stack ${detection.stackId}`,
      status: 400,
    });

    h.advance(duration - 1);
    expect((await h.call("DescribeStackDriftDetectionStatus", { StackDriftDetectionId })).DetectionStatus).toBe("DETECTION_IN_PROGRESS");
    h.advance(1);
    expect(await h.call("DescribeStackDriftDetectionStatus", { StackDriftDetectionId })).toMatchObject({
      DetectionStatus: "DETECTION_COMPLETE",
      StackDriftStatus: "DRIFTED",
      DriftedStackResourceCount: 1,
      // DescribeStackDriftDetectionStatus reports when the detection was initiated (AWS API reference).
      Timestamp: new Date(detection.startedAt),
    });

    const [stack] = (await h.call("DescribeStacks", { StackName: "app" })).Stacks;
    expect(stack.DriftInformation).toEqual({ StackDriftStatus: "DRIFTED", LastCheckTimestamp: new Date(detection.completesAt) });
    const summaries = (await h.call("ListStackResources", { StackName: "app" })).StackResourceSummaries;
    expect(Object.fromEntries(summaries.map((s: { LogicalResourceId: string; DriftInformation: { StackResourceDriftStatus: string } }) => [s.LogicalResourceId, s.DriftInformation.StackResourceDriftStatus]))).toEqual({
      Sg: "MODIFIED",
      Role: "IN_SYNC",
      Bucket: "IN_SYNC",
      Queue: "NOT_CHECKED",
    });
  });

  it("draws detection durations from the seeded random source", async () => {
    const durations = async (seed: number) => {
      const h = harness({ detectionMs: [0, 60_000], seed });
      await createStack(h, "app", TEMPLATE);
      await h.call("DetectStackDrift", { StackName: "app" });
      const detection = region(h.world).stacks[0].detections[0];
      return detection.completesAt - Date.parse(detection.startedAt);
    };
    expect(await durations(1)).toBe(await durations(1));
    expect(await durations(1)).not.toBe(await durations(2));
  });

  it("shows IN_SYNC on the next detection once the live state is repaired", async () => {
    const h = harness({ detectionMs: [10, 20] });
    const ids = await createStack(h, "app", TEMPLATE);
    const role = account(h.world).roles.get(ids.Role)!;
    role.managedPolicyArns.push("arn:aws:iam::aws:policy/AdministratorAccess");
    expect((await detectDrift(h, "app")).find((d) => d.LogicalResourceId === "Role").StackResourceDriftStatus).toBe("MODIFIED");

    role.managedPolicyArns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"];
    const drifts = await detectDrift(h, "app");
    expect(drifts.map((d) => d.StackResourceDriftStatus)).toEqual(["IN_SYNC", "IN_SYNC", "IN_SYNC"]);
    expect((await h.call("DescribeStacks", { StackName: "app" })).Stacks[0].DriftInformation.StackDriftStatus).toBe("IN_SYNC");
  });

  it("limits a detection to LogicalResourceIds when given", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    h.world.buckets.delete(ids.Bucket);
    const { StackDriftDetectionId } = await h.call("DetectStackDrift", { StackName: "app", LogicalResourceIds: ["Sg"] });
    expect(await h.call("DescribeStackDriftDetectionStatus", { StackDriftDetectionId })).toMatchObject({ StackDriftStatus: "IN_SYNC" });
    const drifts = (await h.call("DescribeStackResourceDrifts", { StackName: "app" })).StackResourceDrifts;
    expect(drifts.map((d: { LogicalResourceId: string }) => d.LogicalResourceId)).toEqual(["Sg"]);
  });

  it("refuses stacks whose status doesn't allow drift detection", async () => {
    const h = harness();
    await createStack(h, "a", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: { BucketName: same }\n");
    await h.call("CreateStack", { StackName: "b", TemplateBody: "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: { BucketName: same }\n" });
    expect(await rejection(h.call("DetectStackDrift", { StackName: "b" }))).toMatchObject({
      code: "ValidationError",
      message: expect.stringContaining("in status ROLLBACK_COMPLETE"),
    });
  });
});

describe("DescribeStackResourceDrifts", () => {
  it("lists checked resources of supported types, filtered by status and paged by MaxResults", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    h.world.buckets.delete(ids.Bucket);
    account(h.world).roles.get(ids.Role)!.managedPolicyArns = [];
    expect((await h.call("DescribeStackResourceDrifts", { StackName: "app" })).StackResourceDrifts).toEqual([]);

    const all = await detectDrift(h, "app");
    expect(all.map((d) => [d.LogicalResourceId, d.StackResourceDriftStatus])).toEqual([
      ["Sg", "IN_SYNC"],
      ["Role", "MODIFIED"],
      ["Bucket", "DELETED"],
    ]);
    expect(all[0]).toMatchObject({ ExpectedProperties: expect.any(String), ActualProperties: expect.any(String), PropertyDifferences: [] });

    const drifted = await h.call("DescribeStackResourceDrifts", { StackName: "app", StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"] });
    expect(drifted.StackResourceDrifts.map((d: { LogicalResourceId: string }) => d.LogicalResourceId)).toEqual(["Role", "Bucket"]);

    const first = await h.call("DescribeStackResourceDrifts", { StackName: "app", MaxResults: "2" });
    expect(first.StackResourceDrifts).toHaveLength(2);
    const second = await h.call("DescribeStackResourceDrifts", { StackName: "app", MaxResults: 2, NextToken: first.NextToken });
    expect(second.StackResourceDrifts.map((d: { LogicalResourceId: string }) => d.LogicalResourceId)).toEqual(["Bucket"]);
    expect(second.NextToken).toBeUndefined();
    expect(await rejection(h.call("DescribeStackResourceDrifts", { StackName: "app", MaxResults: 101 }))).toMatchObject({ code: "ValidationError" });
  });
});
