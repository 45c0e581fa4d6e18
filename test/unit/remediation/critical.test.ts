import { describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../functions/core/types.js";
import { securityCritical } from "../../../functions/remediation/critical.js";
import { bucketDrift, iamRoleDrift, securityGroupDrift, TRUST_POLICY } from "./fixtures.js";

/**
 * The classifier against drifts written out by hand (ExpectedProperties/ActualProperties in
 * CloudFormation's template shapes), each with the class a reviewer would give it.
 */

const drift = (resourceType: string, expected: Record<string, unknown>, actual: Record<string, unknown>): ResourceDrift => ({
  logicalResourceId: "R",
  physicalResourceId: "p",
  resourceType,
  status: "MODIFIED",
  expected,
  actual,
  differences: [],
});

const ROLE = "AWS::IAM::Role";
const BUCKET = "AWS::S3::Bucket";
const SG = "AWS::EC2::SecurityGroup";
const PAB = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };
const kms = (key?: string) => ({ BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", ...(key ? { KMSMasterKeyID: key } : {}) } }] } });
const sse = (algorithm: string) => ({ BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: algorithm } }] } });
const trust = (principal: unknown) => ({ AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] } });

describe("securityCritical", () => {
  it("finds AdministratorAccess attached to the fixture role (and not the widened s3:* statement)", () => {
    expect(securityCritical(iamRoleDrift())).toEqual([{ class: "admin-policy", detail: "attached arn:aws:iam::aws:policy/AdministratorAccess" }]);
  });

  it("finds the fixture bucket's KMS default encryption replaced by SSE-S3 (DeleteBucketEncryption)", () => {
    expect(securityCritical(bucketDrift()).map((f) => f.class)).toEqual(["encryption-weakened"]);
  });

  it("finds SSH opened to the world on the fixture security group", () => {
    expect(securityCritical(securityGroupDrift())).toEqual([{ class: "world-open-ingress", detail: "tcp 22 from 0.0.0.0/0" }]);
  });

  const critical: [string, ResourceDrift, string][] = [
    ["IAMFullAccess attached (GovCloud partition)", drift(ROLE, { ManagedPolicyArns: [] }, { ManagedPolicyArns: ["arn:aws-us-gov:iam::aws:policy/IAMFullAccess"] }), "admin-policy"],
    ["an inline Allow * on *", drift(ROLE, { Policies: [] }, { Policies: [{ PolicyName: "p", PolicyDocument: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }] }), "admin-policy"],
    ["an inline iam:* on * as IAM returns it (URL-encoded string)", drift(ROLE, {}, { Policies: [{ PolicyName: "p", PolicyDocument: encodeURIComponent('{"Statement":[{"Effect":"Allow","Action":["iam:*"],"Resource":["*"]}]}') }] }), "admin-policy"],
    ["an Allow NotAction on *", drift("AWS::IAM::ManagedPolicy", { PolicyDocument: { Statement: [] } }, { PolicyDocument: { Statement: [{ Effect: "Allow", NotAction: "iam:DeleteRole", Resource: "*" }] } }), "admin-policy"],
    ["the trust policy opened to everyone", drift(ROLE, trust({ Service: "ec2.amazonaws.com" }), trust("*")), "trust-widened"],
    ["the trust policy opened to another account", drift(ROLE, trust({ Service: "ec2.amazonaws.com" }), trust({ Service: "ec2.amazonaws.com", AWS: "arn:aws:iam::999988887777:root" })), "trust-widened"],
    ["all traffic from ::/0", drift(SG, { SecurityGroupIngress: [] }, { SecurityGroupIngress: [{ IpProtocol: "-1", CidrIpv6: "::/0" }] }), "world-open-ingress"],
    ["an ingress attachment resource opened to the world", drift("AWS::EC2::SecurityGroupIngress", { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIp: "10.0.0.0/8" }, { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIp: "0.0.0.0/0" }), "world-open-ingress"],
    ["default encryption removed", drift(BUCKET, kms("arn:aws:kms:us-east-1:111122223333:key/1"), {}), "encryption-weakened"],
    ["SSE-KMS downgraded to SSE-S3", drift(BUCKET, kms(), sse("AES256")), "encryption-weakened"],
    ["the KMS key swapped", drift(BUCKET, kms("arn:aws:kms:us-east-1:111122223333:key/1"), kms("arn:aws:kms:us-east-1:999988887777:key/2")), "encryption-weakened"],
    ["a public access block flag turned off", drift(BUCKET, { PublicAccessBlockConfiguration: PAB }, { PublicAccessBlockConfiguration: { ...PAB, RestrictPublicBuckets: false } }), "public-access-weakened"],
    ["the public access block deleted", drift(BUCKET, { PublicAccessBlockConfiguration: PAB }, {}), "public-access-weakened"],
  ];
  it.each(critical)("classifies %s", (_name, d, cls) => {
    expect(securityCritical(d).map((f) => f.class)).toContain(cls);
  });

  const routine: [string, ResourceDrift][] = [
    ["a policy detached", drift(ROLE, { ManagedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }, { ManagedPolicyArns: [] })],
    ["an ordinary managed policy attached", drift(ROLE, { ManagedPolicyArns: [] }, { ManagedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] })],
    ["AdministratorAccess that the template itself attaches", drift(ROLE, { ManagedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }, { ManagedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] })],
    ["the trust policy narrowed", drift(ROLE, trust({ Service: ["ec2.amazonaws.com", "lambda.amazonaws.com"] }), trust({ Service: "ec2.amazonaws.com" }))],
    ["the same account written as id and root ARN", drift(ROLE, trust({ AWS: "111122223333" }), trust({ AWS: "arn:aws:iam::111122223333:root" }))],
    ["a world-open rule the template has", drift(SG, { SecurityGroupIngress: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "0.0.0.0/0" }] }, { SecurityGroupIngress: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "0.0.0.0/0" }, { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "10.0.0.0/8" }] })],
    ["SSE-S3 upgraded to SSE-KMS", drift(BUCKET, sse("AES256"), kms())],
    ["a public access block the template does not set", drift(BUCKET, {}, { PublicAccessBlockConfiguration: { BlockPublicAcls: false } })],
    ["the fixture trust policy unchanged", drift(ROLE, { AssumeRolePolicyDocument: TRUST_POLICY }, { AssumeRolePolicyDocument: TRUST_POLICY })],
  ];
  it.each(routine)("does not classify %s", (_name, d) => {
    expect(securityCritical(d)).toEqual([]);
  });

  it("counts a deleted resource as routine: recreating it is a person's job", () => {
    expect(securityCritical({ ...securityGroupDrift(), status: "DELETED" })).toEqual([]);
  });

  it("fails towards critical when a live policy document cannot be parsed", () => {
    expect(securityCritical(drift(ROLE, {}, { Policies: [{ PolicyName: "p", PolicyDocument: "%7Bnot json" }] })).map((f) => f.class)).toEqual(["admin-policy"]);
  });
});
