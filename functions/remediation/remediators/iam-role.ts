import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRolePolicyCommand,
  type IAMClient,
  paginateListRolePolicies,
  PutRolePolicyCommand,
  type Role,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { attachedPolicyArns, managedPolicyDocument } from "../iam-policy-reads.js";
import { getRole } from "../iam-reads.js";
import { describeAttachment, type Owned, ownedPolicyArns, ownedPolicyNames, unresolvedContent } from "../ownership/owned.js";
import { parsePolicyDocument, samePolicy } from "../policy-document.js";
import { type Plan, type PlanInput, type PlannedStep, restoreTagsStep } from "../plan.js";
import type { RoleTarget } from "../safety/effects.js";
import { tagList, tagMap, tagsToRestore } from "../../core/tags.js";
import type { Remediator } from "../types.js";

/**
 * AWS::IAM::Role. CloudFormation owns a property only when the template sets it, so:
 * - ManagedPolicyArns set: together with every AWS::IAM::ManagedPolicy whose Roles name this
 *   role (in any stack of the account), it is the complete list: other attachments are detached;
 *   absent: attachments are not managed and left alone.
 * - Policies set: together with every AWS::IAM::Policy (Roles) and AWS::IAM::RolePolicy
 *   (RoleName) targeting this role, it is the complete set of inline policies: others are
 *   deleted; absent: inline policies are left alone. What attachments own is never removed
 *   (ownership/owned.ts); an attachment whose policy could not be resolved makes removal manual.
 * - AssumeRolePolicyDocument, Description, MaxSessionDuration: restored when set.
 * - Tags: managed keys restored, others kept.
 * Extras are removed before anything is granted, so a widened role shrinks first.
 */

const ROLE_PROPERTIES = ["ManagedPolicyArns", "Policies", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration", "Tags"] as const;

interface InlinePolicy {
  PolicyName: string;
  PolicyDocument: unknown;
}



async function inlinePolicyNames(iam: IAMClient, roleName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: roleName })) names.push(...(page.PolicyNames ?? []));
  return names;
}

function expectedInlinePolicies(value: unknown): InlinePolicy[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((p): p is Record<string, unknown> => p !== null && typeof p === "object" && typeof (p as { PolicyName?: unknown }).PolicyName === "string")
    .map((p) => ({ PolicyName: p.PolicyName as string, PolicyDocument: parsePolicyDocument(p.PolicyDocument) }));
}

/** Steps that take permissions away, and steps that restore or grant them. */
interface Split {
  revoke: PlannedStep[];
  grant: PlannedStep[];
  /** Attachments found on the role and kept. */
  honoured: string[];
}

const NONE: Split = { revoke: [], grant: [], honoured: [] };


async function managedPolicySteps(iam: IAMClient, role: RoleTarget, expected: unknown, owned: Owned): Promise<Split | { manual: string }> {
  const roleName = role.name;
  const want = new Set(Array.isArray(expected) ? expected.map(String) : []);
  const byAttachment = ownedPolicyArns(owned);
  const effects = [{ path: "/ManagedPolicyArns", value: [...want] }];
  const have = await attachedPolicyArns(iam, roleName);
  const extras = [...have].filter((arn) => !want.has(arn) && !byAttachment.has(arn));
  const unknown = unresolvedContent(owned, "managed-policy");
  if (extras.length > 0 && unknown) return { manual: `cannot tell whether ${describeAttachment(unknown)} owns ${extras.join(", ")}; not detaching` };
  const detach = extras.map<PlannedStep>((arn) => ({
    call: `DetachRolePolicy RoleName=${roleName} PolicyArn=${arn}`,
    summary: `detach ${arn}`,
    effect: { kind: "detach-role-policy", role, policyArn: arn },
    effects,
    send: () => iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn })),
  }));
  const attach: PlannedStep[] = [];
  for (const arn of [...want].filter((a) => !have.has(a))) {
    const document = await managedPolicyDocument(iam, arn);
    attach.push({
      call: `AttachRolePolicy RoleName=${roleName} PolicyArn=${arn}`,
      summary: `attach ${arn}`,
      effects,
      effect: { kind: "attach-role-policy", role, policyArn: arn, ...(document !== undefined ? { document } : {}) },
      send: () => iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn })),
    });
  }
  return { revoke: detach, grant: attach, honoured: [...byAttachment.entries()].filter(([arn]) => have.has(arn) && !want.has(arn)).map(([, a]) => describeAttachment(a)) };
}

async function inlinePolicySteps(iam: IAMClient, role: RoleTarget, expected: unknown, owned: Owned): Promise<Split | { manual: string }> {
  const roleName = role.name;
  const want = expectedInlinePolicies(expected);
  const wanted = new Set(want.map((p) => p.PolicyName));
  const byAttachment = ownedPolicyNames(owned);
  const effects = [{ path: "/Policies", value: expected }];
  const have = await inlinePolicyNames(iam, roleName);
  const extras = have.filter((name) => !wanted.has(name) && !byAttachment.has(name));
  const unknown = unresolvedContent(owned, "inline-policy");
  if (extras.length > 0 && unknown) return { manual: `cannot tell whether ${describeAttachment(unknown)} owns inline policy ${extras.join(", ")}; not deleting` };

  const remove = extras.map<PlannedStep>((name) => ({
    call: `DeleteRolePolicy RoleName=${roleName} PolicyName=${name}`,
    summary: `delete inline policy ${name}`,
    effect: { kind: "delete-role-policy", role, policyName: name },
    effects,
    send: () => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
  }));
  const put: PlannedStep[] = [];
  for (const policy of want) {
    if (have.includes(policy.PolicyName)) {
      const live = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policy.PolicyName }));
      if (samePolicy(policy.PolicyDocument, live.PolicyDocument)) continue;
    }
    put.push({
      call: `PutRolePolicy RoleName=${roleName} PolicyName=${policy.PolicyName}`,
      summary: `${have.includes(policy.PolicyName) ? "restore" : "recreate"} inline policy ${policy.PolicyName}`,
      effect: { kind: "put-role-policy", role, policyName: policy.PolicyName, document: policy.PolicyDocument },
      effects,
      send: () =>
        iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policy.PolicyName, PolicyDocument: JSON.stringify(policy.PolicyDocument) })),
    });
  }
  return { revoke: remove, grant: put, honoured: [...byAttachment.entries()].filter(([name]) => have.includes(name) && !wanted.has(name)).map(([, a]) => describeAttachment(a)) };
}

function roleSettingSteps(iam: IAMClient, role: Role, target: RoleTarget, expected: Record<string, unknown>): PlannedStep[] {
  const roleName = target.name;
  const steps: PlannedStep[] = [];
  if ("AssumeRolePolicyDocument" in expected && !samePolicy(expected.AssumeRolePolicyDocument, role.AssumeRolePolicyDocument)) {
    const doc = JSON.stringify(parsePolicyDocument(expected.AssumeRolePolicyDocument));
    steps.push({
      call: `UpdateAssumeRolePolicy RoleName=${roleName}`,
      summary: "restore the trust policy",
      effect: { kind: "update-trust-policy", role: target, document: JSON.parse(doc) as unknown, previous: parsePolicyDocument(role.AssumeRolePolicyDocument ?? "{}") },
      effects: [{ path: "/AssumeRolePolicyDocument", value: JSON.parse(doc) as unknown }],
      send: () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: doc })),
    });
  }

  const update: { Description?: string; MaxSessionDuration?: number } = {};
  if ("Description" in expected && String(expected.Description ?? "") !== (role.Description ?? "")) {
    update.Description = String(expected.Description ?? "");
  }
  if ("MaxSessionDuration" in expected && Number(expected.MaxSessionDuration) !== role.MaxSessionDuration) {
    update.MaxSessionDuration = Number(expected.MaxSessionDuration);
  }
  const fields = Object.keys(update);
  if (fields.length > 0) {
    steps.push({
      call: `UpdateRole RoleName=${roleName} ${fields.map((f) => `${f}=${String(update[f as keyof typeof update])}`).join(" ")}`,
      summary: `restore ${fields.join(" and ")}`,
      effect: { kind: "update-role", role: target, fields },
      effects: fields.map((f) => ({ path: `/${f}`, value: update[f as keyof typeof update] })),
      send: () => iam.send(new UpdateRoleCommand({ RoleName: roleName, ...update })),
    });
  }

  steps.push(
    ...restoreTagsStep(tagsToRestore(expected.Tags, tagMap(role.Tags)), `TagRole RoleName=${roleName}`, { kind: "tag-role", role: target }, (restore) =>
      iam.send(new TagRoleCommand({ RoleName: roleName, Tags: tagList(restore) })),
      expected.Tags,
    ),
  );
  return steps;
}

async function plan({ drift, clients, owned }: PlanInput): Promise<Plan> {
  const { iam } = clients;
  const expected = drift.expected ?? {};
  const role = await getRole(iam, drift.physicalResourceId);
  const target: RoleTarget = { name: role.RoleName ?? drift.physicalResourceId, ...(role.Path ? { path: role.Path } : {}) };
  const managed = "ManagedPolicyArns" in expected ? await managedPolicySteps(iam, target, expected.ManagedPolicyArns, owned) : NONE;
  if ("manual" in managed) return managed;
  const inline = "Policies" in expected ? await inlinePolicySteps(iam, target, expected.Policies, owned) : NONE;
  if ("manual" in inline) return inline;
  return {
    steps: [...managed.revoke, ...inline.revoke, ...inline.grant, ...managed.grant, ...roleSettingSteps(iam, role, target, expected)],
    honoured: [...managed.honoured, ...inline.honoured],
  };
}

export const iamRoleRemediator: Remediator = {
  resourceType: "AWS::IAM::Role",
  actions: [
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:TagRole",
  ],
  properties: ROLE_PROPERTIES,
  plan,
  async readTags(drift, clients) {
    return tagMap((await getRole(clients.iam, drift.physicalResourceId)).Tags);
  },
};
