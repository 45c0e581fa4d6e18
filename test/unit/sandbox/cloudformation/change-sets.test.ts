import { describe, expect, it } from "vitest";
import { account, createStack, detectDrift, EC2_READ_ONLY_ROLE, harness, HTTPS_GROUP, region, rejection } from "./fixture.js";

const TEMPLATE = `
Resources:
  Sg:${HTTPS_GROUP}
      Tags: [{ Key: team, Value: core }]
  Role:${EC2_READ_ONLY_ROLE}
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: app-data
      VersioningConfiguration: { Status: Enabled }
`;

const SSH = { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" };

async function revertDrift(h: ReturnType<typeof harness>, name = "revert") {
  const created = await h.call("CreateChangeSet", {
    StackName: "app",
    ChangeSetName: name,
    ChangeSetType: "UPDATE",
    UsePreviousTemplate: "true",
    DeploymentMode: "REVERT_DRIFT",
    Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
  });
  return { created, described: await h.call("DescribeChangeSet", { ChangeSetName: created.Id, IncludePropertyValues: true }) };
}

describe("REVERT_DRIFT change sets", () => {
  it("plan one Modify per drifted resource with drift-aware details", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    const group = region(h.world).securityGroups.get(ids.Sg)!;
    group.ingress.push({ ...SSH });
    group.tags.team = "other";
    group.tags.extra = "ignored";

    const { created, described } = await revertDrift(h);
    expect(created).toEqual({ Id: expect.stringMatching(/^arn:aws:cloudformation:us-east-1:111111111111:changeSet\/revert\//), StackId: group.tags["aws:cloudformation:stack-id"] });
    expect(described).toMatchObject({
      ChangeSetName: "revert",
      Status: "CREATE_COMPLETE",
      ExecutionStatus: "AVAILABLE",
      DeploymentMode: "REVERT_DRIFT",
      StackDriftStatus: "DRIFTED",
    });
    expect(described.Changes).toHaveLength(1);
    const change = described.Changes[0];
    expect(change.Type).toBe("Resource");
    expect(change.ResourceChange).toMatchObject({
      Action: "Modify",
      LogicalResourceId: "Sg",
      PhysicalResourceId: ids.Sg,
      ResourceType: "AWS::EC2::SecurityGroup",
      Replacement: "False",
      Scope: ["Properties", "Tags"],
      ResourceDriftStatus: "MODIFIED",
    });
    expect(change.ResourceChange.Details).toEqual([
      {
        Target: {
          Attribute: "Properties",
          Name: "SecurityGroupIngress",
          RequiresRecreation: "Never",
          Path: "/Properties/SecurityGroupIngress/1",
          BeforeValue: JSON.stringify({ IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "0.0.0.0/0" }),
          AfterValue: "null",
          BeforeValueFrom: "ACTUAL_STATE",
          AfterValueFrom: "TEMPLATE",
          Drift: { PreviousValue: "null", ActualValue: JSON.stringify({ IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "0.0.0.0/0" }), DriftDetectionTimestamp: expect.any(String) },
          AttributeChangeType: "Remove",
        },
        Evaluation: "Static",
        ChangeSource: "DirectModification",
      },
      expect.objectContaining({
        Target: expect.objectContaining({ Attribute: "Tags", Path: "/Properties/Tags/0/Value", BeforeValue: "other", AfterValue: "core", AttributeChangeType: "Modify" }),
      }),
    ]);
    expect(JSON.parse(change.ResourceChange.BeforeContext).Properties.SecurityGroupIngress).toHaveLength(2);
    expect(JSON.parse(change.ResourceChange.AfterContext).Properties.SecurityGroupIngress).toHaveLength(1);

    const terse = await h.call("DescribeChangeSet", { ChangeSetName: "revert", StackName: "app" });
    expect(terse.Changes[0].ResourceChange.BeforeContext).toBeUndefined();
    expect(terse.Changes[0].ResourceChange.Details[0].Target).toEqual({
      Attribute: "Properties",
      Name: "SecurityGroupIngress",
      RequiresRecreation: "Never",
      Path: "/Properties/SecurityGroupIngress/1",
      BeforeValueFrom: "ACTUAL_STATE",
      AfterValueFrom: "TEMPLATE",
      AttributeChangeType: "Remove",
    });
  });

  it("execute: restores the template values, leaves unmanaged tags, and the resources are IN_SYNC", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    const group = region(h.world).securityGroups.get(ids.Sg)!;
    const httpsRuleId = group.ingress[0]!.ruleId;
    group.ingress.push({ ...SSH });
    group.tags.team = "other";
    group.tags.extra = "kept";
    const role = account(h.world).roles.get(ids.Role)!;
    role.managedPolicyArns.push("arn:aws:iam::aws:policy/AdministratorAccess");
    h.world.buckets.get("app-data")!.versioning = "Suspended";

    const { created, described } = await revertDrift(h);
    expect(described.Changes.map((c: { ResourceChange: { LogicalResourceId: string } }) => c.ResourceChange.LogicalResourceId)).toEqual([
      "Sg",
      "Role",
      "Bucket",
    ]);
    await h.call("CreateChangeSet", {
      StackName: "app",
      ChangeSetName: "another",
      UsePreviousTemplate: true,
      DeploymentMode: "REVERT_DRIFT",
      Capabilities: ["CAPABILITY_IAM"],
    });
    h.advance(1_000);
    await h.call("ExecuteChangeSet", { ChangeSetName: "revert", StackName: "app" });

    // The rule the template keeps keeps its id; only the extra one is gone.
    expect(group.ingress).toEqual([{ ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", ruleId: httpsRuleId }]);
    expect(httpsRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    expect(group.tags).toMatchObject({ team: "core", extra: "kept" });
    expect(role.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    expect(h.world.buckets.get("app-data")!.versioning).toBe("Enabled");

    const [stack] = (await h.call("DescribeStacks", { StackName: "app" })).Stacks;
    expect(stack).toMatchObject({ StackStatus: "UPDATE_COMPLETE", LastUpdatedTime: "2026-01-15T10:00:01.000Z" });
    const resources = (await h.call("DescribeStackResources", { StackName: "app" })).StackResources;
    expect(resources.map((r: { ResourceStatus: string; DriftInformation: { StackResourceDriftStatus: string } }) => [r.ResourceStatus, r.DriftInformation.StackResourceDriftStatus])).toEqual([
      ["UPDATE_COMPLETE", "IN_SYNC"],
      ["UPDATE_COMPLETE", "IN_SYNC"],
      ["UPDATE_COMPLETE", "IN_SYNC"],
    ]);
    expect((await detectDrift(h, "app")).every((d) => d.StackResourceDriftStatus === "IN_SYNC")).toBe(true);

    const { Summaries } = await h.call("ListChangeSets", { StackName: "app" });
    expect(Summaries).toMatchObject([{ ChangeSetId: created.Id, ExecutionStatus: "EXECUTE_COMPLETE", Status: "CREATE_COMPLETE" }]);
  });

  it("marks the recreation of a deleted resource as an Add with replacement", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    h.world.buckets.delete(ids.Bucket);
    const { described } = await revertDrift(h);
    expect(described.Changes).toMatchObject([
      { ResourceChange: { Action: "Add", LogicalResourceId: "Bucket", ResourceType: "AWS::S3::Bucket", Replacement: "True", ResourceDriftStatus: "DELETED" } },
    ]);
    expect(described.Changes[0].ResourceChange.PhysicalResourceId).toBeUndefined();

    await h.call("ExecuteChangeSet", { ChangeSetName: "revert", StackName: "app" });
    expect(h.world.buckets.get("app-data")?.versioning).toBe("Enabled");
  });

  it("marks a change to a property that can only be set at creation as a replacement", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    region(h.world).securityGroups.get(ids.Sg)!.description = "edited";
    const { described } = await revertDrift(h);
    expect(described.Changes[0].ResourceChange).toMatchObject({
      Replacement: "True",
      Details: [{ Target: { Name: "GroupDescription", RequiresRecreation: "Always", AttributeChangeType: "Modify" } }],
    });
  });

  it("fails, as CloudFormation does, when there is nothing to revert; such a change set can't be executed", async () => {
    const h = harness();
    await createStack(h, "app", TEMPLATE);
    const { described } = await revertDrift(h);
    expect(described).toMatchObject({
      Status: "FAILED",
      ExecutionStatus: "UNAVAILABLE",
      StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set.",
      StackDriftStatus: "IN_SYNC",
      Changes: [],
    });
    expect(await rejection(h.call("ExecuteChangeSet", { ChangeSetName: "revert", StackName: "app" }))).toMatchObject({
      code: "InvalidChangeSetStatus",
    });
  });

  it("validates names, templates and lookups", async () => {
    const h = harness();
    await createStack(h, "app", TEMPLATE);
    await revertDrift(h);
    expect(await rejection(revertDrift(h))).toMatchObject({ code: "AlreadyExistsException" });
    expect(
      await rejection(h.call("CreateChangeSet", { StackName: "app", ChangeSetName: "x", TemplateBody: "Resources: {}", DeploymentMode: "REVERT_DRIFT" })),
    ).toMatchObject({ code: "ValidationError" });
    expect(await rejection(h.call("DescribeChangeSet", { ChangeSetName: "nope", StackName: "app" }))).toEqual({
      code: "ChangeSetNotFound",
      message: "ChangeSet [nope] does not exist",
      status: 404,
    });
    expect(await rejection(h.call("DescribeChangeSet", { ChangeSetName: "revert" }))).toMatchObject({ code: "ValidationError" });

    expect(
      await rejection(h.call("CreateChangeSet", { StackName: "app", ChangeSetName: "nocaps", UsePreviousTemplate: true, DeploymentMode: "REVERT_DRIFT" })),
    ).toMatchObject({ code: "InsufficientCapabilitiesException", message: "Requires capabilities : [CAPABILITY_IAM]" });

    await h.call("DeleteChangeSet", { ChangeSetName: "revert", StackName: "app" });
    expect((await h.call("ListChangeSets", { StackName: "app" })).Summaries).toEqual([]);
  });

  it("keeps the stack's parameter values only when the caller asks for the previous ones", async () => {
    const h = harness();
    const template = "Parameters:\n  Port: { Type: Number, Default: 443 }\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress: [{ IpProtocol: tcp, FromPort: !Ref Port, ToPort: !Ref Port, CidrIp: 10.0.0.0/8 }]\n";
    const ids = await createStack(h, "app", template, { Parameters: [{ ParameterKey: "Port", ParameterValue: "8443" }] });
    region(h.world).securityGroups.get(ids.Sg)!.ingress = [];
    const base = { StackName: "app", UsePreviousTemplate: true, DeploymentMode: "REVERT_DRIFT" };
    expect(await rejection(h.call("CreateChangeSet", { ...base, ChangeSetName: "defaults" }))).toMatchObject({
      code: "ValidationError",
      message: expect.stringContaining("UsePreviousValue"),
    });
    await h.call("CreateChangeSet", { ...base, ChangeSetName: "previous", Parameters: [{ ParameterKey: "Port", UsePreviousValue: true }] });
    const described = await h.call("DescribeChangeSet", { StackName: "app", ChangeSetName: "previous", IncludePropertyValues: true });
    expect(described.Parameters).toEqual([{ ParameterKey: "Port", ParameterValue: "8443" }]);
    expect(described.Changes[0].ResourceChange.Details[0].Target).toMatchObject({
      AttributeChangeType: "Add",
      AfterValue: JSON.stringify({ IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, CidrIp: "10.0.0.0/8" }),
    });
  });
});
