import { DescribeStackResourcesCommand, CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { CreateTagsCommand, DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client, RevokeSecurityGroupIngressCommand, type Instance, type SecurityGroup } from "@aws-sdk/client-ec2";
import {
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import pLimit from "p-limit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveAccounts } from "../../../functions/config/resolve.js";
import type { Deadline } from "../../../functions/core/deadline.js";
import { NO_DEADLINE } from "../../../functions/core/deadline.js";
import type { Mode } from "../../../functions/config/schema.js";
import { NO_ATTACHMENTS } from "../../../functions/remediation/index.js";
import { listAccountBuckets, sweepRegion, type SweepInput } from "../../../functions/sweep/index.js";
import { OPEN_GUARDS, TEST_SAFETY } from "../remediation/helpers.js";
import { awsError, clientsIn, fakeLogger, fixture, SPOKE, PAYMENTS_SPOKE } from "../events/helpers.js";
import { testConfig } from "../../support/config.js";

const ec2 = mockClient(EC2Client);
const s3 = mockClient(S3Client);
const cfn = mockClient(CloudFormationClient);
const trail = mockClient(CloudTrailClient);
const mocks = [ec2, s3, cfn, trail];
beforeEach(() => {
  mocks.forEach((m) => m.reset());
  // No stack owns a resource unless a test says so: CloudFormation's own answer (owning-stack.ts).
  cfn.on(DescribeStackResourcesCommand).rejects(Object.assign(awsError("ValidationError", "Stack for x does not exist"), {}));
  trail.on(LookupEventsCommand).resolves({ Events: [] });
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
  s3.on(ListBucketsCommand).resolves({ Buckets: [] });
});
afterEach(() => mocks.forEach((m) => m.reset()));

const REGION = "eu-west-1";
const NOW = Date.parse("2025-03-20T12:00:00Z");
const EXEMPT = { Key: "driftguard:exempt", Value: "reason=incident drill bastion" };
const STACK_ID = { Key: "aws:cloudformation:stack-id", Value: `arn:aws:cloudformation:${REGION}:${SPOKE}:stack/web/0f6c7a40-0000-11ef-8a34-0a1b2c3d4e5f` };

function input(overrides: { mode?: Mode; deadline?: Deadline; requiredTags?: { key: string; value: string }[] } = {}): SweepInput {
  const config = testConfig(PAYMENTS_SPOKE, {
    defaults: {
      regions: [REGION],
      mode: overrides.mode ?? "remediate",
      events: { guardrails: { requiredTags: overrides.requiredTags ?? [{ key: "owner", value: "creator" }, { key: "cost-center", value: "shared" }, { key: "expires", value: "launch+30d" }] } },
    },
  });
  const account = resolveAccounts(config)[0]!;
  const clients = clientsIn(REGION);
  let buckets: ReturnType<typeof listAccountBuckets> | undefined;
  return {
    config,
    account,
    clients,
    guards: OPEN_GUARDS,
    safety: TEST_SAFETY,
    ownership: NO_ATTACHMENTS,
    deadline: overrides.deadline ?? NO_DEADLINE,
    limit: pLimit(5),
    creators: { ownRoleArn: () => undefined, throttle: async () => undefined, now: () => NOW, canStart: () => true },
    accountBuckets: () => (buckets ??= listAccountBuckets(clients)),
    now: () => NOW,
    log: fakeLogger().logger,
  };
}

const verdicts = (sweep: Awaited<ReturnType<typeof sweepRegion>>) => sweep.findings.map((f) => `${f.guardrail} ${f.physicalId}: ${f.action.outcome}`).sort();

// Shapes: EC2 API Reference, DescribeSecurityGroups (SecurityGroup: GroupId, GroupName, VpcId,
// IpPermissions[].IpRanges[].CidrIp, Tags, NextToken), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html
const ssh = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "ssh from anywhere" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
const https = { ...ssh, FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
const group = (GroupId: string, IpPermissions: SecurityGroup["IpPermissions"], Tags: { Key: string; Value: string }[] = []): SecurityGroup => ({
  GroupId,
  GroupName: `sg-name-${GroupId.slice(-4)}`,
  Description: "launch-wizard-1 created 2024-11-02T10:21:33.950Z",
  OwnerId: SPOKE,
  VpcId: "vpc-0a1b2c3d4e5f60718",
  IpPermissions,
  IpPermissionsEgress: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
  Tags,
  SecurityGroupArn: `arn:aws:ec2:${REGION}:${SPOKE}:security-group/${GroupId}`,
});

describe("open-ingress on the schedule", () => {
  it("pages through every group, revokes exactly the open SSH of unmanaged ones, leaves exempt and stack groups alone", async () => {
    const pages: string[] = [];
    ec2.on(DescribeSecurityGroupsCommand).callsFake((req: { NextToken?: string; GroupIds?: string[] }) => {
      pages.push(req.GroupIds?.[0] ?? req.NextToken ?? "first");
      // After the repair the group is read again, fresh (verification).
      if (req.GroupIds) return { SecurityGroups: [group("sg-0aaa00000000000open", [https])] };
      return req.NextToken === "eyJ2IjoyfQ=="
        ? { SecurityGroups: [group("sg-0aaa000000000exmt", [ssh], [EXEMPT]), group("sg-0aaa00000000000web", [https])] }
        : { SecurityGroups: [group("sg-0aaa000000000stak", [ssh], [STACK_ID]), group("sg-0aaa00000000000open", [ssh, https])], NextToken: "eyJ2IjoyfQ==" };
    });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });

    const sweep = await sweepRegion(input());
    expect(verdicts(sweep)).toEqual(["open-ingress sg-0aaa00000000000open: remediated", "open-ingress sg-0aaa000000000exmt: skipped"]);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand).map((c) => c.args[0].input)).toEqual([
      { GroupId: "sg-0aaa00000000000open", IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] },
    ]);
    expect(sweep.listed.find((l) => l.resourceType === "AWS::EC2::SecurityGroup")).toEqual({ resourceType: "AWS::EC2::SecurityGroup", count: 4, managed: 1 });
    // Two pages, then one fresh read of the repaired group.
    expect([...pages].sort()).toEqual(["eyJ2IjoyfQ==", "first", "sg-0aaa00000000000open"]);
    expect(sweep.status).toBe("swept");
  });

  it("asks CloudFormation before acting on an untagged group: one imported into a stack is drift detection's", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group("sg-0aaa0000000imprtd", [ssh])] });
    // DescribeStackResources by PhysicalResourceId (CloudFormation API Reference): the owning stack's resources.
    cfn.on(DescribeStackResourcesCommand).resolves({
      StackResources: [{ StackName: "bastion", StackId: STACK_ID.Value, LogicalResourceId: "BastionSg", PhysicalResourceId: "sg-0aaa0000000imprtd", ResourceType: "AWS::EC2::SecurityGroup", ResourceStatus: "IMPORT_COMPLETE", Timestamp: new Date(NOW) }],
    });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: "bastion", StackId: STACK_ID.Value, StackStatus: "IMPORT_COMPLETE", CreationTime: new Date(NOW) }] });
    const sweep = await sweepRegion(input());
    expect(sweep.findings).toEqual([]);
    expect(sweep.listed.find((l) => l.resourceType === "AWS::EC2::SecurityGroup")?.managed).toBe(1);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it("report mode plans the same revoke and sends nothing", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group("sg-0aaa00000000000open", [ssh])] });
    const sweep = await sweepRegion(input({ mode: "report" }));
    expect(sweep.findings[0]?.action).toMatchObject({ outcome: "planned", steps: ["RevokeSecurityGroupIngress GroupId=sg-0aaa00000000000open tcp 22 from 0.0.0.0/0"], by: "guardrail:open-ingress" });
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });
});

// Shapes: EC2 API Reference, DescribeInstances (Reservations[].Instances[]: InstanceId, State,
// LaunchTime, Tags; NextToken), https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-client-ec2/Interface/DescribeInstancesCommandOutput
const LAUNCHED = new Date("2025-03-14T09:07:18Z");
const instance = (InstanceId: string, Tags: { Key: string; Value: string }[] = []): Instance => ({
  InstanceId,
  ImageId: "ami-0abcdef1234567890",
  InstanceType: "t3.micro",
  LaunchTime: LAUNCHED,
  State: { Code: 16, Name: "running" },
  VpcId: "vpc-0a1b2c3d4e5f60718",
  ...(Tags.length ? { Tags } : {}),
});
/** The recorded RunInstances event (test/fixtures/cloudtrail/RunInstances.json) as LookupEvents returns it: CloudTrailEvent is the record as a string (CloudTrail API Reference, Event). */
function runInstancesLookup() {
  const detail = fixture("RunInstances").detail;
  return { Events: [{ EventId: detail.eventID, EventName: "RunInstances", ReadOnly: "false", EventTime: new Date(detail.eventTime), EventSource: "ec2.amazonaws.com", CloudTrailEvent: JSON.stringify(detail) }] };
}

describe("required-tags on the schedule", () => {
  it("fills missing tags by rule over two pages: creator from CloudTrail, fixed value, launch+30d; keeps present tags; exempt untouched", async () => {
    const creator = fixture("RunInstances").detail.userIdentity.arn as string;
    const filters: unknown[] = [];
    ec2.on(DescribeInstancesCommand).callsFake((req: { NextToken?: string; InstanceIds?: string[]; Filters?: unknown }) => {
      if (req.InstanceIds) return { Reservations: [{ Instances: [instance("i-0a1b2c3d4e5f60001", [{ Key: "cost-center", Value: "payments" }, { Key: "owner", Value: creator }, { Key: "expires", Value: "2025-04-13" }])] }] };
      filters.push(structuredClone(req.Filters));
      return req.NextToken === "dG9rZW4y"
        ? { Reservations: [{ ReservationId: "r-0a2", OwnerId: SPOKE, Instances: [instance("i-0a1b2c3d4e5f60002", [EXEMPT]), instance("i-0a1b2c3d4e5f60003", [STACK_ID])] }] }
        : { Reservations: [{ ReservationId: "r-0a1", OwnerId: SPOKE, Instances: [instance("i-0a1b2c3d4e5f60001", [{ Key: "cost-center", Value: "payments" }])] }], NextToken: "dG9rZW4y" };
    });
    ec2.on(CreateTagsCommand).resolves({});
    trail.on(LookupEventsCommand).resolves(runInstancesLookup());

    const sweep = await sweepRegion(input());
    expect(verdicts(sweep)).toEqual(["required-tags i-0a1b2c3d4e5f60001: remediated", "required-tags i-0a1b2c3d4e5f60002: skipped"]);
    // 2025-03-14 + 30 days = 2025-04-13.
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([
      { Resources: ["i-0a1b2c3d4e5f60001"], Tags: [{ Key: "owner", Value: creator }, { Key: "expires", Value: "2025-04-13" }] },
    ]);
    expect(sweep.findings.find((f) => f.physicalId === "i-0a1b2c3d4e5f60001")?.createdBy).toMatchObject({ arn: creator, eventName: "RunInstances", source: "cloudtrail-lookup" });
    // The lookup asked for the instance by ResourceName within the last 90 days.
    const lookup = trail.commandCalls(LookupEventsCommand)[0]!.args[0].input;
    expect(lookup.LookupAttributes).toEqual([{ AttributeKey: "ResourceName", AttributeValue: "i-0a1b2c3d4e5f60001" }]);
    expect((NOW - lookup.StartTime!.getTime()) / 86_400_000).toBe(90);
    expect(filters).toEqual([0, 1].map(() => [{ Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] }]));
  });

  it("never guesses a creator: with no RunInstances record the owner tag is reported unknown and left unset", async () => {
    ec2.on(DescribeInstancesCommand).callsFake((req: { InstanceIds?: string[] }) => ({
      Reservations: [{ Instances: [instance("i-0a1b2c3d4e5f60009", req.InstanceIds ? [{ Key: "cost-center", Value: "shared" }, { Key: "expires", Value: "2025-04-13" }] : [])] }],
    }));
    ec2.on(CreateTagsCommand).resolves({});
    const sweep = await sweepRegion(input());
    const finding = sweep.findings[0]!;
    expect(finding.action.outcome).toBe("remediated");
    expect(finding.action.reason).toContain("left unset: owner (creator unknown");
    expect(finding.createdBy).toBeUndefined();
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input.Tags).toEqual([{ Key: "cost-center", Value: "shared" }, { Key: "expires", Value: "2025-04-13" }]);
  });

  it("reports a creator it cannot learn (CloudTrail throttled) as unknown with the reason, and a creator-only rule as manual", async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance("i-0a1b2c3d4e5f60010")] }] });
    trail.on(LookupEventsCommand).rejects(awsError("ThrottlingException", "Rate exceeded"));
    const sweep = await sweepRegion(input({ requiredTags: [{ key: "owner", value: "creator" }] }));
    expect(sweep.findings[0]!.action.outcome).toBe("manual");
    expect(sweep.findings[0]!.action.reason).toContain("creator not looked up: ThrottlingException");
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });
});

// Shapes: S3 API Reference, ListBuckets (Buckets[].Name, CreationDate, BucketRegion; ContinuationToken
// when MaxBuckets cuts the list), https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/S3/TListBucketsResponse.html
// and https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-list-buckets-request/-builder
describe("bucket guardrails on the schedule", () => {
  it("lists the account's buckets once over two pages, sweeps those in this region, and says which regions it did not sweep", async () => {
    s3.on(ListBucketsCommand)
      .resolvesOnce({ Buckets: [{ Name: "exports-open", CreationDate: new Date("2024-05-01T10:00:00Z"), BucketRegion: REGION }], ContinuationToken: "ZXhwb3J0cy1vcGVu", Owner: { ID: "c0ffee" } })
      .resolvesOnce({ Buckets: [{ Name: "site-public", CreationDate: new Date("2024-05-02T10:00:00Z"), BucketRegion: REGION }, { Name: "logs-apse2", CreationDate: new Date("2024-05-03T10:00:00Z"), BucketRegion: "ap-southeast-2" }] });
    // GetBucketEncryption with no configuration, and GetPublicAccessBlock with none: S3's error codes (S3 API Reference, Error responses).
    s3.on(GetBucketEncryptionCommand).rejects(awsError("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", 404));
    s3.on(GetPublicAccessBlockCommand).rejects(awsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404));
    s3.on(GetBucketTaggingCommand).rejects(awsError("NoSuchTagSet", "The TagSet does not exist", 404));
    s3.on(GetBucketTaggingCommand, { Bucket: "site-public" }).resolves({ TagSet: [EXEMPT] });
    s3.on(PutBucketEncryptionCommand).callsFake(() => {
      s3.on(GetBucketEncryptionCommand, { Bucket: "exports-open" }).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } });
      return {};
    });
    s3.on(PutPublicAccessBlockCommand).callsFake(() => {
      s3.on(GetPublicAccessBlockCommand, { Bucket: "exports-open" }).resolves({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } });
      return {};
    });

    const sweep = await sweepRegion(input());
    expect(verdicts(sweep)).toEqual([
      "bucket-encryption exports-open: remediated",
      "bucket-encryption site-public: skipped",
      "bucket-public-access exports-open: remediated",
      "bucket-public-access site-public: skipped",
    ]);
    // Two pages, once for the account (the paginator reuses its input object, so only the count is checked).
    expect(s3.commandCalls(ListBucketsCommand)).toHaveLength(2);
    expect(s3.commandCalls(PutPublicAccessBlockCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: "exports-open", PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } },
    ]);
    expect(sweep.notSwept).toEqual([{ resourceType: "AWS::S3::Bucket", reason: expect.stringContaining("1 bucket(s) in ap-southeast-2, which accounts.yaml does not scan") }]);
    expect(sweep.status).toBe("partial");
  });

  it("a bucket CloudFormation tagged as its own is left to drift detection", async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: "web-assets", BucketRegion: REGION }] });
    s3.on(GetBucketEncryptionCommand).rejects(awsError("ServerSideEncryptionConfigurationNotFoundError", "not found", 404));
    s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } });
    s3.on(GetBucketTaggingCommand).resolves({ TagSet: [STACK_ID] });
    const sweep = await sweepRegion(input());
    expect(sweep.findings).toEqual([]);
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(0);
  });
});

// Shapes: EC2 API Reference, DescribeVpcs (Vpcs[]: VpcId, CidrBlock, IsDefault, Tags), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html
describe("vpc-created on the schedule", () => {
  it("reports hand-made VPCs for review with their creator, never the default VPC, and changes nothing", async () => {
    ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        { VpcId: "vpc-0default000000001", CidrBlock: "172.31.0.0/16", IsDefault: true, State: "available" },
        { VpcId: "vpc-0handmade00000002", CidrBlock: "10.42.0.0/16", IsDefault: false, State: "available" },
      ],
    });
    const detail = fixture("CreateVpc").detail;
    trail.on(LookupEventsCommand).resolves({ Events: [{ EventName: "CreateVpc", ReadOnly: "false", CloudTrailEvent: JSON.stringify(detail) }] });
    const sweep = await sweepRegion(input());
    expect(verdicts(sweep)).toEqual(["vpc-created vpc-0handmade00000002: manual"]);
    expect(sweep.findings[0]!.action.reason).toContain(`created outside CloudFormation by ${detail.userIdentity.arn}`);
  });
});

describe("sweep limits", () => {
  it("stops at the time budget and reports what it did not sweep", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group("sg-0aaa00000000000web", [https])] });
    let calls = 0;
    // Room for the first listing only.
    const deadline: Deadline = { canStart: () => calls++ < 3, expired: () => false, remainingMs: () => 1 };
    const sweep = await sweepRegion(input({ deadline }));
    expect(sweep.status).toBe("partial");
    expect(sweep.notSwept.map((n) => n.resourceType)).toEqual(expect.arrayContaining(["AWS::EC2::Instance", "AWS::EC2::VPC", "AWS::S3::Bucket"]));
    expect(sweep.notSwept.every((n) => /time budget/.test(n.reason))).toBe(true);
  });

  it("a listing the spoke role may not make is one not-swept row; the other types go on", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("UnauthorizedOperation", "You are not authorized to perform this operation.", 403));
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group("sg-0aaa00000000000open", [ssh])] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const sweep = await sweepRegion(input({ mode: "report" }));
    expect(sweep.notSwept).toEqual([{ resourceType: "AWS::EC2::Instance", reason: expect.stringContaining("listing failed"), error: { code: "UnauthorizedOperation", message: expect.any(String) } }]);
    expect(verdicts(sweep)).toEqual(["open-ingress sg-0aaa00000000000open: planned"]);
  });
});
