import {
  AttachRolePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  type IAMClient,
  paginateListEntitiesForPolicy,
  paginateListPolicyVersions,
  type PolicyVersion,
} from "@aws-sdk/client-iam";
import type { ResourceDrift } from "../../core/types.js";
import { attachedPolicyArns, managedPolicyDocument } from "../iam-policy-reads.js";
import { roleTarget } from "../iam-reads.js";
import type { Attachment } from "../ownership/owned.js";
import type { Plan, PlanInput, PlannedStep } from "../plan.js";
import { parsePolicyDocument, samePolicy } from "../policy-document.js";
import type { RoleTarget } from "../safety/effects.js";
import type { Remediator } from "../types.js";

/**
 * AWS::IAM::ManagedPolicy, the attachment resource itself. CloudFormation drift-checks it
 * (resource-import-supported-resources.md): a role detached from it by hand is a REMOVE on Roles,
 * a new default version made by hand a difference on PolicyDocument.
 * - Roles: re-attached to the roles the template declares (the ownership lookup resolves them);
 *   the policy's default version is read and judged like any attach.
 * - PolicyDocument: restored the way IAM updates a managed policy — CreatePolicyVersion with
 *   SetAsDefault. "A managed policy can have up to five versions. If the policy has five
 *   versions, you must delete an existing version using DeletePolicyVersion before you create a
 *   new version" (IAM API Reference, CreatePolicyVersion), so with five the oldest version that is
 *   not the default is deleted first (it is not in effect: "The default version is the version
 *   that is in effect for the IAM users, groups, and roles to which the policy is attached").
 *   The restore is judged against the live default version: one that takes permissions away is
 *   routine, one that would grant anything the live document does not — or that touches a
 *   protected role the policy is attached to — is refused (safety/invariants.ts), whoever's stack
 *   declares it.
 * A deleted policy is left to a person (recreate it by updating the stack).
 */

async function attachedRoles(iam: IAMClient, policyArn: string): Promise<RoleTarget[]> {
  const names: string[] = [];
  for await (const page of paginateListEntitiesForPolicy({ client: iam }, { PolicyArn: policyArn, EntityFilter: "Role" })) {
    for (const r of page.PolicyRoles ?? []) if (r.RoleName) names.push(r.RoleName);
  }
  // GetRole for the path: protected roles include every role under /aws-reserved/ and /aws-service-role/.
  return Promise.all(names.map((n) => roleTarget(iam, n)));
}

async function versions(iam: IAMClient, policyArn: string): Promise<PolicyVersion[]> {
  const out: PolicyVersion[] = [];
  for await (const page of paginateListPolicyVersions({ client: iam }, { PolicyArn: policyArn })) out.push(...(page.Versions ?? []));
  return out;
}

/** IAM keeps five versions of a managed policy (CreatePolicyVersion; IAM User Guide, "Versioning IAM policies"). */
export const MAX_POLICY_VERSIONS = 5;

/** The oldest version that is not the default, when IAM holds as many as it keeps. */
export function versionToMakeRoomFor(list: readonly PolicyVersion[]): PolicyVersion | undefined {
  if (list.length < MAX_POLICY_VERSIONS) return undefined;
  return [...list].filter((v) => !v.IsDefaultVersion).sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
}

function documentDrifted(drift: ResourceDrift): boolean {
  return drift.differences.some((d) => d.propertyPath === "/PolicyDocument" || d.propertyPath.startsWith("/PolicyDocument/"));
}

async function documentSteps(drift: ResourceDrift, iam: IAMClient): Promise<PlannedStep[] | { manual: string }> {
  const policyArn = drift.physicalResourceId;
  const expected = drift.expected?.PolicyDocument;
  if (expected === undefined) return { manual: `CloudFormation reported no expected PolicyDocument for ${policyArn}: update the stack` };
  const document = parsePolicyDocument(expected);
  const live = await managedPolicyDocument(iam, policyArn);
  if (live === undefined) return { manual: `the default version of ${policyArn} could not be read, so a restore cannot be judged: update the stack` };
  if (samePolicy(document, live)) return [];
  const [all, attachedTo] = await Promise.all([versions(iam, policyArn), attachedRoles(iam, policyArn)]);
  const steps: PlannedStep[] = [];
  const room = versionToMakeRoomFor(all);
  if (room?.VersionId) {
    const versionId = room.VersionId;
    steps.push({
      call: `DeletePolicyVersion PolicyArn=${policyArn} VersionId=${versionId}`,
      summary: `delete version ${versionId} of ${policyArn} (IAM keeps ${MAX_POLICY_VERSIONS})`,
      effect: { kind: "delete-policy-version", policyArn, versionId },
      send: () => iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
    });
  }
  steps.push({
    call: `CreatePolicyVersion PolicyArn=${policyArn} SetAsDefault=true`,
    summary: `restore the document of ${policyArn} as its default version`,
    effect: { kind: "set-policy-document", policyArn, document, previous: live, attachedTo },
    effects: [{ path: "/PolicyDocument", value: document }],
    send: () => iam.send(new CreatePolicyVersionCommand({ PolicyArn: policyArn, PolicyDocument: JSON.stringify(document), SetAsDefault: true })),
  });
  return steps;
}

/** `restored`: the document the steps before make the default, which the re-attached roles get. */
async function roleSteps(drift: ResourceDrift, iam: IAMClient, attachments: readonly (Attachment & { kind: "managed-policy" })[], restored: unknown): Promise<PlannedStep[]> {
  const policyArn = drift.physicalResourceId;
  const steps: PlannedStep[] = [];
  let document = restored;
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
  return steps;
}

async function planManagedPolicy({ drift, clients, declared }: PlanInput): Promise<Plan> {
  if (drift.status === "DELETED") return { manual: `the managed policy ${drift.physicalResourceId} was deleted: recreate it by updating the stack` };
  const attachments = (declared ?? []).filter((d): d is Attachment & { kind: "managed-policy" } => d.kind === "managed-policy");
  if (attachments.some((a) => a.role === undefined)) return { manual: `a role of AWS::IAM::ManagedPolicy ${drift.logicalResourceId} could not be resolved from its template: update the stack` };
  const { iam } = clients;
  // The document first: roles re-attached afterwards get the restored version, never the hand-made one.
  const restore = documentDrifted(drift) ? await documentSteps(drift, iam) : [];
  if ("manual" in restore) return restore;
  const restored = restore.map((step) => step.effect).find((e) => e.kind === "set-policy-document")?.document;
  return { steps: [...restore, ...(await roleSteps(drift, iam, attachments, restored))] };
}

export const iamManagedPolicyRemediator: Remediator = {
  resourceType: "AWS::IAM::ManagedPolicy",
  actions: [
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:ListPolicyVersions",
    "iam:ListEntitiesForPolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
  ],
  attachment: true,
  properties: ["Roles", "PolicyDocument"],
  plan: planManagedPolicy,
};
