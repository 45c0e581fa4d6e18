import { AttachRolePolicyCommand, GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import type { Attachment } from "../../../../functions/remediation/ownership/owned.js";
import { NOTHING_OWNED } from "../../../../functions/remediation/ownership/owned.js";
import type { PlannedStep } from "../../../../functions/remediation/plan.js";
import { iamManagedPolicyRemediator } from "../../../../functions/remediation/remediators/iam-managed-policy.js";
import { remediateWith, spokeClients } from "../helpers.js";

/**
 * What the ManagedPolicy remediator's plan carries besides its call line — the write it sends,
 * the state CloudFormation will see (the convergence check's input) and which of the declared
 * attachments it acts on. Found missing by `npm run mutation` (issue 20): sending nothing, an
 * empty `effects`, or acting on another attachment kind all passed the remediator's own tests.
 */

const iam = mockClient(IAMClient);
const clients = spokeClients();
const ARN = "arn:aws:iam::111122223333:policy/ops-read";
const origin = { stackName: "ops", logicalId: "OpsRead", resourceType: "AWS::IAM::ManagedPolicy" };

// Two roles detached by hand: drift detection reports a REMOVE per role on Roles (API_PropertyDifference.html).
const detached: ResourceDrift = {
  logicalResourceId: "OpsRead",
  physicalResourceId: ARN,
  resourceType: "AWS::IAM::ManagedPolicy",
  status: "MODIFIED",
  differences: [
    { propertyPath: "/Roles/0", expectedValue: "ops-role", actualValue: "null", differenceType: "REMOVE" },
    { propertyPath: "/Roles/1", expectedValue: "audit-role", actualValue: "null", differenceType: "REMOVE" },
  ],
};
const declared = (...roles: (string | undefined)[]): Attachment[] => roles.map((role) => ({ kind: "managed-policy", origin, ...(role ? { role } : {}), policyArn: ARN }));

beforeEach(() => {
  iam.reset();
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({ Role: { RoleName, Path: "/", RoleId: "AROAEXAMPLE", Arn: `arn:aws:iam::111122223333:role/${RoleName}`, CreateDate: new Date(0) } }));
  // other-role still has the policy; ops-role and audit-role were detached.
  iam.on(ListAttachedRolePoliciesCommand).callsFake(({ RoleName }) => ({ AttachedPolicies: RoleName === "other-role" ? [{ PolicyArn: ARN, PolicyName: "ops-read" }] : [] }));
  iam.on(GetPolicyCommand).resolves({ Policy: { Arn: ARN, DefaultVersionId: "v1" } });
  iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { VersionId: "v1", IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] })) } });
  iam.on(AttachRolePolicyCommand).resolves({});
});

async function steps(attachments: readonly Attachment[]): Promise<PlannedStep[]> {
  const plan = await iamManagedPolicyRemediator.plan({ drift: detached, clients, owned: NOTHING_OWNED, declared: attachments });
  if ("manual" in plan) throw new Error(`expected steps, got manual: ${plan.manual}`);
  return plan.steps;
}

describe("AWS::IAM::ManagedPolicy remediator: what each step does", () => {
  it("sends one AttachRolePolicy per detached role, with that role and the policy, and none for a role still attached", async () => {
    const action = await remediateWith(iamManagedPolicyRemediator, detached, clients, { declared: declared("ops-role", "other-role", "audit-role") });
    expect(action.outcome).toBe("remediated");
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: "ops-role", PolicyArn: ARN },
      { RoleName: "audit-role", PolicyArn: ARN },
    ]);
  });

  it("says which role each step re-attaches, and tells CloudFormation every declared role is back", async () => {
    const planned = await steps(declared("ops-role", "other-role", "audit-role"));
    expect(planned.map((s) => s.summary)).toEqual([`re-attach ${ARN} to ops-role`, `re-attach ${ARN} to audit-role`]);
    // The template's Roles (all three) is what CloudFormation compares once the plan ran.
    for (const s of planned) expect(s.effects).toEqual([{ path: "/Roles", value: ["ops-role", "other-role", "audit-role"] }]);
  });

  it("acts only on the managed-policy attachments it was given, never on another kind", async () => {
    const inline: Attachment = { kind: "inline-policy", origin, role: "inline-role", policyName: "p" };
    const planned = await steps([inline, ...declared("ops-role")]);
    expect(planned.map((s) => s.call)).toEqual([`AttachRolePolicy RoleName=ops-role PolicyArn=${ARN}`]);
    expect(planned[0]!.effects).toEqual([{ path: "/Roles", value: ["ops-role"] }]);
  });

  it("leaves the whole plan to a person when any one declared role is unresolved, even if others are", async () => {
    const plan = await iamManagedPolicyRemediator.plan({ drift: detached, clients, owned: NOTHING_OWNED, declared: declared("ops-role", undefined) });
    expect(plan).toEqual({ manual: "a role of AWS::IAM::ManagedPolicy OpsRead could not be resolved from its template: update the stack" });
    expect(iam.commandCalls(AttachRolePolicyCommand)).toEqual([]);
  });

  it("names the deleted policy in its manual reason", async () => {
    const plan = await iamManagedPolicyRemediator.plan({ drift: { ...detached, status: "DELETED", differences: [] }, clients, owned: NOTHING_OWNED, declared: declared("ops-role") });
    expect(plan).toEqual({ manual: `the managed policy ${ARN} was deleted: recreate it by updating the stack` });
  });
});
