import { createHash } from "node:crypto";
import type { IpPermission, RevokedSecurityGroupRule, SecurityGroupRule as SdkSecurityGroupRule, SecurityGroupRuleRequest } from "@aws-sdk/client-ec2";
import type { SecurityGroup, SecurityGroupRule } from "../../state.js";
import { AwsError } from "../../protocol/types.js";
import { ec2Id } from "../shared/ids.js";
import { list, optionalNumber } from "../shared/params.js";

/**
 * Security group rules: the API's grouped IpPermission shape ⇄ the world's one-rule-per-source
 * form, with EC2's own normalisation (protocol names, port ranges) and rule identity. The
 * CloudFormation provider reads template rules through the same normalisation. The API side is
 * the SDK's own shapes (@aws-sdk/client-ec2 IpPermission, SecurityGroupRuleRequest,
 * SecurityGroupRule, RevokedSecurityGroupRule).
 */

const PROTOCOL_NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", all: "-1" };

/** EC2 reports the protocols it knows by name, and "-1" for all traffic. */
function protocolName(value: string | number): string {
  const p = String(value).toLowerCase();
  return PROTOCOL_NAMES[p] ?? p;
}

function invalidPorts(detail: string): AwsError {
  return new AwsError("InvalidParameterValue", `Invalid value '${detail}' for portRange`);
}

type Traffic = Pick<SecurityGroupRule, "ipProtocol" | "fromPort" | "toPort">;

/** Protocol and ports as EC2 stores them: no ports for all traffic, a valid range for TCP and UDP. */
export function trafficOf(protocol: string | undefined, from: unknown, to: unknown): Traffic {
  if (protocol === undefined || protocol === "") throw new AwsError("MissingParameter", "The request must contain the parameter ipPermissions.ipProtocol");
  const ipProtocol = protocolName(protocol);
  if (ipProtocol === "-1") return { ipProtocol };
  const fromPort = optionalNumber(from);
  const toPort = optionalNumber(to);
  if (ipProtocol === "tcp" || ipProtocol === "udp") {
    if (fromPort === undefined || toPort === undefined) throw invalidPorts("Must specify both from and to ports with TCP/UDP.");
    if (fromPort < 0 || toPort > 65535 || fromPort > toPort) throw invalidPorts(`Invalid TCP/UDP port range ${fromPort}-${toPort}`);
  }
  return { ipProtocol, fromPort, toPort };
}

function withoutUndefined(rule: SecurityGroupRule): SecurityGroupRule {
  return Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== undefined)) as unknown as SecurityGroupRule;
}

/**
 * EC2 API Reference, "Error codes for the Amazon EC2 API" (errors-overview.html):
 * InvalidGroupId.Malformed — "The specified security group ID is malformed … in the form
 * sg-xxxxxxxx" (8 or, for newer ids, 17 hexadecimal characters).
 */
export function requireGroupId(id: string): string {
  if (!/^sg-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) throw new AwsError("InvalidGroupId.Malformed", `Invalid id: "${id}" (expecting "sg-...")`);
  return id;
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;

function validIpv6Cidr(cidr: string): boolean {
  const [address, prefix, ...rest] = cidr.split("/");
  if (rest.length > 0 || prefix === undefined || !/^(12[0-8]|1[01]\d|[1-9]?\d)$/.test(prefix)) return false;
  const halves = address!.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === "" ? [] : half.split(":")));
  return groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) && (halves.length === 2 ? groups.length < 8 : groups.length === 8);
}

/**
 * A malformed CIDR is InvalidParameterValue naming the parameter (errors-overview.html:
 * "InvalidParameterValue: A value specified in a parameter is not valid").
 */
export function requireCidr(cidr: string | undefined, parameter: "cidrIp" | "cidrIpv6"): void {
  if (cidr === undefined) return;
  const valid = parameter === "cidrIp" ? IPV4_CIDR.test(cidr) : validIpv6Cidr(cidr);
  if (!valid) throw new AwsError("InvalidParameterValue", `Value (${cidr}) for parameter ${parameter} is invalid. This is not a valid CIDR block.`);
}

/** Expands permissions into single-source rules, validating ports, CIDRs and group ids the way EC2 does. */
export function rulesFromPermissions(permissions: IpPermission[]): SecurityGroupRule[] {
  return permissions.flatMap((p) => {
    const base = trafficOf(p.IpProtocol, p.FromPort, p.ToPort);
    const rules: SecurityGroupRule[] = [
      ...list(p.IpRanges).map((r) => ({ ...base, cidrIpv4: r.CidrIp, description: r.Description })),
      ...list(p.Ipv6Ranges).map((r) => ({ ...base, cidrIpv6: r.CidrIpv6, description: r.Description })),
      ...list(p.PrefixListIds).map((r) => ({ ...base, prefixListId: r.PrefixListId, description: r.Description })),
      ...list(p.UserIdGroupPairs).map((r) => ({ ...base, referencedGroupId: r.GroupId, description: r.Description })),
    ];
    if (rules.length === 0) throw new AwsError("InvalidParameterValue", "The request must specify at least one source: IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs");
    for (const rule of rules) {
      requireCidr(rule.cidrIpv4, "cidrIp");
      requireCidr(rule.cidrIpv6, "cidrIpv6");
      if (rule.referencedGroupId !== undefined) requireGroupId(rule.referencedGroupId);
    }
    return rules.map(withoutUndefined);
  });
}

/** The rule a ModifySecurityGroupRules entry describes; exactly one peer is allowed. */
export function ruleFromRequest(request: SecurityGroupRuleRequest): SecurityGroupRule {
  const peers = [request.CidrIpv4, request.CidrIpv6, request.PrefixListId, request.ReferencedGroupId].filter((p) => p !== undefined && p !== "");
  if (peers.length !== 1) {
    throw new AwsError("InvalidParameterCombination", "Exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId must be specified.");
  }
  return withoutUndefined({
    ...trafficOf(request.IpProtocol, request.FromPort, request.ToPort),
    cidrIpv4: request.CidrIpv4,
    cidrIpv6: request.CidrIpv6,
    prefixListId: request.PrefixListId,
    referencedGroupId: request.ReferencedGroupId,
    description: request.Description,
  });
}

/** What EC2 gives every new VPC security group: all outbound IPv4 traffic allowed. */
export function allowAllEgress(random: () => number): SecurityGroupRule {
  return { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", ruleId: ec2Id(random, "sgr") };
}

function peer(rule: SecurityGroupRule): string {
  return rule.cidrIpv4 ?? rule.cidrIpv6 ?? rule.prefixListId ?? rule.referencedGroupId ?? "";
}

/** Two rules are the same rule when protocol, ports and source agree; descriptions do not count. */
export function sameRule(a: SecurityGroupRule, b: SecurityGroupRule): boolean {
  return a.ipProtocol === b.ipProtocol && a.fromPort === b.fromPort && a.toPort === b.toPort && peer(a) === peer(b);
}

/**
 * Gives each rule its id: the id of the same rule among `current` (so a rule that stays keeps
 * its id across a rewrite of the whole list), else a new one.
 */
export function identifyRules(rules: SecurityGroupRule[], current: SecurityGroupRule[], random: () => number): SecurityGroupRule[] {
  return rules.map((rule) => {
    const kept = current.find((c) => sameRule(c, rule))?.ruleId;
    return { ...rule, ruleId: kept ?? ec2Id(random, "sgr") };
  });
}

export function describeRule(rule: SecurityGroupRule): string {
  const proto = rule.ipProtocol === "-1" ? "ALL" : rule.ipProtocol.toUpperCase();
  return `peer: ${peer(rule)}, ${proto}, from port: ${rule.fromPort ?? -1}, to port: ${rule.toPort ?? -1}, ALLOW`;
}

/** The grouped IpPermission list DescribeSecurityGroups returns: one entry per protocol and port range. */
export function permissionsFromRules(rules: SecurityGroupRule[], ownerId: string): IpPermission[] {
  type Grouped = IpPermission & Required<Pick<IpPermission, "IpRanges" | "Ipv6Ranges" | "PrefixListIds" | "UserIdGroupPairs">>;
  const groups = new Map<string, Grouped>();
  for (const r of rules) {
    const key = `${r.ipProtocol}/${r.fromPort}/${r.toPort}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { IpProtocol: r.ipProtocol, FromPort: r.fromPort, ToPort: r.toPort, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }));
    if (r.cidrIpv4) g.IpRanges.push({ CidrIp: r.cidrIpv4, Description: r.description });
    if (r.cidrIpv6) g.Ipv6Ranges.push({ CidrIpv6: r.cidrIpv6, Description: r.description });
    if (r.prefixListId) g.PrefixListIds.push({ PrefixListId: r.prefixListId, Description: r.description });
    if (r.referencedGroupId) g.UserIdGroupPairs.push({ GroupId: r.referencedGroupId, UserId: ownerId, Description: r.description });
  }
  return [...groups.values()];
}

/**
 * A rule's sgr- id. Rules created through EC2 or CloudFormation carry the id they were given;
 * rules put into the world directly (tests, hand-built scenarios) get one derived from their
 * group, direction and content, so it is stable too.
 */
export function ruleIdOf(group: SecurityGroup, egress: boolean, rule: SecurityGroupRule): string {
  if (rule.ruleId) return rule.ruleId;
  const digest = createHash("sha256").update(`${group.groupId}/${egress}/${rule.ipProtocol}/${rule.fromPort}/${rule.toPort}/${peer(rule)}`).digest("hex");
  return `sgr-${digest.slice(0, 17)}`;
}

/** What the SecurityGroupRule and RevokedSecurityGroupRule shapes share. */
function ruleFields(group: SecurityGroup, egress: boolean, rule: SecurityGroupRule) {
  return {
    SecurityGroupRuleId: ruleIdOf(group, egress, rule),
    GroupId: group.groupId,
    IsEgress: egress,
    IpProtocol: rule.ipProtocol,
    FromPort: rule.fromPort ?? -1,
    ToPort: rule.toPort ?? -1,
    CidrIpv4: rule.cidrIpv4,
    CidrIpv6: rule.cidrIpv6,
    PrefixListId: rule.prefixListId,
    Description: rule.description,
  };
}

/** The SecurityGroupRule shape of DescribeSecurityGroupRules and the Authorize responses. */
export function ruleShape(group: SecurityGroup, ownerId: string, egress: boolean, rule: SecurityGroupRule): SdkSecurityGroupRule & { SecurityGroupRuleId: string; GroupId: string } {
  return {
    ...ruleFields(group, egress, rule),
    GroupOwnerId: ownerId,
    ReferencedGroupInfo: rule.referencedGroupId ? { GroupId: rule.referencedGroupId, UserId: ownerId } : undefined,
  };
}

/** The RevokedSecurityGroupRule shape of the Revoke responses. */
export function revokedRuleShape(group: SecurityGroup, egress: boolean, rule: SecurityGroupRule): RevokedSecurityGroupRule {
  return { ...ruleFields(group, egress, rule), ReferencedGroupId: rule.referencedGroupId };
}
