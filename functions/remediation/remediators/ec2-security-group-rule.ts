import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
  paginateDescribeSecurityGroupRules,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import type { Attachment } from "../ownership/owned.js";
import type { Plan, PlanInput } from "../plan.js";
import { type Direction, describeRule, ruleFromLive, ruleKey, toIpPermission } from "../sg-rules.js";
import type { LiveCheck, Remediator } from "../types.js";

/**
 * AWS::EC2::SecurityGroupIngress / SecurityGroupEgress, the attachment resources themselves.
 * CloudFormation drift-checks them by their rule id (the type's primary identifier, "The Security
 * Group Rule Id"), so a rule revoked by hand is DELETED. The repair authorizes the rule the
 * template declares (read from the template by the ownership lookup: a DELETED drift carries no
 * ExpectedProperties), through the same invariants as every write — re-adding all traffic from
 * 0.0.0.0/0 is refused whoever's stack declares it. EC2 gives the re-added rule a new id, which
 * the stack resource does not follow, so CloudFormation keeps reporting it DELETED until the stack
 * is updated; verification therefore looks at the group's live rules, and the reason says so.
 * A MODIFIED rule (only its Description is updatable) is left to a person.
 */

function ruleOf(declared: readonly Attachment[] | undefined): (Attachment & { kind: "sg-rule" }) | undefined {
  const [first] = declared ?? [];
  return first?.kind === "sg-rule" ? first : undefined;
}

async function liveRuleKeys(ec2: EC2Client, groupId: string): Promise<Set<string>> {
  const rules: SecurityGroupRule[] = [];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ec2 }, { Filters: [{ Name: "group-id", Values: [groupId] }] })) rules.push(...(page.SecurityGroupRules ?? []));
  // Descriptions do not make a rule a different rule.
  return new Set(rules.map((r) => ruleKey({ ...ruleFromLive(r), description: undefined })));
}

const AUTHORIZE: Readonly<Record<Direction, [api: string, send: (ec2: EC2Client, GroupId: string, permission: IpPermission) => Promise<unknown>]>> = {
  ingress: ["AuthorizeSecurityGroupIngress", (ec2, GroupId, p) => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [p] }))],
  egress: ["AuthorizeSecurityGroupEgress", (ec2, GroupId, p) => ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions: [p] }))],
};

function ruleAttachmentRemediator(direction: Direction, resourceType: string): Remediator {
  const [api, send] = AUTHORIZE[direction];
  async function plan({ drift, clients, declared }: PlanInput): Promise<Plan> {
    if (drift.status !== "DELETED") return { manual: `${resourceType} ${drift.logicalResourceId} differs from its template; only its Description can change in place: update the stack` };
    const attachment = ruleOf(declared);
    if (!attachment?.rule || attachment.group === undefined || !attachment.group.startsWith("sg-")) {
      return { manual: `the rule of ${resourceType} ${drift.logicalResourceId} was removed, and its template's rule or target group could not be resolved: update the stack` };
    }
    const { rule, group } = attachment;
    if ((await liveRuleKeys(clients.ec2, group)).has(ruleKey({ ...rule, description: undefined }))) return { steps: [] };
    return {
      steps: [
        {
          call: `${api} GroupId=${group} (${describeRule(rule)})`,
          summary: `re-authorize ${describeRule(rule)} on ${group}, which ${resourceType} ${drift.logicalResourceId} declares`,
          effect: { kind: "authorize-rule", groupId: group, rule },
          send: () => send(clients.ec2, group, toIpPermission(rule)),
        },
      ],
    };
  }
  return {
    resourceType,
    // Each direction sends its own Authorize call (the registry meta-test runs both and compares).
    actions: ["ec2:DescribeSecurityGroupRules", `ec2:${api}`],
    attachment: true,
    plan,
    async verifyLive({ drift, clients, declared }): Promise<LiveCheck> {
      const attachment = ruleOf(declared)!;
      const back = (await liveRuleKeys(clients.ec2, attachment.group!)).has(ruleKey({ ...attachment.rule!, description: undefined }));
      return back
        ? {
            inSync: true,
            note: `verified: the rule is on ${attachment.group} again, under a new rule id; CloudFormation reports ${drift.logicalResourceId} DELETED until stack ${attachment.origin.stackName} is updated, since the resource is identified by the old rule id`,
          }
        : { inSync: false, note: `verification: ${describeRule(attachment.rule!)} is still missing from ${attachment.group}` };
    },
  };
}

export const securityGroupIngressRemediator = ruleAttachmentRemediator("ingress", "AWS::EC2::SecurityGroupIngress");
export const securityGroupEgressRemediator = ruleAttachmentRemediator("egress", "AWS::EC2::SecurityGroupEgress");
