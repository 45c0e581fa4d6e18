import { AwsError } from "../../../protocol/types.js";
import type { CfnStack, CfnStackResource, IamRole, SecurityGroup, SecurityGroupRule } from "../../../state.js";
import { sameRule } from "../../ec2/permissions.js";
import { ec2Id, generatedName } from "../../shared/ids.js";
import { jsonDocument, optionalString, required, stringList } from "./properties.js";
import { type Direction, groups, ruleFromTemplate, ruleToTemplate } from "../../ec2/cfn-security-group.js";
import type { ResourceContext, ResourceProvider } from "./types.js";
import { authorizeOnBehalf, callOnBehalf, recordOnBehalf } from "./on-behalf.js";
import { ec2Service } from "../../ec2/service.js";
import { iamService } from "../../iam/service.js";
import { convergeManagedPolicy, managedPolicyDrift, rolePolicyDrift, ruleAttachmentDrift } from "./attachment-drift.js";

/**
 * Attachment resources: they change another resource's live state when created and undo it
 * when deleted, as in AWS.
 * - AWS::EC2::SecurityGroupIngress / SecurityGroupEgress add one rule to the group named by
 *   GroupId (or, for ingress in a default VPC, GroupName). Their physical id is the rule's id
 *   (the resource type's primary identifier "Id: The Security Group Rule Id").
 * - AWS::IAM::Policy (Roles) and AWS::IAM::RolePolicy (RoleName) put an inline policy on roles.
 * - AWS::IAM::ManagedPolicy (Roles) creates a customer managed policy (physical id: its ARN,
 *   what Ref returns) and attaches it to the roles.
 * Drift detection of the attachments themselves is in attachment-drift.ts (AWS::IAM::Policy is
 * NOT_CHECKED, as documented); what the user guide documents — that CloudFormation "analyses the stack template for attachments before
 * performing the drift comparison" of the group or role, but "cannot perform this analysis
 * across stacks" — is in drift/attachments.ts.
 */

function role(ctx: ResourceContext, name: string): IamRole {
  const found = ctx.env.account.roles.get(name);
  if (!found) throw new AwsError("NoSuchEntity", `The role with name ${name} cannot be found.`, 404);
  return found;
}

function targetGroup(properties: Record<string, unknown>, ctx: ResourceContext): SecurityGroup {
  const id = optionalString(properties.GroupId);
  const all = groups(ctx);
  const group = id !== undefined ? all.get(id) : [...all.values()].find((g) => g.groupName === optionalString(properties.GroupName));
  if (!group) throw new AwsError("InvalidGroup.NotFound", `The security group '${id ?? String(properties.GroupName)}' does not exist`);
  return group;
}

function ruleAttachment(direction: Direction): ResourceProvider {
  const list = (group: SecurityGroup) => (direction === "ingress" ? group.ingress : group.egress);
  return {
    async create(properties, ctx) {
      const group = targetGroup(properties, ctx);
      const request = { GroupId: group.groupId, IpPermissions: [ipPermission(properties)] };
      await authorizeOnBehalf(ctx, ec2Service, AUTHORIZE[direction], request);
      const rule: SecurityGroupRule = { ...ruleFromTemplate(properties, direction), ruleId: ec2Id(ctx.env.sandbox.random, "sgr") };
      if (list(group).some((existing) => sameRule(existing, rule))) {
        throw new AwsError("InvalidPermission.Duplicate", `the specified rule "${JSON.stringify(ruleToTemplate(rule, direction))}" already exists`);
      }
      list(group).push(rule);
      recordOnBehalf(ctx, ec2Service, AUTHORIZE[direction], request, {
        Return: true,
        SecurityGroupRules: [{ SecurityGroupRuleId: rule.ruleId, GroupId: group.groupId, IsEgress: direction === "egress" }],
      });
      return { physicalId: rule.ruleId!, attributes: { Id: rule.ruleId! } };
    },
    async delete(ruleId, ctx) {
      for (const group of groups(ctx).values()) {
        if (!list(group).some((r) => r.ruleId === ruleId)) continue;
        const request = { GroupId: group.groupId, SecurityGroupRuleIds: [ruleId] };
        await authorizeOnBehalf(ctx, ec2Service, REVOKE[direction], request);
        const rules = list(group);
        rules.splice(rules.findIndex((r) => r.ruleId === ruleId), 1);
        recordOnBehalf(ctx, ec2Service, REVOKE[direction], request, { Return: true });
      }
    },
  };
}

/** The template's rule as the API's IpPermissions entry (what CloudTrail shows as the request). */
function ipPermission(properties: Record<string, unknown>): Record<string, unknown> {
  const peer = optionalString(properties.SourceSecurityGroupId ?? properties.DestinationSecurityGroupId);
  const prefixList = optionalString(properties.SourcePrefixListId ?? properties.DestinationPrefixListId);
  const description = optionalString(properties.Description);
  const withDescription = (entry: Record<string, unknown>) => (description !== undefined ? { ...entry, Description: description } : entry);
  return {
    IpProtocol: String(properties.IpProtocol ?? "-1"),
    ...(properties.FromPort !== undefined ? { FromPort: Number(properties.FromPort) } : {}),
    ...(properties.ToPort !== undefined ? { ToPort: Number(properties.ToPort) } : {}),
    ...(properties.CidrIp !== undefined ? { IpRanges: [withDescription({ CidrIp: properties.CidrIp })] } : {}),
    ...(properties.CidrIpv6 !== undefined ? { Ipv6Ranges: [withDescription({ CidrIpv6: properties.CidrIpv6 })] } : {}),
    ...(prefixList !== undefined ? { PrefixListIds: [withDescription({ PrefixListId: prefixList })] } : {}),
    ...(peer !== undefined ? { UserIdGroupPairs: [withDescription({ GroupId: peer })] } : {}),
  };
}

const AUTHORIZE: Record<Direction, string> = { ingress: "AuthorizeSecurityGroupIngress", egress: "AuthorizeSecurityGroupEgress" };
const REVOKE: Record<Direction, string> = { ingress: "RevokeSecurityGroupIngress", egress: "RevokeSecurityGroupEgress" };

/** Inline policies on roles, through IAM's own PutRolePolicy / DeleteRolePolicy handlers. */
function inlinePolicy(rolesOf: (properties: Record<string, unknown>) => string[]): ResourceProvider {
  return {
    async create(properties, ctx) {
      const name = String(required(properties, "PolicyName", ctx.logicalId));
      const document = jsonDocument(required(properties, "PolicyDocument", ctx.logicalId));
      for (const roleName of rolesOf(properties)) {
        role(ctx, roleName);
        await callOnBehalf(ctx, iamService, "PutRolePolicy", { RoleName: roleName, PolicyName: name, PolicyDocument: JSON.stringify(document) });
      }
      const physicalId = generatedName(ctx.env.sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 128 });
      return { physicalId, attributes: { Id: physicalId } };
    },
    async delete(_physicalId, ctx) {
      const resource = ctx.stack.resources.find((r) => r.logicalId === ctx.logicalId);
      if (!resource) return;
      const name = String(resource.properties.PolicyName);
      for (const roleName of rolesOf(resource.properties)) {
        if (ctx.env.account.roles.get(roleName)?.inlinePolicies[name] !== undefined) await callOnBehalf(ctx, iamService, "DeleteRolePolicy", { RoleName: roleName, PolicyName: name });
      }
    },
  };
}

/** A customer managed policy, created and attached through IAM's CreatePolicy / AttachRolePolicy handlers. */
const managedPolicy: ResourceProvider = {
  async create(properties, ctx) {
    const { sandbox } = ctx.env;
    const name = optionalString(properties.ManagedPolicyName) ?? generatedName(sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 128 });
    const path = optionalString(properties.Path);
    const document = jsonDocument(required(properties, "PolicyDocument", ctx.logicalId));
    const created = await callOnBehalf<{ Policy: { Arn: string } }>(ctx, iamService, "CreatePolicy", {
      PolicyName: name,
      ...(path !== undefined ? { Path: path } : {}),
      PolicyDocument: JSON.stringify(document),
      ...(optionalString(properties.Description) !== undefined ? { Description: optionalString(properties.Description) } : {}),
    });
    const arn = created.Policy.Arn;
    for (const roleName of stringList(properties.Roles)) {
      if (!role(ctx, roleName).managedPolicyArns.includes(arn)) await callOnBehalf(ctx, iamService, "AttachRolePolicy", { RoleName: roleName, PolicyArn: arn });
    }
    return { physicalId: arn, attributes: { PolicyArn: arn } };
  },
  async delete(arn, ctx) {
    for (const r of ctx.env.account.roles.values()) {
      if (r.managedPolicyArns.includes(arn)) await callOnBehalf(ctx, iamService, "DetachRolePolicy", { RoleName: r.roleName, PolicyArn: arn });
    }
    if (ctx.env.account.policies.has(arn)) await callOnBehalf(ctx, iamService, "DeletePolicy", { PolicyArn: arn });
  },
  updateInPlace(arn, properties, previous, ctx) {
    return convergeManagedPolicy(arn, properties, ctx, previous);
  },
};

export const ATTACHMENT_PROVIDERS: Readonly<Record<string, ResourceProvider>> = {
  "AWS::EC2::SecurityGroupIngress": { ...ruleAttachment("ingress"), drift: ruleAttachmentDrift("ingress") },
  "AWS::EC2::SecurityGroupEgress": { ...ruleAttachment("egress"), drift: ruleAttachmentDrift("egress") },
  "AWS::IAM::Policy": inlinePolicy((p) => stringList(p.Roles)),
  "AWS::IAM::RolePolicy": { ...inlinePolicy((p) => [String(p.RoleName)]), drift: rolePolicyDrift },
  "AWS::IAM::ManagedPolicy": { ...managedPolicy, drift: managedPolicyDrift },
};

/** The same stack's attachment resources that exist. */
export function stackAttachments(stack: CfnStack, type: string): CfnStackResource[] {
  return stack.resources.filter((r) => r.type === type && r.status !== "DELETE_COMPLETE");
}
