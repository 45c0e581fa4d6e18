import { readFileSync } from "node:fs";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteTagsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketTaggingCommand,
  DeletePublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRejection, parseChangeEvent } from "../../../functions/events/parse.js";
import { resolveResources } from "../../../functions/events/resolve.js";
import type { Sandbox, SandboxCredentials } from "../../../sandbox/harness/server.js";
import type { CloudTrailBridgeEvent } from "../../../sandbox/emulator/services/cloudtrail/record.js";
import { principalFromArn } from "../../../sandbox/emulator/services/iam/principals.js";
import { administratorSession, clientConfig, failure, HUB, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

let sandbox: Sandbox;
const events: CloudTrailBridgeEvent[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
  sandbox.onEvent((e) => events.push(e));
});
afterAll(() => sandbox.close());

/** The event of the last `eventName` call, once EventBridge (asynchronous) has delivered it. */
async function lastEvent(eventName: string): Promise<CloudTrailBridgeEvent> {
  await new Promise((r) => setImmediate(r));
  const event = events.findLast((e) => e.detail.eventName === eventName);
  if (!event) throw new Error(`no ${eventName} event; saw ${events.map((e) => e.detail.eventName).join(", ")}`);
  return event;
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/cloudtrail/${name}.json`, import.meta.url), "utf8")) as CloudTrailBridgeEvent;

/** Every path to a value: `.a.items[].b`; an empty object ends its path with `{}`. */
function paths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => paths(v, `${prefix}[]`));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    return entries.length === 0 ? [`${prefix}{}`] : entries.flatMap(([k, v]) => paths(v, `${prefix}.${k}`));
  }
  return [prefix];
}

/** The paths of `actual` that a real record of the same call (the fixture) does not have. */
function unknownPaths(actual: unknown, real: unknown): string[] {
  const known = paths(real);
  return paths(actual).filter((p) => {
    if (known.includes(p)) return false;
    // An empty list or structure here may be a filled one there.
    const base = p.endsWith("{}") ? p.slice(0, -2) : undefined;
    return base === undefined || !known.some((k) => k.startsWith(`${base}.`) || k.startsWith(`${base}[`) || k === `${base}{}`);
  });
}

describe("cloudtrail records look like real CloudTrail", () => {
  let creds: SandboxCredentials;
  let ec2: EC2Client;
  let s3: S3Client;
  let iam: IAMClient;
  let groupId: string;
  let vpcId: string;
  let instanceId: string;
  const bucket = "trail-shapes";
  const role = "trail-shapes-role";

  beforeAll(async () => {
    // A role session in the workload account, as the fixtures' callers are.
    creds = await administratorSession(sandbox, WORKLOAD, "alice");
    ec2 = new EC2Client(clientConfig(sandbox, creds));
    s3 = new S3Client(clientConfig(sandbox, creds));
    iam = new IAMClient(clientConfig(sandbox, creds));
    groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "app-sg", Description: "app" }))).GroupId!;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [] }) }));
  });

  const https = { IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "10.0.0.0/16" }] };
  const policyDocument = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] });
  const cases: { event: string; call: () => Promise<unknown>; resource: () => [string, string] }[] = [
    {
      event: "AuthorizeSecurityGroupIngress",
      call: () => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "temporary ssh" }] }, https] })),
      resource: () => ["AWS::EC2::SecurityGroup", groupId],
    },
    {
      event: "AuthorizeSecurityGroupEgress",
      call: () => ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: "10.30.0.0/16" }] }] })),
      resource: () => ["AWS::EC2::SecurityGroup", groupId],
    },
    {
      event: "RevokeSecurityGroupIngress",
      call: () => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [https] })),
      resource: () => ["AWS::EC2::SecurityGroup", groupId],
    },
    {
      event: "RevokeSecurityGroupEgress",
      call: () => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] })),
      resource: () => ["AWS::EC2::SecurityGroup", groupId],
    },
    {
      event: "ModifySecurityGroupRules",
      call: async () => {
        const [rule] = (await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 3388, ToPort: 3388, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }))).SecurityGroupRules!;
        const SecurityGroupRule = { IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, CidrIpv4: "0.0.0.0/0", Description: "rdp" };
        return ec2.send(new ModifySecurityGroupRulesCommand({ GroupId: groupId, SecurityGroupRules: [{ SecurityGroupRuleId: rule!.SecurityGroupRuleId, SecurityGroupRule }] }));
      },
      resource: () => ["AWS::EC2::SecurityGroup", groupId],
    },
    {
      event: "CreateVpc",
      call: async () => (vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.42.0.0/16" }))).Vpc!.VpcId!),
      resource: () => ["AWS::EC2::VPC", vpcId],
    },
    {
      event: "RunInstances",
      call: async () => (instanceId = (await ec2.send(new RunInstancesCommand({ ImageId: "ami-0c1bc246476a5572b", MinCount: 1, MaxCount: 1, InstanceType: "t3.micro" }))).Instances![0]!.InstanceId!),
      resource: () => ["AWS::EC2::Instance", instanceId],
    },
    {
      event: "CreateTags",
      call: () => ec2.send(new CreateTagsCommand({ Resources: [instanceId, groupId], Tags: [{ Key: "Owner", Value: "alice" }] })),
      resource: () => ["AWS::EC2::SecurityGroup", groupId],
    },
    {
      event: "DeleteTags",
      call: () => ec2.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: "CostCenter" }] })),
      resource: () => ["AWS::EC2::VPC", vpcId],
    },
    {
      event: "PutBucketPublicAccessBlock",
      call: () => s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } })),
      resource: () => ["AWS::S3::Bucket", bucket],
    },
    { event: "DeleteBucketPublicAccessBlock", call: () => s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket })), resource: () => ["AWS::S3::Bucket", bucket] },
    {
      event: "PutBucketEncryption",
      call: () =>
        s3.send(
          new PutBucketEncryptionCommand({
            Bucket: bucket,
            ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/ledger" }, BucketKeyEnabled: true }] },
          }),
        ),
      resource: () => ["AWS::S3::Bucket", bucket],
    },
    { event: "DeleteBucketEncryption", call: () => s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })), resource: () => ["AWS::S3::Bucket", bucket] },
    {
      event: "PutBucketVersioning",
      call: () => s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } })),
      resource: () => ["AWS::S3::Bucket", bucket],
    },
    {
      event: "PutBucketTagging",
      call: () => s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: "data-class", Value: "internal" }] } })),
      resource: () => ["AWS::S3::Bucket", bucket],
    },
    { event: "DeleteBucketTagging", call: () => s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket })), resource: () => ["AWS::S3::Bucket", bucket] },
    {
      event: "AttachRolePolicy",
      call: () => iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })),
      resource: () => ["AWS::IAM::Role", role],
    },
    {
      event: "DetachRolePolicy",
      call: () => iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })),
      resource: () => ["AWS::IAM::Role", role],
    },
    { event: "PutRolePolicy", call: () => iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: "hotfix-s3", PolicyDocument: policyDocument })), resource: () => ["AWS::IAM::Role", role] },
    { event: "DeleteRolePolicy", call: () => iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: "hotfix-s3" })), resource: () => ["AWS::IAM::Role", role] },
    { event: "TagRole", call: () => iam.send(new TagRoleCommand({ RoleName: role, Tags: [{ Key: "team", Value: "payments-oncall" }] })), resource: () => ["AWS::IAM::Role", role] },
    { event: "UntagRole", call: () => iam.send(new UntagRoleCommand({ RoleName: role, TagKeys: ["team"] })), resource: () => ["AWS::IAM::Role", role] },
    {
      event: "UpdateAssumeRolePolicy",
      call: () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [] }) })),
      resource: () => ["AWS::IAM::Role", role],
    },
  ];

  // Sequential: later calls use what earlier ones created.
  it.each(cases.map((c) => [c.event, c] as const))("%s: names and nesting as in the real record, and driftguard's parser resolves it", async (_name, c) => {
    await c.call();
    const event = await lastEvent(c.event);
    const real = fixture(c.event);
    expect(unknownPaths(event.detail.requestParameters, real.detail.requestParameters)).toEqual([]);
    expect(unknownPaths(event.detail.responseElements, real.detail.responseElements)).toEqual([]);
    // Some fixtures were made by IAM users; every call here is made by a role session.
    expect(unknownPaths(event.detail.userIdentity, fixture("AttachRolePolicy").detail.userIdentity)).toEqual([]);
    expect(Object.keys(event.detail).filter((k) => !(k in real.detail))).toEqual([]);
    expect(event).toMatchObject({ source: real.source, account: WORKLOAD, region: "us-east-1" });
    expect(event.detail).toMatchObject({ eventSource: real.detail.eventSource, recipientAccountId: WORKLOAD, awsRegion: "us-east-1", readOnly: false });

    const parsed = parseChangeEvent(event);
    if (isRejection(parsed)) throw new Error(parsed.detail);
    const [resourceType, physicalId] = c.resource();
    expect(resolveResources(parsed.detail, WORKLOAD)).toContainEqual(expect.objectContaining({ resourceType, physicalId }));
  });

  it("writes the parameters CloudTrail writes, value for value", async () => {
    const authorize = (await lastEvent("AuthorizeSecurityGroupIngress")).detail;
    expect(authorize.requestParameters).toEqual({
      groupId,
      ipPermissions: {
        items: [
          { ipProtocol: "tcp", fromPort: 3388, toPort: 3388, groups: {}, ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] }, ipv6Ranges: {}, prefixListIds: {} },
        ],
      },
    });
    expect((await lastEvent("CreateTags")).detail.requestParameters).toEqual({
      resourcesSet: { items: [{ resourceId: instanceId }, { resourceId: groupId }] },
      tagSet: { items: [{ key: "Owner", value: "alice" }] },
    });
    expect((await lastEvent("CreateSecurityGroup")).detail).toMatchObject({
      requestParameters: { groupName: "app-sg", groupDescription: "app" },
      responseElements: { _return: true, groupId },
    });
    expect((await lastEvent("RunInstances")).detail.responseElements).toMatchObject({ instancesSet: { items: [{ instanceId }] } });
    expect((await lastEvent("CreateVpc")).detail.responseElements).toMatchObject({ vpc: { vpcId } });
    expect((await lastEvent("AttachRolePolicy")).detail).toMatchObject({
      requestParameters: { roleName: role, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
      responseElements: null,
    });
    expect((await lastEvent("PutBucketEncryption")).detail.requestParameters).toEqual({
      bucketName: bucket,
      Host: `${bucket}.s3.us-east-1.amazonaws.com`,
      encryption: "",
      ServerSideEncryptionConfiguration: {
        xmlns: "http://s3.amazonaws.com/doc/2006-03-01/",
        Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/ledger" }, BucketKeyEnabled: true },
      },
    });
  });

  it("identifies a role session by its issuer, and ids every event", async () => {
    const detail = (await lastEvent("TagRole")).detail;
    expect(detail.userIdentity).toEqual({
      type: "AssumedRole",
      principalId: expect.stringMatching(/^AROA[A-Z0-9]{17}:alice$/),
      arn: `arn:aws:sts::${WORKLOAD}:assumed-role/Admin/alice`,
      accountId: WORKLOAD,
      accessKeyId: creds.accessKeyId,
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: expect.stringMatching(/^AROA/), arn: `arn:aws:iam::${WORKLOAD}:role/Admin`, accountId: WORKLOAD, userName: "Admin" },
        attributes: { creationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), mfaAuthenticated: "false" },
      },
    });
    expect(detail).toMatchObject({
      eventSource: "iam.amazonaws.com",
      eventID: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      sourceIPAddress: "127.0.0.1",
      userAgent: expect.stringContaining("aws-sdk-js"),
    });
  });
});

describe("cloudtrail event history", () => {
  it("files events under the caller's account-region and finds them by resource, newest first", async () => {
    const ec2 = new EC2Client(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "trail", Description: "trail" }));
    await ec2.send(new DescribeSecurityGroupsCommand({}));
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    const authorize = await lastEvent("AuthorizeSecurityGroupIngress");
    expect(authorize).toMatchObject({ "detail-type": "AWS API Call via CloudTrail", source: "aws.ec2", account: WORKLOAD, region: "us-east-1" });
    expect(authorize.detail.userIdentity).toEqual({ type: "Root", principalId: WORKLOAD, arn: `arn:aws:iam::${WORKLOAD}:root`, accountId: WORKLOAD, accessKeyId: `AKIA${WORKLOAD}ADMN` });

    const trail = new CloudTrailClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const found = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: GroupId }] }));
    expect(found.Events!.map((e) => e.EventName)).toEqual(["AuthorizeSecurityGroupIngress", "CreateSecurityGroup"]);
    expect(found.Events![0]!.EventTime).toBeInstanceOf(Date);
    expect(JSON.parse(found.Events![0]!.CloudTrailEvent!).eventID).toBe(authorize.detail.eventID);
  });

  it("files IAM events under us-east-1, whatever region the client names", async () => {
    const iam = new IAMClient(clientConfig(sandbox, await administratorSession(sandbox, HUB, "sandbox"), "eu-west-1"));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "driftguard-scanner", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    const trail = new CloudTrailClient(clientConfig(sandbox, sandbox.hubCredentials, "us-east-1"));
    const found = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "AttachRolePolicy" }] }));
    const record = JSON.parse(found.Events![0]!.CloudTrailEvent!);
    expect(record).toMatchObject({ awsRegion: "us-east-1", eventSource: "iam.amazonaws.com", userIdentity: { type: "AssumedRole", sessionContext: { sessionIssuer: { userName: "Admin" } } } });
    expect(found.Events![0]!.Username).toBe("sandbox");
  });

  it("names S3 events after the REST operations and records no data events", async () => {
    const s3 = new S3Client(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    await s3.send(new CreateBucketCommand({ Bucket: "trail-names" }));
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: "trail-names", PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
    await s3.send(new PutObjectCommand({ Bucket: "trail-names", Key: "data.json", Body: "{}" }));
    const trail = new CloudTrailClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const found = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "trail-names" }] }));
    expect(found.Events!.map((e) => e.EventName)).toEqual(["PutBucketPublicAccessBlock", "CreateBucket"]);
    expect(events.some((e) => e.detail.eventName === "PutObject")).toBe(false);
  });

  it("records an IAM user as IAMUser", async () => {
    const bob = principalFromArn(sandbox.world, `arn:aws:iam::${WORKLOAD}:user/bob`);
    await sandbox.dispatch(WORKLOAD, "eu-west-1", "s3", "CreateBucket", { Bucket: "bobs-bucket", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }, bob);
    expect((await lastEvent("CreateBucket")).detail).toMatchObject({
      awsRegion: "eu-west-1",
      userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${WORKLOAD}:user/bob`, accountId: WORKLOAD, userName: "bob" },
      requestParameters: { bucketName: "bobs-bucket", Host: "bobs-bucket.s3.eu-west-1.amazonaws.com", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } },
    });
  });

  it("validates lookup attributes and time ranges", async () => {
    const trail = new CloudTrailClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const two = [
      { AttributeKey: "EventName" as const, AttributeValue: "a" },
      { AttributeKey: "Username" as const, AttributeValue: "b" },
    ];
    expect((await failure(trail.send(new LookupEventsCommand({ LookupAttributes: two })))).name).toBe("InvalidLookupAttributesException");
    const future = await trail.send(new LookupEventsCommand({ StartTime: new Date(Date.now() + 3_600_000) }));
    expect(future.Events).toEqual([]);
  });
});
