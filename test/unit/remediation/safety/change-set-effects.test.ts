import type { Change } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { changeSetWrites } from "../../../../functions/remediation/safety/change-set-effects.js";

/**
 * DescribeChangeSet with IncludePropertyValues: BeforeContext / AfterContext are the resource's
 * properties as JSON, scalars as strings (CloudFormation User Guide, "View a change set",
 * the example output with BeforeContext and AfterContext).
 */
const change = (type: string, physical: string, before: unknown, after: unknown): Change => ({
  Type: "Resource",
  ResourceChange: {
    Action: "Modify",
    LogicalResourceId: "R",
    PhysicalResourceId: physical,
    ResourceType: type,
    Replacement: "False",
    BeforeContext: JSON.stringify({ Properties: before }),
    AfterContext: JSON.stringify({ Properties: after }),
  },
});

const trust = (aws: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "sts:AssumeRole" }] });

describe("what a change set would write", () => {
  it("reads a trust policy the revert would widen, and the policies it would attach", () => {
    const { writes, uninterpreted } = changeSetWrites([
      change(
        "AWS::IAM::Role",
        "OrganizationAccountAccessRole",
        { AssumeRolePolicyDocument: trust("arn:aws:iam::111122223333:root"), ManagedPolicyArns: [] },
        { AssumeRolePolicyDocument: trust("arn:aws:iam::555566667777:root"), ManagedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] },
      ),
    ]);
    expect(uninterpreted).toEqual([]);
    expect(writes).toEqual([
      { kind: "update-trust-policy", role: { name: "OrganizationAccountAccessRole" }, document: trust("arn:aws:iam::555566667777:root"), previous: trust("arn:aws:iam::111122223333:root") },
      { kind: "attach-role-policy", role: { name: "OrganizationAccountAccessRole" }, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    ]);
  });

  it("reads the rules a group revert would authorize and revoke, ports as strings", () => {
    const open = { IpProtocol: "-1", CidrIp: "0.0.0.0/0" };
    const https = { IpProtocol: "tcp", FromPort: "443", ToPort: "443", CidrIp: "10.0.0.0/8" };
    const { writes } = changeSetWrites([change("AWS::EC2::SecurityGroup", "sg-0db", { SecurityGroupIngress: [https] }, { SecurityGroupIngress: [open] })]);
    expect(writes.map((w) => w.kind)).toEqual(["authorize-rule", "revoke-rule"]);
    expect(writes[0]).toMatchObject({ groupId: "sg-0db", rule: { protocol: "-1", peer: { cidr: "0.0.0.0/0" } } });
  });

  it("flags privilege-bearing changes it cannot read, and ignores others", () => {
    const noValues: Change = { Type: "Resource", ResourceChange: { Action: "Modify", LogicalResourceId: "Role", ResourceType: "AWS::IAM::Role", PhysicalResourceId: "app" } };
    const { writes, uninterpreted } = changeSetWrites([noValues, change("AWS::KMS::Key", "k", {}, { KeyPolicy: {} }), change("AWS::SQS::Queue", "q", { VisibilityTimeout: "30" }, { VisibilityTimeout: "60" })]);
    expect(writes).toEqual([]);
    expect(uninterpreted).toEqual(["Role (AWS::IAM::Role) without property values", "R (AWS::KMS::Key)"]);
  });
});
