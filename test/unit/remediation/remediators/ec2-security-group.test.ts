import type { SecurityGroupRule, Tag } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SpokeClients } from "../../../../functions/aws/clients.js";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import { IN_SYNC_REASON } from "../../../../functions/remediation/plan.js";
import { ec2SecurityGroupRemediator } from "../../../../functions/remediation/remediators/ec2-security-group.js";
import type { Sandbox } from "../../../../sandbox/harness/server.js";
import { deployStack, recordSent, sandboxSpokeClients, startTestSandbox, WORKLOAD, type SentCommands } from "../../../support/sandbox.js";
import { SECURITY_GROUP_TEMPLATE, securityGroupDrift } from "../fixtures.js";
import { remediateWith, TEST_SAFETY } from "../helpers.js";

/**
 * The security group remediator against the sandbox's EC2, as driftguard's spoke role: each test
 * deploys the fixture's group with a stack (the template's HTTPS rule, its Name tag, EC2's default
 * egress rule), then opens 22/tcp to the world out of band, as securityGroupDrift() describes. Rule
 * ids are EC2's own, read back from DescribeSecurityGroupRules, never assumed.
 */

const REGION = "us-east-1";
/** The spoke account is one of the organization's, so rules naming its groups are not foreign. */
const SAFETY = { ...TEST_SAFETY, accountIds: new Set([...TEST_SAFETY.accountIds, WORKLOAD]) };

let sandbox: Sandbox;
let clients: SpokeClients;
let sent: SentCommands;
/** Managed prefix lists of the account (a rule naming a missing one fails InvalidPrefixListID.NotFound). */
let prefixIn: string;
let prefixOut: string;
/** Another group of the account, for rules that reference a group. */
let peer: string;
let stacks = 0;
/** This test's group and the ids EC2 gave its rules. */
let group: { id: string; name: string; vpcId: string };
let ids: { https: string; ssh: string; egress: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ec2 = (action: string, params: Record<string, unknown>) => sandbox.dispatch(WORKLOAD, REGION, "ec2", action, params) as Promise<any>;
const ingress = (permission: Record<string, unknown>, egress = false) => ec2(egress ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress", { GroupId: group.id, IpPermissions: [permission] });
const cidr = (CidrIp: string, IpProtocol: string, FromPort: number, ToPort = FromPort) => ({ IpProtocol, FromPort, ToPort, IpRanges: [{ CidrIp }] });

async function liveRules(): Promise<SecurityGroupRule[]> {
  return (await ec2("DescribeSecurityGroupRules", { Filters: [{ Name: "group-id", Values: [group.id] }] })).SecurityGroupRules;
}
async function liveTags(): Promise<Tag[]> {
  return (await ec2("DescribeSecurityGroups", { GroupIds: [group.id] })).SecurityGroups[0].Tags;
}
const idOf = (rules: SecurityGroupRule[], egress: boolean, port: number) => rules.find((r) => r.IsEgress === egress && r.FromPort === port)!.SecurityGroupRuleId!;
const revoke = (ruleId: string) => ec2("RevokeSecurityGroupIngress", { GroupId: group.id, SecurityGroupRuleIds: [ruleId] });

/** The fixture's drift of this test's group. */
function drift(patch: Record<string, unknown> = {}): ResourceDrift {
  const base = securityGroupDrift();
  return { ...base, physicalResourceId: group.id, expected: { ...base.expected, VpcId: group.vpcId, ...patch }, actual: { ...base.actual, VpcId: group.vpcId } };
}

const remediate = (d: ResourceDrift, dryRun = false) => remediateWith(ec2SecurityGroupRemediator, d, clients, { dryRun, safety: SAFETY });

beforeAll(async () => {
  sandbox = await startTestSandbox();
  clients = sandboxSpokeClients(sandbox, WORKLOAD, REGION);
  sent = recordSent(clients.ec2);
  const list = async (name: string) =>
    (await ec2("CreateManagedPrefixList", { PrefixListName: name, AddressFamily: "IPv4", MaxEntries: 5, Entries: [{ Cidr: "10.99.0.0/16" }] })).PrefixList.PrefixListId as string;
  prefixIn = await list("dns-resolvers");
  prefixOut = await list("partner-apis");
  peer = (await ec2("CreateSecurityGroup", { GroupName: "payments-app", Description: "App tier" })).GroupId;
});
afterAll(() => sandbox?.close());

beforeEach(async () => {
  const { WebSecurityGroup } = await deployStack(sandbox, WORKLOAD, REGION, `payments-web-${++stacks}`, SECURITY_GROUP_TEMPLATE);
  const described = (await ec2("DescribeSecurityGroups", { GroupIds: [WebSecurityGroup] })).SecurityGroups[0];
  group = { id: described.GroupId, name: described.GroupName, vpcId: described.VpcId };
  await ingress(cidr("0.0.0.0/0", "tcp", 22));
  const rules = await liveRules();
  ids = { https: idOf(rules, false, 443), ssh: idOf(rules, false, 22), egress: rules.find((r) => r.IsEgress)!.SecurityGroupRuleId! };
  sent.clear();
});

describe("AWS::EC2::SecurityGroup remediator", () => {
  it("revokes 22/tcp from 0.0.0.0/0 by rule id and keeps the template's rules", async () => {
    const result = await remediate(drift());

    expect(result.outcome).toBe("remediated");
    expect(result.steps).toEqual([`RevokeSecurityGroupIngress GroupId=${group.id} SecurityGroupRuleIds=${ids.ssh} (tcp 22 from 0.0.0.0/0)`]);
    expect(result.reason).toBe("applied: revoke tcp 22 from 0.0.0.0/0");
    expect(sent.inputs("RevokeSecurityGroupIngress")).toEqual([{ GroupId: group.id, SecurityGroupRuleIds: [ids.ssh] }]);
    expect((await liveRules()).map((r) => r.SecurityGroupRuleId).sort()).toEqual([ids.https, ids.egress].sort());
  });

  it("revokes every extra rule and authorizes every missing one, ingress and egress, keeping the rest", async () => {
    await ingress(cidr("0.0.0.0/0", "tcp", 3389));
    await ingress(cidr("10.0.0.0/8", "tcp", 5432));
    await ingress({ IpProtocol: "-1", Ipv6Ranges: [{ CidrIpv6: "::/0" }] });
    await ingress(cidr("0.0.0.0/0", "tcp", 25), true);
    await ingress(cidr("0.0.0.0/0", "tcp", 6667), true);
    const wantedIngress = [
      { CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC", FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
      { CidrIp: "10.20.0.0/16", FromPort: 8443, IpProtocol: "tcp", ToPort: 8443 },
      { CidrIpv6: "2600:1f18:abcd::/56", FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
      { SourcePrefixListId: prefixIn, FromPort: 53, IpProtocol: "udp", ToPort: 53 },
    ];
    const wantedEgress = [
      { CidrIp: "0.0.0.0/0", IpProtocol: "-1" },
      { DestinationPrefixListId: prefixOut, FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
    ];

    const result = await remediate(drift({ SecurityGroupIngress: wantedIngress, SecurityGroupEgress: wantedEgress }));

    expect(result.outcome).toBe("remediated");
    const rules = await liveRules();
    const live = (egress: boolean) =>
      rules
        .filter((r) => r.IsEgress === egress)
        .map((r) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort} ${r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId}`)
        .sort();
    expect(live(false)).toEqual(["tcp 443-443 10.20.0.0/16", "tcp 443-443 2600:1f18:abcd::/56", "tcp 8443-8443 10.20.0.0/16", `udp 53-53 ${prefixIn}`]);
    expect(live(true)).toEqual(["-1 -1--1 0.0.0.0/0", `tcp 443-443 ${prefixOut}`]);
    // The rules the template keeps are never revoked and re-created.
    expect(rules.map((r) => r.SecurityGroupRuleId)).toEqual(expect.arrayContaining([ids.https, ids.egress]));
    sent.clear();
    expect((await remediate(drift({ SecurityGroupIngress: wantedIngress, SecurityGroupEgress: wantedEgress }))).outcome).toBe("skipped");
    expect(sent.writes()).toEqual([]);
  });

  it("restores every drifted managed tag", async () => {
    await revoke(ids.ssh);
    await ec2("CreateTags", { Resources: [group.id], Tags: [{ Key: "Name", Value: "renamed" }, { Key: "tier", Value: "db" }] });
    await remediate(drift({ Tags: [{ Key: "Name", Value: "payments-web" }, { Key: "tier", Value: "web" }, { Key: "team", Value: "payments" }] }));
    const tags = (await liveTags()).filter((t) => !t.Key!.startsWith("aws:"));
    expect(tags.sort((a, b) => a.Key!.localeCompare(b.Key!))).toEqual([
      { Key: "Name", Value: "payments-web" },
      { Key: "team", Value: "payments" },
      { Key: "tier", Value: "web" },
    ]);
  });

  it("is idempotent: the second run sends no write", async () => {
    await remediate(drift());
    sent.clear();

    const second = await remediate(drift());

    expect(second).toEqual({ outcome: "skipped", reason: IN_SYNC_REASON, steps: [] });
    expect(sent.writes()).toEqual([]);
  });

  it("dry run plans the revoke and sends nothing", async () => {
    const before = await liveRules();
    const plan = await remediate(drift(), true);

    expect(plan.steps).toEqual([`RevokeSecurityGroupIngress GroupId=${group.id} SecurityGroupRuleIds=${ids.ssh} (tcp 22 from 0.0.0.0/0)`]);
    expect(sent.writes()).toEqual([]);
    expect(await liveRules()).toEqual(before);
  });

  it("authorizes missing IPv6, prefix-list and group rules, matching protocol numbers to names", async () => {
    await revoke(ids.ssh);
    const d = drift({
      SecurityGroupIngress: [
        { IpProtocol: "6", FromPort: "443", ToPort: "443", CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC" },
        { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIpv6: "2600:1F18:ABCD::/56" },
        { IpProtocol: "udp", FromPort: 53, ToPort: 53, SourcePrefixListId: prefixIn },
        { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: peer, SourceSecurityGroupOwnerId: WORKLOAD },
      ],
    });

    const result = await remediate(d);

    expect(result.steps).toEqual([
      `AuthorizeSecurityGroupIngress GroupId=${group.id} tcp 443 from 2600:1f18:abcd::/56`,
      `AuthorizeSecurityGroupIngress GroupId=${group.id} udp 53 from ${prefixIn}`,
      `AuthorizeSecurityGroupIngress GroupId=${group.id} tcp 8080 from ${peer}`,
    ]);
    expect(sent.inputs<{ IpPermissions: unknown }>("AuthorizeSecurityGroupIngress").map((i) => i.IpPermissions)).toEqual([
      [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: "2600:1f18:abcd::/56" }] }],
      [{ IpProtocol: "udp", FromPort: 53, ToPort: 53, PrefixListIds: [{ PrefixListId: prefixIn }] }],
      [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: peer, UserId: WORKLOAD }] }],
    ]);
    sent.clear();
    expect((await remediate(d)).outcome).toBe("skipped");
    expect(sent.writes()).toEqual([]);
  });

  it("replaces the default egress rule when the template lists egress rules", async () => {
    await revoke(ids.ssh);
    const d = drift({ SecurityGroupEgress: [{ IpProtocol: "-1", DestinationPrefixListId: prefixOut }] });

    const result = await remediate(d);

    expect(result.steps).toEqual([
      `AuthorizeSecurityGroupEgress GroupId=${group.id} all traffic to ${prefixOut}`,
      `RevokeSecurityGroupEgress GroupId=${group.id} SecurityGroupRuleIds=${ids.egress} (all traffic to 0.0.0.0/0)`,
    ]);
    expect(sent.inputs<{ IpPermissions: unknown }>("AuthorizeSecurityGroupEgress")[0]?.IpPermissions).toEqual([{ IpProtocol: "-1", PrefixListIds: [{ PrefixListId: prefixOut }] }]);
    expect((await liveRules()).filter((r) => r.IsEgress).map((r) => r.PrefixListId)).toEqual([prefixOut]);
  });

  // "Only resource properties explicitly defined in the stack template are checked for drift"
  // (CloudFormation API Reference, DetectStackDrift): without SecurityGroupEgress the template
  // does not own egress, whatever EC2 holds there.
  it("without SecurityGroupEgress, leaves egress alone: no default rule restored, no extra rule revoked", async () => {
    await ec2("RevokeSecurityGroupEgress", { GroupId: group.id, SecurityGroupRuleIds: [ids.egress] });
    await ingress(cidr("0.0.0.0/0", "tcp", 25), true);
    await ingress({ IpProtocol: "-1", Ipv6Ranges: [{ CidrIpv6: "::/0" }] }, true);
    const egress = async () => (await liveRules()).filter((r) => r.IsEgress).map((r) => r.SecurityGroupRuleId).sort();
    const before = await egress();

    const result = await remediate(drift());

    expect(result.steps.filter((s) => s.includes("Egress"))).toEqual([]);
    expect(before).toHaveLength(2);
    expect(await egress()).toEqual(before);
  });

  it("restores a changed rule description in place instead of re-creating the rule", async () => {
    await revoke(ids.ssh);
    await ec2("UpdateSecurityGroupRuleDescriptionsIngress", { GroupId: group.id, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: ids.https, Description: "temp" }] });

    const result = await remediate(drift());

    expect(result.steps).toEqual([`UpdateSecurityGroupRuleDescriptionsIngress GroupId=${group.id} ${ids.https} Description=HTTPS from the VPC`]);
    expect((await liveRules()).find((r) => r.SecurityGroupRuleId === ids.https)?.Description).toBe("HTTPS from the VPC");
    expect(sent.writes()).toEqual(["UpdateSecurityGroupRuleDescriptionsIngress"]);
  });

  it("restores managed tags with CreateTags and never removes the others", async () => {
    await revoke(ids.ssh);
    await ec2("CreateTags", { Resources: [group.id], Tags: [{ Key: "Name", Value: "renamed" }, { Key: "owner", Value: "bob" }] });

    const result = await remediate(drift());

    expect(result.steps).toEqual([`CreateTags Resources=${group.id} Name=payments-web`]);
    expect(sent.inputs("CreateTags")).toEqual([{ Resources: [group.id], Tags: [{ Key: "Name", Value: "payments-web" }] }]);
    // The tag someone added stays, and so do CloudFormation's own (the stack created the group).
    expect(await liveTags()).toEqual(expect.arrayContaining([{ Key: "owner", Value: "bob" }, { Key: "aws:cloudformation:logical-id", Value: "WebSecurityGroup" }]));
    expect(sent.writes()).toEqual(["CreateTags"]);
  });

  it("leaves ingress alone when the template does not set SecurityGroupIngress", async () => {
    const d = drift();
    const expected = { ...d.expected };
    delete expected.SecurityGroupIngress;

    const result = await remediate({ ...d, expected });

    expect(result.outcome).toBe("skipped");
    expect(await liveRules()).toHaveLength(3);
  });

  it("hands rules that name a source group by name to a person", async () => {
    const result = await remediate(drift({ SecurityGroupIngress: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, SourceSecurityGroupName: "default" }] }));

    expect(result.outcome).toBe("manual");
    expect(result.reason).toMatch(/group name default/);
    expect(sent.names()).toEqual([]);
  });

  it("looks a default-VPC group up by name when the physical id is a name", async () => {
    await remediate({ ...drift(), physicalResourceId: group.name }, true);
    expect(sent.inputs("DescribeSecurityGroups")[0]).toEqual({ GroupNames: [group.name] });
    expect(sent.inputs<{ Filters: unknown }>("DescribeSecurityGroupRules")[0]?.Filters).toEqual([{ Name: "group-id", Values: [group.id] }]);
  });
});

describe("AWS::EC2::SecurityGroup remediator with attachments", () => {
  const origin = { stackName: "payments-app", logicalId: "AppSgFromDb5432", resourceType: "AWS::EC2::SecurityGroupIngress" };
  const fromApp = () => ({ direction: "ingress" as const, protocol: "tcp", fromPort: 5432, toPort: 5432, peer: { kind: "group" as const, groupId: peer } });

  it("never revokes a rule an AWS::EC2::SecurityGroupIngress in another stack owns, and says it kept it", async () => {
    await ingress({ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: peer }] });
    const pg = idOf(await liveRules(), false, 5432);
    const result = await remediateWith(ec2SecurityGroupRemediator, drift(), clients, { safety: SAFETY, owned: { attachments: [{ kind: "sg-rule", origin, group: group.id, rule: fromApp() }] } });

    expect(result.steps).toEqual([`RevokeSecurityGroupIngress GroupId=${group.id} SecurityGroupRuleIds=${ids.ssh} (tcp 22 from 0.0.0.0/0)`]);
    expect(result.honoured).toEqual([`tcp 5432 from ${peer} from AWS::EC2::SecurityGroupIngress AppSgFromDb5432 in stack payments-app`]);
    expect((await liveRules()).map((r) => r.SecurityGroupRuleId)).toContain(pg);
  });

  it("revokes nothing when an attachment targeting the group could not be resolved", async () => {
    const result = await remediateWith(ec2SecurityGroupRemediator, drift(), clients, { safety: SAFETY, owned: { attachments: [{ kind: "sg-rule", origin }] } });
    expect(result).toMatchObject({ outcome: "manual", reason: `cannot tell which rules a rule (unresolved) from AWS::EC2::SecurityGroupIngress AppSgFromDb5432 in stack payments-app owns; not revoking any` });
    expect(sent.writes()).toEqual([]);
  });
});
