import { AttachRolePolicyCommand, GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import type { Attachment } from "../../../../functions/remediation/ownership/owned.js";
import { iamManagedPolicyRemediator } from "../../../../functions/remediation/remediators/iam-managed-policy.js";
import { spokeClients, writes, remediateWith } from "../helpers.js";

const iam = mockClient(IAMClient);
const clients = spokeClients();
const ARN = "arn:aws:iam::111122223333:policy/ops-read";

// A role detached by hand: drift detection reports a REMOVE on Roles (the shape of PropertyDifferences, API_PropertyDifference.html).
const detached: ResourceDrift = {
  logicalResourceId: "OpsRead",
  physicalResourceId: ARN,
  resourceType: "AWS::IAM::ManagedPolicy",
  status: "MODIFIED",
  differences: [{ propertyPath: "/Roles/0", expectedValue: "ops-role", actualValue: "null", differenceType: "REMOVE" }],
};
const declared = (...roles: string[]): Attachment[] =>
  roles.map((role) => ({ kind: "managed-policy", origin: { stackName: "ops", logicalId: "OpsRead", resourceType: "AWS::IAM::ManagedPolicy" }, role, policyArn: ARN }));

let document: unknown;
beforeEach(() => {
  iam.reset();
  document = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] };
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({ Role: { RoleName, Path: "/", RoleId: "AROAEXAMPLE", Arn: `arn:aws:iam::111122223333:role/${RoleName}`, CreateDate: new Date(0) } }));
  iam.on(ListAttachedRolePoliciesCommand).callsFake(({ RoleName }) => ({ AttachedPolicies: RoleName === "other-role" ? [{ PolicyArn: ARN, PolicyName: "ops-read" }] : [] }));
  iam.on(GetPolicyCommand).resolves({ Policy: { Arn: ARN, DefaultVersionId: "v2" } });
  iam.on(GetPolicyVersionCommand).callsFake(() => ({ PolicyVersion: { VersionId: "v2", IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(document)) } }));
  iam.on(AttachRolePolicyCommand).resolves({});
});

describe("AWS::IAM::ManagedPolicy remediator (the attachment itself)", () => {
  it("re-attaches the policy to the declared roles it was detached from, only those", async () => {
    const action = await remediateWith(iamManagedPolicyRemediator, detached, clients, { declared: declared("ops-role", "other-role") });
    expect(action).toMatchObject({ outcome: "remediated", steps: [`AttachRolePolicy RoleName=ops-role PolicyArn=${ARN}`] });
  });

  it("refuses to re-attach when the policy's default version is admin-equivalent", async () => {
    document = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }] };
    const action = await remediateWith(iamManagedPolicyRemediator, detached, clients, { declared: declared("ops-role") });
    expect(action).toMatchObject({ outcome: "refused", reason: `would attach ${ARN} to ops-role: it allows iam:* on *; nothing was changed` });
    expect(writes(iam)).toEqual([]);
  });

  it("leaves a deleted policy and an unresolved role to a person", async () => {
    expect(await remediateWith(iamManagedPolicyRemediator, { ...detached, status: "DELETED", differences: [] }, clients, { declared: declared("ops-role") })).toMatchObject({ outcome: "manual" });
    const unresolved: Attachment[] = [{ kind: "managed-policy", origin: declared("x")[0]!.origin, policyArn: ARN }];
    expect(await remediateWith(iamManagedPolicyRemediator, detached, clients, { declared: unresolved })).toMatchObject({ outcome: "manual" });
  });
});
