import { RevokeSecurityGroupIngressCommand, type IpPermission, type SecurityGroup, type SecurityGroupRule } from "@aws-sdk/client-ec2";
import { describeSecurityGroup } from "../../aws/security-groups.js";
import { describeAttachment, ownedRules, ruleFromLive, ruleKey } from "../../remediation/index.js";
import { tagMap } from "../../core/tags.js";
import { z } from "zod";
import { type Guardrail } from "./types.js";

const OPEN_IPV4 = "0.0.0.0/0";
const OPEN_IPV6 = "::/0";
/** Protocols with ports, by name and by IANA number (EC2 accepts both). */
const PORTED_PROTOCOLS = new Set(["tcp", "udp", "6", "17"]);

function coversAPort(p: IpPermission, ports: readonly number[]): boolean {
  if (p.IpProtocol === "-1") return true;
  if (!PORTED_PROTOCOLS.has(p.IpProtocol ?? "")) return false;
  const from = p.FromPort ?? 0;
  const to = p.ToPort ?? 65535;
  return ports.some((port) => from <= port && port <= to);
}

/**
 * The exact parts of the ingress rules that open a configured port to the whole internet: one
 * permission per open CIDR, so revoking them leaves every other source of the same rule intact.
 */
export function offendingPermissions(permissions: readonly IpPermission[], ports: readonly number[]): IpPermission[] {
  const offending: IpPermission[] = [];
  for (const p of permissions) {
    if (!coversAPort(p, ports)) continue;
    const base: IpPermission = p.IpProtocol === "-1" ? { IpProtocol: "-1" } : { IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort };
    if (p.IpRanges?.some((r) => r.CidrIp === OPEN_IPV4)) offending.push({ ...base, IpRanges: [{ CidrIp: OPEN_IPV4 }] });
    if (p.Ipv6Ranges?.some((r) => r.CidrIpv6 === OPEN_IPV6)) offending.push({ ...base, Ipv6Ranges: [{ CidrIpv6: OPEN_IPV6 }] });
  }
  return offending;
}

/** One offending permission (a single open CIDR) as the rule DescribeSecurityGroupRules would show. */
function asRule(groupId: string, p: IpPermission): SecurityGroupRule {
  return {
    GroupId: groupId,
    IsEgress: false,
    IpProtocol: p.IpProtocol,
    FromPort: p.FromPort ?? -1,
    ToPort: p.ToPort ?? -1,
    ...(p.IpRanges?.[0]?.CidrIp ? { CidrIpv4: p.IpRanges[0].CidrIp } : {}),
    ...(p.Ipv6Ranges?.[0]?.CidrIpv6 ? { CidrIpv6: p.Ipv6Ranges[0].CidrIpv6 } : {}),
  };
}

function describePermission(p: IpPermission): string {
  const ports = p.IpProtocol === "-1" ? "all traffic" : `${p.IpProtocol} ${p.FromPort === p.ToPort ? p.FromPort : `${p.FromPort}-${p.ToPort}`}`;
  return `${ports} from ${p.IpRanges?.[0]?.CidrIp ?? p.Ipv6Ranges?.[0]?.CidrIpv6}`;
}

const settings = {
  /** Ports that must never be open to 0.0.0.0/0 or ::/0 on a group no stack manages; [] turns the rule off. */
  openIngressPorts: z
    .array(z.number({ error: "must be a port number" }).int({ error: "must be a whole port number" }).min(0, { error: "must be a port from 0 to 65535" }).max(65535, { error: "must be a port from 0 to 65535" }), {
      error: "must be a list of ports, e.g. [22, 3389]; [] turns the open-ingress guardrail off",
    })
    .default([22, 3389]),
};

export const openIngress: Guardrail<typeof settings> = {
  name: "open-ingress",
  settings,
  eventNames: ["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"],
  resourceType: "AWS::EC2::SecurityGroup",
  actions: ["ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"],
  enabled: (settings) => settings.openIngressPorts.length > 0,
  async inspect({ resource, clients, settings, owned, live }) {
    // Default-VPC calls may name the group instead of giving its id.
    const group = (live as SecurityGroup | undefined) ?? (await describeSecurityGroup(clients.ec2, resource.physicalId));
    if (!group?.GroupId) return { state: "gone", reason: `security group ${resource.physicalId} no longer exists` };

    const groupId = group.GroupId;
    const tags = tagMap(group.Tags);
    const found = offendingPermissions(group.IpPermissions ?? [], settings.openIngressPorts);
    const portList = settings.openIngressPorts.join(", ");
    if (found.length === 0) {
      return { state: "compliant", reason: `security group ${groupId} has no ingress open to the internet on ports ${portList}`, tags };
    }
    // A rule an AWS::EC2::SecurityGroupIngress resource owns is the template's to fix, not ours to revoke.
    const byAttachment = ownedRules(owned);
    const ownerOf = (p: IpPermission) => byAttachment.get(ruleKey(ruleFromLive(asRule(groupId, p))));
    const ownedByTemplate = found.filter((p) => ownerOf(p) !== undefined);
    const offending = found.filter((p) => ownerOf(p) === undefined);
    const kept = ownedByTemplate.length > 0 ? `; left for its template: ${ownedByTemplate.map((p) => `${describePermission(p)} (${describeAttachment(ownerOf(p)!)})`).join("; ")}` : "";
    return {
      state: "violation",
      reason: `security group ${groupId} allowed ${found.map(describePermission).join("; ")} (ports ${portList} must not be open to the internet)${kept}`,
      tags,
      steps: offending.map((p) => ({
        call: `RevokeSecurityGroupIngress GroupId=${groupId} ${describePermission(p)}`,
        summary: `revoke ${describePermission(p)}`,
        effect: { kind: "revoke-rule", groupId, rule: ruleFromLive(asRule(groupId, p)) },
        send: () => clients.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [p] })),
      })),
    };
  },
};
