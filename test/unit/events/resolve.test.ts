import { describe, expect, it } from "vitest";
import type { CloudTrailDetail } from "../../../functions/aws/cloudtrail-record.js";
import { EVENT_CATALOGUE, KNOWN_EVENT_NAMES, RESOLVER_KINDS, type KnownEventName } from "../../../functions/config/events.js";
import { isStackOperation } from "../../../functions/events/stack-operations.js";
import { GUARDRAILS } from "../../../functions/events/guardrails/registry.js";
import { isRejection, parseChangeEvent } from "../../../functions/events/parse.js";
import { RESOLVERS, resolveResources, type AffectedResource } from "../../../functions/events/resolve.js";
import { FIXTURE_NAMES, fixture, SPOKE } from "./helpers.js";

function detailOf(event: unknown): CloudTrailDetail {
  const result = parseChangeEvent(event);
  if (isRejection(result)) throw new Error(result.detail);
  return result.detail;
}

const SG: AffectedResource = {
  resourceType: "AWS::EC2::SecurityGroup",
  physicalId: "sg-0a1b2c3d4e5f60718",
  arn: "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60718",
};
const ROLE: AffectedResource = { resourceType: "AWS::IAM::Role", physicalId: "payments-api-AppRole-1ABCDEF2GHIJ" };
const BUCKET: AffectedResource = { resourceType: "AWS::S3::Bucket", physicalId: "payments-prod-ledger-exports", arn: "arn:aws:s3:::payments-prod-ledger-exports" };
const VPC: AffectedResource = { resourceType: "AWS::EC2::VPC", physicalId: "vpc-0f1e2d3c4b5a69788", arn: "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0f1e2d3c4b5a69788" };
const instance = (id: string): AffectedResource => ({ resourceType: "AWS::EC2::Instance", physicalId: id, arn: `arn:aws:ec2:eu-west-1:111122223333:instance/${id}` });

const EXPECTED: Record<string, AffectedResource[]> = {
  AuthorizeSecurityGroupIngress: [SG],
  AuthorizeSecurityGroupEgress: [SG],
  RevokeSecurityGroupIngress: [SG],
  RevokeSecurityGroupEgress: [SG],
  ModifySecurityGroupRules: [SG],
  CreateVpc: [VPC],
  RunInstances: [instance("i-0d1c2b3a4f5e60718"), instance("i-0a9b8c7d6e5f40312")],
  // The AMI in the same call has no CloudFormation counterpart and is left out.
  CreateTags: [instance("i-0d1c2b3a4f5e60718"), SG],
  DeleteTags: [VPC],
  AttachRolePolicy: [ROLE],
  DetachRolePolicy: [ROLE],
  PutRolePolicy: [ROLE],
  DeleteRolePolicy: [ROLE],
  UpdateAssumeRolePolicy: [ROLE],
  TagRole: [ROLE],
  UntagRole: [ROLE],
  PutBucketEncryption: [BUCKET],
  DeleteBucketEncryption: [BUCKET],
  PutBucketPublicAccessBlock: [BUCKET],
  DeleteBucketPublicAccessBlock: [BUCKET],
  PutBucketVersioning: [BUCKET],
  PutBucketTagging: [BUCKET],
  DeleteBucketTagging: [BUCKET],
  // A stack operation names no resource: requestParameters/responseElements as in the CreateStack and
  // UpdateStack entries of "Logging AWS CloudFormation API calls with AWS CloudTrail" (CloudFormation
  // User Guide: stackName, templateURL, parameters, capabilities, tags; responseElements.stackId).
  UpdateStack: [],
};

describe("resolveResources on recorded events", () => {
  it("has a fixture for every event a guardrail claims, and expectations for every fixture", () => {
    expect(FIXTURE_NAMES).toEqual(expect.arrayContaining(GUARDRAILS.flatMap((g) => g.eventNames)));
    expect(Object.keys(EXPECTED).sort()).toEqual(FIXTURE_NAMES);
  });

  it.each(FIXTURE_NAMES)("%s", (name) => {
    expect(resolveResources(detailOf(fixture(name)), SPOKE)).toEqual(EXPECTED[name]);
  });
});

describe("resolveResources on other shapes", () => {
  function detail(eventName: string, requestParameters: unknown, responseElements: unknown = null): CloudTrailDetail {
    const event = fixture("CreateVpc");
    Object.assign(event.detail, { eventName, requestParameters, responseElements });
    return detailOf(event);
  }

  const cases: [string, unknown, unknown, AffectedResource[]][] = [
    // Default-VPC calls by group name: the response still carries the id.
    ["AuthorizeSecurityGroupIngress", { groupName: "default" }, { securityGroupRuleSet: { items: [{ groupId: "sg-0123" }] } }, [{ ...SG, physicalId: "sg-0123", arn: SG.arn?.replace(SG.physicalId, "sg-0123") }]],
    ["RevokeSecurityGroupIngress", { groupName: "legacy-web" }, { _return: true }, [{ resourceType: "AWS::EC2::SecurityGroup", physicalId: "legacy-web" }]],
    ["CreateSecurityGroup", { groupName: "x", groupDescription: "x", vpcId: "vpc-1" }, { groupId: "sg-0new" }, [{ ...SG, physicalId: "sg-0new", arn: SG.arn?.replace(SG.physicalId, "sg-0new") }]],
    ["DeleteVpc", { vpcId: "vpc-0gone" }, null, [{ ...VPC, physicalId: "vpc-0gone", arn: VPC.arn?.replace(VPC.physicalId, "vpc-0gone") }]],
    ["CreateSubnet", { vpcId: "vpc-1", cidrBlock: "10.0.1.0/24" }, { subnet: { subnetId: "subnet-0abc" } }, [{ resourceType: "AWS::EC2::Subnet", physicalId: "subnet-0abc", arn: "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0abc" }]],
    ["ModifySubnetAttribute", { subnetId: "subnet-0abc", mapPublicIpOnLaunch: { value: true } }, null, [{ resourceType: "AWS::EC2::Subnet", physicalId: "subnet-0abc", arn: "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0abc" }]],
    ["TerminateInstances", { instancesSet: { items: [{ instanceId: "i-0aaa" }, { instanceId: "i-0aaa" }] } }, null, [{ ...instance("i-0aaa") }]],
    ["ModifyInstanceAttribute", { instanceId: "i-0bbb", disableApiTermination: { value: false } }, null, [instance("i-0bbb")]],
    ["CreatePolicyVersion", { policyArn: "arn:aws:iam::111122223333:policy/ledger-read", policyDocument: "{}", setAsDefault: true }, null, [{ resourceType: "AWS::IAM::ManagedPolicy", physicalId: "arn:aws:iam::111122223333:policy/ledger-read" }]],
    ["PutUserPolicy", { userName: "ci-deployer", policyName: "p", policyDocument: "{}" }, null, [{ resourceType: "AWS::IAM::User", physicalId: "ci-deployer" }]],
    ["AttachGroupPolicy", { groupName: "admins", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }, null, [{ resourceType: "AWS::IAM::Group", physicalId: "admins" }]],
    // Shapes that do not name a resource resolve to nothing rather than throwing.
    ["AttachRolePolicy", { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }, null, []],
    ["RunInstances", { instancesSet: { items: [{ imageId: "ami-1" }] } }, null, []],
    ["CreateTags", { resourcesSet: "i-0abc" }, null, []],
    ["CreateAccessKey", {}, null, []],
  ];
  it("exercises every resolver kind of the event catalogue on a recorded event or a shape above", () => {
    const exercised = new Set([...FIXTURE_NAMES, ...cases.map(([name]) => name)].map((n) => EVENT_CATALOGUE[n as KnownEventName].resolver));
    expect(RESOLVER_KINDS.filter((k) => !exercised.has(k))).toEqual([]);
  });

  it.each(cases)("%s %j", (eventName, request, response, expected) => {
    expect(resolveResources(detail(eventName, request, response), SPOKE)).toEqual(expected);
  });

  it("builds ARNs in the event's partition", () => {
    const d = detail("DeleteVpc", { vpcId: "vpc-1" });
    d.awsRegion = "cn-north-1";
    expect(resolveResources(d, SPOKE)[0]?.arn).toBe("arn:aws-cn:ec2:cn-north-1:111122223333:vpc/vpc-1");
  });

  it("covers only event names the config accepts, each under its own source", () => {
    const unknown = Object.keys(RESOLVERS).filter((n) => !KNOWN_EVENT_NAMES.includes(n));
    expect(unknown).toEqual([]);
    // What the catalog forwards but cannot be traced to a resource by physical id.
    // Stack operations name no resource either: they drop the ownership cache (stack-operations.ts).
    const untracked = KNOWN_EVENT_NAMES.filter((n) => !Object.hasOwn(RESOLVERS, n) && !isStackOperation(n));
    expect(untracked.sort()).toEqual(["CreateNetworkAclEntry", "CreateRoute", "DeleteNetworkAclEntry", "DeleteRoute", "ReplaceNetworkAclEntry", "ReplaceRoute"]);
  });
});
