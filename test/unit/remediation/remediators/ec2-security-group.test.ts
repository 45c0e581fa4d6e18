import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateTagsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import { IN_SYNC_REASON } from "../../../../functions/remediation/plan.js";
import { ec2SecurityGroupRemediator } from "../../../../functions/remediation/remediators/ec2-security-group.js";
import { driftedEc2World, type Ec2World, installFakeEc2, sgRule } from "../fake-ec2.js";
import { SG_ID, securityGroupDrift } from "../fixtures.js";
import { spokeClients, writes, remediateWith } from "../helpers.js";

const ec2 = mockClient(EC2Client);
const clients = spokeClients();

let world: Ec2World;

beforeEach(() => {
  world = driftedEc2World();
  installFakeEc2(ec2, () => world);
});

function withExpected(patch: Record<string, unknown>): ResourceDrift {
  const drift = securityGroupDrift();
  return { ...drift, expected: { ...drift.expected, ...patch } };
}

const remediate = (drift: ResourceDrift, dryRun = false) => remediateWith(ec2SecurityGroupRemediator, drift, clients, { dryRun: dryRun });

describe("AWS::EC2::SecurityGroup remediator", () => {
  it("revokes 22/tcp from 0.0.0.0/0 by rule id and keeps the template's rules", async () => {
    const result = await remediate(securityGroupDrift());

    expect(result.outcome).toBe("remediated");
    expect(result.steps).toEqual([`RevokeSecurityGroupIngress GroupId=${SG_ID} SecurityGroupRuleIds=sgr-0ssh (tcp 22 from 0.0.0.0/0)`]);
    expect(result.reason).toBe("applied: revoke tcp 22 from 0.0.0.0/0");
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]?.args[0].input).toEqual({ GroupId: SG_ID, SecurityGroupRuleIds: ["sgr-0ssh"] });
    expect(world.rules.map((r) => r.SecurityGroupRuleId)).toEqual(["sgr-0https", "sgr-0egress"]);
  });

  it("revokes every extra rule and authorizes every missing one, ingress and egress, keeping the rest", async () => {
    world.rules.push(
      sgRule("sgr-0rdp", false, { IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, CidrIpv4: "0.0.0.0/0" }),
      sgRule("sgr-0pg", false, { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIpv4: "10.0.0.0/8" }),
      sgRule("sgr-0all6in", false, { IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv6: "::/0" }),
      sgRule("sgr-0smtp", true, { IpProtocol: "tcp", FromPort: 25, ToPort: 25, CidrIpv4: "0.0.0.0/0" }),
      sgRule("sgr-0irc", true, { IpProtocol: "tcp", FromPort: 6667, ToPort: 6667, CidrIpv4: "0.0.0.0/0" }),
    );
    const ingress = [
      { CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC", FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
      { CidrIp: "10.20.0.0/16", FromPort: 8443, IpProtocol: "tcp", ToPort: 8443 },
      { CidrIpv6: "2600:1f18:abcd::/56", FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
      { SourcePrefixListId: "pl-0123456789abcdef0", FromPort: 53, IpProtocol: "udp", ToPort: 53 },
    ];
    const egress = [
      { CidrIp: "0.0.0.0/0", IpProtocol: "-1" },
      { DestinationPrefixListId: "pl-0aaaabbbbccccdddd", FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
    ];

    const result = await remediate(withExpected({ SecurityGroupIngress: ingress, SecurityGroupEgress: egress }));

    expect(result.outcome).toBe("remediated");
    const live = (egressRules: boolean) =>
      world.rules
        .filter((r) => r.IsEgress === egressRules)
        .map((r) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort} ${r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId}`)
        .sort();
    expect(live(false)).toEqual(["tcp 443-443 10.20.0.0/16", "tcp 443-443 2600:1f18:abcd::/56", "tcp 8443-8443 10.20.0.0/16", "udp 53-53 pl-0123456789abcdef0"]);
    expect(live(true)).toEqual(["-1 -1--1 0.0.0.0/0", "tcp 443-443 pl-0aaaabbbbccccdddd"]);
    // The rules the template keeps are never revoked and re-created.
    expect(world.rules.map((r) => r.SecurityGroupRuleId)).toEqual(expect.arrayContaining(["sgr-0https", "sgr-0egress"]));
    ec2.resetHistory();
    expect((await remediate(withExpected({ SecurityGroupIngress: ingress, SecurityGroupEgress: egress }))).outcome).toBe("skipped");
    expect(writes(ec2)).toEqual([]);
  });

  it("restores every drifted managed tag", async () => {
    world.rules = world.rules.filter((r) => r.SecurityGroupRuleId !== "sgr-0ssh");
    world.tags = [{ Key: "Name", Value: "renamed" }, { Key: "tier", Value: "db" }];
    await remediate(withExpected({ Tags: [{ Key: "Name", Value: "payments-web" }, { Key: "tier", Value: "web" }, { Key: "team", Value: "payments" }] }));
    expect([...world.tags].sort((a, b) => a.Key!.localeCompare(b.Key!))).toEqual([
      { Key: "Name", Value: "payments-web" },
      { Key: "team", Value: "payments" },
      { Key: "tier", Value: "web" },
    ]);
  });

  it("is idempotent: the second run sends no write", async () => {
    await remediate(securityGroupDrift());
    ec2.resetHistory();

    const second = await remediate(securityGroupDrift());

    expect(second).toEqual({ outcome: "skipped", reason: IN_SYNC_REASON, steps: [] });
    expect(writes(ec2)).toEqual([]);
  });

  it("dry run plans the revoke and sends nothing", async () => {
    const plan = await remediate(securityGroupDrift(), true);

    expect(plan.steps).toEqual([`RevokeSecurityGroupIngress GroupId=${SG_ID} SecurityGroupRuleIds=sgr-0ssh (tcp 22 from 0.0.0.0/0)`]);
    expect(writes(ec2)).toEqual([]);
    expect(world).toEqual(driftedEc2World());
  });

  it("authorizes missing IPv6, prefix-list and group rules, matching protocol numbers to names", async () => {
    world.rules = world.rules.filter((r) => r.SecurityGroupRuleId !== "sgr-0ssh");
    const drift = withExpected({
      SecurityGroupIngress: [
        { IpProtocol: "6", FromPort: "443", ToPort: "443", CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC" },
        { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIpv6: "2600:1F18:ABCD::/56" },
        { IpProtocol: "udp", FromPort: 53, ToPort: 53, SourcePrefixListId: "pl-0123456789abcdef0" },
        { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: "sg-0fedcba9876543210", SourceSecurityGroupOwnerId: "444455556666" },
      ],
    });

    const result = await remediate(drift);

    expect(result.steps).toEqual([
      `AuthorizeSecurityGroupIngress GroupId=${SG_ID} tcp 443 from 2600:1f18:abcd::/56`,
      `AuthorizeSecurityGroupIngress GroupId=${SG_ID} udp 53 from pl-0123456789abcdef0`,
      `AuthorizeSecurityGroupIngress GroupId=${SG_ID} tcp 8080 from sg-0fedcba9876543210`,
    ]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand).map((c) => c.args[0].input.IpPermissions)).toEqual([
      [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: "2600:1f18:abcd::/56" }] }],
      [{ IpProtocol: "udp", FromPort: 53, ToPort: 53, PrefixListIds: [{ PrefixListId: "pl-0123456789abcdef0" }] }],
      [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: "sg-0fedcba9876543210", UserId: "444455556666" }] }],
    ]);
    ec2.resetHistory();
    expect((await remediate(drift)).outcome).toBe("skipped");
    expect(writes(ec2)).toEqual([]);
  });

  it("replaces the default egress rule when the template lists egress rules", async () => {
    world.rules = world.rules.filter((r) => r.SecurityGroupRuleId !== "sgr-0ssh");
    const drift = withExpected({ SecurityGroupEgress: [{ IpProtocol: "-1", DestinationPrefixListId: "pl-0aaaabbbbccccdddd" }] });

    const result = await remediate(drift);

    expect(result.steps).toEqual([
      `AuthorizeSecurityGroupEgress GroupId=${SG_ID} all traffic to pl-0aaaabbbbccccdddd`,
      `RevokeSecurityGroupEgress GroupId=${SG_ID} SecurityGroupRuleIds=sgr-0egress (all traffic to 0.0.0.0/0)`,
    ]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupEgressCommand)[0]?.args[0].input.IpPermissions).toEqual([
      { IpProtocol: "-1", PrefixListIds: [{ PrefixListId: "pl-0aaaabbbbccccdddd" }] },
    ]);
  });

  // "Only resource properties explicitly defined in the stack template are checked for drift"
  // (CloudFormation API Reference, DetectStackDrift): without SecurityGroupEgress the template
  // does not own egress, whatever EC2 holds there.
  it("without SecurityGroupEgress, leaves egress alone: no default rule restored, no extra rule revoked", async () => {
    world.rules = [
      world.rules[0] as SecurityGroupRule,
      sgRule("sgr-0smtp", true, { IpProtocol: "tcp", FromPort: 25, ToPort: 25, CidrIpv4: "0.0.0.0/0" }),
      sgRule("sgr-0all6", true, { IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv6: "::/0" }),
    ];

    const result = await remediate(securityGroupDrift());

    expect(result.steps.filter((s) => s.includes("Egress"))).toEqual([]);
    expect(world.rules.filter((r) => r.IsEgress).map((r) => r.SecurityGroupRuleId).sort()).toEqual(["sgr-0all6", "sgr-0smtp"]);
  });

  it("restores a changed rule description in place instead of re-creating the rule", async () => {
    world.rules = world.rules.filter((r) => r.SecurityGroupRuleId !== "sgr-0ssh");
    (world.rules[0] as SecurityGroupRule).Description = "temp";

    const result = await remediate(securityGroupDrift());

    expect(result.steps).toEqual([`UpdateSecurityGroupRuleDescriptionsIngress GroupId=${SG_ID} sgr-0https Description=HTTPS from the VPC`]);
    expect(world.rules[0]?.Description).toBe("HTTPS from the VPC");
    expect(writes(ec2)).toEqual(["UpdateSecurityGroupRuleDescriptionsIngress"]);
  });

  it("restores managed tags with CreateTags and never removes the others", async () => {
    world.rules = world.rules.filter((r) => r.SecurityGroupRuleId !== "sgr-0ssh");
    world.tags = [
      { Key: "Name", Value: "renamed" },
      { Key: "owner", Value: "bob" },
      { Key: "aws:cloudformation:stack-name", Value: "payments-core" },
    ];

    const result = await remediate(securityGroupDrift());

    expect(result.steps).toEqual([`CreateTags Resources=${SG_ID} Name=payments-web`]);
    expect(ec2.commandCalls(CreateTagsCommand)[0]?.args[0].input).toEqual({ Resources: [SG_ID], Tags: [{ Key: "Name", Value: "payments-web" }] });
    expect(world.tags).toEqual(expect.arrayContaining([{ Key: "owner", Value: "bob" }, { Key: "aws:cloudformation:stack-name", Value: "payments-core" }]));
    expect(writes(ec2)).toEqual(["CreateTags"]);
  });

  it("leaves ingress alone when the template does not set SecurityGroupIngress", async () => {
    const drift = securityGroupDrift();
    const expected = { ...drift.expected };
    delete expected.SecurityGroupIngress;

    const result = await remediate({ ...drift, expected });

    expect(result.outcome).toBe("skipped");
    expect(world.rules).toHaveLength(3);
  });

  it("hands rules that name a source group by name to a person", async () => {
    const drift = withExpected({ SecurityGroupIngress: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, SourceSecurityGroupName: "default" }] });

    const result = await remediate(drift);

    expect(result.outcome).toBe("manual");
    expect(result.reason).toMatch(/group name default/);
    expect(ec2.calls()).toHaveLength(0);
  });

  it("looks a default-VPC group up by name when the physical id is a name", async () => {
    await remediate({ ...securityGroupDrift(), physicalResourceId: "payments-web" }, true);
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0]?.args[0].input).toEqual({ GroupNames: ["payments-web"] });
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand)[0]?.args[0].input.Filters).toEqual([{ Name: "group-id", Values: [SG_ID] }]);
  });
});

describe("AWS::EC2::SecurityGroup remediator with attachments", () => {
  const origin = { stackName: "payments-app", logicalId: "AppSgFromDb5432", resourceType: "AWS::EC2::SecurityGroupIngress" };
  const fromApp = { direction: "ingress" as const, protocol: "tcp", fromPort: 5432, toPort: 5432, peer: { kind: "group" as const, groupId: "sg-0app" } };

  it("never revokes a rule an AWS::EC2::SecurityGroupIngress in another stack owns, and says it kept it", async () => {
    world.rules.push(sgRule("sgr-0pg", false, { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, ReferencedGroupInfo: { GroupId: "sg-0app", UserId: "111122223333" } }));
    const result = await remediateWith(ec2SecurityGroupRemediator, securityGroupDrift(), clients, { owned: { attachments: [{ kind: "sg-rule", origin, group: SG_ID, rule: fromApp }] } });

    expect(result.steps).toEqual([`RevokeSecurityGroupIngress GroupId=${SG_ID} SecurityGroupRuleIds=sgr-0ssh (tcp 22 from 0.0.0.0/0)`]);
    expect(result.honoured).toEqual(["tcp 5432 from sg-0app from AWS::EC2::SecurityGroupIngress AppSgFromDb5432 in stack payments-app"]);
    expect(world.rules.map((r) => r.SecurityGroupRuleId)).toContain("sgr-0pg");
  });

  it("revokes nothing when an attachment targeting the group could not be resolved", async () => {
    const result = await remediateWith(ec2SecurityGroupRemediator, securityGroupDrift(), clients, { owned: { attachments: [{ kind: "sg-rule", origin }] } });
    expect(result).toMatchObject({ outcome: "manual", reason: `cannot tell which rules a rule (unresolved) from AWS::EC2::SecurityGroupIngress AppSgFromDb5432 in stack payments-app owns; not revoking any` });
    expect(writes(ec2)).toEqual([]);
  });
});
