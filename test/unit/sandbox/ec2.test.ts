import { remediateWith } from "../remediation/helpers.js";
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from "@aws-sdk/client-ec2";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpokeClients } from "../../../functions/aws/clients.js";
import { ec2SecurityGroupRemediator } from "../../../functions/remediation/remediators/ec2-security-group.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

let sandbox: Sandbox;
let ec2: EC2Client;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  ec2 = new EC2Client(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
});
afterAll(() => sandbox.close());

const SSH = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "ssh" }] };

async function newGroup(name: string, vpcId?: string): Promise<string> {
  const res = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: name, Description: `${name} group`, VpcId: vpcId, TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "app", Value: name }] }] }),
  );
  return res.GroupId!;
}

describe("ec2 vpcs", () => {
  it("gives every account-region a default VPC and creates more", async () => {
    const defaults = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
    expect(defaults.Vpcs).toEqual([expect.objectContaining({ IsDefault: true, CidrBlock: "172.31.0.0/16", OwnerId: WORKLOAD })]);
    const eu = new EC2Client(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD), "eu-west-1"));
    const euDefault = (await eu.send(new DescribeVpcsCommand({}))).Vpcs![0]!.VpcId;
    expect(euDefault).not.toBe(defaults.Vpcs![0]!.VpcId);
    const created = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.1.0.0/16", TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Name", Value: "lab" }] }] }));
    expect(created.Vpc).toMatchObject({ CidrBlock: "10.1.0.0/16", IsDefault: false, Tags: [{ Key: "Name", Value: "lab" }] });
    expect((await failure(ec2.send(new CreateVpcCommand({ CidrBlock: "10.1.0.0/8" })))).name).toBe("InvalidVpc.Range");
  });
});

describe("ec2 security groups", () => {
  it("creates, describes (by id, name, filter) and deletes groups", async () => {
    const id = await newGroup("web");
    const byId = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }));
    expect(byId.SecurityGroups![0]).toMatchObject({
      GroupId: id,
      GroupName: "web",
      Description: "web group",
      OwnerId: WORKLOAD,
      IpPermissions: [],
      IpPermissionsEgress: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      Tags: [{ Key: "app", Value: "web" }],
    });
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "tag:app", Values: ["w*"] }] }))).SecurityGroups!.map((g) => g.GroupId)).toEqual([id]);
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ["default"] }))).SecurityGroups).toHaveLength(1);
    expect((await failure(newGroup("web"))).name).toBe("InvalidGroup.Duplicate");
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
    const gone = await failure(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] })));
    expect(gone.name).toBe("InvalidGroup.NotFound");
    expect((await failure(ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] })))).name).toBe("InvalidParameterValue");
  });

  it("authorizes rules, grouping them per protocol and port range, and refuses duplicates", async () => {
    const id = await newGroup("bastion");
    // A rule may only name a prefix list that exists: here the region's AWS-managed S3 list.
    const s3List = (await ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: "prefix-list-name", Values: ["com.amazonaws.us-east-1.s3"] }] }))).PrefixLists![0]!.PrefixListId!;
    const res = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [SSH] }));
    expect(res.SecurityGroupRules).toEqual([expect.objectContaining({ GroupId: id, IsEgress: false, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "0.0.0.0/0" })]);
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: id,
        IpPermissions: [{ IpProtocol: "6", FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: "::/0" }], PrefixListIds: [{ PrefixListId: s3List }] }],
      }),
    );
    const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups![0]!;
    expect(group.IpPermissions).toEqual([
      {
        IpProtocol: "tcp",
        FromPort: 22,
        ToPort: 22,
        IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "ssh" }],
        Ipv6Ranges: [{ CidrIpv6: "::/0" }],
        PrefixListIds: [{ PrefixListId: s3List }],
        UserIdGroupPairs: [],
      },
    ]);
    const dup = await failure(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [{ ...SSH, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] })));
    expect(dup.name).toBe("InvalidPermission.Duplicate");
    expect(dup.message).toContain("peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW");
    expect((await failure(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [{ IpProtocol: "tcp", IpRanges: [{ CidrIp: "1.2.3.4/32" }] }] })))).name).toBe("InvalidParameterValue");
    const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [id] }] }));
    expect(rules.SecurityGroupRules).toHaveLength(4);
  });

  it("revokes rules: unknown ones are reported in the default VPC and refused elsewhere", async () => {
    const id = await newGroup("revoke-me");
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [SSH] }));
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [{ ...SSH, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups![0]!.IpPermissions).toEqual([]);
    const again = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [SSH] }));
    expect(again.UnknownIpPermissions).toEqual([expect.objectContaining({ IpProtocol: "tcp", FromPort: 22 })]);

    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.2.0.0/16" }));
    const custom = await newGroup("custom", vpc.Vpc!.VpcId);
    expect((await failure(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: custom, IpPermissions: [SSH] })))).name).toBe("InvalidPermission.NotFound");
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: custom, IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: custom, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: id }] }] }));
    const egress = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [custom] }))).SecurityGroups![0]!.IpPermissionsEgress;
    expect(egress).toEqual([expect.objectContaining({ IpProtocol: "tcp", FromPort: 443, UserIdGroupPairs: [expect.objectContaining({ GroupId: id, UserId: WORKLOAD })] })]);
    expect((await failure(ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })))).name).toBe("DependencyViolation");
  });
});

describe("ec2 tags and instances", () => {
  it("creates, describes and deletes tags on groups and instances", async () => {
    const id = await newGroup("tagged");
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: "ami-12345678", InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "owner", Value: "bob" }] }] }),
    );
    const instanceId = run.Instances![0]!.InstanceId!;
    expect(run.Instances![0]!.State?.Name).toBe("pending");
    await ec2.send(new CreateTagsCommand({ Resources: [id, instanceId], Tags: [{ Key: "env", Value: "prod" }] }));
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "key", Values: ["env"] }] }));
    expect(tags.Tags!.map((t) => [t.ResourceId, t.ResourceType, t.Value]).sort()).toEqual([[id, "security-group", "prod"], [instanceId, "instance", "prod"]].sort());
    await ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: "env", Value: "other" }] }));
    await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "env" }] }));
    const left = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "key", Values: ["env"] }] }));
    expect(left.Tags!.map((t) => t.ResourceId)).toEqual([instanceId]);
    const described = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "tag:owner", Values: ["bob"] }] }));
    expect(described.Reservations![0]!.Instances![0]).toMatchObject({ InstanceId: instanceId, InstanceType: "t3.micro", State: { Name: "running" } });
    expect((await failure(ec2.send(new CreateTagsCommand({ Resources: ["i-0000"], Tags: [{ Key: "a", Value: "b" }] })))).name).toBe("InvalidInstanceID.NotFound");
  });
});

describe("ec2 security group rules by id", () => {
  const rulesOf = async (groupId: string) =>
    (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }] }))).SecurityGroupRules!;
  const http = { IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "10.0.0.0/8" }] };

  it("gives every rule an sgr- id that stays the same and finds rules by it", async () => {
    const id = await newGroup("ids");
    const added = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [SSH, http] }));
    const ids = added.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId!);
    expect(ids).toEqual([expect.stringMatching(/^sgr-[0-9a-f]{17}$/), expect.stringMatching(/^sgr-[0-9a-f]{17}$/)]);
    expect(new Set(ids).size).toBe(2);
    const described = await rulesOf(id);
    expect(described.map((r) => r.SecurityGroupRuleId).sort()).toEqual([...ids, described.find((r) => r.IsEgress)!.SecurityGroupRuleId].sort());
    expect((await rulesOf(id)).map((r) => r.SecurityGroupRuleId)).toEqual(described.map((r) => r.SecurityGroupRuleId));
    const byId = await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ids[1]!] }));
    expect(byId.SecurityGroupRules).toEqual([expect.objectContaining({ SecurityGroupRuleId: ids[1], GroupId: id, FromPort: 80, CidrIpv4: "10.0.0.0/8" })]);
    expect((await failure(ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: ["sgr-00000000000000000"] })))).name).toBe("InvalidSecurityGroupRuleId.NotFound");
  });

  it("revokes rules by SecurityGroupRuleIds, answering with the revoked rules", async () => {
    const id = await newGroup("revoke-by-id");
    const added = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [SSH, http] }));
    const [ssh, web] = added.SecurityGroupRules!;
    const res = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, SecurityGroupRuleIds: [ssh!.SecurityGroupRuleId!] }));
    expect(res).toMatchObject({ Return: true, RevokedSecurityGroupRules: [{ SecurityGroupRuleId: ssh!.SecurityGroupRuleId, IsEgress: false, FromPort: 22, CidrIpv4: "0.0.0.0/0" }] });
    expect((await rulesOf(id)).filter((r) => !r.IsEgress).map((r) => r.SecurityGroupRuleId)).toEqual([web!.SecurityGroupRuleId]);

    // An id of the other direction, or of no rule at all, fails the call and revokes nothing.
    const egressId = (await rulesOf(id)).find((r) => r.IsEgress)!.SecurityGroupRuleId!;
    const wrongDirection = await failure(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, SecurityGroupRuleIds: [web!.SecurityGroupRuleId!, egressId] })));
    expect(wrongDirection.name).toBe("InvalidSecurityGroupRuleId.NotFound");
    expect(await rulesOf(id)).toHaveLength(2);
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, SecurityGroupRuleIds: [egressId] }));
    expect((await rulesOf(id)).map((r) => r.IsEgress)).toEqual([false]);
    expect((await failure(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id })))).name).toBe("MissingParameter");
  });

  it("updates rule descriptions by rule id and by permission", async () => {
    const id = await newGroup("describe-rules");
    const [rule] = (await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [SSH] }))).SecurityGroupRules!;
    await ec2.send(
      new UpdateSecurityGroupRuleDescriptionsIngressCommand({ GroupId: id, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: rule!.SecurityGroupRuleId, Description: "bastion" }] }),
    );
    expect((await rulesOf(id)).find((r) => !r.IsEgress)).toMatchObject({ SecurityGroupRuleId: rule!.SecurityGroupRuleId, Description: "bastion" });
    await ec2.send(new UpdateSecurityGroupRuleDescriptionsEgressCommand({ GroupId: id, IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "anywhere" }] }] }));
    expect((await rulesOf(id)).find((r) => r.IsEgress)?.Description).toBe("anywhere");
    const unknown = await failure(ec2.send(new UpdateSecurityGroupRuleDescriptionsIngressCommand({ GroupId: id, IpPermissions: [http] })));
    expect(unknown.name).toBe("InvalidPermission.NotFound");
  });

  it("modifies a rule in place: same id, new content", async () => {
    const id = await newGroup("modify-rules");
    const [ssh, web] = (await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [SSH, http] }))).SecurityGroupRules!;
    const ruleId = ssh!.SecurityGroupRuleId!;
    await ec2.send(
      new ModifySecurityGroupRulesCommand({ GroupId: id, SecurityGroupRules: [{ SecurityGroupRuleId: ruleId, SecurityGroupRule: { IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, CidrIpv4: "0.0.0.0/0", Description: "rdp" } }] }),
    );
    const [modified] = (await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] }))).SecurityGroupRules!;
    expect(modified).toMatchObject({ SecurityGroupRuleId: ruleId, IsEgress: false, FromPort: 3389, ToPort: 3389, CidrIpv4: "0.0.0.0/0", Description: "rdp" });
    const clash = await failure(
      ec2.send(new ModifySecurityGroupRulesCommand({ GroupId: id, SecurityGroupRules: [{ SecurityGroupRuleId: ruleId, SecurityGroupRule: { IpProtocol: "tcp", FromPort: 80, ToPort: 80, CidrIpv4: "10.0.0.0/8" } }] })),
    );
    expect(clash.name).toBe("InvalidPermission.Duplicate");
    expect((await rulesOf(id)).find((r) => r.SecurityGroupRuleId === web!.SecurityGroupRuleId)).toMatchObject({ FromPort: 80 });
  });

  it("serves every call of the AWS::EC2::SecurityGroup remediator", async () => {
    const groupId = await newGroup("remediated");
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [SSH, { ...http, IpRanges: [{ CidrIp: "10.0.0.0/8", Description: "old" }] }] }));
    await ec2.send(new CreateTagsCommand({ Resources: [groupId], Tags: [{ Key: "team", Value: "other" }] }));
    const config = clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD));
    const clients: SpokeClients = {
      accountId: WORKLOAD,
      region: "us-east-1",
      cloudformation: new CloudFormationClient(config),
      iam: new IAMClient(config),
      ec2,
      s3: new S3Client(config),
      cloudtrail: new CloudTrailClient(config),
      client: () => {
        throw new Error("the security-group remediator uses only the named clients");
      },
      destroy: () => {},
    };
    const expected = {
      SecurityGroupIngress: [
        { IpProtocol: "tcp", FromPort: 80, ToPort: 80, CidrIp: "10.0.0.0/8", Description: "web" },
        { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "0.0.0.0/0" },
      ],
      Tags: [{ Key: "team", Value: "core" }],
    };
    const drift = { logicalResourceId: "Sg", physicalResourceId: groupId, resourceType: "AWS::EC2::SecurityGroup", status: "MODIFIED" as const, expected, differences: [] };

    const result = await remediateWith(ec2SecurityGroupRemediator, drift, clients, { dryRun: false });

    expect(result, result.reason).toMatchObject({ outcome: "remediated" });
    expect(result.steps.map((s) => s.split(" ")[0])).toEqual([
      "AuthorizeSecurityGroupIngress",
      "RevokeSecurityGroupIngress",
      "UpdateSecurityGroupRuleDescriptionsIngress",
      "CreateTags",
    ]);
    const ingress = (await rulesOf(groupId)).filter((r) => !r.IsEgress).map((r) => [r.FromPort, r.CidrIpv4, r.Description]);
    expect(ingress.sort()).toEqual([[443, "0.0.0.0/0", undefined], [80, "10.0.0.0/8", "web"]].sort());
    expect(await ec2SecurityGroupRemediator.readTags!(drift, clients)).toMatchObject({ team: "core" });
    expect(await remediateWith(ec2SecurityGroupRemediator, drift, clients, { dryRun: false })).toMatchObject({ outcome: "skipped" });
  });
});

