import { describe, expect, it } from "vitest";
import { account, createStack, harness, region } from "./fixture.js";

/**
 * Drift detection of the attachment resources themselves (resources/attachment-drift.ts cites the
 * sources): SecurityGroupIngress, RolePolicy and ManagedPolicy are checked, AWS::IAM::Policy is
 * NOT_CHECKED ("This resource does not support drift detection", AWS::IAM::Policy reference).
 */
const TEMPLATE = JSON.stringify({
  Resources: {
    Sg: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "db" } },
    Rule: { Type: "AWS::EC2::SecurityGroupIngress", Properties: { GroupId: { Ref: "Sg" }, IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIp: "10.1.0.0/16", Description: "app" } },
    Role: { Type: "AWS::IAM::Role", Properties: { RoleName: "ops", AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] } } },
    Inline: { Type: "AWS::IAM::RolePolicy", Properties: { RoleName: { Ref: "Role" }, PolicyName: "inline", PolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" }] } } },
    Default: { Type: "AWS::IAM::Policy", Properties: { Roles: [{ Ref: "Role" }], PolicyName: "default", PolicyDocument: { Version: "2012-10-17", Statement: [] } } },
    Read: { Type: "AWS::IAM::ManagedPolicy", Properties: { ManagedPolicyName: "read", Roles: [{ Ref: "Role" }], PolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] } } },
  },
});

const status = async (h: ReturnType<typeof harness>, logicalId: string) =>
  (await h.call("DetectStackResourceDrift", { StackName: "app", LogicalResourceId: logicalId })).StackResourceDrift;

describe("drift of attachment resources", () => {
  it("is IN_SYNC as created, and AWS::IAM::Policy is not checked", async () => {
    const h = harness();
    await createStack(h, "app", TEMPLATE);
    for (const id of ["Rule", "Inline", "Read"]) expect((await status(h, id)).StackResourceDriftStatus, id).toBe("IN_SYNC");
    expect((await status(h, "Default")).StackResourceDriftStatus).toBe("NOT_CHECKED");
  });

  it("reports a revoked rule and a deleted inline policy DELETED, a changed description MODIFIED, a detached role as a REMOVE on Roles", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    const group = region(h.world).securityGroups.get(ids.Sg!)!;
    group.ingress[0]!.description = "changed";
    expect(await status(h, "Rule")).toMatchObject({ StackResourceDriftStatus: "MODIFIED", PropertyDifferences: [{ PropertyPath: "/Description", ExpectedValue: "app", ActualValue: "changed", DifferenceType: "NOT_EQUAL" }] });
    group.ingress = [];
    expect((await status(h, "Rule")).StackResourceDriftStatus).toBe("DELETED");

    const role = account(h.world).roles.get("ops")!;
    delete role.inlinePolicies.inline;
    expect((await status(h, "Inline")).StackResourceDriftStatus).toBe("DELETED");
    role.managedPolicyArns = [];
    expect(await status(h, "Read")).toMatchObject({ StackResourceDriftStatus: "MODIFIED", PropertyDifferences: [{ PropertyPath: "/Roles/0", ExpectedValue: "ops", ActualValue: "null", DifferenceType: "REMOVE" }] });
  });

  it("creates the managed policy so that IAM's GetPolicy reads it, as CloudFormation's CreatePolicy does", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    expect(account(h.world).policies.get(ids.Read!)).toMatchObject({ policyName: "read", defaultVersionId: "v1" });
  });
});
