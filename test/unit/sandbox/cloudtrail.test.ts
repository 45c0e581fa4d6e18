import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { AttachRolePolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/server.js";
import type { CloudTrailBridgeEvent } from "../../../sandbox/services/cloudtrail-record.js";
import { clientConfig, failure, startTestSandbox, WORKLOAD } from "./helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.close());

describe("cloudtrail", () => {
  it("records mutating calls with CloudTrail's requestParameters conventions and emits EventBridge events", async () => {
    const events: CloudTrailBridgeEvent[] = [];
    const stop = sandbox.onEvent((e) => events.push(e));
    const ec2 = new EC2Client(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "trail", Description: "trail" }));
    await ec2.send(new DescribeSecurityGroupsCommand({}));
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    await new Promise((r) => setImmediate(r));
    stop();

    expect(events.map((e) => e.detail.eventName)).toEqual(["CreateSecurityGroup", "AuthorizeSecurityGroupIngress"]);
    const authorize = events[1]!;
    expect(authorize).toMatchObject({ "detail-type": "AWS API Call via CloudTrail", source: "aws.ec2", account: WORKLOAD, region: "us-east-1" });
    expect(authorize.detail).toMatchObject({
      eventSource: "ec2.amazonaws.com",
      userIdentity: { type: "Root", arn: `arn:aws:iam::${WORKLOAD}:root`, accountId: WORKLOAD },
      requestParameters: {
        groupId: GroupId,
        ipPermissions: { items: [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } }] },
      },
    });

    const trail = new CloudTrailClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const found = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: GroupId }] }));
    expect(found.Events!.map((e) => e.EventName)).toEqual(["AuthorizeSecurityGroupIngress", "CreateSecurityGroup"]);
    expect(found.Events![0]!.EventTime).toBeInstanceOf(Date);
    expect(JSON.parse(found.Events![0]!.CloudTrailEvent!).eventID).toBe(authorize.detail.eventID);
  });

  it("files IAM events under us-east-1 with the session identity of the caller", async () => {
    const iam = new IAMClient(clientConfig(sandbox, sandbox.hubCredentials, "eu-west-1"));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "driftguard-scanner", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    const trail = new CloudTrailClient(clientConfig(sandbox, sandbox.hubCredentials, "us-east-1"));
    const found = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "AttachRolePolicy" }] }));
    const record = JSON.parse(found.Events![0]!.CloudTrailEvent!);
    expect(record).toMatchObject({
      awsRegion: "us-east-1",
      requestParameters: { roleName: "driftguard-scanner", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      responseElements: null,
      userIdentity: { type: "AssumedRole", sessionContext: { sessionIssuer: { type: "Role", userName: "driftguard-scanner" } } },
    });
    expect(found.Events![0]!.Username).toBe("sandbox");
  });

  it("validates lookup attributes and time ranges", async () => {
    const trail = new CloudTrailClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const two = [
      { AttributeKey: "EventName" as const, AttributeValue: "a" },
      { AttributeKey: "Username" as const, AttributeValue: "b" },
    ];
    expect((await failure(trail.send(new LookupEventsCommand({ LookupAttributes: two })))).name).toBe("InvalidLookupAttributesException");
    const future = await trail.send(new LookupEventsCommand({ StartTime: new Date(Date.now() + 3_600_000) }));
    expect(future.Events).toEqual([]);
  });
});
