import { describe, expect, it } from "vitest";
import { account, createStack, harness, rejection, region } from "./fixture.js";

/**
 * Stack updates as the CloudFormation User Guide and API Reference describe them:
 * UpdateStack (API_UpdateStack.html), UPDATE and CREATE change sets (API_CreateChangeSet.html),
 * DescribeChangeSet's Changes (API_ResourceChange.html, API_ResourceChangeDetail.html) and the
 * update behaviours of stack resources (using-cfn-updating-stacks-update-behaviors.html).
 */

const role = (policies: string[], extra = "") => `
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role
      AssumeRolePolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }] }
      ManagedPolicyArns: [${policies.join(", ")}]${extra}`;

const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

const GROUP = (description: string) => `
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ${description}`;

async function events(h: ReturnType<typeof harness>, stackName: string): Promise<string[]> {
  const { StackEvents } = await h.call("DescribeStackEvents", { StackName: stackName });
  return (StackEvents as { LogicalResourceId: string; ResourceStatus: string }[]).reverse().map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`);
}

describe("UpdateStack (API_UpdateStack.html)", () => {
  it("modifies in place, adds, replaces and removes resources, with the documented status transitions", async () => {
    const h = harness();
    const before = await createStack(h, "app", role([READ_ONLY]) + GROUP("old") + `
  Legacy:
    Type: AWS::EC2::SecurityGroup
    DeletionPolicy: Retain
    Properties: { GroupDescription: legacy }
  Gone:
    Type: AWS::EC2::SecurityGroup
    Properties: { GroupDescription: gone }`);
    const firstEvent = (await events(h, "app")).length;
    await h.call("UpdateStack", {
      StackName: "app",
      TemplateBody: role([S3_READ], "\n      Description: updated") + GROUP("new") + `
  Extra:
    Type: AWS::EC2::SecurityGroup
    Properties: { GroupDescription: extra }`,
      Capabilities: ["CAPABILITY_NAMED_IAM"],
    });
    const { Stacks } = await h.call("DescribeStacks", { StackName: "app" });
    expect(Stacks[0].StackStatus).toBe("UPDATE_COMPLETE");
    // "No interruption": the same role, its policies and description changed through IAM.
    const live = account(h.world).roles.get("app-role")!;
    expect(live.managedPolicyArns).toEqual([S3_READ]);
    expect(live.description).toBe("updated");
    // GroupDescription "Update requires: Replacement": a new group, the old one deleted in the cleanup.
    const { StackResources } = await h.call("DescribeStackResources", { StackName: "app" });
    const after = Object.fromEntries((StackResources as { LogicalResourceId: string; PhysicalResourceId: string }[]).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
    expect(Object.keys(after).sort()).toEqual(["Extra", "Group", "Role"]);
    expect(after.Group).not.toBe(before.Group);
    const groups = region(h.world).securityGroups;
    expect(groups.has(before.Group!)).toBe(false);
    expect(groups.get(after.Group!)?.description).toBe("new");
    // Removed: Gone deleted, Legacy kept (DeletionPolicy Retain, aws-attribute-deletionpolicy.html).
    expect(groups.has(before.Gone!)).toBe(false);
    expect(groups.has(before.Legacy!)).toBe(true);
    const log = (await events(h, "app")).slice(firstEvent);
    expect(log[0]).toBe("app UPDATE_IN_PROGRESS");
    expect(log).toContain("Extra CREATE_COMPLETE");
    expect(log).toContain("Role UPDATE_COMPLETE");
    expect(log.indexOf("app UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")).toBeGreaterThan(log.indexOf("Group UPDATE_COMPLETE"));
    expect(log.slice(log.indexOf("app UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))).toEqual(
      expect.arrayContaining(["Group DELETE_COMPLETE", "Gone DELETE_COMPLETE", "Legacy DELETE_SKIPPED"]),
    );
    expect(log.at(-1)).toBe("app UPDATE_COMPLETE");
  });

  it('refuses an update that changes nothing: ValidationError "No updates are to be performed."', async () => {
    const h = harness();
    await createStack(h, "same", role([READ_ONLY]));
    expect(await rejection(h.call("UpdateStack", { StackName: "same", UsePreviousTemplate: true, Capabilities: ["CAPABILITY_NAMED_IAM"] }))).toMatchObject({
      code: "ValidationError",
      message: "No updates are to be performed.",
    });
    expect(await rejection(h.call("UpdateStack", { StackName: "same", TemplateBody: role([READ_ONLY]), Capabilities: ["CAPABILITY_NAMED_IAM"] }))).toMatchObject({
      message: "No updates are to be performed.",
    });
  });

  it("rolls back a failed update to the previous state (UPDATE_ROLLBACK_COMPLETE)", async () => {
    const h = harness();
    await createStack(h, "fails", role([READ_ONLY]));
    await h.call("UpdateStack", { StackName: "fails", TemplateBody: role(["arn:aws:iam::aws:policy/NoSuchPolicy"]), Capabilities: ["CAPABILITY_NAMED_IAM"] });
    const { Stacks } = await h.call("DescribeStacks", { StackName: "fails" });
    expect(Stacks[0].StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(Stacks[0].StackStatusReason).toContain("Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.");
    expect(account(h.world).roles.get("app-role")!.managedPolicyArns).toEqual([READ_ONLY]);
    expect((await h.call("GetTemplate", { StackName: "fails" })).TemplateBody).toBe(role([READ_ONLY]));
  });
});

describe("UPDATE and CREATE change sets (API_CreateChangeSet.html, API_DescribeChangeSet.html)", () => {
  it("describes Add, Modify (Replacement, Scope, Details) and Remove, and executing applies the new template", async () => {
    const h = harness();
    const before = await createStack(h, "cs", role([READ_ONLY]) + GROUP("old") + `
  Gone:
    Type: AWS::EC2::SecurityGroup
    Properties: { GroupDescription: gone }`);
    await h.call("CreateChangeSet", {
      StackName: "cs",
      ChangeSetName: "next",
      TemplateBody: role([S3_READ]) + GROUP("new") + `
  Extra:
    Type: AWS::EC2::SecurityGroup
    Properties: { GroupDescription: extra }`,
      Capabilities: ["CAPABILITY_NAMED_IAM"],
    });
    const described = await h.call("DescribeChangeSet", { StackName: "cs", ChangeSetName: "next" });
    expect([described.Status, described.ExecutionStatus]).toEqual(["CREATE_COMPLETE", "AVAILABLE"]);
    const byId = Object.fromEntries((described.Changes as { ResourceChange: { LogicalResourceId: string } }[]).map((c) => [c.ResourceChange.LogicalResourceId, c.ResourceChange]));
    expect(byId.Role).toEqual({
      Action: "Modify",
      LogicalResourceId: "Role",
      PhysicalResourceId: "app-role",
      ResourceType: "AWS::IAM::Role",
      Replacement: "False",
      Scope: ["Properties"],
      Details: [{ Target: { Attribute: "Properties", Name: "ManagedPolicyArns", RequiresRecreation: "Never" }, Evaluation: "Static", ChangeSource: "DirectModification" }],
    });
    expect(byId.Group).toMatchObject({ Action: "Modify", PolicyAction: "ReplaceAndDelete", Replacement: "True", Details: [{ Target: { Name: "GroupDescription", RequiresRecreation: "Always" } }] });
    expect(byId.Extra).toEqual({ Action: "Add", LogicalResourceId: "Extra", ResourceType: "AWS::EC2::SecurityGroup", Scope: [], Details: [] });
    expect(byId.Gone).toEqual({ PolicyAction: "Delete", Action: "Remove", LogicalResourceId: "Gone", PhysicalResourceId: before.Gone, ResourceType: "AWS::EC2::SecurityGroup", Scope: [], Details: [] });
    // Nothing changes until the change set is executed.
    expect(account(h.world).roles.get("app-role")!.managedPolicyArns).toEqual([READ_ONLY]);
    await h.call("ExecuteChangeSet", { StackName: "cs", ChangeSetName: "next" });
    expect((await h.call("DescribeStacks", { StackName: "cs" })).Stacks[0].StackStatus).toBe("UPDATE_COMPLETE");
    expect(account(h.world).roles.get("app-role")!.managedPolicyArns).toEqual([S3_READ]);
    expect(region(h.world).securityGroups.has(before.Gone!)).toBe(false);
  });

  it("takes new parameter values, or the previous ones with UsePreviousValue", async () => {
    const h = harness();
    const template = `
Parameters:
  Description: { Type: String }
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties: { GroupDescription: !Ref Description }`;
    await createStack(h, "params", template, { Parameters: [{ ParameterKey: "Description", ParameterValue: "one" }] });
    await h.call("CreateChangeSet", { StackName: "params", ChangeSetName: "same", UsePreviousTemplate: true, Parameters: [{ ParameterKey: "Description", UsePreviousValue: true }] });
    await h.call("CreateChangeSet", { StackName: "params", ChangeSetName: "two", UsePreviousTemplate: true, Parameters: [{ ParameterKey: "Description", ParameterValue: "two" }] });
    const same = await h.call("DescribeChangeSet", { StackName: "params", ChangeSetName: "same" });
    // The documented reason of an empty change set.
    expect([same.Status, same.StatusReason]).toEqual(["FAILED", "The submitted information didn't contain changes. Submit different information to create a change set."]);
    const two = await h.call("DescribeChangeSet", { StackName: "params", ChangeSetName: "two" });
    expect(two.Parameters).toEqual([{ ParameterKey: "Description", ParameterValue: "two" }]);
    expect(two.Changes[0].ResourceChange).toMatchObject({ Action: "Modify", Replacement: "True" });
  });

  it("creates a new stack in REVIEW_IN_PROGRESS with ChangeSetType CREATE, provisioned when executed", async () => {
    const h = harness();
    await h.call("CreateChangeSet", { StackName: "fresh", ChangeSetName: "create", ChangeSetType: "CREATE", TemplateBody: `Resources:${GROUP("fresh")}` });
    expect((await h.call("DescribeStacks", { StackName: "fresh" })).Stacks[0].StackStatus).toBe("REVIEW_IN_PROGRESS");
    const described = await h.call("DescribeChangeSet", { StackName: "fresh", ChangeSetName: "create" });
    expect(described.Changes).toEqual([{ Type: "Resource", ResourceChange: { Action: "Add", LogicalResourceId: "Group", ResourceType: "AWS::EC2::SecurityGroup", Scope: [], Details: [] } }]);
    expect(region(h.world).securityGroups.size).toBe(0);
    await h.call("ExecuteChangeSet", { StackName: "fresh", ChangeSetName: "create" });
    expect((await h.call("DescribeStacks", { StackName: "fresh" })).Stacks[0].StackStatus).toBe("CREATE_COMPLETE");
    expect([...region(h.world).securityGroups.values()].map((g) => g.description)).toEqual(["fresh"]);
  });
});
