import { AuthorizeSecurityGroupEgressCommand, AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupRulesCommand, EC2Client, type SecurityGroupRule } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import type { Attachment } from "../../../../functions/remediation/ownership/owned.js";
import { securityGroupEgressRemediator, securityGroupIngressRemediator } from "../../../../functions/remediation/remediators/ec2-security-group-rule.js";
import { remediateWith, spokeClients, writes } from "../helpers.js";

/**
 * The rule-attachment remediators beyond the ingress happy path: the egress twin sends its own
 * API, a MODIFIED rule and a target that is not a group id go to a person, a live rule that differs
 * only in its description counts as back, and a failed verification names what is missing. Found
 * missing by `npm run mutation` (issue 20).
 */

const ec2 = mockClient(EC2Client);
const clients = spokeClients();
const GROUP = "sg-0a1b2c3d4e5f60718";
// A DELETED attachment carries no ExpectedProperties (API_StackResourceDrift.html); the physical id is the rule id.
const deleted = (resourceType: string): ResourceDrift => ({ logicalResourceId: "AppOut", physicalResourceId: "sgr-0123456789abcdef0", resourceType, status: "DELETED", differences: [] });
const egressRule = (group = GROUP): Attachment[] => [
  {
    kind: "sg-rule",
    origin: { stackName: "app-net", logicalId: "AppOut", resourceType: "AWS::EC2::SecurityGroupEgress" },
    group,
    rule: { direction: "egress", protocol: "tcp", fromPort: 443, toPort: 443, peer: { kind: "cidr4", cidr: "10.2.0.0/16" }, description: "to the API" },
  },
];
// DescribeSecurityGroupRules' shape (API_SecurityGroupRule.html).
const liveEgress = (description: string): SecurityGroupRule => ({ SecurityGroupRuleId: "sgr-0fedcba9876543210", GroupId: GROUP, IsEgress: true, IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIpv4: "10.2.0.0/16", Description: description });

let live: SecurityGroupRule[];
beforeEach(() => {
  ec2.reset();
  live = [];
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => ({ SecurityGroupRules: live }));
  ec2.on(AuthorizeSecurityGroupEgressCommand).resolves({ Return: true });
  ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
});

describe("AWS::EC2::SecurityGroupEgress remediator and the rule attachments' edge cases", () => {
  it("re-authorizes a revoked egress rule with AuthorizeSecurityGroupEgress on the declared group, reading that group's rules", async () => {
    const action = await remediateWith(securityGroupEgressRemediator, deleted("AWS::EC2::SecurityGroupEgress"), clients, { declared: egressRule() });
    expect(action).toMatchObject({ outcome: "remediated", steps: [`AuthorizeSecurityGroupEgress GroupId=${GROUP} (tcp 443 to 10.2.0.0/16)`] });
    expect(action.reason).toContain(`re-authorize tcp 443 to 10.2.0.0/16 on ${GROUP}, which AWS::EC2::SecurityGroupEgress AppOut declares`);
    expect(writes(ec2)).toEqual(["AuthorizeSecurityGroupEgress"]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupEgressCommand)[0]!.args[0].input).toMatchObject({ GroupId: GROUP, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443 }] });
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand)[0]!.args[0].input).toEqual({ Filters: [{ Name: "group-id", Values: [GROUP] }] });
  });

  it("plans nothing when the rule is back with another description: a description does not make another rule", async () => {
    live = [liveEgress("changed by hand")];
    expect((await remediateWith(securityGroupEgressRemediator, deleted("AWS::EC2::SecurityGroupEgress"), clients, { declared: egressRule() })).outcome).toBe("skipped");
    expect(writes(ec2)).toEqual([]);
  });

  it("leaves a MODIFIED rule to a person: only its Description can change in place", async () => {
    const modified: ResourceDrift = { ...deleted("AWS::EC2::SecurityGroupEgress"), status: "MODIFIED" };
    expect(await securityGroupEgressRemediator.plan({ drift: modified, clients, owned: { attachments: [] }, declared: egressRule() })).toEqual({
      manual: "AWS::EC2::SecurityGroupEgress AppOut differs from its template; only its Description can change in place: update the stack",
    });
  });

  it("leaves a target that is not a resolved group id, or an attachment of another kind, to a person", async () => {
    const drift = deleted("AWS::EC2::SecurityGroupEgress");
    const manual = { manual: "the rule of AWS::EC2::SecurityGroupEgress AppOut was removed, and its template's rule or target group could not be resolved: update the stack" };
    expect(await securityGroupEgressRemediator.plan({ drift, clients, owned: { attachments: [] }, declared: egressRule("AppSecurityGroup") })).toEqual(manual);
    const inline: Attachment = { kind: "inline-policy", origin: egressRule()[0]!.origin, role: "r", policyName: "p", document: {} };
    expect(await securityGroupEgressRemediator.plan({ drift, clients, owned: { attachments: [] }, declared: [inline, ...egressRule()] })).toEqual(manual);
    expect(writes(ec2)).toEqual([]);
  });

  it("verifies the egress rule on the group's live rules, and names what is still missing when it is not back", async () => {
    const drift = deleted("AWS::EC2::SecurityGroupEgress");
    expect(await securityGroupEgressRemediator.verifyLive!({ drift, clients, owned: { attachments: [] }, declared: egressRule() })).toEqual({
      inSync: false,
      note: `verification: tcp 443 to 10.2.0.0/16 is still missing from ${GROUP}`,
    });
    live = [liveEgress("to the API")];
    expect((await securityGroupEgressRemediator.verifyLive!({ drift, clients, owned: { attachments: [] }, declared: egressRule() })).note).toBe(
      `verified: the rule is on ${GROUP} again, under a new rule id; CloudFormation reports AppOut DELETED until stack app-net is updated, since the resource is identified by the old rule id`,
    );
  });

  it("the ingress twin never sends the egress API", async () => {
    const ingress: Attachment[] = [{ ...egressRule()[0]!, rule: { direction: "ingress", protocol: "tcp", fromPort: 443, toPort: 443, peer: { kind: "cidr4", cidr: "10.2.0.0/16" } } } as Attachment];
    await remediateWith(securityGroupIngressRemediator, deleted("AWS::EC2::SecurityGroupIngress"), clients, { declared: ingress });
    expect(writes(ec2)).toEqual(["AuthorizeSecurityGroupIngress"]);
  });
});
