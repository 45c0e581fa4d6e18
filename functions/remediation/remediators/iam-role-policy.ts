import { GetRolePolicyCommand, type IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { roleTarget } from "../iam-reads.js";
import type { Attachment } from "../ownership/owned.js";
import type { Plan, PlanInput, PlannedStep } from "../plan.js";
import { parsePolicyDocument, samePolicy } from "../policy-document.js";
import type { Remediator } from "../types.js";

/**
 * AWS::IAM::RolePolicy, the attachment resource itself. CloudFormation drift-checks it (primary
 * identifier PolicyName + RoleName): deleted by hand it is DELETED, its document changed MODIFIED
 * (the sandbox's resources/attachment-drift.ts cites the sources). The repair puts the declared
 * document back, read from the template by the ownership lookup (a DELETED drift carries no
 * ExpectedProperties). Every step is judged by the invariants: a document with admin statements,
 * or any write to a protected role, is refused whoever's stack declares it. (AWS::IAM::Policy is
 * not drift-checked by CloudFormation: "This resource does not support drift detection",
 * AWS::IAM::Policy, CloudFormation Template Reference.)
 */

async function livePolicy(iam: IAMClient, roleName: string, policyName: string): Promise<unknown> {
  try {
    return (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))).PolicyDocument;
  } catch (err) {
    if ((err as { name?: string }).name === "NoSuchEntityException" || (err as { name?: string }).name === "NoSuchEntity") return undefined;
    throw err;
  }
}

async function planRolePolicy({ drift, clients, declared }: PlanInput): Promise<Plan> {
  const [a] = (declared ?? []).filter((d): d is Attachment & { kind: "inline-policy" } => d.kind === "inline-policy");
  if (!a || a.role === undefined || a.policyName === undefined || a.document === undefined) {
    return { manual: `the role, name or document of AWS::IAM::RolePolicy ${drift.logicalResourceId} could not be resolved from its template: update the stack` };
  }
  const { iam } = clients;
  const role = await roleTarget(iam, a.role);
  const live = await livePolicy(iam, role.name, a.policyName);
  const document = parsePolicyDocument(a.document);
  if (live !== undefined && samePolicy(document, live)) return { steps: [] };
  const step: PlannedStep = {
    call: `PutRolePolicy RoleName=${role.name} PolicyName=${a.policyName}`,
    summary: `${live === undefined ? "recreate" : "restore"} inline policy ${a.policyName} on ${role.name}`,
    effect: { kind: "put-role-policy", role, policyName: a.policyName, document },
    effects: [{ path: "/PolicyDocument", value: document }],
    send: () => iam.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: a.policyName!, PolicyDocument: JSON.stringify(document) })),
  };
  return { steps: [step] };
}

export const iamRolePolicyRemediator: Remediator = {
  resourceType: "AWS::IAM::RolePolicy",
  actions: ["iam:GetRole", "iam:GetRolePolicy", "iam:PutRolePolicy"],
  attachment: true,
  properties: ["PolicyDocument"],
  plan: planRolePolicy,
};

