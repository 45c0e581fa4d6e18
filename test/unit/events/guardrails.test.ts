import { NOTHING_OWNED } from "../../../functions/remediation/ownership/owned.js";
import { OPEN_GUARDS, TEST_SAFETY } from "../remediation/helpers.js";
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { GetBucketEncryptionCommand, GetBucketTaggingCommand, GetPublicAccessBlockCommand, PutBucketEncryptionCommand, PutPublicAccessBlockCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeActor } from "../../../functions/core/types.js";
import { bucketEncryption } from "../../../functions/events/guardrails/bucket-encryption.js";
import { bucketPublicAccess } from "../../../functions/events/guardrails/bucket-public-access.js";
import { evaluateGuardrail, type GuardrailContext } from "../../../functions/events/guardrails/evaluate.js";
import { offendingPermissions, openIngress } from "../../../functions/events/guardrails/open-ingress.js";
import { GUARDRAILS, guardrailActions, guardrailFor } from "../../../functions/events/guardrails/registry.js";
import { missingTags, requiredTags } from "../../../functions/events/guardrails/required-tags.js";
import { vpcCreated } from "../../../functions/events/guardrails/vpc-created.js";
import { spokeRoleActions } from "../../../functions/permissions.js";
import { exemptionFromTags } from "../../../functions/remediation/exemption.js";
import { awsError, clientsIn, PAYMENTS_SPOKE } from "./helpers.js";
import { testConfig } from "../../support/config.js";

const ec2 = mockClient(EC2Client);
const s3 = mockClient(S3Client);
beforeEach(() => {
  ec2.reset();
  s3.reset();
});
afterEach(() => {
  ec2.reset();
  s3.reset();
});

const NOW = new Date("2025-03-14T09:05:00Z");
const settings = testConfig(PAYMENTS_SPOKE).defaults.events.guardrails;
const actor: ChangeActor = { arn: "arn:aws:iam::111122223333:user/bob", type: "IAMUser", sourceIp: "192.0.2.44", source: "event" };

function ctx(resourceType: string, physicalId: string, overrides: Partial<GuardrailContext> = {}): GuardrailContext {
  return {
    resource: { resourceType, physicalId },
    clients: clientsIn("eu-west-1"),
    settings,
    actor,
    mode: "remediate",
    exemptionOf: (tags) => exemptionFromTags(tags, { tagKey: "driftguard:exempt", maxDays: 90 }, NOW, "resource"),
    owned: NOTHING_OWNED,
    guards: async () => OPEN_GUARDS,
    safety: TEST_SAFETY,
    now: NOW,
    ...overrides,
  };
}

const open = (p: Omit<IpPermission, "IpRanges" | "Ipv6Ranges">, v4: string[] = [], v6: string[] = []): IpPermission => ({
  ...p,
  IpRanges: v4.map((CidrIp) => ({ CidrIp })),
  Ipv6Ranges: v6.map((CidrIpv6) => ({ CidrIpv6 })),
});

describe("offendingPermissions", () => {
  const ports = [22, 3389];
  const cases: [string, IpPermission, IpPermission[]][] = [
    ["ssh from anywhere", open({ IpProtocol: "tcp", FromPort: 22, ToPort: 22 }, ["0.0.0.0/0"]), [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }]],
    ["a range covering 22", open({ IpProtocol: "tcp", FromPort: 0, ToPort: 1024 }, ["0.0.0.0/0"]), [{ IpProtocol: "tcp", FromPort: 0, ToPort: 1024, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }]],
    ["all traffic", open({ IpProtocol: "-1" }, ["0.0.0.0/0"]), [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }]],
    ["rdp over udp from anywhere on IPv6", open({ IpProtocol: "udp", FromPort: 3389, ToPort: 3389 }, [], ["::/0"]), [{ IpProtocol: "udp", FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: "::/0" }] }]],
    ["protocol by number", open({ IpProtocol: "6", FromPort: 3000, ToPort: 4000 }, ["0.0.0.0/0"]), [{ IpProtocol: "6", FromPort: 3000, ToPort: 4000, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }]],
    ["only the open CIDR of a shared rule", open({ IpProtocol: "tcp", FromPort: 22, ToPort: 22 }, ["10.0.0.0/8", "0.0.0.0/0"], ["::/0"]), [
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: "::/0" }] },
    ]],
    ["https from anywhere", open({ IpProtocol: "tcp", FromPort: 443, ToPort: 443 }, ["0.0.0.0/0"]), []],
    ["ssh from a private range", open({ IpProtocol: "tcp", FromPort: 22, ToPort: 22 }, ["10.0.0.0/8"]), []],
    ["icmp from anywhere", open({ IpProtocol: "icmp", FromPort: -1, ToPort: -1 }, ["0.0.0.0/0"]), []],
    ["ssh from another group", { IpProtocol: "tcp", FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: "sg-bastion" }] }, []],
  ];
  it.each(cases)("%s", (_what, permission, expected) => {
    expect(offendingPermissions([permission], ports)).toEqual(expected);
  });
});

describe("open-ingress guardrail", () => {
  const GROUP = "sg-0a1b2c3d4e5f60718";
  const ssh = open({ IpProtocol: "tcp", FromPort: 22, ToPort: 22 }, ["0.0.0.0/0"]);
  const https = open({ IpProtocol: "tcp", FromPort: 443, ToPort: 443 }, ["0.0.0.0/0"]);
  const group = (perms: IpPermission[], tags: Record<string, string> = {}): { SecurityGroups: SecurityGroup[] } => ({
    SecurityGroups: [{ GroupId: GROUP, GroupName: "app", IpPermissions: perms, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
  });

  it("revokes only the offending rule and verifies it is gone", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolvesOnce(group([ssh, https])).resolvesOnce(group([https]));
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", GROUP));
    expect(outcome.action).toMatchObject({ outcome: "remediated", by: "guardrail:open-ingress", steps: [`RevokeSecurityGroupIngress GroupId=${GROUP} tcp 22 from 0.0.0.0/0`] });
    expect(outcome.finding).toBe(true);
    const revokes = ec2.commandCalls(RevokeSecurityGroupIngressCommand);
    expect(revokes).toHaveLength(1);
    expect(revokes[0]?.args[0].input).toEqual({ GroupId: GROUP, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] });
  });

  it("plans without writing in report mode", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves(group([ssh]));
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", GROUP, { mode: "report" }));
    expect(outcome.action).toMatchObject({ outcome: "planned", steps: [`RevokeSecurityGroupIngress GroupId=${GROUP} tcp 22 from 0.0.0.0/0`] });
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it("leaves an exempt group untouched and says why", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves(group([ssh], { "driftguard:exempt": "reason=INC-42 vendor access;until=2025-05-31" }));
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", GROUP));
    expect(outcome.action.outcome).toBe("skipped");
    expect(outcome.action.reason).toContain("exempt: INC-42 vendor access");
    expect(outcome.exemption).toMatchObject({ kind: "exempt", until: "2025-05-31", on: "resource" });
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it("acts despite an expired exemption, reporting it", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolvesOnce(group([ssh], { "driftguard:exempt": "reason=old;until=2024-01-01" })).resolves(group([]));
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", GROUP));
    expect(outcome.action.outcome).toBe("remediated");
    expect(outcome.exemption).toMatchObject({ kind: "expired" });
  });

  it("finds nothing to do when no configured port is open", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves(group([https]));
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", GROUP));
    expect(outcome).toMatchObject({ finding: false, action: { outcome: "skipped" } });
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it("reports failure when the revoke call fails", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves(group([ssh]));
    ec2.on(RevokeSecurityGroupIngressCommand).rejects(awsError("UnauthorizedOperation", "not authorized"));
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", GROUP));
    expect(outcome.action).toMatchObject({ outcome: "failed" });
    expect(outcome.action.reason).toContain("UnauthorizedOperation: not authorized");
  });

  it("reports failure when the rule is still there afterwards", async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves(group([ssh]));
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", GROUP));
    expect(outcome.action.outcome).toBe("failed");
    expect(outcome.action.reason).toContain("still present after repair");
  });

  it("skips a group deleted since the event", async () => {
    ec2.on(DescribeSecurityGroupsCommand).rejects(awsError("InvalidGroup.NotFound"));
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", GROUP));
    expect(outcome).toMatchObject({ finding: false, action: { outcome: "skipped", reason: `security group ${GROUP} no longer exists` } });
  });

  it("looks a default-VPC group up by name", async () => {
    ec2.on(DescribeSecurityGroupsCommand, { GroupNames: ["legacy-web"] }).resolves(group([https]));
    const outcome = await evaluateGuardrail(openIngress, ctx("AWS::EC2::SecurityGroup", "legacy-web"));
    expect(outcome.action.outcome).toBe("skipped");
    expect(outcome.finding).toBe(false);
  });
});

describe("bucket-encryption guardrail", () => {
  const BUCKET = "scratch-exports";
  const aes = { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" as const } }] } };

  it("restores SSE-S3 when the default encryption was removed", async () => {
    s3.on(GetBucketEncryptionCommand).rejectsOnce(awsError("ServerSideEncryptionConfigurationNotFoundError")).resolves(aes);
    s3.on(GetBucketTaggingCommand).rejects(awsError("NoSuchTagSet"));
    s3.on(PutBucketEncryptionCommand).resolves({});
    const outcome = await evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET));
    expect(outcome.action).toMatchObject({ outcome: "remediated", steps: [`PutBucketEncryption Bucket=${BUCKET} SSEAlgorithm=AES256`] });
    expect(s3.commandCalls(PutBucketEncryptionCommand)[0]?.args[0].input).toEqual({ Bucket: BUCKET, ...aes });
  });

  it("leaves a bucket with default encryption alone", async () => {
    s3.on(GetBucketEncryptionCommand).resolves(aes);
    const outcome = await evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET));
    expect(outcome).toMatchObject({ finding: false, action: { outcome: "skipped", reason: `bucket ${BUCKET} has default encryption AES256` } });
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(0);
  });

  it("honours the exemption tag on the bucket", async () => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError("ServerSideEncryptionConfigurationNotFoundError"));
    s3.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: "driftguard:exempt", Value: "reason=public dataset" }] });
    const outcome = await evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET));
    expect(outcome.action.outcome).toBe("skipped");
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(0);
  });

  it("only plans in report mode", async () => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError("ServerSideEncryptionConfigurationNotFoundError"));
    s3.on(GetBucketTaggingCommand).resolves({ TagSet: [] });
    const outcome = await evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET, { mode: "report" }));
    expect(outcome.action.outcome).toBe("planned");
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(0);
  });

  it("skips a bucket that no longer exists", async () => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError("NoSuchBucket"));
    expect((await evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET))).action.reason).toBe(`bucket ${BUCKET} no longer exists`);
  });
});

describe("bucket-encryption guardrail: what counts as encrypted", () => {
  const BUCKET = "scratch-exports";
  // GetBucketEncryption answers only for the bucket asked about; any other bucket reads as gone.
  const encryption = (out: object) => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError("NoSuchBucket"));
    s3.on(GetBucketEncryptionCommand, { Bucket: BUCKET }).resolves(out);
  };

  it("finds SSE-KMS in any rule of the configuration, not only the first", async () => {
    encryption({ ServerSideEncryptionConfiguration: { Rules: [{ BucketKeyEnabled: true }, { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/data" } }] } });
    expect((await evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET))).action).toMatchObject({ outcome: "skipped", reason: `bucket ${BUCKET} has default encryption aws:kms` });
  });

  it.each([
    ["no configuration in the answer", {}],
    ["no rules", { ServerSideEncryptionConfiguration: { Rules: [] } }],
    ["a rule without a default algorithm", { ServerSideEncryptionConfiguration: { Rules: [{ BucketKeyEnabled: true }] } }],
  ])("treats %s as unencrypted", async (_what, out) => {
    encryption(out);
    s3.on(GetBucketTaggingCommand, { Bucket: BUCKET }).resolves({ TagSet: [] });
    const outcome = await evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET, { mode: "report" }));
    expect(outcome).toMatchObject({ finding: true, action: { outcome: "planned", reason: `bucket ${BUCKET} had its default encryption removed`, steps: [`PutBucketEncryption Bucket=${BUCKET} SSEAlgorithm=AES256`] } });
  });

  it("does not take a read it was refused for compliance, nor a tag read it was refused for no exemption", async () => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError("AccessDenied", "Access Denied", 403));
    await expect(evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET))).rejects.toThrow("Access Denied");
    s3.reset();
    s3.on(GetBucketEncryptionCommand).rejects(awsError("ServerSideEncryptionConfigurationNotFoundError"));
    s3.on(GetBucketTaggingCommand).rejects(awsError("AccessDenied", "Access Denied", 403));
    await expect(evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET))).rejects.toThrow("Access Denied");
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(0);
  });

  it("reads the exemption tag of the bucket it repairs", async () => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError("ServerSideEncryptionConfigurationNotFoundError"));
    s3.on(GetBucketTaggingCommand).rejects(awsError("NoSuchBucket"));
    s3.on(GetBucketTaggingCommand, { Bucket: BUCKET }).resolves({ TagSet: [{ Key: "driftguard:exempt", Value: "reason=public dataset" }] });
    expect((await evaluateGuardrail(bucketEncryption, ctx("AWS::S3::Bucket", BUCKET))).action.outcome).toBe("skipped");
  });
});

describe("bucket-public-access guardrail", () => {
  const BUCKET = "partner-drop";
  const ALL_ON = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
  // GetPublicAccessBlock answers only for the bucket asked about. A bucket whose configuration was
  // deleted answers 404 NoSuchPublicAccessBlockConfiguration (S3 API Reference, GetPublicAccessBlock).
  const blockReads = (...answers: (object | Error)[]) => {
    s3.on(GetPublicAccessBlockCommand).rejects(awsError("NoSuchBucket", "The specified bucket does not exist", 404));
    const on = s3.on(GetPublicAccessBlockCommand, { Bucket: BUCKET });
    for (const a of answers) if (a instanceof Error) on.rejectsOnce(a);
    else on.resolvesOnce({ PublicAccessBlockConfiguration: a });
  };
  const untagged = () => s3.on(GetBucketTaggingCommand, { Bucket: BUCKET }).rejects(awsError("NoSuchTagSet", "The TagSet does not exist", 404));
  const PUT = `PutPublicAccessBlock Bucket=${BUCKET} BlockPublicAcls=true IgnorePublicAcls=true BlockPublicPolicy=true RestrictPublicBuckets=true`;

  it("turns all four settings back on when the configuration was deleted, and verifies", async () => {
    blockReads(awsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404), ALL_ON);
    untagged();
    s3.on(PutPublicAccessBlockCommand).resolves({});
    const outcome = await evaluateGuardrail(bucketPublicAccess, ctx("AWS::S3::Bucket", BUCKET));
    expect(outcome).toMatchObject({
      finding: true,
      action: { outcome: "remediated", by: "guardrail:bucket-public-access", steps: [PUT], reason: `bucket ${BUCKET} does not block public access (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off)` },
    });
    expect(s3.commandCalls(PutPublicAccessBlockCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: BUCKET, PublicAccessBlockConfiguration: ALL_ON }]);
  });

  it("names only the settings that are off, and in report mode only plans", async () => {
    blockReads({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false });
    untagged();
    const outcome = await evaluateGuardrail(bucketPublicAccess, ctx("AWS::S3::Bucket", BUCKET, { mode: "report" }));
    expect(outcome.action).toMatchObject({ outcome: "planned", steps: [PUT], reason: `bucket ${BUCKET} does not block public access (BlockPublicPolicy, RestrictPublicBuckets off)` });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(0);
  });

  it("treats an answer without a configuration as nothing blocked", async () => {
    s3.on(GetPublicAccessBlockCommand, { Bucket: BUCKET }).resolves({});
    untagged();
    expect((await evaluateGuardrail(bucketPublicAccess, ctx("AWS::S3::Bucket", BUCKET, { mode: "report" }))).action.reason).toBe(
      `bucket ${BUCKET} does not block public access (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off)`,
    );
  });

  it("leaves a bucket that blocks all public access alone", async () => {
    blockReads(ALL_ON);
    const outcome = await evaluateGuardrail(bucketPublicAccess, ctx("AWS::S3::Bucket", BUCKET));
    expect(outcome).toMatchObject({ finding: false, action: { outcome: "skipped", reason: `bucket ${BUCKET} blocks all public access` } });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(0);
  });

  it("skips a bucket deleted since the event", async () => {
    s3.on(GetPublicAccessBlockCommand).rejects(awsError("NoSuchBucket", "The specified bucket does not exist", 404));
    expect((await evaluateGuardrail(bucketPublicAccess, ctx("AWS::S3::Bucket", BUCKET))).action).toMatchObject({ outcome: "skipped", reason: `bucket ${BUCKET} no longer exists` });
  });

  it("does not take a refused read for a bucket that blocks public access", async () => {
    s3.on(GetPublicAccessBlockCommand).rejects(awsError("AccessDenied", "Access Denied", 403));
    await expect(evaluateGuardrail(bucketPublicAccess, ctx("AWS::S3::Bucket", BUCKET))).rejects.toThrow("Access Denied");
  });

  it("leaves a bucket meant to be public (exemption tag) as it is", async () => {
    blockReads({});
    s3.on(GetBucketTaggingCommand, { Bucket: BUCKET }).resolves({ TagSet: [{ Key: "driftguard:exempt", Value: "reason=static website" }] });
    const outcome = await evaluateGuardrail(bucketPublicAccess, ctx("AWS::S3::Bucket", BUCKET));
    expect(outcome.action.outcome).toBe("skipped");
    expect(outcome.action.reason).toContain("exempt: static website");
    expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(0);
  });

  it("reports a failed repair when a setting is still off afterwards", async () => {
    blockReads({}, { ...ALL_ON, RestrictPublicBuckets: false });
    untagged();
    s3.on(PutPublicAccessBlockCommand).resolves({});
    const outcome = await evaluateGuardrail(bucketPublicAccess, ctx("AWS::S3::Bucket", BUCKET));
    expect(outcome.action.outcome).toBe("failed");
    expect(outcome.action.reason).toContain(`still present after repair: bucket ${BUCKET} does not block public access (RestrictPublicBuckets off)`);
  });

  it("answers both Block Public Access events, unless switched off", () => {
    expect(guardrailFor("DeleteBucketPublicAccessBlock", "AWS::S3::Bucket", settings)?.name).toBe("bucket-public-access");
    expect(guardrailFor("PutBucketPublicAccessBlock", "AWS::S3::Bucket", settings)?.name).toBe("bucket-public-access");
    expect(guardrailFor("PutBucketPublicAccessBlock", "AWS::S3::Bucket", { ...settings, blockBucketPublicAccess: false })).toBeUndefined();
  });
});

describe("vpc-created guardrail", () => {
  it("asks a person to review, naming who created it, in every mode", async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: "vpc-1", CidrBlock: "10.42.0.0/16", Tags: [] }] });
    for (const mode of ["remediate", "report"] as const) {
      const outcome = await evaluateGuardrail(vpcCreated, ctx("AWS::EC2::VPC", "vpc-1", { mode }));
      expect(outcome).toMatchObject({ finding: true, action: { outcome: "manual", steps: [] } });
      expect(outcome.action.reason).toBe("VPC vpc-1 (10.42.0.0/16) was created outside CloudFormation by arn:aws:iam::111122223333:user/bob; review it");
    }
  });

  it("stays quiet about an exempt VPC", async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: "vpc-1", Tags: [{ Key: "driftguard:exempt", Value: "reason=sandbox" }] }] });
    expect((await evaluateGuardrail(vpcCreated, ctx("AWS::EC2::VPC", "vpc-1"))).action.outcome).toBe("skipped");
  });
});

describe("required-tags guardrail", () => {
  const ID = "i-0d1c2b3a4f5e60718";
  const described = (tags: Record<string, string>, state = "pending") => ({
    Reservations: [{ Instances: [{ InstanceId: ID, State: { Name: state as "pending" }, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }],
  });

  it("computes missing tags by rule: the creator's ARN, a fixed value, the launch date plus N days", () => {
    const required = [{ key: "owner", value: "creator" }, { key: "cost-center", value: "unallocated" }, { key: "team", value: "x" }, { key: "expires", value: "launch+30d" }];
    expect(missingTags({ team: "payments" }, required, { actor, launchTime: new Date("2026-11-30T23:59:59Z") })).toEqual({
      fill: [
        { Key: "owner", Value: "arn:aws:iam::111122223333:user/bob" },
        { Key: "cost-center", Value: "unallocated" },
        // 2026-11-30 + 30 days: December has 31, so 2026-12-30.
        { Key: "expires", Value: "2026-12-30" },
      ],
      unknown: [],
    });
  });

  it("never guesses a creator: an unknown one is reported and left unset", () => {
    const out = missingTags({}, [{ key: "owner", value: "creator" }, { key: "env", value: "dev" }], { actor: { source: "cloudtrail-lookup" } });
    expect(out.fill).toEqual([{ Key: "env", Value: "dev" }]);
    expect(out.unknown).toEqual([{ key: "owner", why: expect.stringContaining("creator unknown") }]);
  });

  it("tags a new instance with the creator and verifies it", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described({ Name: "web" })).resolves(described({ Name: "web", owner: actor.arn as string }));
    ec2.on(CreateTagsCommand).resolves({});
    const outcome = await evaluateGuardrail(requiredTags, ctx("AWS::EC2::Instance", ID));
    expect(outcome.action).toMatchObject({ outcome: "remediated", steps: [`CreateTags Resources=${ID} owner=${actor.arn}`] });
    expect(ec2.commandCalls(CreateTagsCommand)[0]?.args[0].input).toEqual({ Resources: [ID], Tags: [{ Key: "owner", Value: actor.arn }] });
  });

  it("does nothing to an instance that has the tags", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described({ owner: "someone" }));
    expect((await evaluateGuardrail(requiredTags, ctx("AWS::EC2::Instance", ID))).finding).toBe(false);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });

  it("only plans in report mode", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described({}));
    expect((await evaluateGuardrail(requiredTags, ctx("AWS::EC2::Instance", ID, { mode: "report" }))).action.outcome).toBe("planned");
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });

  it("skips terminated instances", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described({}, "terminated"));
    expect((await evaluateGuardrail(requiredTags, ctx("AWS::EC2::Instance", ID))).action.reason).toBe(`instance ${ID} no longer exists`);
  });
});

describe("guardrail registry", () => {
  it("gives each event name and resource type at most one rule", () => {
    const claims = GUARDRAILS.flatMap((g) => g.eventNames.map((e) => `${e} ${g.resourceType}`));
    expect(new Set(claims).size).toBe(claims.length);
  });

  it("picks the rule for an event and honours the settings that turn rules off", () => {
    expect(guardrailFor("AuthorizeSecurityGroupIngress", "AWS::EC2::SecurityGroup", settings)?.name).toBe("open-ingress");
    expect(guardrailFor("AuthorizeSecurityGroupIngress", "AWS::EC2::SecurityGroup", { ...settings, openIngressPorts: [] })).toBeUndefined();
    expect(guardrailFor("DeleteBucketEncryption", "AWS::S3::Bucket", { ...settings, restoreBucketEncryption: false })).toBeUndefined();
    expect(guardrailFor("CreateVpc", "AWS::EC2::VPC", { ...settings, notifyOnCreateVpc: false })).toBeUndefined();
    expect(guardrailFor("RunInstances", "AWS::EC2::Instance", { ...settings, requiredTags: [] })).toBeUndefined();
    expect(guardrailFor("CreateTags", "AWS::EC2::Instance", settings)).toBeUndefined();
  });

  it("lists every IAM action the rules call, once, for the spoke role", () => {
    expect(guardrailActions()).toEqual([
      "ec2:CreateTags",
      "ec2:DescribeInstances",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeVpcs",
      "ec2:RevokeSecurityGroupIngress",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketTagging",
      "s3:GetEncryptionConfiguration",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutEncryptionConfiguration",
    ]);
    expect(spokeRoleActions()).toEqual(expect.arrayContaining(guardrailActions()));
  });
});
