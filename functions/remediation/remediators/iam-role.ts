import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  PutRolePolicyCommand,
  type Role,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import type { ResourceDrift } from "../../core/types.js";
import { parsePolicyDocument, samePolicy } from "../policy-document.js";
import { type PlannedStep, restoreTagsStep, runPlan } from "../plan.js";
import { tagList, tagMap, tagsToRestore } from "../../core/tags.js";
import type { Remediator } from "../types.js";

/**
 * AWS::IAM::Role. CloudFormation owns a property only when the template sets it, so:
 * - ManagedPolicyArns set: it is the complete list (extra attachments are detached);
 *   absent: attachments are not managed and left alone.
 * - Policies set: it is the complete set of inline policies (extra ones are deleted);
 *   absent: inline policies are left alone.
 *   Caveat: policies attached by separate AWS::IAM::Policy / ManagedPolicy resources to a role
 *   whose template also sets these properties look like extras (CloudFormation's drift
 *   detection reports them too); exempt such roles or keep them in report mode.
 * - AssumeRolePolicyDocument, Description, MaxSessionDuration: restored when set.
 * - Tags: managed keys restored, others kept.
 * Extras are removed before anything is granted, so a widened role shrinks first.
 */

const ROLE_PROPERTIES = ["ManagedPolicyArns", "Policies", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration", "Tags"] as const;

interface InlinePolicy {
  PolicyName: string;
  PolicyDocument: unknown;
}

async function getRole(iam: IAMClient, roleName: string): Promise<Role> {
  const out = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  if (!out.Role) throw new Error(`GetRole returned no role for ${roleName}`);
  return out.Role;
}

async function attachedPolicyArns(iam: IAMClient, roleName: string): Promise<Set<string>> {
  const arns = new Set<string>();
  for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: roleName })) {
    for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) arns.add(p.PolicyArn);
  }
  return arns;
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
}

const NONE: Split = { revoke: [], grant: [] };

async function managedPolicySteps(iam: IAMClient, roleName: string, expected: unknown): Promise<Split> {
  const want = new Set(Array.isArray(expected) ? expected.map(String) : []);
  const effects = [{ path: "/ManagedPolicyArns", value: [...want] }];
  const have = await attachedPolicyArns(iam, roleName);
  const detach = [...have].filter((arn) => !want.has(arn)).map<PlannedStep>((arn) => ({
    call: `DetachRolePolicy RoleName=${roleName} PolicyArn=${arn}`,
    summary: `detach ${arn}`,
    effects,
    apply: () => iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn })),
  }));
  const attach = [...want].filter((arn) => !have.has(arn)).map<PlannedStep>((arn) => ({
    call: `AttachRolePolicy RoleName=${roleName} PolicyArn=${arn}`,
    summary: `attach ${arn}`,
    effects,
    apply: () => iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn })),
  }));
  return { revoke: detach, grant: attach };
}

async function inlinePolicySteps(iam: IAMClient, roleName: string, expected: unknown): Promise<Split> {
  const want = expectedInlinePolicies(expected);
  const wanted = new Set(want.map((p) => p.PolicyName));
  const effects = [{ path: "/Policies", value: expected }];
  const have = await inlinePolicyNames(iam, roleName);

  const remove = have.filter((name) => !wanted.has(name)).map<PlannedStep>((name) => ({
    call: `DeleteRolePolicy RoleName=${roleName} PolicyName=${name}`,
    summary: `delete inline policy ${name}`,
    effects,
    apply: () => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
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
      effects,
      apply: () =>
        iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policy.PolicyName, PolicyDocument: JSON.stringify(policy.PolicyDocument) })),
    });
  }
  return { revoke: remove, grant: put };
}

function roleSettingSteps(iam: IAMClient, role: Role, expected: Record<string, unknown>): PlannedStep[] {
  const roleName = role.RoleName ?? "";
  const steps: PlannedStep[] = [];
  if ("AssumeRolePolicyDocument" in expected && !samePolicy(expected.AssumeRolePolicyDocument, role.AssumeRolePolicyDocument)) {
    const doc = JSON.stringify(parsePolicyDocument(expected.AssumeRolePolicyDocument));
    steps.push({
      call: `UpdateAssumeRolePolicy RoleName=${roleName}`,
      summary: "restore the trust policy",
      effects: [{ path: "/AssumeRolePolicyDocument", value: JSON.parse(doc) as unknown }],
      apply: () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: doc })),
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
      effects: fields.map((f) => ({ path: `/${f}`, value: update[f as keyof typeof update] })),
      apply: () => iam.send(new UpdateRoleCommand({ RoleName: roleName, ...update })),
    });
  }

  steps.push(
    ...restoreTagsStep(tagsToRestore(expected.Tags, tagMap(role.Tags)), `TagRole RoleName=${roleName}`, (restore) =>
      iam.send(new TagRoleCommand({ RoleName: roleName, Tags: tagList(restore) })),
      expected.Tags,
    ),
  );
  return steps;
}

async function plan(drift: ResourceDrift, iam: IAMClient): Promise<PlannedStep[]> {
  const roleName = drift.physicalResourceId;
  const expected = drift.expected ?? {};
  const role = await getRole(iam, roleName);
  const managed = "ManagedPolicyArns" in expected ? await managedPolicySteps(iam, roleName, expected.ManagedPolicyArns) : NONE;
  const inline = "Policies" in expected ? await inlinePolicySteps(iam, roleName, expected.Policies) : NONE;
  return [...managed.revoke, ...inline.revoke, ...inline.grant, ...managed.grant, ...roleSettingSteps(iam, role, expected)];
}

export const iamRoleRemediator: Remediator = {
  resourceType: "AWS::IAM::Role",
  actions: [
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:TagRole",
  ],
  properties: ROLE_PROPERTIES,
  async remediate({ drift, clients, dryRun }) {
    return runPlan({ steps: await plan(drift, clients.iam) }, { dryRun });
  },
  async readTags(drift, clients) {
    return tagMap((await getRole(clients.iam, drift.physicalResourceId)).Tags);
  },
};
