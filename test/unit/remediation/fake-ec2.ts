import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateTagsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type IpPermission,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
  type Tag,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from "@aws-sdk/client-ec2";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { SG_ID } from "./fixtures.js";

/**
 * A stateful stand-in for EC2 behind aws-sdk-client-mock: reads answer from `world`, writes
 * change it, so a second remediation run sees the first one's effect.
 */

export interface Ec2World {
  tags: Tag[];
  rules: SecurityGroupRule[];
  nextId: number;
}

export const sgRule = (id: string, egress: boolean, r: Partial<SecurityGroupRule>): SecurityGroupRule => ({
  SecurityGroupRuleId: id,
  GroupId: SG_ID,
  GroupOwnerId: "111122223333",
  IsEgress: egress,
  ...r,
});

/** The fixture's drift: 22/tcp from anywhere was added next to the template's HTTPS rule. */
export function driftedEc2World(): Ec2World {
  return {
    tags: [{ Key: "Name", Value: "payments-web" }],
    rules: [
      sgRule("sgr-0https", false, { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIpv4: "10.20.0.0/16", Description: "HTTPS from the VPC" }),
      sgRule("sgr-0ssh", false, { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "0.0.0.0/0" }),
      sgRule("sgr-0egress", true, { IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv4: "0.0.0.0/0" }),
    ],
    nextId: 1,
  };
}

/** What EC2 stores for an authorized IpPermission. */
function rulesFrom(world: Ec2World, permission: IpPermission, egress: boolean): SecurityGroupRule[] {
  const base = { IpProtocol: permission.IpProtocol, FromPort: permission.FromPort ?? -1, ToPort: permission.ToPort ?? -1 };
  const id = () => `sgr-new${world.nextId++}`;
  return [
    ...(permission.IpRanges ?? []).map((r) => sgRule(id(), egress, { ...base, CidrIpv4: r.CidrIp, Description: r.Description })),
    ...(permission.Ipv6Ranges ?? []).map((r) => sgRule(id(), egress, { ...base, CidrIpv6: r.CidrIpv6, Description: r.Description })),
    ...(permission.PrefixListIds ?? []).map((r) => sgRule(id(), egress, { ...base, PrefixListId: r.PrefixListId, Description: r.Description })),
    ...(permission.UserIdGroupPairs ?? []).map((r) =>
      sgRule(id(), egress, { ...base, ReferencedGroupInfo: { GroupId: r.GroupId, UserId: r.UserId ?? "111122223333" }, Description: r.Description }),
    ),
  ];
}

/** Installs the fake on `ec2` (after resetting it); `world()` is read on every call. */
export function installFakeEc2(ec2: AwsClientStub<EC2Client>, world: () => Ec2World): void {
  ec2.reset();
  ec2.on(DescribeSecurityGroupsCommand).callsFake(async () => ({
    SecurityGroups: [{ GroupId: SG_ID, GroupName: "payments-core-WebSecurityGroup-1ABC", VpcId: "vpc-0c80f2c9f367876c4", Tags: world().tags }],
  }));
  // Two rules per page, to exercise the NextToken loop.
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake(async ({ NextToken }) => {
    const rules = world().rules;
    const start = NextToken ? Number(NextToken) : 0;
    const next = start + 2 < rules.length ? String(start + 2) : undefined;
    return { SecurityGroupRules: rules.slice(start, start + 2), ...(next ? { NextToken: next } : {}) };
  });
  ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake(async ({ IpPermissions }) => {
    for (const p of IpPermissions as IpPermission[]) world().rules.push(...rulesFrom(world(), p, false));
    return { Return: true };
  });
  ec2.on(AuthorizeSecurityGroupEgressCommand).callsFake(async ({ IpPermissions }) => {
    for (const p of IpPermissions as IpPermission[]) world().rules.push(...rulesFrom(world(), p, true));
    return { Return: true };
  });
  const revoke = async ({ SecurityGroupRuleIds }: { SecurityGroupRuleIds?: string[] }) => {
    world().rules = world().rules.filter((r) => !SecurityGroupRuleIds?.includes(r.SecurityGroupRuleId ?? ""));
    return { Return: true };
  };
  ec2.on(RevokeSecurityGroupIngressCommand).callsFake(revoke);
  ec2.on(RevokeSecurityGroupEgressCommand).callsFake(revoke);
  ec2.on(UpdateSecurityGroupRuleDescriptionsIngressCommand).callsFake(async ({ SecurityGroupRuleDescriptions }) => {
    for (const d of SecurityGroupRuleDescriptions) {
      const r = world().rules.find((x) => x.SecurityGroupRuleId === d.SecurityGroupRuleId);
      if (r) r.Description = d.Description;
    }
    return { Return: true };
  });
  ec2.on(CreateTagsCommand).callsFake(async ({ Tags }) => {
    for (const t of Tags as Tag[]) world().tags = [...world().tags.filter((x) => x.Key !== t.Key), t];
    return {};
  });
}
