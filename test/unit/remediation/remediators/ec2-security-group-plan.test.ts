import { DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand, EC2Client, type SecurityGroupRule } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import { NOTHING_OWNED, type Attachment, type Owned } from "../../../../functions/remediation/ownership/owned.js";
import type { Plan, PlannedStep } from "../../../../functions/remediation/plan.js";
import { ec2SecurityGroupRemediator } from "../../../../functions/remediation/remediators/ec2-security-group.js";
import { spokeClients } from "../helpers.js";

/**
 * What the SecurityGroup remediator's plan carries besides its call lines: each step's summary,
 * the effect the invariants judge, what CloudFormation will see afterwards (the convergence
 * check's input), the attachments it honours, and when it leaves the group to a person. Found
 * missing by `npm run mutation` (issue 20). Shapes: DescribeSecurityGroups' SecurityGroup and
 * DescribeSecurityGroupRules' SecurityGroupRule (EC2 API Reference); drift as
 * DetectStackResourceDrift reports it (API_StackResourceDrift.html).
 */

const ec2 = mockClient(EC2Client);
const clients = spokeClients();
const SG = "sg-0a1b2c3d4e5f60718";
const INGRESS = [
  { CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC", FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
  { CidrIp: "10.20.0.0/16", FromPort: 8443, IpProtocol: "tcp", ToPort: 8443 },
];
const rule = (id: string, over: Partial<SecurityGroupRule>): SecurityGroupRule => ({ SecurityGroupRuleId: id, GroupId: SG, GroupOwnerId: "111122223333", IsEgress: false, ...over });

const drift = (expected: Record<string, unknown>): ResourceDrift => ({
  logicalResourceId: "WebSecurityGroup",
  physicalResourceId: SG,
  resourceType: "AWS::EC2::SecurityGroup",
  status: "MODIFIED",
  expected: { GroupDescription: "Web tier", ...expected },
  differences: [{ propertyPath: "/SecurityGroupIngress", expectedValue: "[]", actualValue: "[]", differenceType: "NOT_EQUAL" }],
});
const origin = { stackName: "web", logicalId: "AppToWeb", resourceType: "AWS::EC2::SecurityGroupIngress" };
const sgRule = (over: Partial<Attachment & { kind: "sg-rule" }>): Attachment => ({ kind: "sg-rule", origin, group: SG, ...over });

let live: SecurityGroupRule[];
let groups: { GroupId: string; Tags?: { Key: string; Value: string }[] }[];
beforeEach(() => {
  ec2.reset();
  live = [
    rule("sgr-0https", { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIpv4: "10.20.0.0/16", Description: "changed by hand" }),
    rule("sgr-0ssh", { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "0.0.0.0/0" }),
  ];
  groups = [{ GroupId: SG, Tags: [] }];
  ec2.on(DescribeSecurityGroupsCommand).callsFake(() => ({ SecurityGroups: groups }));
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => ({ SecurityGroupRules: live }));
});

const plan = (d: ResourceDrift, owned: Owned = NOTHING_OWNED): Promise<Plan> => ec2SecurityGroupRemediator.plan({ drift: d, clients, owned });
async function planned(d: ResourceDrift, owned?: Owned): Promise<{ steps: PlannedStep[]; honoured?: readonly string[] }> {
  const p = await plan(d, owned);
  if ("manual" in p) throw new Error(`expected steps, got manual: ${p.manual}`);
  return p;
}

describe("AWS::EC2::SecurityGroup remediator: what each step does", () => {
  it("says what each step does, gives the invariants its rule, and tells CloudFormation the template's rules are back", async () => {
    const { steps } = await planned(drift({ SecurityGroupIngress: INGRESS }));
    const effects = [{ path: "/SecurityGroupIngress", value: INGRESS }];
    expect(steps.map(({ summary, effect, effects: e }) => ({ summary, kind: effect.kind, effects: e }))).toEqual([
      { summary: "authorize tcp 8443 from 10.20.0.0/16", kind: "authorize-rule", effects },
      { summary: "revoke tcp 22 from 0.0.0.0/0", kind: "revoke-rule", effects },
      { summary: "restore the description of tcp 443 from 10.20.0.0/16", kind: "describe-rule", effects },
    ]);
    expect(steps[0]!.effect).toMatchObject({ kind: "authorize-rule", groupId: SG, rule: { direction: "ingress", protocol: "tcp", fromPort: 8443, toPort: 8443 } });
    expect(steps[1]!.effect).toMatchObject({ kind: "revoke-rule", groupId: SG, rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22 } });
    expect(steps[2]!.effect).toEqual({ kind: "describe-rule", groupId: SG });
  });

  it("restores the template's tags on the group, as a tagging step", async () => {
    const { steps } = await planned(drift({ Tags: [{ Key: "team", Value: "web" }] }));
    expect(steps.map((s) => s.call)).toEqual([expect.stringMatching(new RegExp(`^CreateTags Resources=${SG}`))]);
    expect(steps[0]!.effect).toEqual({ kind: "tag-resource", resource: SG });
  });

  it("fails loudly when DescribeSecurityGroups returns no group", async () => {
    groups = [];
    await expect(plan(drift({ SecurityGroupIngress: INGRESS }))).rejects.toThrow(`DescribeSecurityGroups returned no group for ${SG}`);
  });

  it("leaves the rules to a person when an attachment's rule is unresolved, but still restores tags when no rules are managed", async () => {
    const unresolved: Owned = { attachments: [sgRule({})] };
    expect(await plan(drift({ SecurityGroupIngress: INGRESS }), unresolved)).toEqual({
      manual: "cannot tell which rules a rule (unresolved) from AWS::EC2::SecurityGroupIngress AppToWeb in stack web owns; not revoking any",
    });
    const { steps } = await planned(drift({ Tags: [{ Key: "team", Value: "web" }] }), unresolved);
    expect(steps.map((s) => s.effect.kind)).toEqual(["tag-resource"]);
  });

  it("honours only the owned rules that are live in a direction the template manages", async () => {
    const ssh = { direction: "ingress" as const, protocol: "tcp", fromPort: 22, toPort: 22, peer: { kind: "cidr4" as const, cidr: "0.0.0.0/0" } };
    const gone = { ...ssh, fromPort: 2222, toPort: 2222 };
    const egress = { direction: "egress" as const, protocol: "-1", fromPort: -1, toPort: -1, peer: { kind: "cidr4" as const, cidr: "0.0.0.0/0" } };
    live.push(rule("sgr-0egress", { IsEgress: true, IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv4: "0.0.0.0/0" }));
    const owned: Owned = { attachments: [sgRule({ rule: ssh }), sgRule({ rule: gone }), sgRule({ rule: egress })] };
    const { steps, honoured } = await planned(drift({ SecurityGroupIngress: INGRESS }), owned);
    expect(honoured).toEqual(["tcp 22 from 0.0.0.0/0 from AWS::EC2::SecurityGroupIngress AppToWeb in stack web"]);
    expect(steps.map((s) => s.effect.kind)).toEqual(["authorize-rule", "describe-rule"]); // the owned 22/tcp is kept
  });
});
