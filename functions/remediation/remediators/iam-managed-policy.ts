import { AttachRolePolicyCommand } from "@aws-sdk/client-iam";
import { attachedPolicyArns, managedPolicyDocument } from "../iam-policy-reads.js";
import { roleTarget } from "../iam-reads.js";
import type { Attachment } from "../ownership/owned.js";
import type { Plan, PlanInput, PlannedStep } from "../plan.js";
import type { Remediator } from "../types.js";

/**
 * AWS::IAM::ManagedPolicy, the attachment resource itself. CloudFormation drift-checks it
 * (resource-import-supported-resources.md): a role detached from it by hand is a REMOVE on Roles.
 * The repair re-attaches the policy to the roles the template declares (the ownership lookup
 * resolves them), through the invariants: the policy's default version is read and judged, and
 * a protected role is never written. A changed document or a deleted policy is left to a person.
 */

async function planManagedPolicy({ drift, clients, declared }: PlanInput): Promise<Plan> {
  if (drift.status === "DELETED") return { manual: `the managed policy ${drift.physicalResourceId} was deleted: recreate it by updating the stack` };
  const attachments = (declared ?? []).filter((d): d is Attachment & { kind: "managed-policy" } => d.kind === "managed-policy");
  if (attachments.some((a) => a.role === undefined)) return { manual: `a role of AWS::IAM::ManagedPolicy ${drift.logicalResourceId} could not be resolved from its template: update the stack` };
  const { iam } = clients;
  const policyArn = drift.physicalResourceId;
  const steps: PlannedStep[] = [];
  let document: unknown;
  for (const a of attachments) {
    const role = await roleTarget(iam, a.role!);
    if ((await attachedPolicyArns(iam, role.name)).has(policyArn)) continue;
    document ??= await managedPolicyDocument(iam, policyArn);
    steps.push({
      call: `AttachRolePolicy RoleName=${role.name} PolicyArn=${policyArn}`,
      summary: `re-attach ${policyArn} to ${role.name}`,
      effect: { kind: "attach-role-policy", role, policyArn, ...(document !== undefined ? { document } : {}) },
      effects: [{ path: "/Roles", value: attachments.map((x) => x.role) }],
      send: () => iam.send(new AttachRolePolicyCommand({ RoleName: role.name, PolicyArn: policyArn })),
    });
  }
  return { steps };
}

export const iamManagedPolicyRemediator: Remediator = {
  resourceType: "AWS::IAM::ManagedPolicy",
  actions: ["iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:AttachRolePolicy"],
  attachment: true,
  properties: ["Roles"],
  plan: planManagedPolicy,
};
