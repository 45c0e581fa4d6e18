import { GetBucketEncryptionCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { IgnoreRule } from "../../../functions/config/schema.js";
import type { ResourceDrift } from "../../../functions/core/types.js";
import { withExpiredIgnores } from "../../../functions/drift/assess.js";
import { classify, expectedWithIgnored } from "../../../functions/drift/classify.js";
import { expiredIgnoreRules } from "../../../functions/drift/ignore.js";
import { gatherEvidence } from "../../../functions/drift/evidence.js";
import { awsError, spokeClients } from "../remediation/helpers.js";
import { BUCKET_ENCRYPTION_2554, bucketEncryptionRemove2554, drift, GET_BUCKET_ENCRYPTION_2554, notEqual } from "./payloads.js";

const NOW = new Date("2026-11-30T12:00:00Z");
const ctx = (resourceType: string, accountId = "123456789012", region = "us-east-1") => ({ resourceType, accountId, region, partition: "aws" });

function run(d: ResourceDrift, options: { accountId?: string; region?: string; evidence?: Map<string, unknown>; ignore?: IgnoreRule[]; stackName?: string } = {}) {
  return classify({
    drift: d,
    ctx: ctx(d.resourceType, options.accountId, options.region),
    stackName: options.stackName ?? "app",
    now: NOW,
    ignore: options.ignore ?? [],
    ...(options.evidence ? { evidence: options.evidence } : {}),
  });
}

const classesOf = (d: ResourceDrift, options?: Parameters<typeof run>[1]) => run(d, options).falsePositives.map((f) => f.classes);

describe("account-id-principal", () => {
  // cloudformation-coverage-roadmap#2557: template `"Principal": {"AWS": "123456789012"}`, stored as the root ARN.
  const logsPolicy = (principal: string) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Cross", Effect: "Allow", Principal: { AWS: principal }, Action: "logs:PutLogEvents", Resource: "*" }] });

  it("is a false positive for a resource policy document given as a string", () => {
    const d = drift("AWS::Logs::ResourcePolicy", { PolicyName: "p", PolicyDocument: logsPolicy("123456789012") }, { PolicyName: "p", PolicyDocument: logsPolicy("arn:aws:iam::123456789012:root") }, [
      notEqual("/PolicyDocument", logsPolicy("123456789012"), logsPolicy("arn:aws:iam::123456789012:root")),
    ]);
    const result = run(d);
    expect(result.real).toEqual([]);
    expect(result.falsePositives).toEqual([{ propertyPath: "/PolicyDocument", differenceType: "NOT_EQUAL", classes: ["account-id-principal"], roadmapIssues: [2557] }]);
  });

  it("is a false positive in an IAM trust policy, at the principal's own path", () => {
    const doc = (p: string) => ({ Statement: [{ Effect: "Allow", Principal: { AWS: p }, Action: "sts:AssumeRole" }] });
    const d = drift("AWS::IAM::Role", { AssumeRolePolicyDocument: doc("123456789012") }, { AssumeRolePolicyDocument: doc("arn:aws:iam::123456789012:root") }, [
      notEqual("/AssumeRolePolicyDocument/Statement/0/Principal/AWS", "123456789012", "arn:aws:iam::123456789012:root"),
    ]);
    expect(classesOf(d)).toEqual([["account-id-principal"]]);
  });

  it("keeps a principal of another account as real drift", () => {
    const d = drift("AWS::Logs::ResourcePolicy", { PolicyDocument: logsPolicy("123456789012") }, { PolicyDocument: logsPolicy("arn:aws:iam::999999999999:root") }, [
      notEqual("/PolicyDocument", logsPolicy("123456789012"), logsPolicy("arn:aws:iam::999999999999:root")),
    ]);
    expect(run(d).real).toHaveLength(1);
  });

  it("uses the resource's partition", () => {
    const doc = (p: string) => ({ Statement: [{ Effect: "Allow", Principal: { AWS: p }, Action: "sts:AssumeRole" }] });
    const d = drift("AWS::IAM::Role", { AssumeRolePolicyDocument: doc("123456789012") }, { AssumeRolePolicyDocument: doc("arn:aws:iam::123456789012:root") }, [
      notEqual("/AssumeRolePolicyDocument/Statement/0/Principal/AWS", "123456789012", "arn:aws:iam::123456789012:root"),
    ]);
    const cn = classify({ drift: d, ctx: { ...ctx("AWS::IAM::Role"), region: "cn-north-1", partition: "aws-cn" }, stackName: "app", now: NOW, ignore: [] });
    expect(cn.real).toHaveLength(1);
  });
});

describe("bucket-encryption-remove", () => {
  it("is a false positive when the bucket's live rule matches the template (the #2554 payloads)", () => {
    const live = { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }] };
    const result = run(bucketEncryptionRemove2554(), { evidence: new Map([["BucketEncryption", live]]) });
    expect(result.real).toEqual([]);
    expect(result.falsePositives[0]).toMatchObject({ propertyPath: "/BucketEncryption", differenceType: "REMOVE", classes: ["bucket-encryption-remove"], roadmapIssues: [2554] });
  });

  it("is real drift when the bucket really has no default encryption, or another algorithm", () => {
    expect(run(bucketEncryptionRemove2554(), { evidence: new Map([["BucketEncryption", undefined]]) }).real).toHaveLength(1);
    const kms = { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }] };
    expect(run(bucketEncryptionRemove2554(), { evidence: new Map([["BucketEncryption", kms]]) }).real).toHaveLength(1);
  });

  it("is real drift without evidence: CloudFormation's word stands", () => {
    expect(run(bucketEncryptionRemove2554()).real).toHaveLength(1);
  });

  describe("its evidence probe", () => {
    const s3 = mockClient(S3Client);
    beforeEach(() => s3.reset());

    it("reads GetBucketEncryption and returns the rule in template shape", async () => {
      s3.on(GetBucketEncryptionCommand, { Bucket: "res-1" }).resolves(GET_BUCKET_ENCRYPTION_2554 as never);
      const evidence = await gatherEvidence(bucketEncryptionRemove2554(), spokeClients());
      expect(evidence.values.get("BucketEncryption")).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }],
      });
    });

    it("answers 'no encryption' for ServerSideEncryptionConfigurationNotFoundError and records other failures", async () => {
      s3.on(GetBucketEncryptionCommand).rejectsOnce(awsError("ServerSideEncryptionConfigurationNotFoundError", "not found")).rejectsOnce(awsError("AccessDenied", "no"));
      expect((await gatherEvidence(bucketEncryptionRemove2554(), spokeClients())).values).toEqual(new Map([["BucketEncryption", undefined]]));
      const failed = await gatherEvidence(bucketEncryptionRemove2554(), spokeClients());
      expect(failed.values.size).toBe(0);
      expect(failed.failures[0]).toMatch(/^BucketEncryption: AccessDenied/);
    });

    it("is not called for other properties or types", async () => {
      const other = drift("AWS::S3::Bucket", {}, {}, [notEqual("/VersioningConfiguration/Status", "Enabled", "Suspended")]);
      await gatherEvidence(other, spokeClients());
      expect(s3.calls()).toHaveLength(0);
    });
  });
});

describe("service-case", () => {
  it("folds the IpProtocol EC2 lower-cases (go-to-k/cdk-real-drift#877: desired TCP, actual tcp)", () => {
    const rule = (p: string) => ({ IpProtocol: p, FromPort: 443, ToPort: 443, CidrIp: "10.0.0.0/8" });
    const d = drift("AWS::EC2::SecurityGroup", { SecurityGroupIngress: [rule("TCP")] }, { SecurityGroupIngress: [rule("tcp")] }, [notEqual("/SecurityGroupIngress/0/IpProtocol", "TCP", "tcp")]);
    expect(classesOf(d)).toEqual([["service-case"]]);
  });

  it("folds the protocol numbers EC2 names (6 is tcp), and only those", () => {
    const rule = (p: string) => ({ IpProtocol: p, FromPort: 53, ToPort: 53, CidrIp: "10.0.0.0/8" });
    const named = drift("AWS::EC2::SecurityGroup", { SecurityGroupIngress: [rule("17")] }, { SecurityGroupIngress: [rule("udp")] }, [notEqual("/SecurityGroupIngress/0/IpProtocol", "17", "udp")]);
    expect(run(named).real).toEqual([]);
    const other = drift("AWS::EC2::SecurityGroup", { SecurityGroupIngress: [rule("47")] }, { SecurityGroupIngress: [rule("gre")] }, [notEqual("/SecurityGroupIngress/0/IpProtocol", "47", "gre")]);
    expect(run(other).real).toHaveLength(1);
  });

  it("folds DMS identifiers (cloudformation-coverage-roadmap#2565 payload)", () => {
    const d = drift("AWS::DMS::Endpoint", { EndpointIdentifier: "DMS-Drift-Repro-Endpoint-01" }, { EndpointIdentifier: "dms-drift-repro-endpoint-01" }, [
      notEqual("/EndpointIdentifier", "DMS-Drift-Repro-Endpoint-01", "dms-drift-repro-endpoint-01"),
    ]);
    expect(classesOf(d)).toEqual([["service-case"]]);
  });

  it("keeps a real protocol change (tcp to udp) and the same fold on an unlisted property as drift", () => {
    const rule = (p: string) => ({ IpProtocol: p, FromPort: 443, ToPort: 443, CidrIp: "10.0.0.0/8" });
    expect(run(drift("AWS::EC2::SecurityGroup", { SecurityGroupIngress: [rule("tcp")] }, { SecurityGroupIngress: [rule("udp")] }, [notEqual("/SecurityGroupIngress/0/IpProtocol", "tcp", "udp")])).real).toHaveLength(1);
    expect(run(drift("AWS::EC2::SecurityGroup", { GroupDescription: "Web" }, { GroupDescription: "web" }, [notEqual("/GroupDescription", "Web", "web")])).real).toHaveLength(1);
  });
});

describe("service-defaults", () => {
  it("reads a BucketKeyEnabled the template leaves out as S3's false (the #2554 get-bucket-encryption payload)", () => {
    const d = drift(
      "AWS::S3::Bucket",
      { BucketEncryption: BUCKET_ENCRYPTION_2554 },
      { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }] } },
      [{ propertyPath: "/BucketEncryption/ServerSideEncryptionConfiguration/0/BucketKeyEnabled", expectedValue: "null", actualValue: "false", differenceType: "ADD" }],
    );
    expect(classesOf(d)).toEqual([["service-defaults"]]);
  });

  it("reads an IAM role's missing MaxSessionDuration as 3600 and keeps any other value as drift", () => {
    const add = (v: number) => [{ propertyPath: "/MaxSessionDuration", expectedValue: "null", actualValue: String(v), differenceType: "ADD" as const }];
    expect(run(drift("AWS::IAM::Role", {}, { MaxSessionDuration: 3600 }, add(3600))).real).toEqual([]);
    expect(run(drift("AWS::IAM::Role", {}, { MaxSessionDuration: 43200 }, add(43200))).real).toHaveLength(1);
  });

  it("never overrides a value the template sets", () => {
    const d = drift(
      "AWS::S3::Bucket",
      { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }] } },
      { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: false }] } },
      [notEqual("/BucketEncryption/ServerSideEncryptionConfiguration/0/BucketKeyEnabled", "true", "false")],
    );
    expect(run(d).real).toHaveLength(1);
  });
});

describe("list-order", () => {
  it("sorts CloudFront origins compared by position (cloudformation-coverage-roadmap#1369)", () => {
    const s3Origin = { Id: "origin1", DomainName: "my-bucket.s3.amazonaws.com", S3OriginConfig: {} };
    const custom = { Id: "origin2", DomainName: "zz.example.com", CustomOriginConfig: { OriginProtocolPolicy: "https-only" } };
    const d = drift("AWS::CloudFront::Distribution", { DistributionConfig: { Origins: [s3Origin, custom] } }, { DistributionConfig: { Origins: [custom, s3Origin] } }, [
      notEqual("/DistributionConfig/Origins/0/Id", "origin1", "origin2"),
      notEqual("/DistributionConfig/Origins/0/DomainName", s3Origin.DomainName, custom.DomainName),
      notEqual("/DistributionConfig/Origins/1/Id", "origin2", "origin1"),
    ]);
    const result = run(d);
    expect(result.real).toEqual([]);
    expect(result.falsePositives.map((f) => f.classes)).toEqual([["list-order"], ["list-order"], ["list-order"]]);
  });

  it("keeps an extra managed policy as drift, and an order that matters (cache behaviours) as written", () => {
    const base = ["arn:aws:iam::aws:policy/ReadOnlyAccess"];
    const d = drift("AWS::IAM::Role", { ManagedPolicyArns: base }, { ManagedPolicyArns: [...base, "arn:aws:iam::aws:policy/AdministratorAccess"] }, [
      { propertyPath: "/ManagedPolicyArns/1", expectedValue: "null", actualValue: "arn:aws:iam::aws:policy/AdministratorAccess", differenceType: "ADD" },
    ]);
    expect(run(d).real).toHaveLength(1);
    const b = (p: string) => ({ PathPattern: p, TargetOriginId: "o" });
    const ordered = drift("AWS::CloudFront::Distribution", { DistributionConfig: { CacheBehaviors: [b("a/*"), b("b/*")] } }, { DistributionConfig: { CacheBehaviors: [b("b/*"), b("a/*")] } }, [
      notEqual("/DistributionConfig/CacheBehaviors/0/PathPattern", "a/*", "b/*"),
    ]);
    expect(run(ordered).real).toHaveLength(1);
  });
});

describe("policy-form", () => {
  it("reads a lone Statement object, scalar Action and a Policy string as the same policy (#2188, #1322)", () => {
    // cloudformation-coverage-roadmap#2188's template, and the document as the service returns it.
    const template = { Version: "2012-10-17", Statement: { Sid: "Test", Effect: "Allow", Principal: { AWS: "AWS" }, Action: "events:PutEvents", Resource: "RESOURCE" } };
    const live = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Test", Effect: "Allow", Principal: { AWS: ["AWS"] }, Action: ["events:PutEvents"], Resource: ["RESOURCE"] }] });
    const d = drift("AWS::Events::EventBus", { Name: "MyCustomEventBus", Policy: template }, { Name: "MyCustomEventBus", Policy: live }, [notEqual("/Policy", template, live)]);
    expect(classesOf(d)).toEqual([["policy-form"]]);
  });

  it("ignores statement order and a Version written as a YAML date, but not an added action", () => {
    const a = { Effect: "Allow", Action: "s3:GetObject", Resource: "*" };
    const b = { Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" };
    const doc = (version: string, statements: object[]) => ({ PolicyName: "p", PolicyDocument: { Version: version, Statement: statements } });
    const reordered = drift("AWS::IAM::Role", { Policies: [doc("2012-10-17T00:00:00.000Z", [a, b])] }, { Policies: [doc("2012-10-17", [b, a])] }, [
      notEqual("/Policies/0/PolicyDocument/Statement/0/Effect", "Allow", "Deny"),
      notEqual("/Policies/0/PolicyDocument/Version", "2012-10-17T00:00:00.000Z", "2012-10-17"),
    ]);
    expect(run(reordered).real).toEqual([]);
    const wider = drift("AWS::IAM::Role", { Policies: [doc("2012-10-17", [a])] }, { Policies: [doc("2012-10-17", [{ ...a, Action: ["s3:GetObject", "s3:PutObject"] }])] }, [
      notEqual("/Policies/0/PolicyDocument/Statement/0/Action", "s3:GetObject", '["s3:GetObject","s3:PutObject"]'),
    ]);
    expect(run(wider).real).toHaveLength(1);
  });
});

describe("kms-key-id", () => {
  // cloudformation-coverage-roadmap#2362: expected the key id, actual the key ARN (us-east-1, 111111111111).
  const id = "12345678-1234-1234-1234-123456789012";
  const ebs = (key: string) => ({ BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { VolumeType: "gp3", KmsKeyId: key, Encrypted: true } }] });

  it("is a false positive when the ARN names that key in the resource's account and region", () => {
    const arn = `arn:aws:kms:us-east-1:111111111111:key/${id}`;
    const d = drift("AWS::EC2::Instance", ebs(id), ebs(arn), [notEqual("/BlockDeviceMappings/0/Ebs/KmsKeyId", id, arn)]);
    expect(classesOf(d, { accountId: "111111111111" })).toEqual([["kms-key-id"]]);
  });

  it("keeps a key of another account or region, or another key, as drift", () => {
    for (const arn of [`arn:aws:kms:us-east-1:222222222222:key/${id}`, `arn:aws:kms:eu-west-1:111111111111:key/${id}`, "arn:aws:kms:us-east-1:111111111111:key/87654321-4321-4321-4321-210987654321"]) {
      expect(run(drift("AWS::EC2::Instance", ebs(id), ebs(arn), [notEqual("/BlockDeviceMappings/0/Ebs/KmsKeyId", id, arn)]), { accountId: "111111111111" }).real).toHaveLength(1);
    }
  });
});

describe("classification", () => {
  it("keeps the real difference next to a false positive", () => {
    const rule = (p: string, port: number) => ({ IpProtocol: p, FromPort: port, ToPort: port, CidrIp: "0.0.0.0/0" });
    const d = drift("AWS::EC2::SecurityGroup", { SecurityGroupIngress: [rule("TCP", 443)], GroupDescription: "web" }, { SecurityGroupIngress: [rule("tcp", 443)], GroupDescription: "changed" }, [
      notEqual("/SecurityGroupIngress/0/IpProtocol", "TCP", "tcp"),
      notEqual("/GroupDescription", "web", "changed"),
    ]);
    const result = run(d);
    expect(result.real.map((r) => r.propertyPath)).toEqual(["/GroupDescription"]);
    expect(result.falsePositives.map((f) => f.propertyPath)).toEqual(["/SecurityGroupIngress/0/IpProtocol"]);
  });

  it("never classifies a deleted resource", () => {
    expect(run({ ...bucketEncryptionRemove2554(), status: "DELETED" }).real).toHaveLength(1);
  });
});

describe("ignore rules", () => {
  const tags = drift("AWS::S3::Bucket", { Tags: [{ Key: "cost-center", Value: "payments" }] }, { Tags: [{ Key: "cost-center", Value: "finance" }, { Key: "owner", Value: "bob" }] }, [
    notEqual("/Tags/0/Value", "payments", "finance"),
    { propertyPath: "/Tags/1", expectedValue: "null", actualValue: '{"Key":"owner","Value":"bob"}', differenceType: "ADD" },
  ]);
  const rule = (patch: Partial<IgnoreRule> = {}): IgnoreRule => ({ resourceType: "AWS::S3::Bucket", property: "/Tags", reason: "FinOps sets cost-center tags", ...patch });

  it("covers everything under the pointer, with `*` for one segment, and carries the reason", () => {
    expect(run(tags, { ignore: [rule()] }).ignored.map((i) => [i.propertyPath, i.reason, i.rule])).toEqual([
      ["/Tags/0/Value", "FinOps sets cost-center tags", "/Tags"],
      ["/Tags/1", "FinOps sets cost-center tags", "/Tags"],
    ]);
    const values = run(tags, { ignore: [rule({ property: "/Tags/*/Value" })] });
    expect(values.ignored.map((i) => i.propertyPath)).toEqual(["/Tags/0/Value"]);
    expect(values.real.map((r) => r.propertyPath)).toEqual(["/Tags/1"]);
  });

  it("applies only to its type, its stacks and until its date (inclusive)", () => {
    expect(run(tags, { ignore: [rule({ resourceType: "AWS::IAM::Role" })] }).ignored).toEqual([]);
    expect(run(tags, { ignore: [rule({ stacks: ["data-*"] })], stackName: "app" }).ignored).toEqual([]);
    expect(run(tags, { ignore: [rule({ stacks: ["data-*"] })], stackName: "data-lake" }).ignored).toHaveLength(2);
    expect(run(tags, { ignore: [rule({ until: "2026-11-29" })] }).ignored).toEqual([]);
    expect(run(tags, { ignore: [rule({ until: "2026-11-30" })] }).ignored[0]?.until).toBe("2026-11-30");
  });

  it("says loudly when a rule covering a difference has expired: the difference is drift again", () => {
    const c = run(tags, { ignore: [rule({ until: "2026-11-29" }), rule({ property: "/Tags/*/Key", reason: "another rule" })] });
    expect(c.real.map((r) => r.propertyPath)).toEqual(["/Tags/0/Value", "/Tags/1"]);
    expect(c.expired?.map((e) => [e.propertyPath, e.rule, e.until])).toEqual([
      ["/Tags/0/Value", "/Tags", "2026-11-29"],
      ["/Tags/1", "/Tags", "2026-11-29"],
    ]);
    const action = withExpiredIgnores({ outcome: "remediated", reason: "restored tags", steps: [] }, c);
    expect(action.reason).toBe(
      'restored tags; EXPIRED ignore rule(s) no longer let /Tags/0/Value, /Tags/1 drift: /Tags ("FinOps sets cost-center tags", until 2026-11-29); extend `until` in accounts.yaml to keep ignoring, or remove the rule',
    );
    // A rule still in force, or none at all, adds nothing.
    expect(run(tags, { ignore: [rule({ until: "2026-11-30" })] }).expired).toBeUndefined();
    expect(withExpiredIgnores({ outcome: "planned", reason: "r", steps: [] }, run(tags))).toEqual({ outcome: "planned", reason: "r", steps: [] });
  });

  it("lists every expired rule of the configuration with where it is written, for the run's warning", () => {
    const config = {
      defaults: { ignore: [rule({ until: "2026-11-29" }), rule()] },
      accounts: [{ name: "payments-prod", ignore: [rule({ until: "2026-11-30" }), rule({ until: "2025-01-01" })] }, { name: "data-dev" }],
    };
    expect(expiredIgnoreRules(config, NOW).map((e) => [e.at, e.rule.until])).toEqual([
      ["defaults.ignore[0]", "2026-11-29"],
      ["accounts[payments-prod].ignore[1]", "2025-01-01"],
    ]);
  });

  it("takes ignored differences as they are live in what the repair sees", () => {
    const { ignored } = run(tags, { ignore: [rule()] });
    expect(expectedWithIgnored(tags, ignored)).toEqual({ Tags: [{ Key: "cost-center", Value: "finance" }, { Key: "owner", Value: "bob" }] });
  });
});

export { BUCKET_ENCRYPTION_2554 };
