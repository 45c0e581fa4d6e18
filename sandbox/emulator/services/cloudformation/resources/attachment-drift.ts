import { AwsError } from "../../../protocol/types.js";
import type { SecurityGroup, SecurityGroupRule } from "../../../state.js";
import { type Direction, groups, ruleFromTemplate, ruleToTemplate } from "../../ec2/cfn-security-group.js";
import { jsonDocument, optionalString, pick, stringList } from "./properties.js";
import type { DriftSupport, ResourceContext } from "./types.js";
import { authorizeOnBehalf, callOnBehalf, readOnBehalf, recordOnBehalf } from "./on-behalf.js";
import { ec2Service } from "../../ec2/service.js";
import { iamService } from "../../iam/service.js";

/**
 * Drift detection of the attachment resources themselves, as CloudFormation documents it:
 * - AWS::EC2::SecurityGroupIngress / SecurityGroupEgress are checked. Their type schema names the
 *   rule by its id (primaryIdentifier /properties/Id, "The Security Group Rule Id") and makes every
 *   property but Description create-only (aws-ec2-securitygroupingress.json in the CloudFormation
 *   registry schemas), so a rule revoked by hand is DELETED — re-authorizing the same rule gives it
 *   a new id, which the resource does not follow — and a changed description is MODIFIED.
 * - AWS::IAM::RolePolicy is checked (primary identifier PolicyName + RoleName): the inline policy
 *   deleted by hand is DELETED, its document changed is MODIFIED on PolicyDocument.
 * - AWS::IAM::ManagedPolicy is checked ("Resources that support import and drift detection
 *   operations", awsdocs/aws-cloudformation-user-guide doc_source/resource-import-supported-resources.md):
 *   a role detached from it by hand is a REMOVE on Roles, a new default version a difference on
 *   PolicyDocument, the policy deleted DELETED.
 * - AWS::IAM::Policy is not: "This resource does not support drift detection. The following inline
 *   policy resource types support drift detection: AWS::IAM::GroupPolicy, AWS::IAM::RolePolicy,
 *   AWS::IAM::UserPolicy" (AWS::IAM::Policy, CloudFormation Template Reference), so it stays
 *   NOT_CHECKED (no `drift` in resources/attachments.ts).
 */

const RULE_FIELDS = ["IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupId", "DestinationPrefixListId", "DestinationSecurityGroupId"];

function ruleById(ruleId: string, direction: Direction, ctx: ResourceContext): { group: SecurityGroup; rule: SecurityGroupRule } | undefined {
  for (const group of groups(ctx).values()) {
    const rule = (direction === "ingress" ? group.ingress : group.egress).find((r) => r.ruleId === ruleId);
    if (rule) return { group, rule };
  }
  return undefined;
}

export function ruleAttachmentDrift(direction: Direction): DriftSupport {
  return {
    shapes: {},
    replacedBy: ["GroupId", "GroupName", ...RULE_FIELDS],
    expected(properties) {
      return { ...pick(properties, ["GroupId", "GroupName"]), ...ruleToTemplate(ruleFromTemplate(properties, direction), direction) };
    },
    async readActual(ruleId, ctx) {
      // A rule is read by its id (EC2 DescribeSecurityGroupRules).
      await readOnBehalf(ctx, ec2Service, [["DescribeSecurityGroupRules", { SecurityGroupRuleIds: [ruleId] }]]);
      const found = ruleById(ruleId, direction, ctx);
      if (!found) return undefined;
      return { GroupId: found.group.groupId, GroupName: found.group.groupName, ...ruleToTemplate(found.rule, direction) };
    },
    async update(ruleId, expected, ctx) {
      const found = ruleById(ruleId, direction, ctx);
      if (!found) throw new Error(`The security group rule '${ruleId}' does not exist`);
      const description = optionalString(expected.Description);
      // Only Description is updatable; the call the type's update handler makes for it.
      const action = direction === "ingress" ? "UpdateSecurityGroupRuleDescriptionsIngress" : "UpdateSecurityGroupRuleDescriptionsEgress";
      const request = { GroupId: found.group.groupId, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: ruleId, Description: description ?? "" }] };
      await authorizeOnBehalf(ctx, ec2Service, action, request);
      if (description === undefined) delete found.rule.description;
      else found.rule.description = description;
      recordOnBehalf(ctx, ec2Service, action, request, { Return: true });
    },
  };
}

function declared(ctx: ResourceContext): Record<string, unknown> {
  return ctx.stack.resources.find((r) => r.logicalId === ctx.logicalId)?.properties ?? {};
}

export const rolePolicyDrift: DriftSupport = {
  shapes: { PolicyDocument: { kind: "policy" } },
  replacedBy: ["PolicyName", "RoleName"],
  expected(properties) {
    return { PolicyName: properties.PolicyName, RoleName: properties.RoleName, PolicyDocument: jsonDocument(properties.PolicyDocument) };
  },
  async readActual(_physicalId, ctx) {
    const { PolicyName, RoleName } = declared(ctx);
    await readOnBehalf(ctx, iamService, [["GetRolePolicy", { RoleName: String(RoleName), PolicyName: String(PolicyName) }]]);
    const document = ctx.env.account.roles.get(String(RoleName))?.inlinePolicies[String(PolicyName)];
    return document === undefined ? undefined : { PolicyName, RoleName, PolicyDocument: document };
  },
  async update(_physicalId, expected, ctx) {
    await callOnBehalf(ctx, iamService, "PutRolePolicy", { RoleName: String(expected.RoleName), PolicyName: String(expected.PolicyName), PolicyDocument: JSON.stringify(expected.PolicyDocument) });
  },
};

/** IAM keeps at most five versions of a managed policy (CreatePolicyVersion, IAM API Reference). */
const MAX_POLICY_VERSIONS = 5;

/**
 * Brings a customer managed policy to the template, through IAM's own handlers. PolicyDocument and
 * Roles are "Update requires: No interruption" (AWS::IAM::ManagedPolicy, CloudFormation Template
 * Reference, awsdocs/aws-cloudformation-user-guide doc_source/aws-resource-iam-managedpolicy.md), and
 * IAM changes a managed policy's document only by a new version: the handler makes the new document
 * the default version (CreatePolicyVersion with SetAsDefault) and, when the policy already has IAM's
 * five versions, first deletes the oldest non-default one (ListPolicyVersions, DeletePolicyVersion) —
 * "Real CloudFormation treats PolicyDocument as a mutable property and updates the policy in place
 * (publishing a new default version, pruning at IAM's 5-version cap)" (floci-io/floci#2237).
 * Roles the template names are attached; with `previous` (an UpdateStack), roles it named and no
 * longer does are detached. A REVERT_DRIFT passes no `previous`: roles attached by hand stay.
 */
export async function convergeManagedPolicy(arn: string, expected: Record<string, unknown>, ctx: ResourceContext, previous?: Record<string, unknown>): Promise<void> {
  const policy = ctx.env.account.policies.get(arn);
  if (!policy) throw new AwsError("NoSuchEntity", `Policy ${arn} was not found.`, 404);
  const document = expected.PolicyDocument === undefined ? undefined : jsonDocument(expected.PolicyDocument);
  if (document !== undefined && JSON.stringify(document) !== JSON.stringify(policy.document)) {
    const { Versions = [] } = await callOnBehalf<{ Versions?: { VersionId: string; IsDefaultVersion: boolean }[] }>(ctx, iamService, "ListPolicyVersions", { PolicyArn: arn });
    const oldest = Versions.find((v) => !v.IsDefaultVersion);
    if (Versions.length >= MAX_POLICY_VERSIONS && oldest) await callOnBehalf(ctx, iamService, "DeletePolicyVersion", { PolicyArn: arn, VersionId: oldest.VersionId });
    await callOnBehalf(ctx, iamService, "CreatePolicyVersion", { PolicyArn: arn, PolicyDocument: JSON.stringify(document), SetAsDefault: true });
  }
  const wanted = stringList(expected.Roles);
  for (const name of wanted) {
    const role = ctx.env.account.roles.get(name);
    if (!role) throw new AwsError("NoSuchEntity", `The role with name ${name} cannot be found.`, 404);
    if (!role.managedPolicyArns.includes(arn)) await callOnBehalf(ctx, iamService, "AttachRolePolicy", { RoleName: name, PolicyArn: arn });
  }
  for (const name of stringList(previous?.Roles).filter((n) => !wanted.includes(n))) {
    if (ctx.env.account.roles.get(name)?.managedPolicyArns.includes(arn)) await callOnBehalf(ctx, iamService, "DetachRolePolicy", { RoleName: name, PolicyArn: arn });
  }
}

export const managedPolicyDrift: DriftSupport = {
  shapes: { Roles: { kind: "set" }, PolicyDocument: { kind: "policy" } },
  // Template Reference: ManagedPolicyName, Path and Description "Update requires: Replacement".
  replacedBy: ["ManagedPolicyName", "Path", "Description"],
  expected(properties) {
    return { PolicyDocument: jsonDocument(properties.PolicyDocument), ...(properties.Roles === undefined ? {} : { Roles: stringList(properties.Roles) }) };
  },
  async readActual(arn, ctx) {
    const policy = ctx.env.account.policies.get(arn);
    // GetPolicy, the default version's document, and the roles it is attached to.
    await readOnBehalf(ctx, iamService, [
      ["GetPolicy", { PolicyArn: arn }],
      ...(policy ? [["GetPolicyVersion", { PolicyArn: arn, VersionId: policy.defaultVersionId }] as const] : []),
      ["ListEntitiesForPolicy", { PolicyArn: arn }],
    ]);
    if (!policy) return undefined;
    const roles = [...ctx.env.account.roles.values()].filter((r) => r.managedPolicyArns.includes(arn)).map((r) => r.roleName);
    return { PolicyDocument: policy.document, Roles: roles };
  },
  update(arn, expected, ctx) {
    return convergeManagedPolicy(arn, expected, ctx);
  },
};
