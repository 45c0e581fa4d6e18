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
import type { ResourceDrift } from "../../core/types.js";
import { type Plan, type PlannedStep, restoreTagsStep, runPlan } from "../plan.js";
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
 * - SecurityGroupIngress set: the complete list of ingress rules. Absent: ingress is not managed.
 * - SecurityGroupEgress set: the complete list of egress rules. Absent: CloudFormation keeps
 *   (and restores) EC2's default allow-all IPv4 egress rule, so that is the expected list; the
 *   default allow-all IPv6 rule EC2 adds in IPv6 VPCs is tolerated.
 * - A description is restored only when the template's rule sets one.
 * Missing rules are authorized before extra rules are revoked, so replacing a rule never
 * leaves a window without the intended access.
 * Caveat: rules added by separate AWS::EC2::SecurityGroupIngress/Egress resources are not in
 * the group's properties; CloudFormation reports them as drift and this remediator would revoke
 * them. Exempt such groups or keep AWS::EC2::SecurityGroup in report mode for those stacks.
 */

const SG_PROPERTIES = ["SecurityGroupIngress", "SecurityGroupEgress", "Tags"] as const;

const DEFAULT_EGRESS: CanonicalRule = { direction: "egress", protocol: "-1", fromPort: -1, toPort: -1, peer: { kind: "cidr4", cidr: "0.0.0.0/0" } };
const DEFAULT_EGRESS_IPV6: CanonicalRule = { ...DEFAULT_EGRESS, peer: { kind: "cidr6", cidr: "::/0" } };

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

/** The rules of one direction the template manages, plus live rules that may stay. */
interface ManagedRules {
  direction: Direction;
  rules: CanonicalRule[];
  tolerated: CanonicalRule[];
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

function managedRules(expected: Record<string, unknown>): ManagedRules[] | { unsupported: string } {
  const managed: ManagedRules[] = [];
  if ("SecurityGroupIngress" in expected) {
    const rules = templateRules("ingress", expected.SecurityGroupIngress);
    if ("unsupported" in rules) return rules;
    managed.push({ direction: "ingress", rules, tolerated: [], template: expected.SecurityGroupIngress });
  }
  if ("SecurityGroupEgress" in expected) {
    const rules = templateRules("egress", expected.SecurityGroupEgress);
    if ("unsupported" in rules) return rules;
    managed.push({ direction: "egress", rules, tolerated: [], template: expected.SecurityGroupEgress });
  } else {
    managed.push({ direction: "egress", rules: [DEFAULT_EGRESS], tolerated: [DEFAULT_EGRESS_IPV6] });
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

function ruleSteps(ec2: EC2Client, groupId: string, { direction, rules: want, tolerated, template }: ManagedRules, live: LiveRule[]): PlannedStep[] {
  const effects = template === undefined ? [] : [{ path: direction === "ingress" ? "/SecurityGroupIngress" : "/SecurityGroupEgress", value: template }];
  const { authorize: [authorizeApi, sendAuthorize], revoke: [revokeApi, sendRevoke], describe: [describeApi, sendDescribe] } = CALLS[direction];
  const liveByKey = new Map(live.filter((r) => r.direction === direction).map((r) => [ruleKey(r), r]));
  const wantByKey = new Map(want.map((r) => [ruleKey(r), r]));
  const keep = new Set([...wantByKey.keys(), ...tolerated.map(ruleKey)]);

  const authorize: PlannedStep[] = [];
  const redescribe: PlannedStep[] = [];
  for (const [key, rule] of wantByKey) {
    const existing = liveByKey.get(key);
    if (existing === undefined) {
      authorize.push({
        call: `${authorizeApi} GroupId=${groupId} ${describeRule(rule)}`,
        summary: `authorize ${describeRule(rule)}`,
        effects,
        apply: () => sendAuthorize(ec2, groupId, toIpPermission(rule)),
      });
    } else if (rule.description !== undefined && rule.description !== existing.description) {
      const description = rule.description;
      redescribe.push({
        call: `${describeApi} GroupId=${groupId} ${existing.ruleId} Description=${description}`,
        summary: `restore the description of ${describeRule(rule)}`,
        effects,
        apply: () => sendDescribe(ec2, groupId, existing.ruleId, description),
      });
    }
  }
  const revoke = [...liveByKey]
    .filter(([key]) => !keep.has(key))
    .map<PlannedStep>(([, rule]) => ({
      call: `${revokeApi} GroupId=${groupId} SecurityGroupRuleIds=${rule.ruleId} (${describeRule(rule)})`,
      summary: `revoke ${describeRule(rule)}`,
      effects,
      apply: () => sendRevoke(ec2, groupId, rule.ruleId),
    }));
  return [...authorize, ...revoke, ...redescribe];
}

async function plan(drift: ResourceDrift, ec2: EC2Client): Promise<Plan> {
  const expected = drift.expected ?? {};
  const managed = managedRules(expected);
  if ("unsupported" in managed) return { manual: `cannot repair ${managed.unsupported}` };

  const group = await describeGroup(ec2, drift.physicalResourceId);
  const groupId = group.GroupId ?? drift.physicalResourceId;
  const live = await liveRules(ec2, groupId);
  return {
    steps: [
      ...managed.flatMap((m) => ruleSteps(ec2, groupId, m, live)),
      ...restoreTagsStep(tagsToRestore(expected.Tags, tagMap(group.Tags)), `CreateTags Resources=${groupId}`, (restore) =>
        ec2.send(new CreateTagsCommand({ Resources: [groupId], Tags: tagList(restore) })),
        expected.Tags,
      ),
    ],
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
  async remediate({ drift, clients, dryRun }) {
    return runPlan(await plan(drift, clients.ec2), { dryRun });
  },
  async readTags(drift, clients) {
    return tagMap((await describeGroup(clients.ec2, drift.physicalResourceId)).Tags);
  },
};
