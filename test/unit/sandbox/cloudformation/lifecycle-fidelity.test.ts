import { describe, expect, it } from "vitest";
import { account, createStack, EC2_READ_ONLY_ROLE, harness, HTTPS_GROUP, region, rejection } from "./fixture.js";

/**
 * Stack lifecycle behaviours driftguard's ownership and import checks read, each as the
 * CloudFormation documentation describes it (the page is named in each case).
 */

const PRODUCER = `
Resources:
  Db:${HTTPS_GROUP}
Outputs:
  DbGroupId:
    Value: !GetAtt Db.GroupId
    Export: { Name: !Sub "\${AWS::StackName}:DbGroupId" }`;
const CONSUMER = `
Resources:
  AppToDb:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: { GroupId: !ImportValue "db:DbGroupId", IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 10.1.0.0/16 }`;

describe("Outputs with Export and Fn::ImportValue (outputs-section-structure.html, intrinsic-function-reference-importvalue.html)", () => {
  it("lists exports, resolves imports, and refuses to delete an export in use", async () => {
    const h = harness();
    const { Db } = await createStack(h, "db", PRODUCER);
    await createStack(h, "app", CONSUMER);
    const { Exports } = await h.call("ListExports");
    const db = region(h.world).stacks.find((s) => s.stackName === "db")!;
    expect(Exports).toEqual([{ ExportingStackId: db.stackId, Name: "db:DbGroupId", Value: Db }]);
    expect(region(h.world).securityGroups.get(Db!)!.ingress).toContainEqual(expect.objectContaining({ fromPort: 5432, cidrIpv4: "10.1.0.0/16" }));
    expect((await h.call("ListImports", { ExportName: "db:DbGroupId" })).Imports).toEqual(["app"]);

    await h.call("DeleteStack", { StackName: "db" });
    const [stack] = (await h.call("DescribeStacks", { StackName: "db" })).Stacks;
    expect(stack).toMatchObject({ StackStatus: "CREATE_COMPLETE", StackStatusReason: "Export db:DbGroupId cannot be deleted as it is in use by app" });
    expect(region(h.world).securityGroups.has(Db!)).toBe(true);

    await h.call("DeleteStack", { StackName: "app" });
    expect(await rejection(h.call("ListImports", { ExportName: "db:DbGroupId" }))).toMatchObject({ code: "ValidationError", message: "Export 'db:DbGroupId' is not imported by any stack." });
    await h.call("DeleteStack", { StackName: "db" });
    expect((await h.call("ListExports")).Exports).toEqual([]);
  });

  it("fails CreateStack on an import of a missing export and rolls back a duplicate export name", async () => {
    const h = harness();
    expect(await rejection(h.call("CreateStack", { StackName: "app", TemplateBody: CONSUMER }))).toEqual({ code: "ValidationError", message: "No export named db:DbGroupId found.", status: 400 });
    expect(region(h.world).stacks).toEqual([]);
    await createStack(h, "db", PRODUCER);
    await h.call("CreateStack", { StackName: "db2", TemplateBody: PRODUCER.replace("${AWS::StackName}", "db") });
    const [dup] = (await h.call("DescribeStacks", { StackName: "db2" })).Stacks;
    expect(dup.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect(dup.StackStatusReason).toContain("Export with name db:DbGroupId is already exported by stack db");
  });
});

describe("DeletionPolicy (aws-attribute-deletionpolicy.html) and stack events (API_DescribeStackEvents.html)", () => {
  it("keeps a Retain resource when the stack goes, records DELETE_SKIPPED, and lists events newest first", async () => {
    const h = harness();
    const { Kept, Gone } = await createStack(h, "retain", `
Resources:
  Kept:${HTTPS_GROUP}
    DeletionPolicy: Retain
  Gone:${HTTPS_GROUP}`);
    const stackId = region(h.world).stacks[0]!.stackId;
    await h.call("DeleteStack", { StackName: "retain" });
    expect(region(h.world).securityGroups.has(Kept!)).toBe(true);
    expect(region(h.world).securityGroups.has(Gone!)).toBe(false);
    const { StackEvents } = await h.call("DescribeStackEvents", { StackName: stackId });
    const sequence = [...StackEvents].reverse().map((e: { LogicalResourceId: string; ResourceStatus: string }) => `${e.LogicalResourceId} ${e.ResourceStatus}`);
    expect(sequence).toEqual([
      "retain CREATE_IN_PROGRESS", "Kept CREATE_IN_PROGRESS", "Kept CREATE_COMPLETE", "Gone CREATE_IN_PROGRESS", "Gone CREATE_COMPLETE", "retain CREATE_COMPLETE",
      "retain DELETE_IN_PROGRESS", "Gone DELETE_COMPLETE", "Kept DELETE_SKIPPED", "retain DELETE_COMPLETE",
    ]);
    expect(StackEvents.at(-1)).toMatchObject({ ResourceType: "AWS::CloudFormation::Stack", PhysicalResourceId: stackId, ResourceStatusReason: "User Initiated" });
    expect(await rejection(h.call("CreateStack", { StackName: "bad", TemplateBody: `Resources:\n  G:${HTTPS_GROUP}\n    DeletionPolicy: Keep` }))).toMatchObject({ code: "ValidationError" });
  });
});

describe("ValidateTemplate (API_ValidateTemplate.html)", () => {
  it("answers parameters, description and the capability IAM resources need; a malformed template is a ValidationError", async () => {
    const h = harness();
    const out = await h.call("ValidateTemplate", {
      TemplateBody: `
Description: roles
Parameters:
  Env: { Type: String, Default: prod, Description: stage }
  Secret: { Type: String, NoEcho: true }
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: { RoleName: r, AssumeRolePolicyDocument: {} }`,
    });
    expect(out).toEqual({
      Parameters: [
        { ParameterKey: "Env", DefaultValue: "prod", NoEcho: false, Description: "stage" },
        { ParameterKey: "Secret", NoEcho: true },
      ],
      Description: "roles",
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      CapabilitiesReason: "The following resource(s) require capabilities: [AWS::IAM::Role]",
    });
    expect(await rejection(h.call("ValidateTemplate", { TemplateBody: "{ not json" }))).toMatchObject({ code: "ValidationError", message: expect.stringMatching(/^Template format error: JSON not well-formed/) });
  });
});

describe("change sets (API_CreateChangeSet.html, resource-import.html)", () => {
  it("are created asynchronously: CREATE_PENDING, CREATE_IN_PROGRESS, then CREATE_COMPLETE, and cannot run before", async () => {
    const h = harness();
    h.ctx.sandbox.latency.changeSetMs = [1_000, 1_000];
    const { Role } = await createStack(h, "iam", `Resources:\n  Role:${EC2_READ_ONLY_ROLE}`);
    account(h.world).roles.get(Role!)!.managedPolicyArns.push("arn:aws:iam::aws:policy/AdministratorAccess");
    const base = { StackName: "iam", ChangeSetName: "revert", UsePreviousTemplate: true, DeploymentMode: "REVERT_DRIFT", Capabilities: ["CAPABILITY_IAM"] };
    await h.call("CreateChangeSet", base);
    const status = async () => (await h.call("DescribeChangeSet", { StackName: "iam", ChangeSetName: "revert" })).Status;
    expect(await status()).toBe("CREATE_PENDING");
    expect(await rejection(h.call("ExecuteChangeSet", { StackName: "iam", ChangeSetName: "revert" }))).toMatchObject({ code: "InvalidChangeSetStatus" });
    h.advance(500);
    expect(await status()).toBe("CREATE_IN_PROGRESS");
    h.advance(500);
    expect(await status()).toBe("CREATE_COMPLETE");
  });

  it("IMPORT adopts an existing resource without checking its properties; it must have a DeletionPolicy, exist and belong to no stack", async () => {
    const h = harness();
    const { Db } = await createStack(h, "db", PRODUCER);
    const loose = (await h.call("CreateStack", { StackName: "tmp", TemplateBody: `Resources:\n  G:${HTTPS_GROUP}\n    DeletionPolicy: Retain` }), region(h.world).stacks.at(-1)!.resources[0]!.physicalId);
    await h.call("DeleteStack", { StackName: "tmp" });
    const template = (policy: string) => `Resources:\n  Adopted:\n    Type: AWS::EC2::SecurityGroup\n    ${policy}\n    Properties: { GroupDescription: claimed, SecurityGroupIngress: [{ IpProtocol: "-1", CidrIp: 0.0.0.0/0 }] }`;
    const importing = (name: string, id: string, policy = "DeletionPolicy: Retain") =>
      h.call("CreateChangeSet", { StackName: name, ChangeSetName: "adopt", ChangeSetType: "IMPORT", TemplateBody: template(policy), ResourcesToImport: [{ ResourceType: "AWS::EC2::SecurityGroup", LogicalResourceId: "Adopted", ResourceIdentifier: { Id: id } }] });
    const described = (name: string) => h.call("DescribeChangeSet", { StackName: name, ChangeSetName: "adopt" });

    await importing("claim", loose);
    expect((await h.call("DescribeStacks", { StackName: "claim" })).Stacks[0].StackStatus).toBe("REVIEW_IN_PROGRESS");
    expect(await described("claim")).toMatchObject({ Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE", Changes: [{ ResourceChange: { Action: "Import", LogicalResourceId: "Adopted", PhysicalResourceId: loose } }] });
    await h.call("ExecuteChangeSet", { StackName: "claim", ChangeSetName: "adopt" });
    const [claimed] = (await h.call("DescribeStacks", { StackName: "claim" })).Stacks;
    expect(claimed.StackStatus).toBe("IMPORT_COMPLETE");
    expect((await h.call("DescribeStackResources", { StackName: "claim" })).StackResources[0]).toMatchObject({ PhysicalResourceId: loose, ResourceStatus: "IMPORT_COMPLETE" });
    // No property check: the live group still has only its 443 rule.
    expect(region(h.world).securityGroups.get(loose)!.ingress.map((r) => r.fromPort)).toEqual([443]);

    await importing("owned", Db!);
    expect((await described("owned")).StatusReason).toContain(`already exists in stack ${region(h.world).stacks[0]!.stackId}`);
    await importing("ghost", "sg-0000000000000dead");
    expect((await described("ghost")).StatusReason).toBe("Resource of type 'AWS::EC2::SecurityGroup' with identifier 'sg-0000000000000dead' was not found.");
    await importing("nopolicy", loose, "");
    expect((await described("nopolicy")).StatusReason).toBe("The following resources to import [Adopted] must have DeletionPolicy attribute specified in the template.");
  });
});

describe("resource types CloudFormation does not recognize", () => {
  // "Template format error: Unrecognized resource types: [AWS::EC2::NATGateway]", a real answer (template/resource-types.ts).
  const template = (...types: string[]) => `Resources:\n${types.map((type, i) => `  R${i}:\n    Type: ${type}`).join("\n")}`;

  it("are refused at CreateStack, UpdateStack, CreateChangeSet and ValidateTemplate, each listed once; nothing is created", async () => {
    const h = harness();
    const refused = "Template format error: Unrecognized resource types: [AWS::EC2::NATGateway, AWS::Lambda::Functions]";
    const body = template("AWS::SNS::Topic", "AWS::EC2::NATGateway", "AWS::Lambda::Functions", "AWS::EC2::NATGateway");
    expect(await rejection(h.call("CreateStack", { StackName: "typo", TemplateBody: body }))).toEqual({ code: "ValidationError", message: refused, status: 400 });
    expect(await rejection(h.call("ValidateTemplate", { TemplateBody: body }))).toMatchObject({ code: "ValidationError", message: refused });
    expect(region(h.world).stacks).toEqual([]);
    expect(region(h.world).topics.size).toBe(0);

    await createStack(h, "ok", template("AWS::SNS::Topic", "AWS::SQS::Queue", "Custom::Seeder"));
    expect((await h.call("DescribeStacks", { StackName: "ok" })).Stacks[0].StackStatus).toBe("CREATE_COMPLETE");
    expect((await rejection(h.call("UpdateStack", { StackName: "ok", TemplateBody: body }))).message).toBe(refused);
    expect((await rejection(h.call("CreateChangeSet", { StackName: "ok", ChangeSetName: "typo", TemplateBody: body }))).message).toBe(refused);
    expect((await h.call("DescribeStacks", { StackName: "ok" })).Stacks[0].StackStatus).toBe("CREATE_COMPLETE");
  });
});
