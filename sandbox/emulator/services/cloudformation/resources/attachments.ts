import { AwsError } from "../../../protocol/types.js";
import type { CfnStack, CfnStackResource, IamRole, SecurityGroup, SecurityGroupRule } from "../../../state.js";
import { sameRule } from "../../ec2/permissions.js";
import { ec2Id, generatedName, iamUniqueId } from "../../shared/ids.js";
import { jsonDocument, optionalString, required, stringList } from "./properties.js";
import { type Direction, groups, ruleFromTemplate, ruleToTemplate } from "../../ec2/cfn-security-group.js";
import type { ResourceContext, ResourceProvider } from "./types.js";
import { managedPolicyDrift, rolePolicyDrift, ruleAttachmentDrift } from "./attachment-drift.js";

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
    create(properties, ctx) {
      const group = targetGroup(properties, ctx);
      const rule: SecurityGroupRule = { ...ruleFromTemplate(properties, direction), ruleId: ec2Id(ctx.env.sandbox.random, "sgr") };
      if (list(group).some((existing) => sameRule(existing, rule))) {
        throw new AwsError("InvalidPermission.Duplicate", `the specified rule "${JSON.stringify(ruleToTemplate(rule, direction))}" already exists`);
      }
      list(group).push(rule);
      return { physicalId: rule.ruleId!, attributes: { Id: rule.ruleId! } };
    },
    delete(ruleId, ctx) {
      for (const group of groups(ctx).values()) {
        const rules = list(group);
        const i = rules.findIndex((r) => r.ruleId === ruleId);
        if (i >= 0) rules.splice(i, 1);
      }
    },
  };
}

function inlinePolicy(rolesOf: (properties: Record<string, unknown>) => string[]): ResourceProvider {
  return {
    create(properties, ctx) {
      const name = String(required(properties, "PolicyName", ctx.logicalId));
      const document = jsonDocument(required(properties, "PolicyDocument", ctx.logicalId));
      for (const roleName of rolesOf(properties)) role(ctx, roleName).inlinePolicies[name] = document;
      const physicalId = generatedName(ctx.env.sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 128 });
      return { physicalId, attributes: { Id: physicalId } };
    },
    delete(_physicalId, ctx) {
      const resource = ctx.stack.resources.find((r) => r.logicalId === ctx.logicalId);
      if (!resource) return;
      for (const roleName of rolesOf(resource.properties)) delete ctx.env.account.roles.get(roleName)?.inlinePolicies[String(resource.properties.PolicyName)];
    },
  };
}

const managedPolicy: ResourceProvider = {
  create(properties, ctx) {
    const { account, sandbox } = ctx.env;
    const name = optionalString(properties.ManagedPolicyName) ?? generatedName(sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 128 });
    const path = optionalString(properties.Path) ?? "/";
    const document = jsonDocument(required(properties, "PolicyDocument", ctx.logicalId));
    const arn = `arn:aws:iam::${account.id}:policy${path}${name}`;
    // CloudFormation creates it with CreatePolicy, so GetPolicy / GetPolicyVersion read it like any customer managed policy.
    account.policies.set(arn, {
      arn,
      policyName: name,
      policyId: iamUniqueId(sandbox.random, "ANPA"),
      path,
      ...(optionalString(properties.Description) !== undefined ? { description: optionalString(properties.Description) } : {}),
      document,
      defaultVersionId: "v1",
      createdAt: new Date(sandbox.now()).toISOString(),
    });
    for (const roleName of stringList(properties.Roles)) {
      const target = role(ctx, roleName);
      if (!target.managedPolicyArns.includes(arn)) target.managedPolicyArns.push(arn);
    }
    return { physicalId: arn, attributes: { PolicyArn: arn } };
  },
  delete(arn, ctx) {
    for (const r of ctx.env.account.roles.values()) r.managedPolicyArns = r.managedPolicyArns.filter((a) => a !== arn);
    ctx.env.account.policies.delete(arn);
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
