import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupRulesCommand, EC2Client, type SecurityGroupRule } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import type { Attachment } from "../../../../functions/remediation/ownership/owned.js";
import { securityGroupIngressRemediator } from "../../../../functions/remediation/remediators/ec2-security-group-rule.js";
import { spokeClients, writes, remediateWith } from "../helpers.js";

const ec2 = mockClient(EC2Client);
const clients = spokeClients();
const GROUP = "sg-0a1b2c3d4e5f60718";

/**
 * A DELETED AWS::EC2::SecurityGroupIngress as DescribeStackResourceDrifts returns it: no
 * ExpectedProperties or ActualProperties ("For resources whose StackResourceDriftStatus is
 * DELETED, this structure will not be present", API_StackResourceDrift.html); the physical id is
 * the rule id, the type's primary identifier.
 */
const deleted: ResourceDrift = { logicalResourceId: "AppToDb", physicalResourceId: "sgr-0123456789abcdef0", resourceType: "AWS::EC2::SecurityGroupIngress", status: "DELETED", differences: [] };
const declared = (cidr: string, protocol = "tcp"): Attachment[] => [
  {
    kind: "sg-rule",
    origin: { stackName: "app-net", logicalId: "AppToDb", resourceType: "AWS::EC2::SecurityGroupIngress" },
    group: GROUP,
    rule: { direction: "ingress", protocol, fromPort: protocol === "-1" ? -1 : 5432, toPort: protocol === "-1" ? -1 : 5432, peer: { kind: "cidr4", cidr } },
  },
];

let live: SecurityGroupRule[];
beforeEach(() => {
  ec2.reset();
  live = [];
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => ({ SecurityGroupRules: live }));
  ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
});

describe("AWS::EC2::SecurityGroupIngress remediator (the attachment itself)", () => {
  it("re-authorizes the rule the template declares when it was revoked by hand", async () => {
    const action = await remediateWith(securityGroupIngressRemediator, deleted, clients, { declared: declared("10.1.0.0/16") });
    expect(action).toMatchObject({ outcome: "remediated", steps: [`AuthorizeSecurityGroupIngress GroupId=${GROUP} (tcp 5432 from 10.1.0.0/16)`] });
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input).toEqual({
      GroupId: GROUP,
      IpPermissions: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: "10.1.0.0/16" }] }],
    });
  });

  it("refuses to re-add all traffic from 0.0.0.0/0, whoever's stack declares it, and sends nothing", async () => {
    const action = await remediateWith(securityGroupIngressRemediator, deleted, clients, { declared: declared("0.0.0.0/0", "-1") });
    expect(action.outcome).toBe("refused");
    expect(action.reason).toBe(`would authorize all traffic from 0.0.0.0/0 on ${GROUP}: it would open all traffic to the internet (0.0.0.0/0); nothing was changed`);
    expect(writes(ec2)).toEqual([]);
  });

  it("plans nothing when the rule is back already, and leaves what it cannot resolve to a person", async () => {
    live = [{ SecurityGroupRuleId: "sgr-new", GroupId: GROUP, IsEgress: false, IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIpv4: "10.1.0.0/16" }];
    expect((await remediateWith(securityGroupIngressRemediator, deleted, clients, { declared: declared("10.1.0.0/16") })).outcome).toBe("skipped");
    const unresolved: Attachment[] = [{ kind: "sg-rule", origin: declared("x")[0]!.origin }];
    expect(await remediateWith(securityGroupIngressRemediator, deleted, clients, { declared: unresolved })).toMatchObject({ outcome: "manual" });
  });

  it("verifies against the group's live rules, and says CloudFormation keeps reporting the old rule id DELETED", async () => {
    live = [{ SecurityGroupRuleId: "sgr-new", GroupId: GROUP, IsEgress: false, IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIpv4: "10.1.0.0/16" }];
    const check = await securityGroupIngressRemediator.verifyLive!({ drift: deleted, clients, owned: { attachments: [] }, declared: declared("10.1.0.0/16") });
    expect(check).toEqual({ inSync: true, note: expect.stringContaining("CloudFormation reports AppToDb DELETED until stack app-net is updated") });
    live = [];
    expect((await securityGroupIngressRemediator.verifyLive!({ drift: deleted, clients, owned: { attachments: [] }, declared: declared("10.1.0.0/16") })).inSync).toBe(false);
  });

  it("leaves a revoked rule to a person when its template attachment is missing, or its rule or target group unresolved", async () => {
    const [attachment] = declared("10.1.0.0/16") as [Attachment & { kind: "sg-rule" }];
    const unresolved: (Attachment[] | undefined)[] = [undefined, [], [{ ...attachment, rule: undefined }], [{ ...attachment, group: undefined }], [{ ...attachment, group: "app-db-sg" }]];
    for (const attachments of unresolved) {
      const action = await remediateWith(securityGroupIngressRemediator, deleted, clients, attachments === undefined ? {} : { declared: attachments });
      expect(action).toMatchObject({ outcome: "manual", reason: "the rule of AWS::EC2::SecurityGroupIngress AppToDb was removed, and its template's rule or target group could not be resolved: update the stack" });
    }
    expect(writes(ec2)).toEqual([]);
  });
});
