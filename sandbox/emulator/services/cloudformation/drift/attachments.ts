import type { CfnStack, CfnStackResource, SecurityGroup } from "../../../state.js";
import type { CfnEnv } from "../env.js";
import { stackAttachments } from "../resources/attachments.js";
import { jsonDocument, optionalString, stringList } from "../resources/properties.js";
import { groups, ruleFromTemplate, ruleToTemplate } from "../../ec2/cfn-security-group.js";

/**
 * CloudFormation user guide, "Detect unmanaged configuration changes to stacks and resources
 * with drift detection", Considerations: attachment resources "may be used to attach and remove
 * values from AWS::EC2::SecurityGroup resources. In these cases, CloudFormation analyses the
 * stack template for attachments before performing the drift comparison. However,
 * CloudFormation cannot perform this analysis across stacks" (awsdocs/aws-cloudformation-user-guide,
 * doc_source/using-cfn-stack-drift.md). So the expected properties of a group or a role include
 * what the same stack's attachments add — only where the template sets the property, since only
 * properties the template defines are compared — and attachments in other stacks show up as drift.
 * REVERT_DRIFT restores these same expected values, so it keeps same-stack attachments too.
 */
export function withSameStackAttachments(env: CfnEnv, stack: CfnStack, resource: CfnStackResource, expected: Record<string, unknown>): Record<string, unknown> {
  const out = { ...expected };
  if (resource.type === "AWS::EC2::SecurityGroup") {
    const group: SecurityGroup | undefined = groups({ env }).get(resource.physicalId);
    const targets = (p: Record<string, unknown>) => optionalString(p.GroupId) === resource.physicalId || (group !== undefined && optionalString(p.GroupName) === group.groupName);
    for (const [property, type, direction] of [
      ["SecurityGroupIngress", "AWS::EC2::SecurityGroupIngress", "ingress"],
      ["SecurityGroupEgress", "AWS::EC2::SecurityGroupEgress", "egress"],
    ] as const) {
      if (out[property] === undefined) continue;
      const attached = stackAttachments(stack, type).filter((a) => targets(a.properties)).map((a) => ruleToTemplate(ruleFromTemplate(a.properties, direction), direction));
      out[property] = [...(out[property] as unknown[]), ...attached];
    }
  }
  if (resource.type === "AWS::IAM::Role") {
    const roleName = resource.physicalId;
    if (out.Policies !== undefined) {
      const inline = [
        ...stackAttachments(stack, "AWS::IAM::Policy").filter((a) => stringList(a.properties.Roles).includes(roleName)),
        ...stackAttachments(stack, "AWS::IAM::RolePolicy").filter((a) => a.properties.RoleName === roleName),
      ].map((a) => ({ PolicyName: String(a.properties.PolicyName), PolicyDocument: jsonDocument(a.properties.PolicyDocument) }));
      out.Policies = [...(out.Policies as unknown[]), ...inline];
    }
    if (out.ManagedPolicyArns !== undefined) {
      const arns = stackAttachments(stack, "AWS::IAM::ManagedPolicy").filter((a) => stringList(a.properties.Roles).includes(roleName)).map((a) => a.physicalId);
      out.ManagedPolicyArns = [...(out.ManagedPolicyArns as unknown[]), ...arns];
    }
  }
  return out;
}
