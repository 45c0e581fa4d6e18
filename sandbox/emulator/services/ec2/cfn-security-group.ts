import { regionOf, type SecurityGroup, type SecurityGroupRule } from "../../state.js";
import { ec2Service, ensureDefaultVpc, putSecurityGroup } from "./service.js";
import { authorizeOnBehalf, callOnBehalf, readOnBehalf, recordOnBehalf } from "../cloudformation/resources/on-behalf.js";
import { identifyRules, trafficOf } from "./permissions.js";
import { generatedName } from "../shared/ids.js";
import {
  cloudFormationTags,
  objectList,
  optionalString,
  pick,
  required,
  staleTagKeys,
  templateTags,
  userTagList,
} from "../cloudformation/resources/properties.js";
import type { ResourceContext, ResourceProvider } from "../cloudformation/resources/types.js";

export type Direction = "ingress" | "egress";

const PEER_FIELDS: Record<Direction, { prefixList: string; group: string }> = {
  ingress: { prefixList: "SourcePrefixListId", group: "SourceSecurityGroupId" },
  egress: { prefixList: "DestinationPrefixListId", group: "DestinationSecurityGroupId" },
};

/** A template rule as EC2 stores it: the same protocol and port normalisation as the API's. */
export function ruleFromTemplate(value: Record<string, unknown>, direction: Direction): SecurityGroupRule {
  const peers = PEER_FIELDS[direction];
  const fields: Partial<SecurityGroupRule> = {
    ...trafficOf(String(value.IpProtocol ?? "-1"), value.FromPort, value.ToPort),
    cidrIpv4: optionalString(value.CidrIp),
    cidrIpv6: optionalString(value.CidrIpv6),
    prefixListId: optionalString(value[peers.prefixList]),
    referencedGroupId: optionalString(value[peers.group]),
    description: optionalString(value.Description),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, field]) => field !== undefined)) as unknown as SecurityGroupRule;
}

export function ruleToTemplate(rule: SecurityGroupRule, direction: Direction): Record<string, unknown> {
  const peers = PEER_FIELDS[direction];
  const entries: [string, unknown][] = [
    ["IpProtocol", rule.ipProtocol],
    ["FromPort", rule.fromPort],
    ["ToPort", rule.toPort],
    ["CidrIp", rule.cidrIpv4],
    ["CidrIpv6", rule.cidrIpv6],
    [peers.prefixList, rule.prefixListId],
    [peers.group, rule.referencedGroupId],
    ["Description", rule.description],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

function rulesFromTemplate(value: unknown, direction: Direction): SecurityGroupRule[] {
  return objectList(value).map((rule) => ruleFromTemplate(rule, direction));
}

export function groups(ctx: Pick<ResourceContext, "env">): Map<string, SecurityGroup> {
  return regionOf(ctx.env.account, ctx.env.region).securityGroups;
}

/** The template's VPC, or the region's default VPC as EC2 picks when none is named. */
function vpcFor(properties: Record<string, unknown>, ctx: ResourceContext): string {
  const requested = optionalString(properties.VpcId);
  if (requested === undefined) return ensureDefaultVpc(ctx.env.account, ctx.env.region).vpcId;
  if (!regionOf(ctx.env.account, ctx.env.region).vpcs.has(requested)) throw new Error(`The vpc ID '${requested}' does not exist`);
  return requested;
}

/**
 * Sets the tags of `wanted` whose value differs, through EC2's CreateTags handler (authorized and
 * recorded as CloudFormation's call); tags the template does not name are left alone, as drift
 * detection ignores them (Tags compared with onlyExpectedKeys).
 */
async function tagGroup(ctx: ResourceContext, group: SecurityGroup, wanted: Record<string, string>): Promise<void> {
  const changed = Object.entries(wanted).filter(([key, value]) => group.tags[key] !== value);
  if (changed.length === 0) return;
  await callOnBehalf(ctx, ec2Service, "CreateTags", { Resources: [group.groupId], Tags: changed.map(([Key, Value]) => ({ Key, Value })) });
}

/** What the type's read handler calls for a group (drift detection, import): EC2 DescribeSecurityGroups. */
const readGroup = (ctx: ResourceContext, groupId: string) => readOnBehalf(ctx, ec2Service, [["DescribeSecurityGroups", { GroupIds: [groupId] }]]);

/** AWS::EC2::SecurityGroup (VPC groups). The physical id is the group id. */
export const securityGroupProvider: ResourceProvider = {
  async create(properties, ctx) {
    const { sandbox } = ctx.env;
    const description = String(required(properties, "GroupDescription", ctx.logicalId));
    const vpcId = vpcFor(properties, ctx);
    const groupName =
      optionalString(properties.GroupName) ?? generatedName(sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 255 });
    const request = { GroupName: groupName, Description: description, VpcId: vpcId };
    await authorizeOnBehalf(ctx, ec2Service, "CreateSecurityGroup", request);
    const group = putSecurityGroup(regionOf(ctx.env.account, ctx.env.region), sandbox.random, {
      groupName,
      description,
      vpcId,
      ingress: rulesFromTemplate(properties.SecurityGroupIngress, "ingress"),
      egress: properties.SecurityGroupEgress === undefined ? undefined : rulesFromTemplate(properties.SecurityGroupEgress, "egress"),
      // CloudFormation's own aws:cloudformation:* tags; a caller may not write the aws: prefix, so they are not a CreateTags call.
      tags: cloudFormationTags(ctx.stack, ctx.logicalId),
    });
    // What CloudTrail shows CloudFormation calling (on-behalf.ts); the rules follow as Authorize calls, the user's tags as CreateTags.
    recordOnBehalf(ctx, ec2Service, "CreateSecurityGroup", request, { GroupId: group.groupId });
    try {
      for (const [name, action] of [["SecurityGroupIngress", "AuthorizeSecurityGroupIngress"], ["SecurityGroupEgress", "AuthorizeSecurityGroupEgress"]] as const) {
        if (objectList(properties[name]).length === 0) continue;
        const rules = { GroupId: group.groupId, IpPermissions: objectList(properties[name]) };
        await authorizeOnBehalf(ctx, ec2Service, action, rules);
        recordOnBehalf(ctx, ec2Service, action, rules, { Return: true });
      }
      await tagGroup(ctx, group, { ...ctx.stack.tags, ...templateTags(properties.Tags) });
    } catch (error) {
      // The handler's create failed after the group existed: it is removed, as the rollback of a resource that failed to create.
      groups(ctx).delete(group.groupId);
      throw error;
    }
    return { physicalId: group.groupId, attributes: { GroupId: group.groupId, VpcId: vpcId } };
  },

  /**
   * UpdateStack: the rules and tags of the new template (drift `update`), then the tags the
   * previous template set and the new one no longer names taken off with EC2's DeleteTags
   * (Tags: "Update requires: No interruption", AWS::EC2::SecurityGroup, CloudFormation Template
   * Reference; a tag the template drops leaves the group, as staleTagKeys says); tags added out of band stay.
   */
  async updateInPlace(groupId, properties, previous, ctx) {
    await securityGroupProvider.drift!.update(groupId, securityGroupProvider.drift!.expected(properties), ctx);
    const group = groups(ctx).get(groupId)!;
    const stale = staleTagKeys(group.tags, { ...ctx.stack.tags, ...templateTags(properties.Tags) }, previous.Tags);
    if (stale.length > 0) await callOnBehalf(ctx, ec2Service, "DeleteTags", { Resources: [groupId], Tags: stale.map((Key) => ({ Key })) });
  },

  async delete(groupId, ctx) {
    if (!groups(ctx).has(groupId)) return;
    await authorizeOnBehalf(ctx, ec2Service, "DeleteSecurityGroup", { GroupId: groupId });
    groups(ctx).delete(groupId);
    recordOnBehalf(ctx, ec2Service, "DeleteSecurityGroup", { GroupId: groupId }, { Return: true });
  },

  // The type schema's primaryIdentifier is /properties/Id, the group id.
  import: {
    identifier: "Id",
    async find(groupId, ctx) {
      await readGroup(ctx, groupId);
      const group = groups(ctx).get(groupId);
      return group && { physicalId: groupId, attributes: { GroupId: groupId, VpcId: group.vpcId } };
    },
  },

  drift: {
    shapes: {
      SecurityGroupIngress: { kind: "set" },
      SecurityGroupEgress: { kind: "set" },
      Tags: { kind: "set", key: "Key", onlyExpectedKeys: true },
    },
    replacedBy: ["GroupName", "GroupDescription", "VpcId"],

    expected(properties) {
      const out = pick(properties, ["GroupDescription", "GroupName", "VpcId", "SecurityGroupIngress", "SecurityGroupEgress", "Tags"]);
      for (const [name, direction] of [["SecurityGroupIngress", "ingress"], ["SecurityGroupEgress", "egress"]] as const) {
        if (out[name] !== undefined) {
          out[name] = rulesFromTemplate(out[name], direction).map((rule) => ruleToTemplate(rule, direction));
        }
      }
      return out;
    },

    async readActual(groupId, ctx) {
      await readGroup(ctx, groupId);
      const group = groups(ctx).get(groupId);
      if (!group) return undefined;
      return {
        GroupDescription: group.description,
        GroupName: group.groupName,
        VpcId: group.vpcId,
        SecurityGroupIngress: group.ingress.map((rule) => ruleToTemplate(rule, "ingress")),
        SecurityGroupEgress: group.egress.map((rule) => ruleToTemplate(rule, "egress")),
        Tags: userTagList(group.tags),
      };
    },

    async update(groupId, expected, ctx) {
      const group = groups(ctx).get(groupId);
      if (!group) throw new Error(`The security group '${groupId}' does not exist`);
      // Rules that stay keep their ids, as when CloudFormation revokes and authorizes only the difference.
      const { random } = ctx.env.sandbox;
      for (const [name, direction, calls] of [
        ["SecurityGroupIngress", "ingress", ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"]],
        ["SecurityGroupEgress", "egress", ["AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"]],
      ] as const) {
        if (expected[name] === undefined) continue;
        const before = direction === "ingress" ? group.ingress : group.egress;
        const after = identifyRules(rulesFromTemplate(expected[name], direction), before, random);
        const set = (rules: SecurityGroupRule[]) => (direction === "ingress" ? (group.ingress = rules) : (group.egress = rules));
        // identifyRules gives a kept rule its id in a new object, so rules are matched by id.
        const beforeIds = new Set(before.map((rule) => rule.ruleId));
        const afterIds = new Set(after.map((rule) => rule.ruleId));
        const added = after.filter((rule) => !beforeIds.has(rule.ruleId)).map((rule) => rule.ruleId!);
        const removed = before.filter((rule) => !afterIds.has(rule.ruleId)).map((rule) => rule.ruleId!);
        // One call at a time, each authorized before it takes effect: a denied Authorize leaves the revokes done.
        for (const [ids, action, rules] of [[removed, calls[1], before.filter((rule) => afterIds.has(rule.ruleId))], [added, calls[0], after]] as const) {
          if (ids.length === 0) continue;
          await authorizeOnBehalf(ctx, ec2Service, action, { GroupId: groupId, SecurityGroupRuleIds: ids });
          set([...rules]);
          recordOnBehalf(ctx, ec2Service, action, { GroupId: groupId, SecurityGroupRuleIds: ids }, { Return: true });
        }
      }
      if (expected.Tags !== undefined) await tagGroup(ctx, group, templateTags(expected.Tags));
    },
  },
};
