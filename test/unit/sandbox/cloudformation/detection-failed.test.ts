import { describe, expect, it } from "vitest";
import { FaultInjector } from "../../../../sandbox/emulator/protocol/faults.js";
import { createStack, EC2_READ_ONLY_ROLE, harness, HTTPS_GROUP, region } from "./fixture.js";

/**
 * DETECTION_FAILED as CloudFormation reports it when some of its reads fail: the other resources'
 * results kept, and DetectionStatusReason a JSON document naming each failed resource with the
 * service's message. The shape is a real one (aws-cloudformation/cloudformation-coverage-roadmap#801):
 * `{"Summary":"Failed to detect drift on resources [NodeInstanceRoleArn,NodeDrainerPermission,…]",
 * "Failures":[{"Resource":"NodeInstanceRoleArn","FailureReason":"Rate exceeded"},…]}`.
 */

const TEMPLATE = `
Resources:
  Sg:${HTTPS_GROUP}
  Role:${EC2_READ_ONLY_ROLE}
  Alerts:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: alerts }
  Audit:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: audit }
`;

describe("DETECTION_FAILED", () => {
  it("names every resource whose read failed, in AWS's Summary/Failures shape, and keeps the others' results", async () => {
    const h = harness();
    const faults = new FaultInjector(() => 0);
    h.ctx.sandbox.faults = faults;
    const ids = await createStack(h, "app", TEMPLATE);
    region(h.world).securityGroups.get(ids.Sg)!.ingress.push({ ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" });
    // SNS throttles CloudFormation's reads of the topics (the calls it makes for the caller, not the caller's own).
    faults.setRules([{ service: "sns", action: "GetTopicAttributes", calledVia: "cloudformation.amazonaws.com", error: "Throttling", message: "Rate exceeded" }]);

    const { StackDriftDetectionId } = await h.call("DetectStackDrift", { StackName: "app" });
    const status = await h.call("DescribeStackDriftDetectionStatus", { StackDriftDetectionId });
    expect(status).toMatchObject({ DetectionStatus: "DETECTION_FAILED", StackDriftStatus: "DRIFTED", DriftedStackResourceCount: 1 });
    expect(JSON.parse(status.DetectionStatusReason)).toEqual({
      Summary: "Failed to detect drift on resources [Alerts,Audit]",
      Failures: [
        { Resource: "Alerts", FailureReason: "Rate exceeded" },
        { Resource: "Audit", FailureReason: "Rate exceeded" },
      ],
    });
    // The wire text itself: compact JSON, resource ids comma-separated without spaces, as in #801.
    expect(status.DetectionStatusReason).toBe(
      '{"Summary":"Failed to detect drift on resources [Alerts,Audit]","Failures":[{"Resource":"Alerts","FailureReason":"Rate exceeded"},{"Resource":"Audit","FailureReason":"Rate exceeded"}]}',
    );

    // "one StackResourceDrift for each stack resource that has been checked for drift" (API_DescribeStackResourceDrifts): the topics were not.
    const drifts = (await h.call("DescribeStackResourceDrifts", { StackName: "app" })).StackResourceDrifts as { LogicalResourceId: string; StackResourceDriftStatus: string }[];
    expect(drifts.map((d) => [d.LogicalResourceId, d.StackResourceDriftStatus])).toEqual([
      ["Sg", "MODIFIED"],
      ["Role", "IN_SYNC"],
    ]);
  });

  it("a fault on the caller's own calls leaves CloudFormation's reads alone", async () => {
    const h = harness();
    const faults = new FaultInjector(() => 0);
    h.ctx.sandbox.faults = faults;
    await createStack(h, "app", TEMPLATE);
    faults.setRules([{ service: "sns", action: "GetTopicAttributes", error: "Throttling", message: "Rate exceeded" }]);
    const { StackDriftDetectionId } = await h.call("DetectStackDrift", { StackName: "app" });
    const status = await h.call("DescribeStackDriftDetectionStatus", { StackDriftDetectionId });
    expect(status).toMatchObject({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "IN_SYNC" });
    expect(status.DetectionStatusReason).toBeUndefined();
  });

  it("keeps a resource's last checked result when a later read of it fails", async () => {
    const h = harness();
    const faults = new FaultInjector(() => 0);
    h.ctx.sandbox.faults = faults;
    await createStack(h, "app", TEMPLATE);
    const first = await h.call("DetectStackDrift", { StackName: "app" });
    expect((await h.call("DescribeStackDriftDetectionStatus", first)).DetectionStatus).toBe("DETECTION_COMPLETE");
    faults.setRules([{ service: "iam", calledVia: "cloudformation.amazonaws.com", error: "ServiceFailure", message: "Internal Failure", times: 1 }]);
    h.advance(1_000);
    const second = await h.call("DetectStackDrift", { StackName: "app" });
    const status = await h.call("DescribeStackDriftDetectionStatus", second);
    expect(JSON.parse(status.DetectionStatusReason)).toEqual({ Summary: "Failed to detect drift on resources [Role]", Failures: [{ Resource: "Role", FailureReason: "Internal Failure" }] });
    const drifts = (await h.call("DescribeStackResourceDrifts", { StackName: "app" })).StackResourceDrifts as { LogicalResourceId: string; Timestamp: Date }[];
    const stamps = Object.fromEntries(drifts.map((d) => [d.LogicalResourceId, d.Timestamp.getTime()]));
    // The role's record is the first detection's; the others were checked again, a second later.
    expect(stamps.Sg! - stamps.Role!).toBe(1_000);
  });
});
