import { regionOf, type SecurityGroup, type SecurityGroupRule } from "../../state.js";
import { generatedName, hex } from "../ids.js";
import {
  cloudFormationTags,
  objectList,
  optionalString,
  pick,
  required,
  restoreTags,
  templateTags,
  userTagList,
} from "./properties.js";
import type { ResourceContext, ResourceProvider } from "./types.js";

type Direction = "ingress" | "egress";

const PEER_FIELDS: Record<Direction, { prefixList: string; group: string }> = {
  ingress: { prefixList: "SourcePrefixListId", group: "SourceSecurityGroupId" },
  egress: { prefixList: "DestinationPrefixListId", group: "DestinationSecurityGroupId" },
};

const PROTOCOL_NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6" };

/** EC2 reports protocol numbers it knows by name, and -1 ("all") without ports. */
function canonicalProtocol(value: unknown): string {
  const text = String(value ?? "-1").toLowerCase();
  return PROTOCOL_NAMES[text] ?? text;
}

function port(value: unknown): number | undefined {
  return value === undefined || value === null || value === "" ? undefined : Number(value);
}

function ruleFromTemplate(value: Record<string, unknown>, direction: Direction): SecurityGroupRule {
  const ipProtocol = canonicalProtocol(value.IpProtocol);
  const peers = PEER_FIELDS[direction];
  const fields: Partial<SecurityGroupRule> = {
    fromPort: ipProtocol === "-1" ? undefined : port(value.FromPort),
    toPort: ipProtocol === "-1" ? undefined : port(value.ToPort),
    cidrIpv4: optionalString(value.CidrIp),
    cidrIpv6: optionalString(value.CidrIpv6),
    prefixListId: optionalString(value[peers.prefixList]),
    referencedGroupId: optionalString(value[peers.group]),
    description: optionalString(value.Description),
  };
  const defined = Object.entries(fields).filter(([, field]) => field !== undefined);
  return { ipProtocol, ...Object.fromEntries(defined) };
}

function ruleToTemplate(rule: SecurityGroupRule, direction: Direction): Record<string, unknown> {
  const peers = PEER_FIELDS[direction];
  const entries: [string, unknown][] = [
    ["IpProtocol", canonicalProtocol(rule.ipProtocol)],
    ["FromPort", rule.ipProtocol === "-1" ? undefined : rule.fromPort],
    ["ToPort", rule.ipProtocol === "-1" ? undefined : rule.toPort],
    ["CidrIp", rule.cidrIpv4],
    ["CidrIpv6", rule.cidrIpv6],
    [peers.prefixList, rule.prefixListId],
    [peers.group, rule.referencedGroupId],
    ["Description", rule.description],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

/** What EC2 gives every new VPC security group when the template declares no egress rules. */
const DEFAULT_EGRESS: SecurityGroupRule = { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" };

function rulesFromTemplate(value: unknown, direction: Direction): SecurityGroupRule[] {
  return objectList(value).map((rule) => ruleFromTemplate(rule, direction));
}

function groups(ctx: ResourceContext): Map<string, SecurityGroup> {
  return regionOf(ctx.env.account, ctx.env.region).securityGroups;
}

function vpcFor(properties: Record<string, unknown>, ctx: ResourceContext): string {
  const vpcs = regionOf(ctx.env.account, ctx.env.region).vpcs;
  const requested = optionalString(properties.VpcId);
  if (requested !== undefined) {
    if (!vpcs.has(requested)) throw new Error(`The vpc ID '${requested}' does not exist`);
    return requested;
  }
  const fallback = [...vpcs.values()].find((vpc) => vpc.isDefault);
  if (!fallback) throw new Error("No default VPC for this user");
  return fallback.vpcId;
}

/** AWS::EC2::SecurityGroup (VPC groups). The physical id is the group id. */
export const securityGroupProvider: ResourceProvider = {
  create(properties, ctx) {
    const { sandbox } = ctx.env;
    const description = String(required(properties, "GroupDescription", ctx.logicalId));
    const vpcId = vpcFor(properties, ctx);
    const groupName =
      optionalString(properties.GroupName) ?? generatedName(ctx.stack.stackName, ctx.logicalId, sandbox.random, { maxLength: 255 });
    for (const existing of groups(ctx).values()) {
      if (existing.vpcId === vpcId && existing.groupName === groupName) {
        throw new Error(`The security group '${groupName}' already exists for VPC '${vpcId}'`);
      }
    }
    const group: SecurityGroup = {
      groupId: `sg-${hex(sandbox.random, 17)}`,
      groupName,
      description,
      vpcId,
      ingress: rulesFromTemplate(properties.SecurityGroupIngress, "ingress"),
      egress:
        properties.SecurityGroupEgress === undefined
          ? [{ ...DEFAULT_EGRESS }]
          : rulesFromTemplate(properties.SecurityGroupEgress, "egress"),
      tags: { ...cloudFormationTags(ctx.stack, ctx.logicalId), ...ctx.stack.tags, ...templateTags(properties.Tags) },
    };
    groups(ctx).set(group.groupId, group);
    return { physicalId: group.groupId, attributes: { GroupId: group.groupId, VpcId: vpcId } };
  },

  delete(groupId, ctx) {
    groups(ctx).delete(groupId);
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

    readActual(groupId, ctx) {
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

    update(groupId, expected, ctx) {
      const group = groups(ctx).get(groupId);
      if (!group) throw new Error(`The security group '${groupId}' does not exist`);
      if (expected.SecurityGroupIngress !== undefined) group.ingress = rulesFromTemplate(expected.SecurityGroupIngress, "ingress");
      if (expected.SecurityGroupEgress !== undefined) group.egress = rulesFromTemplate(expected.SecurityGroupEgress, "egress");
      if (expected.Tags !== undefined) restoreTags(group.tags, expected.Tags);
    },
  },
};
