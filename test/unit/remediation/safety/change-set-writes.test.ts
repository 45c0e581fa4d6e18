import type { Change } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { changeSetWrites } from "../../../../functions/remediation/safety/change-set-effects.js";

/**
 * What a REVERT_DRIFT change set would write, read from DescribeChangeSet with IncludePropertyValues:
 * ResourceChange.BeforeContext / AfterContext are "an encoded JSON string that contains the context
 * of the resource before/after the change is executed", {"Properties": {...}}, scalars as strings
 * (CloudFormation API Reference, ResourceChange; User Guide, "View a change set", the example output
 * with BeforeContext and AfterContext). The invariants judge these writes: a write the reader misses
 * is a grant nobody checks.
 */
const change = (type: string, physical: string, before: unknown, after: unknown, logical = "R"): Change => ({
  Type: "Resource",
  ResourceChange: {
    Action: "Modify",
    LogicalResourceId: logical,
    PhysicalResourceId: physical,
    ResourceType: type,
    Replacement: "False",
    ...(before === undefined ? {} : { BeforeContext: JSON.stringify({ Properties: before }) }),
    ...(after === undefined ? {} : { AfterContext: JSON.stringify({ Properties: after }) }),
  },
});

const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const doc = (action: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
const trust = (aws: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "sts:AssumeRole" }] });
const https = { IpProtocol: "tcp", FromPort: "443", ToPort: "443", CidrIp: "10.0.0.0/8" };
const ssh = { IpProtocol: "tcp", FromPort: "22", ToPort: "22", CidrIp: "0.0.0.0/0" };

describe("a role revert", () => {
  it("detaches what the template lacks and attaches what it adds; a role the template gave no managed policies gains only the real ones", () => {
    const { writes } = changeSetWrites([
      change("AWS::IAM::Role", "app-role", { ManagedPolicyArns: [READ_ONLY, ADMIN] }, { ManagedPolicyArns: [READ_ONLY] }),
      change("AWS::IAM::Role", "ops-role", { RoleName: "ops-role" }, { ManagedPolicyArns: [ADMIN] }),
    ]);
    expect(writes).toEqual([
      { kind: "detach-role-policy", role: { name: "app-role" }, policyArn: ADMIN },
      { kind: "attach-role-policy", role: { name: "ops-role" }, policyArn: ADMIN },
    ]);
  });

  it("puts inline policies that are new or changed, deletes the ones the template drops, and leaves equal ones alone", () => {
    const before = { Policies: [{ PolicyName: "keep", PolicyDocument: doc("s3:GetObject") }, { PolicyName: "widen", PolicyDocument: doc("s3:GetObject") }, { PolicyName: "gone", PolicyDocument: doc("sqs:*") }] };
    // The same document with a different key order and a one-element list is the same policy.
    const same = { Statement: [{ Resource: ["*"], Action: ["s3:GetObject"], Effect: "Allow" }], Version: "2012-10-17" };
    const after = { Policies: [{ PolicyName: "keep", PolicyDocument: same }, { PolicyName: "widen", PolicyDocument: doc("s3:*") }, { PolicyName: "new", PolicyDocument: JSON.stringify(doc("iam:PassRole")) }] };
    const { writes, uninterpreted } = changeSetWrites([change("AWS::IAM::Role", "app-role", before, after)]);
    expect(uninterpreted).toEqual([]);
    expect(writes).toEqual([
      { kind: "put-role-policy", role: { name: "app-role" }, policyName: "widen", document: doc("s3:*") },
      // A document given as a JSON string (as CloudFormation may render it) is judged as the parsed document.
      { kind: "put-role-policy", role: { name: "app-role" }, policyName: "new", document: doc("iam:PassRole") },
      { kind: "delete-role-policy", role: { name: "app-role" }, policyName: "gone" },
    ]);
  });

  it("sees a trust policy added to a role that had none, and keeps the role's path for the invariants", () => {
    const { writes } = changeSetWrites([change("AWS::IAM::Role", "admin", { Path: "/ops/" }, { Path: "/ops/", AssumeRolePolicyDocument: trust("arn:aws:iam::555566667777:root") })]);
    expect(writes).toEqual([{ kind: "update-trust-policy", role: { name: "admin", path: "/ops/" }, document: trust("arn:aws:iam::555566667777:root"), previous: {} }]);
  });

  it("writes nothing for a role whose trust and policies the revert leaves as they are", () => {
    const props = { AssumeRolePolicyDocument: trust("arn:aws:iam::111122223333:root"), ManagedPolicyArns: [ADMIN], Policies: [{ PolicyName: "p", PolicyDocument: doc("s3:GetObject") }] };
    const reordered = { ...props, AssumeRolePolicyDocument: JSON.stringify(trust("arn:aws:iam::111122223333:root")) };
    expect(changeSetWrites([change("AWS::IAM::Role", "r", props, reordered)])).toEqual({ writes: [], uninterpreted: [] });
    // A revert that leaves the trust policy out of its properties does not change it.
    expect(changeSetWrites([change("AWS::IAM::Role", "r", { AssumeRolePolicyDocument: trust("arn:aws:iam::111122223333:root") }, {})]).writes).toEqual([]);
  });
});

describe("a security group revert", () => {
  it("authorizes only the rules the group lacks and revokes only the ones the template drops, ingress and egress", () => {
    const allOut = { IpProtocol: "-1", CidrIp: "0.0.0.0/0" };
    const toDb = { IpProtocol: "tcp", FromPort: "5432", ToPort: "5432", DestinationSecurityGroupId: "sg-0db" };
    const { writes } = changeSetWrites([
      change("AWS::EC2::SecurityGroup", "sg-0app", { SecurityGroupIngress: [https, ssh], SecurityGroupEgress: [allOut] }, { SecurityGroupIngress: [https], SecurityGroupEgress: [toDb] }),
    ]);
    expect(writes).toEqual([
      { kind: "revoke-rule", groupId: "sg-0app", rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, peer: { kind: "cidr4", cidr: "0.0.0.0/0" } } },
      { kind: "authorize-rule", groupId: "sg-0app", rule: { direction: "egress", protocol: "tcp", fromPort: 5432, toPort: 5432, peer: { kind: "group", groupId: "sg-0db" } } },
      { kind: "revoke-rule", groupId: "sg-0app", rule: { direction: "egress", protocol: "-1", fromPort: -1, toPort: -1, peer: { kind: "cidr4", cidr: "0.0.0.0/0" } } },
    ]);
  });

  it("opens a rule the group had none of (no SecurityGroupIngress before)", () => {
    const { writes } = changeSetWrites([change("AWS::EC2::SecurityGroup", "sg-0app", { GroupDescription: "app" }, { GroupDescription: "app", SecurityGroupIngress: ssh })]);
    expect(writes).toEqual([{ kind: "authorize-rule", groupId: "sg-0app", rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, peer: { kind: "cidr4", cidr: "0.0.0.0/0" } } }]);
  });

  it("does not drop a rule it cannot read: a group-name source the change set adds is uninterpreted, one it keeps is not", () => {
    const byName = { IpProtocol: "tcp", FromPort: "22", ToPort: "22", SourceSecurityGroupName: "bastion" };
    const added = changeSetWrites([change("AWS::EC2::SecurityGroup", "sg-0app", { SecurityGroupIngress: [https] }, { SecurityGroupIngress: [https, byName] }, "Web")]);
    expect(added.writes).toEqual([]);
    expect(added.uninterpreted).toEqual([
      "Web (AWS::EC2::SecurityGroup) SecurityGroupIngress: ingress rule referencing group name bastion (only group ids can be matched to live rules)",
    ]);
    const kept = changeSetWrites([change("AWS::EC2::SecurityGroup", "sg-0app", { SecurityGroupIngress: [byName, ssh] }, { SecurityGroupIngress: [byName] }, "Web")]);
    expect(kept.uninterpreted).toEqual([]);
    expect(kept.writes).toEqual([{ kind: "revoke-rule", groupId: "sg-0app", rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, peer: { kind: "cidr4", cidr: "0.0.0.0/0" } } }]);
  });

  it("reads a standalone ingress or egress rule as the rule it authorizes, on its GroupId, else its GroupName, else its physical id", () => {
    const { writes, uninterpreted } = changeSetWrites([
      change("AWS::EC2::SecurityGroupIngress", "sgr-1", undefined, { ...ssh, GroupId: "sg-0app" }),
      change("AWS::EC2::SecurityGroupIngress", "sgr-2", undefined, { ...https, GroupName: "legacy-web" }),
      change("AWS::EC2::SecurityGroupEgress", "sg-0eg", undefined, { IpProtocol: "udp", FromPort: "53", ToPort: "53", CidrIp: "10.0.0.2/32" }),
    ]);
    expect(uninterpreted).toEqual([]);
    expect(writes).toEqual([
      { kind: "authorize-rule", groupId: "sg-0app", rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, peer: { kind: "cidr4", cidr: "0.0.0.0/0" } } },
      { kind: "authorize-rule", groupId: "legacy-web", rule: { direction: "ingress", protocol: "tcp", fromPort: 443, toPort: 443, peer: { kind: "cidr4", cidr: "10.0.0.0/8" } } },
      { kind: "authorize-rule", groupId: "sg-0eg", rule: { direction: "egress", protocol: "udp", fromPort: 53, toPort: 53, peer: { kind: "cidr4", cidr: "10.0.0.2/32" } } },
    ]);
  });

  it("cannot judge a rule it cannot match to live rules, and says which and why", () => {
    const { writes, uninterpreted } = changeSetWrites([change("AWS::EC2::SecurityGroupIngress", "sgr-1", undefined, { IpProtocol: "tcp", FromPort: "22", ToPort: "22", SourceSecurityGroupName: "bastion" }, "SshFromBastion")]);
    expect(writes).toEqual([]);
    expect(uninterpreted).toEqual(["SshFromBastion (AWS::EC2::SecurityGroupIngress): ingress rule referencing group name bastion (only group ids can be matched to live rules)"]);
  });
});

describe("IAM policy resources", () => {
  it("puts an AWS::IAM::Policy on each of its roles, and an AWS::IAM::RolePolicy on its role", () => {
    const { writes, uninterpreted } = changeSetWrites([
      change("AWS::IAM::Policy", "pol-1", {}, { PolicyName: "deploy", PolicyDocument: doc("iam:*"), Roles: ["ci", "release"] }),
      change("AWS::IAM::RolePolicy", "rp-1", {}, { PolicyName: "inline", PolicyDocument: doc("s3:*"), RoleName: "app" }),
    ]);
    expect(uninterpreted).toEqual([]);
    expect(writes).toEqual([
      { kind: "put-role-policy", role: { name: "ci" }, policyName: "deploy", document: doc("iam:*") },
      { kind: "put-role-policy", role: { name: "release" }, policyName: "deploy", document: doc("iam:*") },
      { kind: "put-role-policy", role: { name: "app" }, policyName: "inline", document: doc("s3:*") },
    ]);
  });

  it("attaches a managed policy's document to each of its roles, and flags grants to users or groups it cannot judge", () => {
    const arn = "arn:aws:iam::111122223333:policy/deploy";
    const { writes, uninterpreted } = changeSetWrites([
      change("AWS::IAM::ManagedPolicy", arn, {}, { PolicyDocument: doc("iam:*"), Roles: ["ci"] }, "Deploy"),
      change("AWS::IAM::ManagedPolicy", arn, {}, { PolicyDocument: doc("iam:*"), Groups: ["admins"] }, "ForGroups"),
      change("AWS::IAM::ManagedPolicy", arn, {}, { PolicyDocument: doc("iam:*"), Users: ["alice"] }, "ForUsers"),
      change("AWS::IAM::Policy", "pol-2", {}, { PolicyName: "deploy", PolicyDocument: doc("iam:*"), Users: ["alice"] }, "UserPolicy"),
    ]);
    expect(writes).toEqual([{ kind: "attach-role-policy", role: { name: "ci" }, policyArn: arn, document: doc("iam:*") }]);
    expect(uninterpreted).toEqual([
      "ForGroups (AWS::IAM::ManagedPolicy) attached to users or groups",
      "ForUsers (AWS::IAM::ManagedPolicy) attached to users or groups",
      "UserPolicy (AWS::IAM::Policy) attached to users or groups",
    ]);
  });
});

describe("changes it cannot read", () => {
  it("flags a security group or rule change without property values, and a privilege type whose AfterContext is not JSON", () => {
    const unreadable: Change = { Type: "Resource", ResourceChange: { Action: "Modify", LogicalResourceId: "Key", ResourceType: "AWS::KMS::Key", PhysicalResourceId: "k", AfterContext: "{not json" } };
    const { writes, uninterpreted } = changeSetWrites([
      change("AWS::EC2::SecurityGroup", "sg-1", undefined, undefined, "Group"),
      change("AWS::EC2::SecurityGroupIngress", "sgr-1", undefined, undefined, "Rule"),
      change("AWS::S3::Bucket", "b", undefined, undefined, "Bucket"),
      unreadable,
    ]);
    expect(writes).toEqual([]);
    expect(uninterpreted).toEqual(["Group (AWS::EC2::SecurityGroup) without property values", "Rule (AWS::EC2::SecurityGroupIngress) without property values", "Key (AWS::KMS::Key) without property values"]);
  });

  it("reads an unreadable BeforeContext, or one without Properties, as a resource that had nothing", () => {
    const rc = (before: string): Change => ({
      Type: "Resource",
      ResourceChange: { Action: "Modify", LogicalResourceId: "Role", ResourceType: "AWS::IAM::Role", PhysicalResourceId: "r", BeforeContext: before, AfterContext: JSON.stringify({ Properties: { ManagedPolicyArns: [ADMIN] } }) },
    });
    const attach = [{ kind: "attach-role-policy", role: { name: "r" }, policyArn: ADMIN }];
    expect(changeSetWrites([rc("{broken")]).writes).toEqual(attach);
    expect(changeSetWrites([rc(JSON.stringify({ Properties: null }))]).writes).toEqual(attach);
    expect(changeSetWrites([rc(JSON.stringify({}))]).writes).toEqual(attach);
  });

  it("reads an AfterContext without properties as a resource set to nothing, not as one it cannot read", () => {
    const rc = (after: string, type = "AWS::IAM::Role"): Change => ({ Type: "Resource", ResourceChange: { Action: "Modify", LogicalResourceId: "Rule", ResourceType: type, PhysicalResourceId: "r", AfterContext: after } });
    for (const after of [JSON.stringify({}), JSON.stringify({ Properties: null })]) expect(changeSetWrites([rc(after)])).toEqual({ writes: [], uninterpreted: [] });
    // Properties that are not an object are no properties: a standalone rule without a peer cannot be judged.
    expect(changeSetWrites([rc(JSON.stringify({ Properties: "tcp" }), "AWS::EC2::SecurityGroupIngress")]).uninterpreted).toEqual([
      "Rule (AWS::EC2::SecurityGroupIngress): ingress rule without a CIDR, prefix list or group: {}",
    ]);
  });

  it("reads a null list as empty: a policy whose Roles are null and Users set is not put on a role named null", () => {
    const { writes, uninterpreted } = changeSetWrites([
      change("AWS::IAM::Policy", "pol-3", {}, { PolicyName: "p", PolicyDocument: doc("iam:*"), Roles: null, Users: ["alice"] }, "UserPolicy"),
      change("AWS::IAM::Role", "r", { ManagedPolicyArns: null }, { ManagedPolicyArns: [ADMIN] }),
    ]);
    expect(writes).toEqual([{ kind: "attach-role-policy", role: { name: "r" }, policyArn: ADMIN }]);
    expect(uninterpreted).toEqual(["UserPolicy (AWS::IAM::Policy) attached to users or groups"]);
  });

  it("skips entries that are not resource changes", () => {
    expect(changeSetWrites([{ Type: "Resource" }, change("AWS::IAM::Role", "r", {}, { ManagedPolicyArns: [ADMIN] })]).writes).toEqual([{ kind: "attach-role-policy", role: { name: "r" }, policyArn: ADMIN }]);
  });
});
