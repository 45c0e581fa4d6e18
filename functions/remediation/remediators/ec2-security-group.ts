import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateTagsCommand,
  type EC2Client,
  type IpPermission,
  paginateDescribeSecurityGroupRules,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
  type SecurityGroupRule,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from "@aws-sdk/client-ec2";
import { describeSecurityGroup } from "../../aws/security-groups.js";
import { describeAttachment, type Owned, ownedRules, unresolvedContent } from "../ownership/owned.js";
import { type Plan, type PlanInput, type PlannedStep, restoreTagsStep } from "../plan.js";
import {
  type CanonicalRule,
  type Direction,
  describeRule,
  type LiveRule,
  ruleFromLive,
  ruleFromTemplate,
  ruleKey,
  toIpPermission,
} from "../sg-rules.js";
import { tagList, tagMap, tagsToRestore } from "../../core/tags.js";
import type { Remediator } from "../types.js";

/**
 * AWS::EC2::SecurityGroup: ingress and egress rules, rule descriptions and tags.
 * - SecurityGroupIngress set: together with the rules of every AWS::EC2::SecurityGroupIngress
 *   resource targeting the group (any stack of the account-region), the complete list of ingress
 *   rules; attachment rules are never revoked. Absent: ingress is not managed.
 * - SecurityGroupEgress: the same with AWS::EC2::SecurityGroupEgress. Absent: egress is not
 *   managed at all, since "Only resource properties explicitly defined in the stack template are
 *   checked for drift" (CloudFormation API Reference, DetectStackDrift); EC2's default allow-all
 *   egress rule, which "is removed only when you specify one or more egress rules"
 *   (AWS::EC2::SecurityGroup, "Remove the default rule"), is left as EC2 keeps it.
 * - A description is restored only when the template's rule sets one.
 * Missing rules are authorized before extra rules are revoked, so replacing a rule never
 * leaves a window without the intended access.
 */

const SG_PROPERTIES = ["SecurityGroupIngress", "SecurityGroupEgress", "Tags"] as const;

/** CloudFormation's physical id is the group id, or the group name for default-VPC groups. */
async function describeGroup(ec2: EC2Client, physicalId: string): Promise<SecurityGroup> {
  const group = await describeSecurityGroup(ec2, physicalId);
  if (!group) throw new Error(`DescribeSecurityGroups returned no group for ${physicalId}`);
  return group;
}

async function liveRules(ec2: EC2Client, groupId: string): Promise<LiveRule[]> {
  const rules: SecurityGroupRule[] = [];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ec2 }, { Filters: [{ Name: "group-id", Values: [groupId] }] })) {
    rules.push(...(page.SecurityGroupRules ?? []));
  }
  return rules.map(ruleFromLive);
}

/** The rules of one direction the template manages, plus the rules attachments own (kept, never authorized here). */
interface ManagedRules {
  direction: Direction;
  rules: CanonicalRule[];
  owned: CanonicalRule[];
  /** The template's list, when the template sets it: what CloudFormation compares after the repair. */
  template?: unknown;
}

function templateRules(direction: Direction, entries: unknown): CanonicalRule[] | { unsupported: string } {
  const rules: CanonicalRule[] = [];
  for (const entry of Array.isArray(entries) ? entries : []) {
    const rule = ruleFromTemplate(direction, (entry ?? {}) as Record<string, unknown>);
    if ("unsupported" in rule) return rule;
    rules.push(rule);
  }
  return rules;
}

const PROPERTY: Readonly<Record<Direction, string>> = { ingress: "SecurityGroupIngress", egress: "SecurityGroupEgress" };

function managedRules(expected: Record<string, unknown>, owned: Owned): ManagedRules[] | { unsupported: string } {
  const byAttachment = [...ownedRules(owned).values()].map((a) => a.rule);
  const managed: ManagedRules[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    if (!(PROPERTY[direction] in expected)) continue;
    const rules = templateRules(direction, expected[PROPERTY[direction]]);
    if ("unsupported" in rules) return rules;
    managed.push({ direction, rules, owned: byAttachment.filter((r) => r.direction === direction), template: expected[PROPERTY[direction]] });
  }
  return managed;
}

/** The three per-direction calls, named for the step descriptions. */
interface DirectionCalls {
  authorize: [api: string, send: (ec2: EC2Client, groupId: string, permission: IpPermission) => Promise<unknown>];
  revoke: [api: string, send: (ec2: EC2Client, groupId: string, ruleId: string) => Promise<unknown>];
  describe: [api: string, send: (ec2: EC2Client, groupId: string, ruleId: string, description: string) => Promise<unknown>];
}

const CALLS: Readonly<Record<Direction, DirectionCalls>> = {
  ingress: {
    authorize: ["AuthorizeSecurityGroupIngress", (ec2, GroupId, p) => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [p] }))],
    revoke: ["RevokeSecurityGroupIngress", (ec2, GroupId, id) => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, SecurityGroupRuleIds: [id] }))],
    describe: [
      "UpdateSecurityGroupRuleDescriptionsIngress",
      (ec2, GroupId, id, Description) =>
        ec2.send(new UpdateSecurityGroupRuleDescriptionsIngressCommand({ GroupId, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: id, Description }] })),
    ],
  },
  egress: {
    authorize: ["AuthorizeSecurityGroupEgress", (ec2, GroupId, p) => ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions: [p] }))],
    revoke: ["RevokeSecurityGroupEgress", (ec2, GroupId, id) => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId, SecurityGroupRuleIds: [id] }))],
    describe: [
      "UpdateSecurityGroupRuleDescriptionsEgress",
      (ec2, GroupId, id, Description) =>
        ec2.send(new UpdateSecurityGroupRuleDescriptionsEgressCommand({ GroupId, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: id, Description }] })),
    ],
  },
};

function ruleSteps(ec2: EC2Client, groupId: string, { direction, rules: want, owned, template }: ManagedRules, live: LiveRule[]): PlannedStep[] {
  const effects = template === undefined ? [] : [{ path: `/${PROPERTY[direction]}`, value: template }];
  const { authorize: [authorizeApi, sendAuthorize], revoke: [revokeApi, sendRevoke], describe: [describeApi, sendDescribe] } = CALLS[direction];
  const liveByKey = new Map(live.filter((r) => r.direction === direction).map((r) => [ruleKey(r), r]));
  const wantByKey = new Map(want.map((r) => [ruleKey(r), r]));
  const keep = new Set([...wantByKey.keys(), ...owned.map(ruleKey)]);

  const authorize: PlannedStep[] = [];
  const redescribe: PlannedStep[] = [];
  for (const [key, rule] of wantByKey) {
    const existing = liveByKey.get(key);
    if (existing === undefined) {
      authorize.push({
        call: `${authorizeApi} GroupId=${groupId} ${describeRule(rule)}`,
        summary: `authorize ${describeRule(rule)}`,
        effect: { kind: "authorize-rule", groupId, rule },
        effects,
        send: () => sendAuthorize(ec2, groupId, toIpPermission(rule)),
      });
    } else if (rule.description !== undefined && rule.description !== existing.description) {
      const description = rule.description;
      redescribe.push({
        call: `${describeApi} GroupId=${groupId} ${existing.ruleId} Description=${description}`,
        summary: `restore the description of ${describeRule(rule)}`,
        effect: { kind: "describe-rule", groupId },
        effects,
        send: () => sendDescribe(ec2, groupId, existing.ruleId, description),
      });
    }
  }
  const revoke = [...liveByKey]
    .filter(([key]) => !keep.has(key))
    .map<PlannedStep>(([, rule]) => ({
      call: `${revokeApi} GroupId=${groupId} SecurityGroupRuleIds=${rule.ruleId} (${describeRule(rule)})`,
      summary: `revoke ${describeRule(rule)}`,
      effect: { kind: "revoke-rule", groupId, rule },
      effects,
      send: () => sendRevoke(ec2, groupId, rule.ruleId),
    }));
  return [...authorize, ...revoke, ...redescribe];
}

async function plan({ drift, clients, owned }: PlanInput): Promise<Plan> {
  const { ec2 } = clients;
  const expected = drift.expected ?? {};
  const managed = managedRules(expected, owned);
  if ("unsupported" in managed) return { manual: `cannot repair ${managed.unsupported}` };
  const unknown = unresolvedContent(owned, "sg-rule");
  if (managed.length > 0 && unknown) return { manual: `cannot tell which rules ${describeAttachment(unknown)} owns; not revoking any` };

  const group = await describeGroup(ec2, drift.physicalResourceId);
  const groupId = group.GroupId ?? drift.physicalResourceId;
  const live = await liveRules(ec2, groupId);
  const liveKeys = new Set(live.map(ruleKey));
  const managedDirections = new Set(managed.map((m) => m.direction));
  const honoured = [...ownedRules(owned).entries()]
    .filter(([key, a]) => liveKeys.has(key) && managedDirections.has(a.rule.direction))
    .map(([, a]) => describeAttachment(a));
  return {
    steps: [
      ...managed.flatMap((m) => ruleSteps(ec2, groupId, m, live)),
      ...restoreTagsStep(tagsToRestore(expected.Tags, tagMap(group.Tags)), `CreateTags Resources=${groupId}`, { kind: "tag-resource", resource: groupId }, (restore) =>
        ec2.send(new CreateTagsCommand({ Resources: [groupId], Tags: tagList(restore) })),
        expected.Tags,
      ),
    ],
    honoured,
  };
}

export const ec2SecurityGroupRemediator: Remediator = {
  resourceType: "AWS::EC2::SecurityGroup",
  actions: [
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:CreateTags",
  ],
  properties: SG_PROPERTIES,
  plan,
  async readTags(drift, clients) {
    return tagMap((await describeGroup(clients.ec2, drift.physicalResourceId)).Tags);
  },
};
