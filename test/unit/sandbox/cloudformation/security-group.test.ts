import { CloudFormationClient, CreateStackCommand, DescribeStackResourceCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../../sandbox/harness/server.js";
import { clientConfig, startTestSandbox, WORKLOAD } from "../../../support/sandbox.js";
import { HTTPS_GROUP } from "./fixture.js";

/** AWS::EC2::SecurityGroup provisioned through the SDK, read back through EC2. */

const TEMPLATE = `
Resources:
  Web:${HTTPS_GROUP}
`;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.close());

describe("AWS::EC2::SecurityGroup", () => {
  it("goes into the default VPC of a region nothing has touched yet, with EC2's own rules", async () => {
    // Neither accounts.yaml nor the scenario names this region.
    const region = "ap-southeast-2";
    expect(sandbox.world.accounts.get(WORKLOAD)!.regions.has(region)).toBe(false);
    const cfn = new CloudFormationClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD), region));
    const ec2 = new EC2Client(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD), region));

    await cfn.send(new CreateStackCommand({ StackName: "edge", TemplateBody: TEMPLATE }));
    await expect.poll(async () => (await cfn.send(new DescribeStacksCommand({ StackName: "edge" }))).Stacks![0]!.StackStatus).toBe("CREATE_COMPLETE");

    const groupId = (await cfn.send(new DescribeStackResourceCommand({ StackName: "edge", LogicalResourceId: "Web" }))).StackResourceDetail!.PhysicalResourceId!;
    const [defaultVpc] = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))).Vpcs!;
    const [group] = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups!;
    expect(group).toMatchObject({ VpcId: defaultVpc!.VpcId, Description: "app" });
    const rules = (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }] }))).SecurityGroupRules!;
    expect(rules.map((r) => [r.IsEgress, r.IpProtocol, r.FromPort, r.CidrIpv4])).toEqual([
      [false, "tcp", 443, "0.0.0.0/0"],
      [true, "-1", -1, "0.0.0.0/0"],
    ]);
    expect(rules.map((r) => r.SecurityGroupRuleId)).toEqual([expect.stringMatching(/^sgr-[0-9a-f]{17}$/), expect.stringMatching(/^sgr-[0-9a-f]{17}$/)]);
  });
});
