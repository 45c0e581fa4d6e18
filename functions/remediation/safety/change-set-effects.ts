import type { Change } from "@aws-sdk/client-cloudformation";
import { parsePolicyDocument, samePolicy } from "../policy-document.js";
import { type CanonicalRule, type Direction, ruleFromTemplate, ruleKey } from "../sg-rules.js";
import type { RoleTarget, WriteEffect } from "./effects.js";

/**
 * What executing a change set would set, as write effects for the invariants: read from
 * DescribeChangeSet with IncludePropertyValues, whose ResourceChange.BeforeContext and
 * AfterContext are the resource's properties before and after as JSON
 * ({"Properties": {...}}; CloudFormation API Reference, ResourceChange: "BeforeContext: An
 * encoded JSON string that contains the context of the resource before the change is
 * executed"). A change set is judged by what it would do, not only by which resources it
 * touches: a REVERT_DRIFT change set on a claimed role "reverts" it to the claimant's template.
 */

/** Types that carry privilege the effects below do not model: a change set touching one is refused. */
const PRIVILEGE_TYPES = /^AWS::(IAM|Organizations|SSO|KMS)::|^AWS::(S3::BucketPolicy|SQS::QueuePolicy|SNS::TopicPolicy|Lambda::Permission|SecretsManager::ResourcePolicy|ECR::Repository|Events::EventBusPolicy)$/;

type Props = Record<string, unknown>;

/** A BeforeContext / AfterContext's Properties; undefined when the change carries no property values. */
export function properties(context: string | undefined): Props | undefined {
  if (context === undefined) return undefined;
  try {
    const parsed = JSON.parse(context) as { Properties?: unknown };
    return parsed.Properties !== null && typeof parsed.Properties === "object" ? (parsed.Properties as Props) : {};
  } catch {
    return undefined;
  }
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function roleEffects(role: RoleTarget, before: Props, after: Props): WriteEffect[] {
  const out: WriteEffect[] = [];
  if (after.AssumeRolePolicyDocument !== undefined && !samePolicy(after.AssumeRolePolicyDocument, before.AssumeRolePolicyDocument ?? {})) {
    out.push({ kind: "update-trust-policy", role, document: parsePolicyDocument(after.AssumeRolePolicyDocument), previous: parsePolicyDocument(before.AssumeRolePolicyDocument ?? {}) });
  }
  const had = new Set(list(before.ManagedPolicyArns).map(String));
  const has = new Set(list(after.ManagedPolicyArns).map(String));
  for (const arn of has) if (!had.has(arn)) out.push({ kind: "attach-role-policy", role, policyArn: arn });
  for (const arn of had) if (!has.has(arn)) out.push({ kind: "detach-role-policy", role, policyArn: arn });
  const byName = (v: unknown) => new Map(list(v).map((p) => [String((p as Props)?.PolicyName), (p as Props)?.PolicyDocument]));
  const inlineBefore = byName(before.Policies);
  for (const [name, doc] of byName(after.Policies)) {
    if (!inlineBefore.has(name) || !samePolicy(doc, inlineBefore.get(name))) out.push({ kind: "put-role-policy", role, policyName: name, document: parsePolicyDocument(doc) });
  }
  for (const name of inlineBefore.keys()) if (!byName(after.Policies).has(name)) out.push({ kind: "delete-role-policy", role, policyName: name });
  return out;
}

function rules(direction: Direction, value: unknown): { rules: CanonicalRule[]; unsupported: { entry: unknown; why: string }[] } {
  const out: { rules: CanonicalRule[]; unsupported: { entry: unknown; why: string }[] } = { rules: [], unsupported: [] };
  for (const entry of list(value)) {
    const rule = ruleFromTemplate(direction, (entry ?? {}) as Props);
    if ("unsupported" in rule) out.unsupported.push({ entry, why: rule.unsupported });
    else out.rules.push(rule);
  }
  return out;
}

/**
 * A group's rule writes. A rule the change set adds that cannot be read as a canonical rule (a
 * source group named rather than referenced by id, …) is returned as uninterpreted, not dropped:
 * dropped, its grant would pass the invariants unexamined. Unchanged entries write nothing.
 */
function groupEffects(groupId: string, before: Props, after: Props): { writes: WriteEffect[]; uninterpreted: string[] } {
  const out: { writes: WriteEffect[]; uninterpreted: string[] } = { writes: [], uninterpreted: [] };
  for (const [property, direction] of [["SecurityGroupIngress", "ingress"], ["SecurityGroupEgress", "egress"]] as const) {
    const old = rules(direction, before[property]);
    const now = rules(direction, after[property]);
    const had = new Map(old.rules.map((r) => [ruleKey(r), r]));
    const has = new Map(now.rules.map((r) => [ruleKey(r), r]));
    for (const [key, rule] of has) if (!had.has(key)) out.writes.push({ kind: "authorize-rule", groupId, rule });
    for (const [key, rule] of had) if (!has.has(key)) out.writes.push({ kind: "revoke-rule", groupId, rule });
    const unchanged = new Set(old.unsupported.map((u) => JSON.stringify(u.entry)));
    for (const u of now.unsupported) if (!unchanged.has(JSON.stringify(u.entry))) out.uninterpreted.push(`${property}: ${u.why}`);
  }
  return out;
}

/** The writes executing these changes would make, and the changes whose privilege effect cannot be told. */
export function changeSetWrites(changes: readonly Change[]): { writes: WriteEffect[]; uninterpreted: string[] } {
  const writes: WriteEffect[] = [];
  const uninterpreted: string[] = [];
  for (const change of changes) {
    const rc = change.ResourceChange;
    if (!rc) continue;
    const type = rc.ResourceType ?? "";
    const what = `${rc.LogicalResourceId} (${type})`;
    const before = properties(rc.BeforeContext) ?? {};
    const after = properties(rc.AfterContext);
    const physical = rc.PhysicalResourceId ?? "";
    if (after === undefined) {
      if (PRIVILEGE_TYPES.test(type) || type.startsWith("AWS::EC2::SecurityGroup")) uninterpreted.push(`${what} without property values`);
      continue;
    }
    switch (type) {
      case "AWS::IAM::Role":
        writes.push(...roleEffects({ name: physical, ...(typeof after.Path === "string" ? { path: after.Path } : {}) }, before, after));
        break;
      case "AWS::EC2::SecurityGroup": {
        const group = groupEffects(physical, before, after);
        writes.push(...group.writes);
        uninterpreted.push(...group.uninterpreted.map((why) => `${what} ${why}`));
        break;
      }
      case "AWS::EC2::SecurityGroupIngress":
      case "AWS::EC2::SecurityGroupEgress": {
        const direction = type.endsWith("Ingress") ? "ingress" : "egress";
        const rule = ruleFromTemplate(direction, after);
        if ("unsupported" in rule) uninterpreted.push(`${what}: ${rule.unsupported}`);
        else writes.push({ kind: "authorize-rule", groupId: String(after.GroupId ?? after.GroupName ?? physical), rule });
        break;
      }
      case "AWS::IAM::Policy":
      case "AWS::IAM::RolePolicy": {
        const roles = type === "AWS::IAM::RolePolicy" ? [after.RoleName] : list(after.Roles);
        for (const role of roles) writes.push({ kind: "put-role-policy", role: { name: String(role) }, policyName: String(after.PolicyName), document: parsePolicyDocument(after.PolicyDocument) });
        if (roles.length === 0) uninterpreted.push(`${what} attached to users or groups`);
        break;
      }
      case "AWS::IAM::ManagedPolicy":
        for (const role of list(after.Roles)) writes.push({ kind: "attach-role-policy", role: { name: String(role) }, policyArn: physical, document: parsePolicyDocument(after.PolicyDocument) });
        if (list(after.Users).length > 0 || list(after.Groups).length > 0) uninterpreted.push(`${what} attached to users or groups`);
        break;
      default:
        if (PRIVILEGE_TYPES.test(type)) uninterpreted.push(what);
    }
  }
  return { writes, uninterpreted };
}
