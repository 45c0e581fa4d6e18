import { describe, expect, it } from "vitest";
import { physicalIdOf } from "../../../../sandbox/emulator/services/cloudformation/stacks.js";
import { ACCOUNT, REGION, account, createStack, harness, region, rejection } from "./fixture.js";

const TEMPLATE = `
Description: demo app
Parameters:
  Env:
    Type: String
    Default: dev
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Sub "\${AWS::StackName} web in \${AWS::Region}"
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: "443"
          ToPort: "443"
          CidrIp: 10.0.0.0/8
          Description: !If [IsProd, prod, !Ref AWS::NoValue]
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
      Path: /app/
  Logs:
    Type: AWS::S3::Bucket
    DependsOn: Role
    Properties:
      Tags:
        - Key: sg
          Value: !GetAtt Sg.GroupId
Outputs:
  RoleArn:
    Value: !GetAtt Role.Arn
  BucketName:
    Value: !Ref Logs
    Export:
      Name: !Sub "\${AWS::StackName}-logs"
`;

describe("CreateStack", () => {
  it("provisions each type into the World, in dependency order, with CloudFormation's names and tags", async () => {
    const h = harness();
    const { StackId } = await h.call("CreateStack", {
      StackName: "web",
      TemplateBody: TEMPLATE,
      Capabilities: ["CAPABILITY_IAM"],
      Tags: [{ Key: "owner", Value: "platform" }],
    });
    expect(StackId).toMatch(new RegExp(`^arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/web/[0-9a-f-]{36}$`));

    const [stack] = (await h.call("DescribeStacks", { StackName: "web" })).Stacks;
    expect(stack).toMatchObject({
      StackName: "web",
      StackStatus: "CREATE_COMPLETE",
      Description: "demo app",
      Parameters: [{ ParameterKey: "Env", ParameterValue: "dev" }],
      Tags: [{ Key: "owner", Value: "platform" }],
      Capabilities: ["CAPABILITY_IAM"],
      DriftInformation: { StackDriftStatus: "NOT_CHECKED" },
    });

    const ids = Object.fromEntries(
      (await h.call("ListStackResources", { StackName: "web" })).StackResourceSummaries.map((r: { LogicalResourceId: string; PhysicalResourceId: string }) => [
        r.LogicalResourceId,
        r.PhysicalResourceId,
      ]),
    );
    const group = region(h.world).securityGroups.get(ids.Sg)!;
    expect(group).toMatchObject({
      groupName: expect.stringMatching(/^web-Sg-[A-Za-z0-9]{12}$/),
      description: "web web in us-east-1",
      vpcId: "vpc-0default",
      ingress: [{ ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "10.0.0.0/8" }],
      egress: [{ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }],
    });
    expect(group.tags).toEqual({
      "aws:cloudformation:stack-name": "web",
      "aws:cloudformation:logical-id": "Sg",
      "aws:cloudformation:stack-id": StackId,
      owner: "platform",
    });

    const role = account(h.world).roles.get(ids.Role)!;
    expect(role.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/app/${ids.Role}`);
    expect(role.roleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(role.assumeRolePolicyDocument).toMatchObject({ Statement: [{ Action: "sts:AssumeRole" }] });
    expect(role.tags).toEqual({ owner: "platform" });

    const bucket = h.world.buckets.get(ids.Logs)!;
    expect(ids.Logs).toMatch(/^web-logs-[a-z0-9]{12}$/);
    expect(bucket).toMatchObject({ accountId: ACCOUNT, region: REGION, encryption: [{ sseAlgorithm: "AES256" }] });
    expect(bucket.tags.sg).toBe(ids.Sg);

    expect(stack.Outputs).toEqual([
      { OutputKey: "RoleArn", OutputValue: role.arn },
      { OutputKey: "BucketName", OutputValue: ids.Logs, ExportName: "web-logs" },
    ]);
  });

  it("requires the IAM capabilities CloudFormation requires", async () => {
    const h = harness();
    expect(await rejection(h.call("CreateStack", { StackName: "web", TemplateBody: TEMPLATE }))).toMatchObject({
      code: "InsufficientCapabilitiesException",
      message: "Requires capabilities : [CAPABILITY_IAM]",
    });
    const named = TEMPLATE.replace("Path: /app/", "Path: /app/\n      RoleName: fixed");
    expect(await rejection(h.call("CreateStack", { StackName: "web", TemplateBody: named, Capabilities: ["CAPABILITY_IAM"] }))).toMatchObject({
      message: "Requires capabilities : [CAPABILITY_NAMED_IAM]",
    });
    expect(region(h.world).stacks).toEqual([]);
  });

  it("rejects a duplicate name, and a template error, without creating anything", async () => {
    const h = harness();
    await createStack(h, "web", TEMPLATE);
    expect(await rejection(h.call("CreateStack", { StackName: "web", TemplateBody: TEMPLATE, Capabilities: ["CAPABILITY_IAM"] }))).toEqual({
      code: "AlreadyExistsException",
      message: "Stack [web] already exists",
      status: 400,
    });
    const broken = "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      X: !Ref Nope\n";
    expect(await rejection(h.call("CreateStack", { StackName: "other", TemplateBody: broken }))).toMatchObject({
      code: "ValidationError",
      message: "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template",
    });
    expect(region(h.world).stacks).toHaveLength(1);
  });

  it("rolls back what it created when a resource fails, leaving ROLLBACK_COMPLETE", async () => {
    const h = harness();
    await createStack(h, "first", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: taken\n");
    const template = `
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: { GroupDescription: x }
  B:
    Type: AWS::S3::Bucket
    DependsOn: Sg
    Properties: { BucketName: taken }
`;
    await h.call("CreateStack", { StackName: "second", TemplateBody: template });
    const [stack] = (await h.call("DescribeStacks", { StackName: "second" })).Stacks;
    expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect(stack.StackStatusReason).toBe("The following resource(s) failed to create: [B]. Rollback requested by user. B: taken already exists");
    expect(region(h.world).securityGroups.size).toBe(0);
    const resources = (await h.call("DescribeStackResources", { StackName: "second" })).StackResources;
    expect(resources.map((r: { LogicalResourceId: string; ResourceStatus: string }) => [r.LogicalResourceId, r.ResourceStatus])).toEqual([
      ["Sg", "DELETE_COMPLETE"],
    ]);
  });
});

describe("reading stacks", () => {
  it("answers DescribeStackResources by PhysicalResourceId with the owning stack's resources", async () => {
    const h = harness();
    const ids = await createStack(h, "web", TEMPLATE);
    await createStack(h, "other", "Resources:\n  T:\n    Type: AWS::SNS::Topic\n");
    const { StackResources } = await h.call("DescribeStackResources", { PhysicalResourceId: ids.Sg });
    expect(StackResources.map((r: { StackName: string }) => r.StackName)).toEqual(["web", "web", "web"]);
    const filtered = await h.call("DescribeStackResources", { PhysicalResourceId: ids.Sg, LogicalResourceId: "Sg" });
    expect(filtered.StackResources).toMatchObject([
      { LogicalResourceId: "Sg", PhysicalResourceId: ids.Sg, ResourceType: "AWS::EC2::SecurityGroup", ResourceStatus: "CREATE_COMPLETE" },
    ]);
    expect(await rejection(h.call("DescribeStackResources", { PhysicalResourceId: "sg-nope" }))).toMatchObject({
      code: "ValidationError",
      message: "Stack for sg-nope does not exist",
    });
    expect(physicalIdOf(h.world, ACCOUNT, REGION, "web", "Role")).toBe(ids.Role);
  });

  it("describes one resource and returns the template as submitted", async () => {
    const h = harness();
    const ids = await createStack(h, "web", TEMPLATE);
    const { StackResourceDetail } = await h.call("DescribeStackResource", { StackName: "web", LogicalResourceId: "Logs" });
    expect(StackResourceDetail).toMatchObject({ PhysicalResourceId: ids.Logs, DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" } });
    expect((await h.call("GetTemplate", { StackName: "web" })).TemplateBody).toBe(TEMPLATE);
    expect(await rejection(h.call("DescribeStackResource", { StackName: "web", LogicalResourceId: "Nope" }))).toMatchObject({
      message: "Resource Nope does not exist for stack web",
    });
    expect(await rejection(h.call("DescribeStacks", { StackName: "missing" }))).toMatchObject({
      code: "ValidationError",
      message: "Stack with id missing does not exist",
    });
  });

  it("pages DescribeStacks and ListStacks 100 at a time and filters ListStacks by status", async () => {
    const h = harness();
    for (let i = 0; i < 205; i++) await h.call("CreateStack", { StackName: `s${i}`, TemplateBody: "Resources:\n  T:\n    Type: AWS::SNS::Topic\n" });
    await h.call("DeleteStack", { StackName: "s0" });

    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await h.call("ListStacks", { NextToken: token });
      expect(page.StackSummaries.length).toBeLessThanOrEqual(100);
      names.push(...page.StackSummaries.map((s: { StackName: string }) => s.StackName));
      token = page.NextToken;
    } while (token);
    expect(names).toHaveLength(205);

    const deleted = await h.call("ListStacks", { StackStatusFilter: ["DELETE_COMPLETE"] });
    expect(deleted.StackSummaries).toMatchObject([{ StackName: "s0", StackStatus: "DELETE_COMPLETE", DeletionTime: expect.any(Date) }]);

    const first = await h.call("DescribeStacks", {});
    expect(first.Stacks).toHaveLength(100);
    const third = await h.call("DescribeStacks", { NextToken: (await h.call("DescribeStacks", { NextToken: first.NextToken })).NextToken });
    expect(third.Stacks).toHaveLength(4);
    expect(third.NextToken).toBeUndefined();
    expect(await rejection(h.call("ListStacks", { NextToken: "garbage" }))).toMatchObject({ code: "ValidationError" });
  });

  it("deletes a stack's resources from the World; a deleted stack is found only by id", async () => {
    const h = harness();
    const ids = await createStack(h, "web", TEMPLATE);
    const [{ StackId }] = (await h.call("DescribeStacks", { StackName: "web" })).Stacks;
    await h.call("DeleteStack", { StackName: "web" });
    expect(h.world.buckets.has(ids.Logs)).toBe(false);
    expect(account(h.world).roles.has(ids.Role)).toBe(false);
    expect(region(h.world).securityGroups.has(ids.Sg)).toBe(false);
    expect(await rejection(h.call("DescribeStacks", { StackName: "web" }))).toMatchObject({ message: "Stack with id web does not exist" });
    expect((await h.call("DescribeStacks", { StackName: StackId })).Stacks[0].StackStatus).toBe("DELETE_COMPLETE");
    await h.call("DeleteStack", { StackName: "never-existed" });
  });
});
