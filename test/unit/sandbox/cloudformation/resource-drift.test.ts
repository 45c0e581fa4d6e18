import { describe, expect, it } from "vitest";
import type { World } from "../../../../sandbox/emulator/state.js";
import { account, createStack, harness, region } from "./fixture.js";

const TEMPLATE = `
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
      Policies:
        - PolicyName: read-data
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::data/*
      Tags:
        - Key: team
          Value: core
  WebSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0
  DataBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
      Tags:
        - Key: team
          Value: core
  Queue:
    Type: AWS::SQS::Queue
`;

type Case = {
  name: string;
  logicalId: string;
  mutate: (world: World, physicalId: string) => void;
  status: string;
  differences?: { PropertyPath: string; ExpectedValue: string; ActualValue: string; DifferenceType: string }[];
};

const CASES: Case[] = [
  {
    name: "managed policy attached out of band",
    logicalId: "AppRole",
    mutate: (world, name) => account(world).roles.get(name)!.managedPolicyArns.push("arn:aws:iam::aws:policy/AdministratorAccess"),
    status: "MODIFIED",
    differences: [
      { PropertyPath: "/ManagedPolicyArns/1", ExpectedValue: "null", ActualValue: "arn:aws:iam::aws:policy/AdministratorAccess", DifferenceType: "ADD" },
    ],
  },
  {
    name: "managed policy detached out of band",
    logicalId: "AppRole",
    mutate: (world, name) => {
      account(world).roles.get(name)!.managedPolicyArns = [];
    },
    status: "MODIFIED",
    differences: [
      { PropertyPath: "/ManagedPolicyArns/0", ExpectedValue: "arn:aws:iam::aws:policy/ReadOnlyAccess", ActualValue: "null", DifferenceType: "REMOVE" },
    ],
  },
  {
    name: "inline policy widened",
    logicalId: "AppRole",
    mutate: (world, name) => {
      account(world).roles.get(name)!.inlinePolicies["read-data"] = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::data/*" }],
      };
    },
    status: "MODIFIED",
    differences: [
      { PropertyPath: "/Policies/0/PolicyDocument/Statement/0/Action/0", ExpectedValue: "s3:GetObject", ActualValue: "null", DifferenceType: "REMOVE" },
      { PropertyPath: "/Policies/0/PolicyDocument/Statement/0/Action/0", ExpectedValue: "null", ActualValue: "s3:*", DifferenceType: "ADD" },
    ],
  },
  {
    name: "inline policy rewritten as an equivalent document (list forms)",
    logicalId: "AppRole",
    mutate: (world, name) => {
      account(world).roles.get(name)!.inlinePolicies["read-data"] = {
        Version: "2012-10-17",
        Statement: { Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::data/*"] },
      };
    },
    status: "IN_SYNC",
    differences: [],
  },
  {
    name: "role tag added out of band is not drift",
    logicalId: "AppRole",
    mutate: (world, name) => {
      account(world).roles.get(name)!.tags.owner = "alice";
    },
    status: "IN_SYNC",
    differences: [],
  },
  {
    name: "SSH opened to the world",
    logicalId: "WebSg",
    mutate: (world, id) => region(world).securityGroups.get(id)!.ingress.push({ ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }),
    status: "MODIFIED",
    differences: [
      {
        PropertyPath: "/SecurityGroupIngress/1",
        ExpectedValue: "null",
        ActualValue: JSON.stringify({ IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "0.0.0.0/0" }),
        DifferenceType: "ADD",
      },
    ],
  },
  {
    name: "bucket encryption removed",
    logicalId: "DataBucket",
    mutate: (world, name) => {
      world.buckets.get(name)!.encryption = undefined;
    },
    status: "MODIFIED",
    differences: [
      {
        PropertyPath: "/BucketEncryption",
        ExpectedValue: JSON.stringify({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }] }),
        ActualValue: "null",
        DifferenceType: "REMOVE",
      },
    ],
  },
  {
    name: "bucket tag added out of band is not drift",
    logicalId: "DataBucket",
    mutate: (world, name) => {
      world.buckets.get(name)!.tags["cost-center"] = "42";
    },
    status: "IN_SYNC",
    differences: [],
  },
  {
    name: "bucket tag value changed",
    logicalId: "DataBucket",
    mutate: (world, name) => {
      world.buckets.get(name)!.tags.team = "someone-else";
    },
    status: "MODIFIED",
    differences: [{ PropertyPath: "/Tags/0/Value", ExpectedValue: "core", ActualValue: "someone-else", DifferenceType: "NOT_EQUAL" }],
  },
  {
    name: "bucket deleted",
    logicalId: "DataBucket",
    mutate: (world, name) => {
      world.buckets.delete(name);
    },
    status: "DELETED",
  },
  {
    name: "security group deleted",
    logicalId: "WebSg",
    mutate: (world, id) => {
      region(world).securityGroups.delete(id);
    },
    status: "DELETED",
  },
  {
    name: "unsupported type",
    logicalId: "Queue",
    mutate: () => undefined,
    status: "NOT_CHECKED",
  },
];

describe("DetectStackResourceDrift against the live World", () => {
  it.each(CASES)("$name → $status", async ({ logicalId, mutate, status, differences }) => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    mutate(h.world, ids[logicalId]);
    const { StackResourceDrift: drift } = await h.call("DetectStackResourceDrift", { StackName: "app", LogicalResourceId: logicalId });
    expect(drift.StackResourceDriftStatus).toBe(status);
    expect(drift.PhysicalResourceId).toBe(ids[logicalId]);
    expect(drift.PropertyDifferences).toEqual(differences);
    if (status === "DELETED" || status === "NOT_CHECKED") {
      expect(drift.ExpectedProperties).toBeUndefined();
      expect(drift.ActualProperties).toBeUndefined();
    }
  });

  it("reports expected and actual properties as JSON restricted to the template's properties", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    account(h.world).roles.get(ids.AppRole)!.tags.owner = "alice";
    const { StackResourceDrift: drift } = await h.call("DetectStackResourceDrift", { StackName: "app", LogicalResourceId: "AppRole" });
    const expected = JSON.parse(drift.ExpectedProperties);
    const actual = JSON.parse(drift.ActualProperties);
    expect(Object.keys(actual).sort()).toEqual(["AssumeRolePolicyDocument", "ManagedPolicyArns", "Policies", "Tags"]);
    expect(Object.keys(expected).sort()).toEqual(Object.keys(actual).sort());
    expect(actual.Tags).toEqual([{ Key: "team", Value: "core" }]);
  });

  it("does not compare the default egress rule the template never declared", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    const group = region(h.world).securityGroups.get(ids.WebSg)!;
    expect(group.egress).toEqual([{ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", ruleId: expect.stringMatching(/^sgr-[0-9a-f]{17}$/) }]);
    group.egress = [];
    const { StackResourceDrift: drift } = await h.call("DetectStackResourceDrift", { StackName: "app", LogicalResourceId: "WebSg" });
    expect(drift.StackResourceDriftStatus).toBe("IN_SYNC");
  });
});
