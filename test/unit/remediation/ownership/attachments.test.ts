import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListExportsCommand,
  ListStackResourcesCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { attachmentsOf, resolveValue, type StackScope } from "../../../../functions/remediation/ownership/attachments.js";
import { OWNERSHIP_CACHE_TTL_MS, OwnershipCache } from "../../../../functions/remediation/ownership/cache.js";
import { createOwnershipLookup } from "../../../../functions/remediation/ownership/lookup.js";
import { explainedByAttachments } from "../../../../functions/remediation/ownership/owned.js";

/**
 * Templates in the shapes the AWS CDK synthesizes (aws-cdk-lib): `role.addToPolicy` makes an
 * AWS::IAM::Policy "RoleDefaultPolicy…" with Roles [{Ref: role}]; `new ManagedPolicy({ roles })`
 * an AWS::IAM::ManagedPolicy with Roles; `db.connections.allowFrom(app, Port.tcp(5432))` across
 * stacks an AWS::EC2::SecurityGroupIngress in the consumer stack whose GroupId is
 * Fn::ImportValue of the producer's "<stack>:ExportsOutputFnGetAtt<id>GroupId<hash>" export.
 */
const APP_TEMPLATE = {
  Resources: {
    AppRole1ABCC5F0: { Type: "AWS::IAM::Role", Properties: { AssumeRolePolicyDocument: {} } },
    AppRoleDefaultPolicy5FFB7DAB: {
      Type: "AWS::IAM::Policy",
      Properties: {
        PolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }] },
        PolicyName: "AppRoleDefaultPolicy5FFB7DAB",
        Roles: [{ Ref: "AppRole1ABCC5F0" }],
      },
    },
    ReadArtifacts1C2D3E4F: { Type: "AWS::IAM::ManagedPolicy", Properties: { PolicyDocument: {}, Roles: [{ Ref: "AppRole1ABCC5F0" }] } },
    AppSgFromDb5432: {
      Type: "AWS::EC2::SecurityGroupIngress",
      Properties: {
        IpProtocol: "tcp",
        Description: "from payments-app:5432",
        FromPort: 5432,
        ToPort: 5432,
        GroupId: { "Fn::ImportValue": "payments-db:ExportsOutputFnGetAttDbSg7A1B2C3DGroupId4E5F6A7B" },
        SourceSecurityGroupId: { "Fn::GetAtt": ["AppSg893A1B2C", "GroupId"] },
      },
    },
    AppSg893A1B2C: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "app" } },
  },
};

const scope: StackScope = {
  stackName: "payments-app",
  accountId: "111122223333",
  region: "eu-west-1",
  partition: "aws",
  parameters: { Env: "prod" },
  resources: new Map([
    ["AppRole1ABCC5F0", { physicalId: "payments-app-AppRole1ABCC5F0-9XY8", type: "AWS::IAM::Role" }],
    ["ReadArtifacts1C2D3E4F", { physicalId: "arn:aws:iam::111122223333:policy/payments-app-ReadArtifacts1C2D3E4F-1AB", type: "AWS::IAM::ManagedPolicy" }],
    ["AppSg893A1B2C", { physicalId: "sg-0app", type: "AWS::EC2::SecurityGroup" }],
  ]),
  exports: new Map([["payments-db:ExportsOutputFnGetAttDbSg7A1B2C3DGroupId4E5F6A7B", "sg-0db"]]),
};

describe("attachments of a template", () => {
  it("resolves a CDK stack's DefaultPolicy, ManagedPolicy attachment and cross-stack ingress", () => {
    expect(attachmentsOf(APP_TEMPLATE, scope)).toEqual([
      {
        kind: "inline-policy",
        origin: { stackName: "payments-app", logicalId: "AppRoleDefaultPolicy5FFB7DAB", resourceType: "AWS::IAM::Policy" },
        role: "payments-app-AppRole1ABCC5F0-9XY8",
        policyName: "AppRoleDefaultPolicy5FFB7DAB",
        document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }] },
      },
      {
        kind: "managed-policy",
        origin: { stackName: "payments-app", logicalId: "ReadArtifacts1C2D3E4F", resourceType: "AWS::IAM::ManagedPolicy" },
        role: "payments-app-AppRole1ABCC5F0-9XY8",
        policyArn: "arn:aws:iam::111122223333:policy/payments-app-ReadArtifacts1C2D3E4F-1AB",
      },
      {
        kind: "sg-rule",
        origin: { stackName: "payments-app", logicalId: "AppSgFromDb5432", resourceType: "AWS::EC2::SecurityGroupIngress" },
        group: "sg-0db",
        rule: { direction: "ingress", protocol: "tcp", fromPort: 5432, toPort: 5432, peer: { kind: "group", groupId: "sg-0app" }, description: "from payments-app:5432" },
      },
    ]);
  });

  it("leaves what it cannot evaluate unresolved instead of guessing", () => {
    const template = {
      Resources: {
        P: {
          Type: "AWS::IAM::RolePolicy",
          // A document whose Resource depends on a condition: no document rather than a guess.
          Properties: { PolicyName: { "Fn::If": ["IsProd", "a", "b"] }, RoleName: "app", PolicyDocument: { Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: { "Fn::If": ["IsProd", "a", "b"] } }] } },
        },
        I: { Type: "AWS::EC2::SecurityGroupIngress", Properties: { GroupId: { "Fn::ImportValue": "unknown-export" }, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: { "Fn::Select": [0, ["10.0.0.0/8"]] } } },
        M: { Type: "AWS::IAM::ManagedPolicy", Properties: { PolicyDocument: {}, Roles: { "Fn::Split": [",", "a,b"] } } },
      },
    };
    const found = attachmentsOf(template, scope);
    expect(found.map((a) => ({ ...a, origin: a.origin.logicalId }))).toEqual([
      { kind: "inline-policy", origin: "P", role: "app" },
      { kind: "sg-rule", origin: "I" },
      { kind: "managed-policy", origin: "M" },
    ]);
  });

  it("evaluates Ref, GetAtt, Sub, Join, ImportValue and pseudo parameters", () => {
    expect(resolveValue({ "Fn::Sub": "${AWS::StackName}-${Env}-${AppRole1ABCC5F0}" }, scope)).toBe("payments-app-prod-payments-app-AppRole1ABCC5F0-9XY8");
    expect(resolveValue({ "Fn::Join": ["/", [{ Ref: "AWS::Region" }, "x"]] }, scope)).toBe("eu-west-1/x");
    expect(resolveValue({ "Fn::GetAtt": "AppRole1ABCC5F0.Arn" }, scope)).toBe("arn:aws:iam::111122223333:role/payments-app-AppRole1ABCC5F0-9XY8");
    expect(resolveValue({ "Fn::Sub": ["${X}-${!Literal}", { X: { Ref: "Env" } }] }, scope)).toBe("prod-${Literal}");
    expect(resolveValue({ Ref: "Nope" }, scope)).toBeUndefined();
  });
});

describe("the ownership lookup", () => {
  const cfn = mockClient(CloudFormationClient);
  const DB_TEMPLATE = "Resources:\n  DbSg7A1B2C3D:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: db\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 5432\n          ToPort: 5432\n          CidrIp: !Ref VpcCidr\n";

  beforeEach(() => {
    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackName: "payments-app", StackId: "arn:app", CreationTime: new Date(), StackStatus: "CREATE_COMPLETE", Parameters: [{ ParameterKey: "Env", ParameterValue: "prod" }] },
        { StackName: "payments-db", StackId: "arn:db", CreationTime: new Date(), StackStatus: "CREATE_COMPLETE" },
      ],
    });
    cfn.on(GetTemplateCommand, { StackName: "arn:app" }).resolves({ TemplateBody: JSON.stringify(APP_TEMPLATE) });
    cfn.on(GetTemplateCommand, { StackName: "arn:db" }).resolves({ TemplateBody: DB_TEMPLATE });
    cfn.on(ListStackResourcesCommand, { StackName: "arn:app" }).resolves({
      StackResourceSummaries: [...scope.resources].map(([LogicalResourceId, r]) => ({
        LogicalResourceId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        ResourceStatus: "CREATE_COMPLETE",
        LastUpdatedTimestamp: new Date(),
      })),
    });
    cfn.on(ListExportsCommand).resolves({ Exports: [...scope.exports].map(([Name, Value]) => ({ Name, Value, ExportingStackId: "arn:db" })) });
  });

  const lookup = () =>
    createOwnershipLookup({ accountId: "111122223333", regions: ["eu-west-1", "us-east-1"], cloudformationFor: () => new CloudFormationClient({ region: "eu-west-1" }) });

  it("finds the other stack's ingress on the database group, and reads each account-region once", async () => {
    const l = lookup();
    const owned = await l.forResource("eu-west-1", "AWS::EC2::SecurityGroup", "sg-0db");
    expect(owned.attachments.map((a) => a.origin.logicalId)).toEqual(["AppSgFromDb5432"]);
    expect((await l.forResource("eu-west-1", "AWS::EC2::SecurityGroup", "sg-0other")).attachments).toEqual([]);
    await l.forResource("eu-west-1", "AWS::IAM::Role", "payments-app-AppRole1ABCC5F0-9XY8");
    // Templates without attachments are not resolved further (no ListStackResources for payments-db).
    expect(cfn.commandCalls(ListStackResourcesCommand).map((c) => c.args[0].input.StackName)).toEqual(["arn:app", "arn:app"]);
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(2); // one per region: eu-west-1 and us-east-1
    expect(cfn.commandCalls(GetTemplateCommand).every((c) => c.args[0].input.TemplateStage === "Processed")).toBe(true);
  });

  it("gives a role its attachments from every onboarded region (IAM is global)", async () => {
    const owned = await lookup().forResource("us-east-1", "AWS::IAM::Role", "payments-app-AppRole1ABCC5F0-9XY8");
    expect(owned.attachments.map((a) => a.kind).sort()).toEqual(["inline-policy", "inline-policy", "managed-policy", "managed-policy"]);
  });

  it("fails the lookup when a read fails, so no repair runs blind", async () => {
    cfn.on(GetTemplateCommand, { StackName: "arn:db" }).rejects(new Error("Rate exceeded"));
    await expect(lookup().forResource("eu-west-1", "AWS::EC2::SecurityGroup", "sg-0db")).rejects.toThrow("Rate exceeded");
  });

  it("explains the drift an attachment in another stack causes (CloudFormation cannot analyse across stacks)", async () => {
    const owned = await lookup().forResource("eu-west-1", "AWS::EC2::SecurityGroup", "sg-0db");
    // DescribeStackResourceDrifts reports the attached rule as an ADD of the whole list item.
    const attached = { propertyPath: "/SecurityGroupIngress/1", expectedValue: "null", actualValue: JSON.stringify({ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: "sg-0app", Description: "from payments-app:5432" }), differenceType: "ADD" as const };
    const real = { ...attached, actualValue: JSON.stringify({ IpProtocol: "-1", CidrIp: "0.0.0.0/0" }) };
    expect(explainedByAttachments(attached, owned)).toBe(true);
    expect(explainedByAttachments(real, owned)).toBe(false);
    expect(explainedByAttachments({ ...attached, differenceType: "REMOVE" }, owned)).toBe(false);
  });
});

describe("the ownership cache across events", () => {
  const cfn = mockClient(CloudFormationClient);
  const CREATED = new Date("2026-11-30T10:00:00.000Z");
  const appStack: Stack = { StackName: "payments-app", StackId: "arn:app", CreationTime: CREATED, StackStatus: "CREATE_COMPLETE" };
  const dbStack: Stack = { StackName: "payments-db", StackId: "arn:db", CreationTime: CREATED, StackStatus: "CREATE_COMPLETE" };
  // The db stack's own ingress attachment, added by a later update (a second SecurityGroupIngress on the group).
  const DB_WITH_ATTACHMENT = JSON.stringify({
    Resources: {
      DbSg7A1B2C3D: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "db" } },
      FromBastion: { Type: "AWS::EC2::SecurityGroupIngress", Properties: { GroupId: { "Fn::GetAtt": ["DbSg7A1B2C3D", "GroupId"] }, IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIp: "10.9.0.0/24" } },
    },
  });
  let now = 0;

  const stacks = (...list: Stack[]) => cfn.on(DescribeStacksCommand).resolves({ Stacks: list });
  beforeEach(() => {
    cfn.reset();
    now = Date.parse("2026-12-01T18:00:00Z");
    stacks(appStack, dbStack);
    cfn.on(GetTemplateCommand, { StackName: "arn:app" }).resolves({ TemplateBody: JSON.stringify(APP_TEMPLATE) });
    cfn.on(GetTemplateCommand, { StackName: "arn:db" }).resolves({ TemplateBody: JSON.stringify({ Resources: { DbSg7A1B2C3D: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "db" } } } }) });
    cfn.on(ListStackResourcesCommand, { StackName: "arn:app" }).resolves({
      StackResourceSummaries: [...scope.resources].map(([LogicalResourceId, r]) => ({ LogicalResourceId, PhysicalResourceId: r.physicalId, ResourceType: r.type, ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: CREATED })),
    });
    cfn.on(ListStackResourcesCommand, { StackName: "arn:db" }).resolves({
      StackResourceSummaries: [
        { LogicalResourceId: "DbSg7A1B2C3D", PhysicalResourceId: "sg-0db", ResourceType: "AWS::EC2::SecurityGroup", ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: CREATED },
        { LogicalResourceId: "FromBastion", PhysicalResourceId: "sgr-0bastion", ResourceType: "AWS::EC2::SecurityGroupIngress", ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: CREATED },
      ],
    });
    cfn.on(ListExportsCommand).resolves({ Exports: [...scope.exports].map(([Name, Value]) => ({ Name, Value, ExportingStackId: "arn:db" })) });
  });

  // One lookup per event, as handle.ts makes them, sharing the container's cache.
  const eventLookup = (cache: OwnershipCache) =>
    createOwnershipLookup({ accountId: "111122223333", regions: ["eu-west-1"], cloudformationFor: () => new CloudFormationClient({ region: "eu-west-1" }), cache });
  const dbRules = async (cache: OwnershipCache) => (await eventLookup(cache).forResource("eu-west-1", "AWS::EC2::SecurityGroup", "sg-0db")).attachments.map((a) => a.origin.logicalId).sort();
  const reads = () => ({ describe: cfn.commandCalls(DescribeStacksCommand).length, templates: cfn.commandCalls(GetTemplateCommand).length, listings: cfn.commandCalls(ListStackResourcesCommand).length, exports: cfn.commandCalls(ListExportsCommand).length });

  it("reads only DescribeStacks on the next event while no stack changed", async () => {
    const cache = new OwnershipCache(() => now);
    expect(await dbRules(cache)).toEqual(["AppSgFromDb5432"]);
    expect(reads()).toEqual({ describe: 1, templates: 2, listings: 1, exports: 1 });
    now += 60_000;
    expect(await dbRules(cache)).toEqual(["AppSgFromDb5432"]);
    expect(reads()).toEqual({ describe: 2, templates: 2, listings: 1, exports: 1 });
    expect(cache.stats).toEqual({ reused: 2, read: 2, invalidated: 0 });
  });

  it("never serves an attachment set older than the stack: an update before its event arrives is seen at once", async () => {
    const cache = new OwnershipCache(() => now);
    expect(await dbRules(cache)).toEqual(["AppSgFromDb5432"]);
    // The db stack is updated with an attachment; its CloudTrail event has not reached the hub yet.
    cfn.on(GetTemplateCommand, { StackName: "arn:db" }).resolves({ TemplateBody: DB_WITH_ATTACHMENT });
    stacks(appStack, { ...dbStack, StackStatus: "UPDATE_COMPLETE", LastUpdatedTime: new Date("2026-12-01T18:00:30.000Z") });
    expect(await dbRules(cache)).toEqual(["AppSgFromDb5432", "FromBastion"]);
    // Only the changed stack was read again.
    expect(cfn.commandCalls(GetTemplateCommand).map((c) => c.args[0].input.StackName)).toEqual(["arn:app", "arn:db", "arn:db"]);
  });

  it("reads a stack in the middle of an operation every time, and one whose status moved on", async () => {
    const cache = new OwnershipCache(() => now);
    stacks(appStack, { ...dbStack, StackStatus: "UPDATE_IN_PROGRESS", LastUpdatedTime: new Date("2026-12-01T18:00:30.000Z") });
    await dbRules(cache);
    await dbRules(cache);
    expect(cfn.commandCalls(GetTemplateCommand, { StackName: "arn:db" })).toHaveLength(2);
    // Same LastUpdatedTime, new final status (the update completed): read again once, then kept.
    stacks(appStack, { ...dbStack, StackStatus: "UPDATE_COMPLETE", LastUpdatedTime: new Date("2026-12-01T18:00:30.000Z") });
    await dbRules(cache);
    await dbRules(cache);
    expect(cfn.commandCalls(GetTemplateCommand, { StackName: "arn:db" })).toHaveLength(3);
  });

  it("forgets what it kept once the TTL has passed, on a stack operation event, and for a deleted stack", async () => {
    const cache = new OwnershipCache(() => now);
    await dbRules(cache);
    now += OWNERSHIP_CACHE_TTL_MS;
    await dbRules(cache);
    expect(reads().templates).toBe(4);
    cache.invalidate("111122223333", "eu-west-1");
    await dbRules(cache);
    expect(reads().templates).toBe(6);
    // Another account-region's event leaves this one alone.
    cache.invalidate("111122223333", "us-east-1");
    await dbRules(cache);
    expect(reads().templates).toBe(6);
    stacks(dbStack);
    expect(await dbRules(cache)).toEqual([]);
    // Recreated under the same name, it is a new stack id: read afresh.
    stacks({ ...appStack, StackId: "arn:app-2" }, dbStack);
    cfn.on(GetTemplateCommand, { StackName: "arn:app-2" }).resolves({ TemplateBody: JSON.stringify({ Resources: {} }) });
    expect(await dbRules(cache)).toEqual([]);
  });
});
