import { describe, expect, it } from "vitest";
import { cloudFormationService } from "../../../../sandbox/emulator/services/cloudformation/service.js";
import { mintRoleSession } from "../../../../sandbox/emulator/services/iam/principals.js";
import { iamService } from "../../../../sandbox/emulator/services/iam/service.js";
import type { Principal } from "../../../../sandbox/emulator/state.js";
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
          Drift: { PreviousValue: "null", ActualValue: JSON.stringify({ IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "0.0.0.0/0" }), DriftDetectionTimestamp: expect.any(Date) },
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
    expect(stack).toMatchObject({ StackStatus: "UPDATE_COMPLETE", LastUpdatedTime: new Date("2026-01-15T10:00:01.000Z") });
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

/**
 * "If you don't specify a service role, CloudFormation uses your credentials … The role's
 * credentials [are used] to make calls on your behalf … other users that have permissions to
 * perform operations on this stack will be able to use this role, even if they don't have
 * permission to pass it" (AWS CloudFormation User Guide, "AWS CloudFormation service role",
 * using-iam-servicerole.html). So a REVERT_DRIFT started by a role that may not write the drifted
 * type fails, and the same role's REVERT_DRIFT on a stack with a service role succeeds: the
 * precondition driftguard checks before starting one (functions/remediation/revert-drift.ts).
 */
describe("CloudFormation's calls for a stack, authorized as IAM authorizes them", () => {
  const CHANGE_SETS_ONLY = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["cloudformation:*", "ec2:Describe*"], Resource: "*" }] };

  async function session(h: ReturnType<typeof harness>, roleName: string, trusted: string, policy?: unknown, managed?: string) {
    const iam = (action: string, params: Record<string, unknown>) => iamService.actions[action]!(params, { ...h.ctx, service: "iam", action });
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: trusted.endsWith(".amazonaws.com") ? { Service: trusted } : { AWS: trusted }, Action: "sts:AssumeRole" }] };
    await iam("CreateRole", { RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) });
    if (policy) await iam("PutRolePolicy", { RoleName: roleName, PolicyName: "inline", PolicyDocument: JSON.stringify(policy) });
    if (managed) await iam("AttachRolePolicy", { RoleName: roleName, PolicyArn: managed });
    const role = account(h.world).roles.get(roleName)!;
    return { role, principal: mintRoleSession(h.world, h.ctx.sandbox.random, h.ctx.accountId, role, "driftguard", { issuedAt: h.ctx.sandbox.now() }) };
  }

  async function revertAs(h: ReturnType<typeof harness>, principal: Principal, stackName: string) {
    const as = (action: string, params: Record<string, unknown>) => cloudFormationService.actions[action]!(params, { ...h.ctx, principal, action }) as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const created = await as("CreateChangeSet", { StackName: stackName, ChangeSetName: "revert", ChangeSetType: "UPDATE", UsePreviousTemplate: "true", DeploymentMode: "REVERT_DRIFT" });
    await as("ExecuteChangeSet", { ChangeSetName: created.Id });
    const stack = (await as("DescribeStacks", { StackName: stackName })).Stacks[0];
    const events = (await as("DescribeStackEvents", { StackName: stackName })).StackEvents as { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string }[];
    return { stack, events, changeSet: await as("DescribeChangeSet", { ChangeSetName: created.Id }) };
  }

  const GROUP = `
Resources:
  Sg:${HTTPS_GROUP}
`;

  it("fails the resource with the handler's AccessDenied when the caller may not write it, and rolls the stack back", async () => {
    const h = harness();
    const ids = await createStack(h, "app", GROUP);
    const group = region(h.world).securityGroups.get(ids.Sg)!;
    group.ingress.push({ ...SSH, ruleId: "sgr-0ssh" });
    const { principal } = await session(h, "Reverter", `arn:aws:iam::${h.ctx.accountId}:root`, CHANGE_SETS_ONLY);

    const { stack, events, changeSet } = await revertAs(h, principal, "app");
    expect(stack.StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(changeSet.ExecutionStatus).toBe("EXECUTE_FAILED");
    const failed = events.find((e) => e.ResourceStatus === "UPDATE_FAILED")!;
    expect(failed.LogicalResourceId).toBe("Sg");
    // The shape of a real one: github.com/aws/aws-cdk/issues/27067 (on-behalf.ts).
    expect(failed.ResourceStatusReason).toMatch(
      new RegExp(
        String.raw`^Resource handler returned message: "You are not authorized to perform this operation\. User: arn:aws:sts::111111111111:assumed-role/Reverter/driftguard is not authorized to perform: ec2:RevokeSecurityGroupIngress on resource: arn:aws:ec2:us-east-1:111111111111:security-group/${ids.Sg} because no identity-based policy allows the ec2:RevokeSecurityGroupIngress action\. Encoded authorization failure message: \S+ \(Service: Ec2, Status Code: 403, Request ID: [0-9a-f-]{36}\)" \(RequestToken: [0-9a-f-]{36}, HandlerErrorCode: AccessDenied\)$`,
      ),
    );
    expect(events.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`).slice(0, 5)).toEqual([
      "app UPDATE_ROLLBACK_COMPLETE",
      "app UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
      "app UPDATE_ROLLBACK_IN_PROGRESS",
      "Sg UPDATE_FAILED",
      "Sg UPDATE_IN_PROGRESS",
    ]);
    // Nothing was reverted: the rule the caller could not revoke is still there.
    expect(group.ingress.map((r) => r.fromPort)).toEqual([443, 22]);
  });

  it("succeeds for the same caller on a stack with a service role, which CloudFormation acts as", async () => {
    const h = harness();
    const exec = await session(h, "CfnExec", "cloudformation.amazonaws.com", undefined, "arn:aws:iam::aws:policy/AdministratorAccess");
    const ids = await createStack(h, "svc", GROUP, { RoleARN: exec.role.arn });
    const group = region(h.world).securityGroups.get(ids.Sg)!;
    group.ingress.push({ ...SSH, ruleId: "sgr-0ssh" });
    const { principal } = await session(h, "Reverter", `arn:aws:iam::${h.ctx.accountId}:root`, CHANGE_SETS_ONLY);

    const { stack, changeSet } = await revertAs(h, principal, "svc");
    expect(stack).toMatchObject({ StackStatus: "UPDATE_COMPLETE", RoleARN: exec.role.arn });
    expect(changeSet.ExecutionStatus).toBe("EXECUTE_COMPLETE");
    expect(group.ingress.map((r) => r.fromPort)).toEqual([443]);
  });

  it("creates nothing when the caller may not create a resource: CREATE_FAILED with the handler's message, rolled back", async () => {
    const h = harness();
    const { principal } = await session(h, "Deployer", `arn:aws:iam::${h.ctx.accountId}:root`, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["cloudformation:*", "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup"], Resource: "*" }],
    });
    const as = (action: string, params: Record<string, unknown>) => cloudFormationService.actions[action]!(params, { ...h.ctx, principal, action }) as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    await as("CreateStack", { StackName: "denied", TemplateBody: GROUP });
    const stack = (await as("DescribeStacks", { StackName: "denied" })).Stacks[0];
    expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect(stack.StackStatusReason).toMatch(/^The following resource\(s\) failed to create: \[Sg\]\. Rollback requested by user\. Sg: Resource handler returned message: "You are not authorized to perform this operation\. User: \S+ is not authorized to perform: ec2:AuthorizeSecurityGroupIngress /);
    // The group CreateSecurityGroup made is gone with the failed resource.
    expect([...region(h.world).securityGroups.values()].filter((g) => g.groupName !== "default")).toEqual([]);
  });

  it("tags a group through CreateTags, which the caller must be allowed: denied, the group is rolled back", async () => {
    const h = harness();
    const { principal } = await session(h, "Deployer", `arn:aws:iam::${h.ctx.accountId}:root`, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["cloudformation:*", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup"], Resource: "*" }],
    });
    const as = (action: string, params: Record<string, unknown>) => cloudFormationService.actions[action]!(params, { ...h.ctx, principal, action }) as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    await as("CreateStack", { StackName: "tagged", TemplateBody: `${GROUP}      Tags: [{ Key: team, Value: core }]\n` });
    const stack = (await as("DescribeStacks", { StackName: "tagged" })).Stacks[0];
    expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect(stack.StackStatusReason).toMatch(/is not authorized to perform: ec2:CreateTags on resource: arn:aws:ec2:us-east-1:111111111111:security-group\/sg-/);
    expect([...region(h.world).securityGroups.values()].filter((g) => g.groupName !== "default")).toEqual([]);
  });
});
