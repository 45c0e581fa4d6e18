import { describe, expect, it } from "vitest";
import { createStack, HTTPS_GROUP, harness, region, rejection, roleCaller } from "./fixture.js";

/**
 * CloudFormation's reads made with a caller's permissions, and what a denied one does:
 * - drift detection reads each resource as the principal that asked ("a user must have … Read
 *   permission for each resource that supports drift detection included in the stack",
 *   using-cfn-stack-drift.md); a denied read makes the detection DETECTION_FAILED "with an error
 *   explaining which permission is missing" (aws-cloudformation-resource-providers-kms#69), results
 *   kept for the other resources ("Results will be available for resources on which CloudFormation
 *   successfully completed drift detection", using-cfn-stack-drift.md);
 * - DetectStackResourceDrift: no AWS source says what it answers for a denied read; the sandbox
 *   fails the call (handlers/drift.ts states the assumption);
 * - an import reads each resource with the type's read handler (resource-import.html): denied
 *   while the change set is computed, the change set FAILS; denied at execution, the resource is
 *   IMPORT_FAILED and the import rolls back (IMPORT_ROLLBACK_COMPLETE, change set EXECUTE_FAILED).
 */

const TEMPLATE = `
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }] }
  Topic:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: alerts }
`;

/** The DetectionStatusReason's per-resource failures: resource and reason (the reason text as CloudFormation's resource handler words it). */
function failuresOf(reason: string): { Resource: string; FailureReason: string }[] {
  if (reason.startsWith("{")) return (JSON.parse(reason) as { Failures: { Resource: string; FailureReason: string }[] }).Failures;
  const listed = /^Failed to detect drift on resources \[(.*)\]$/s.exec(reason);
  if (!listed) throw new Error(`not a DETECTION_FAILED reason: ${reason}`);
  return [...listed[1]!.matchAll(/(\w+) \((.*?HandlerErrorCode: \w+\))\)/g)].map((m) => ({ Resource: m[1]!, FailureReason: m[2]! }));
}

const ROLE_READ_DENIED = (roleName: string) =>
  new RegExp(
    String.raw`^Resource handler returned message: "User: arn:aws:sts::111111111111:assumed-role/Auditor/deploy is not authorized to perform: iam:GetRole on resource: arn:aws:iam::111111111111:role/${roleName} because no identity-based policy allows the iam:GetRole action \(Service: Iam, Status Code: 403, Request ID: [0-9a-f-]{36}\)" \(RequestToken: [0-9a-f-]{36}, HandlerErrorCode: AccessDenied\)$`,
  );

describe("drift detection by a caller who may not read one resource", () => {
  it("DetectStackDrift: DETECTION_FAILED naming the resource and the missing permission; the others' results kept, the denied one's last record untouched", async () => {
    const h = harness();
    const { Role: roleName } = await createStack(h, "app", TEMPLATE);
    // A full detection first, as the account's root: both resources IN_SYNC.
    const { StackDriftDetectionId: first } = await h.call("DetectStackDrift", { StackName: "app" });
    expect((await h.call("DescribeStackDriftDetectionStatus", { StackDriftDetectionId: first })).DetectionStatus).toBe("DETECTION_COMPLETE");
    const before = (await h.call("DescribeStackResourceDrifts", { StackName: "app" })).StackResourceDrifts.find((d: { LogicalResourceId: string }) => d.LogicalResourceId === "Role");

    const auditor = await roleCaller(h, "Auditor", ["cloudformation:*", "sns:*"]);
    h.advance(1_000);
    const { StackDriftDetectionId } = await auditor.as("DetectStackDrift", { StackName: "app" });
    const status = await auditor.as("DescribeStackDriftDetectionStatus", { StackDriftDetectionId });
    expect(status).toMatchObject({ DetectionStatus: "DETECTION_FAILED", StackDriftStatus: "IN_SYNC", DriftedStackResourceCount: 0 });
    expect(status.DetectionStatusReason).toMatch(/^(\{"Summary":")?Failed to detect drift on resources \[Role[\] ]/);
    const failures = failuresOf(status.DetectionStatusReason);
    expect(failures.map((f) => f.Resource)).toEqual(["Role"]);
    expect(failures[0]!.FailureReason).toMatch(ROLE_READ_DENIED(roleName!));

    const drifts = (await auditor.as("DescribeStackResourceDrifts", { StackName: "app" })).StackResourceDrifts as { LogicalResourceId: string; StackResourceDriftStatus: string; Timestamp: Date }[];
    const topic = drifts.find((d) => d.LogicalResourceId === "Topic")!;
    expect(topic.StackResourceDriftStatus).toBe("IN_SYNC");
    expect(topic.Timestamp.getTime()).toBeGreaterThan(before.Timestamp.getTime());
    // The role was not read: its record is the root's detection's, timestamp and all.
    expect(drifts.find((d) => d.LogicalResourceId === "Role")).toEqual(before);
  });

  it("DetectStackResourceDrift: the call fails with the read's AccessDenied; a resource the caller may read is checked", async () => {
    const h = harness();
    const { Role: roleName } = await createStack(h, "app", TEMPLATE);
    const auditor = await roleCaller(h, "Auditor", ["cloudformation:*", "sns:*"]);
    const denied = await rejection(auditor.as("DetectStackResourceDrift", { StackName: "app", LogicalResourceId: "Role" }));
    expect(denied).toMatchObject({ code: "AccessDenied", status: 403 });
    expect(denied.message).toMatch(ROLE_READ_DENIED(roleName!));
    expect((await auditor.as("DescribeStackResourceDrifts", { StackName: "app" })).StackResourceDrifts).toEqual([]);
    const topic = await auditor.as("DetectStackResourceDrift", { StackName: "app", LogicalResourceId: "Topic" });
    expect(topic.StackResourceDrift).toMatchObject({ LogicalResourceId: "Topic", StackResourceDriftStatus: "IN_SYNC" });
  });
});

describe("an import whose read is denied", () => {
  const ADOPT = `Resources:\n  Adopted:\n    Type: AWS::EC2::SecurityGroup\n    DeletionPolicy: Retain\n    Properties: { GroupDescription: app }`;

  /** A group no stack owns (its stack deleted, the group retained) and a caller allowed CloudFormation and `ec2Reads`. */
  async function setUp(ec2Reads: string[]) {
    const h = harness();
    await createStack(h, "tmp", `Resources:\n  G:${HTTPS_GROUP}\n    DeletionPolicy: Retain`);
    const groupId = region(h.world).stacks[0]!.resources[0]!.physicalId;
    await h.call("DeleteStack", { StackName: "tmp" });
    const importer = await roleCaller(h, "Importer", ["cloudformation:*", ...ec2Reads]);
    const create = () =>
      importer.as("CreateChangeSet", {
        StackName: "claim",
        ChangeSetName: "adopt",
        ChangeSetType: "IMPORT",
        TemplateBody: ADOPT,
        ResourcesToImport: [{ ResourceType: "AWS::EC2::SecurityGroup", LogicalResourceId: "Adopted", ResourceIdentifier: { Id: groupId } }],
      });
    return { h, groupId, importer, create, described: () => importer.as("DescribeChangeSet", { StackName: "claim", ChangeSetName: "adopt" }) };
  }

  // EC2's Describe* calls take no resource ARN (Resource "*" in the Service Authorization Reference), so the message names none.
  const READ_DENIED =
    new RegExp(
      String.raw`^Resource handler returned message: "You are not authorized to perform this operation\. User: arn:aws:sts::111111111111:assumed-role/Importer/deploy is not authorized to perform: ec2:DescribeSecurityGroups (because no identity-based policy allows the ec2:DescribeSecurityGroups action|with an explicit deny in an identity-based policy)\. Encoded authorization failure message: \S+ \(Service: Ec2, Status Code: 403, Request ID: [0-9a-f-]{36}\)" \(RequestToken: [0-9a-f-]{36}, HandlerErrorCode: AccessDenied\)$`,
    );

  it("while the change set is computed: the change set FAILS with the handler's AccessDenied, nothing is adopted", async () => {
    const { importer, create, described } = await setUp([]);
    await create();
    const changeSet = await described();
    expect(changeSet).toMatchObject({ Status: "FAILED", ExecutionStatus: "UNAVAILABLE", Changes: [] });
    expect(changeSet.StatusReason).toMatch(READ_DENIED);
    expect((await importer.as("DescribeStacks", { StackName: "claim" })).Stacks[0].StackStatus).toBe("REVIEW_IN_PROGRESS");
  });

  it("at execution: IMPORT_FAILED with the handler's message, IMPORT_ROLLBACK_COMPLETE, EXECUTE_FAILED; the group stays, unadopted", async () => {
    const { h, groupId, importer, create, described } = await setUp(["ec2:DescribeSecurityGroups"]);
    await create();
    expect(await described()).toMatchObject({ Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE" });
    // The read is taken away between the change set and its execution.
    await importer.deny(["ec2:DescribeSecurityGroups"]);
    await importer.as("ExecuteChangeSet", { StackName: "claim", ChangeSetName: "adopt" });

    expect((await importer.as("DescribeStacks", { StackName: "claim" })).Stacks[0].StackStatus).toBe("IMPORT_ROLLBACK_COMPLETE");
    expect((await described()).ExecutionStatus).toBe("EXECUTE_FAILED");
    const events = (await importer.as("DescribeStackEvents", { StackName: "claim" })).StackEvents as { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string }[];
    const failed = events.find((e) => e.ResourceStatus === "IMPORT_FAILED")!;
    expect(failed.LogicalResourceId).toBe("Adopted");
    expect(failed.ResourceStatusReason).toMatch(READ_DENIED);
    expect(events.slice(0, 3).map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`)).toEqual(["claim IMPORT_ROLLBACK_COMPLETE", "claim IMPORT_ROLLBACK_IN_PROGRESS", "Adopted IMPORT_FAILED"]);
    expect((await importer.as("DescribeStackResources", { StackName: "claim" })).StackResources).toEqual([]);
    expect(region(h.world).securityGroups.has(groupId)).toBe(true);
  });
});
