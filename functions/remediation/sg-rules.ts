import type { IpPermission, SecurityGroupRule } from "@aws-sdk/client-ec2";

/**
 * Security group rules in one canonical shape, whether they come from the template
 * (SecurityGroupIngress / SecurityGroupEgress entries) or from DescribeSecurityGroupRules, so
 * that "the same rule" means the same key on both sides.
 */

export type Direction = "ingress" | "egress";

export type Peer =
  | { kind: "cidr4"; cidr: string }
  | { kind: "cidr6"; cidr: string }
  | { kind: "prefix-list"; id: string }
  | { kind: "group"; groupId: string; ownerId?: string };

export interface CanonicalRule {
  direction: Direction;
  /** "tcp", "udp", "icmp", "icmpv6", "-1" (all) or another protocol number. */
  protocol: string;
  /** -1 when the protocol has no ports (all traffic, protocols other than tcp/udp/icmp). */
  fromPort: number;
  toPort: number;
  peer: Peer;
  /** undefined = the template does not manage the description. */
  description?: string;
}

export interface LiveRule extends CanonicalRule {
  ruleId: string;
}

const PROTOCOL_NAMES: Readonly<Record<string, string>> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", all: "-1" };
const PORTED = new Set(["tcp", "udp", "icmp", "icmpv6"]);

export function normalizeProtocol(protocol: unknown): string {
  const p = String(protocol ?? "-1").trim().toLowerCase();
  return PROTOCOL_NAMES[p] ?? p;
}

function ports(protocol: string, from: unknown, to: unknown): [number, number] {
  if (!PORTED.has(protocol)) return [-1, -1];
  return [Number(from ?? -1), Number(to ?? -1)];
}

/** The identity of a rule: protocol, ports and peer. Descriptions are compared separately. */
export function ruleKey(rule: CanonicalRule): string {
  return [rule.direction, rule.protocol, rule.fromPort, rule.toPort, peerKey(rule.peer)].join("|");
}

function peerKey(peer: Peer): string {
  switch (peer.kind) {
    case "cidr4":
    case "cidr6":
      return `${peer.kind}:${peer.cidr}`;
    case "prefix-list":
      return `pl:${peer.id}`;
    case "group":
      // The owner is implied by the group id; templates usually omit it for same-account groups.
      return `sg:${peer.groupId}`;
  }
}

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === "" ? undefined : String(v));

/** One template rule, or why it cannot be handled automatically. */
export function ruleFromTemplate(direction: Direction, entry: Record<string, unknown>): CanonicalRule | { unsupported: string } {
  const protocol = normalizeProtocol(entry.IpProtocol);
  const [fromPort, toPort] = ports(protocol, entry.FromPort, entry.ToPort);
  const ingress = direction === "ingress";
  const cidr4 = str(entry.CidrIp);
  const cidr6 = str(entry.CidrIpv6)?.toLowerCase();
  const prefixList = str(ingress ? entry.SourcePrefixListId : entry.DestinationPrefixListId);
  const groupId = str(ingress ? entry.SourceSecurityGroupId : entry.DestinationSecurityGroupId);
  const ownerId = str(ingress ? entry.SourceSecurityGroupOwnerId : undefined);

  let peer: Peer;
  if (cidr4 !== undefined) peer = { kind: "cidr4", cidr: cidr4 };
  else if (cidr6 !== undefined) peer = { kind: "cidr6", cidr: cidr6 };
  else if (prefixList !== undefined) peer = { kind: "prefix-list", id: prefixList };
  else if (groupId !== undefined) peer = { kind: "group", groupId, ...(ownerId ? { ownerId } : {}) };
  else if (ingress && str(entry.SourceSecurityGroupName) !== undefined) {
    return { unsupported: `ingress rule referencing group name ${String(entry.SourceSecurityGroupName)} (only group ids can be matched to live rules)` };
  } else return { unsupported: `${direction} rule without a CIDR, prefix list or group: ${JSON.stringify(entry)}` };

  const description = str(entry.Description);
  return { direction, protocol, fromPort, toPort, peer, ...(description !== undefined ? { description } : {}) };
}

export function ruleFromLive(rule: SecurityGroupRule): LiveRule {
  const protocol = normalizeProtocol(rule.IpProtocol);
  const [fromPort, toPort] = ports(protocol, rule.FromPort, rule.ToPort);
  let peer: Peer;
  if (rule.CidrIpv4) peer = { kind: "cidr4", cidr: rule.CidrIpv4 };
  else if (rule.CidrIpv6) peer = { kind: "cidr6", cidr: rule.CidrIpv6.toLowerCase() };
  else if (rule.PrefixListId) peer = { kind: "prefix-list", id: rule.PrefixListId };
  else peer = { kind: "group", groupId: rule.ReferencedGroupInfo?.GroupId ?? "", ...(rule.ReferencedGroupInfo?.UserId ? { ownerId: rule.ReferencedGroupInfo.UserId } : {}) };
  return {
    ruleId: rule.SecurityGroupRuleId ?? "",
    direction: rule.IsEgress ? "egress" : "ingress",
    protocol,
    fromPort,
    toPort,
    peer,
    description: rule.Description ?? "",
  };
}

/** The IpPermissions entry that authorizes exactly this rule. */
export function toIpPermission(rule: CanonicalRule): IpPermission {
  const d = rule.description !== undefined ? { Description: rule.description } : {};
  const peer = rule.peer;
  return {
    IpProtocol: rule.protocol,
    ...(PORTED.has(rule.protocol) ? { FromPort: rule.fromPort, ToPort: rule.toPort } : {}),
    ...(peer.kind === "cidr4" ? { IpRanges: [{ CidrIp: peer.cidr, ...d }] } : {}),
    ...(peer.kind === "cidr6" ? { Ipv6Ranges: [{ CidrIpv6: peer.cidr, ...d }] } : {}),
    ...(peer.kind === "prefix-list" ? { PrefixListIds: [{ PrefixListId: peer.id, ...d }] } : {}),
    ...(peer.kind === "group" ? { UserIdGroupPairs: [{ GroupId: peer.groupId, ...(peer.ownerId ? { UserId: peer.ownerId } : {}), ...d }] } : {}),
  };
}

/** "tcp 22 from 0.0.0.0/0", "all traffic to ::/0", "udp 1000-2000 from sg-0abc". */
export function describeRule(rule: CanonicalRule): string {
  const peer = rule.peer;
  const who = peer.kind === "cidr4" || peer.kind === "cidr6" ? peer.cidr : peer.kind === "prefix-list" ? peer.id : peer.groupId;
  return `${describeTraffic(rule)} ${rule.direction === "ingress" ? "from" : "to"} ${who}`;
}

function describeTraffic({ protocol, fromPort, toPort }: CanonicalRule): string {
  if (protocol === "-1") return "all traffic";
  if (!PORTED.has(protocol)) return `protocol ${protocol}`;
  // For ICMP the "ports" are the message type and code.
  if (protocol.startsWith("icmp")) return fromPort === -1 ? `${protocol} all` : `${protocol} type ${fromPort}${toPort === -1 ? "" : ` code ${toPort}`}`;
  return fromPort === toPort ? `${protocol} ${fromPort}` : `${protocol} ${fromPort}-${toPort}`;
}
