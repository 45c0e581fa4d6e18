import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeChangeSetCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  DetectStackResourceDriftCommand,
  ExecuteChangeSetCommand,
} from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudFormationService } from "../../../../sandbox/emulator/services/cloudformation/service.js";
import { Dispatcher } from "../../../../sandbox/emulator/protocol/dispatcher.js";
import { createRequestHandler } from "../../../../sandbox/emulator/protocol/http-handler.js";
import { ACCOUNT, EC2_READ_ONLY_ROLE, HTTPS_GROUP, REGION, makeWorld, region, seeded } from "./fixture.js";

const TEMPLATE = `
Resources:
  Web:${HTTPS_GROUP}
  Role:${EC2_READ_ONLY_ROLE}
`;

/** The real SDK client, over HTTP, through the sandbox's SigV4 + query codec, to these handlers. */
describe("CloudFormation through @aws-sdk/client-cloudformation", () => {
  const world = makeWorld();
  world.credentials.set("AKIASANDBOXTEST00001", {
    accessKeyId: "AKIASANDBOXTEST00001",
    secretAccessKey: "sandbox-secret",
    accountId: ACCOUNT,
    arn: `arn:aws:iam::${ACCOUNT}:root`,
  });
  const dispatcher = new Dispatcher(world, { latency: { apiMs: 0, detectionMs: [20, 60] }, now: () => Date.now(), random: seeded(3) }, [
    cloudFormationService,
  ]);
  let server: Server;
  let cfn: CloudFormationClient;

  beforeAll(async () => {
    let n = 0;
    server = createServer(createRequestHandler(dispatcher, () => `req-${++n}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cfn = new CloudFormationClient({
      region: REGION,
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: "AKIASANDBOXTEST00001", secretAccessKey: "sandbox-secret" },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    cfn.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("creates a stack, detects drift, and reverts it with a REVERT_DRIFT change set", async () => {
    const { StackId } = await cfn.send(new CreateStackCommand({ StackName: "web", TemplateBody: TEMPLATE, Capabilities: ["CAPABILITY_IAM"] }));
    const [stack] = (await cfn.send(new DescribeStacksCommand({ StackName: "web" }))).Stacks!;
    expect(stack).toMatchObject({ StackId, StackStatus: "CREATE_COMPLETE", DriftInformation: { StackDriftStatus: "NOT_CHECKED" } });
    expect(stack.CreationTime).toBeInstanceOf(Date);

    const group = [...region(world).securityGroups.values()][0];
    group.ingress.push({ ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" });

    const { StackDriftDetectionId } = await cfn.send(new DetectStackDriftCommand({ StackName: "web" }));
    let status = await cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId }));
    while (status.DetectionStatus === "DETECTION_IN_PROGRESS") {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId }));
    }
    expect(status).toMatchObject({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "DRIFTED", DriftedStackResourceCount: 1 });

    const { StackResourceDrifts } = await cfn.send(
      new DescribeStackResourceDriftsCommand({ StackName: "web", StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"] }),
    );
    expect(StackResourceDrifts).toHaveLength(1);
    expect(StackResourceDrifts![0]).toMatchObject({
      LogicalResourceId: "Web",
      PhysicalResourceId: group.groupId,
      StackResourceDriftStatus: "MODIFIED",
      PropertyDifferences: [{ PropertyPath: "/SecurityGroupIngress/1", DifferenceType: "ADD", ExpectedValue: "null" }],
    });
    expect(StackResourceDrifts![0].Timestamp).toBeInstanceOf(Date);
    expect(JSON.parse(StackResourceDrifts![0].ActualProperties!).SecurityGroupIngress).toHaveLength(2);

    const { Id } = await cfn.send(
      new CreateChangeSetCommand({
        StackName: "web",
        ChangeSetName: "revert",
        ChangeSetType: "UPDATE",
        UsePreviousTemplate: true,
        DeploymentMode: "REVERT_DRIFT",
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
    const described = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: Id, IncludePropertyValues: true }));
    expect(described).toMatchObject({ Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE", DeploymentMode: "REVERT_DRIFT" });
    expect(described.Changes![0].ResourceChange).toMatchObject({
      Action: "Modify",
      Replacement: "False",
      ResourceDriftStatus: "MODIFIED",
      Scope: ["Properties"],
      Details: [{ Target: { Name: "SecurityGroupIngress", AttributeChangeType: "Remove", BeforeValueFrom: "ACTUAL_STATE" } }],
    });

    await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: Id }));
    expect((await cfn.send(new DescribeStacksCommand({ StackName: "web" }))).Stacks![0].StackStatus).toBe("UPDATE_COMPLETE");
    const { StackResourceDrift } = await cfn.send(new DetectStackResourceDriftCommand({ StackName: "web", LogicalResourceId: "Web" }));
    expect(StackResourceDrift).toMatchObject({ StackResourceDriftStatus: "IN_SYNC", PropertyDifferences: [] });
  });

  it("returns CloudFormation's error envelope", async () => {
    const error = await cfn.send(new DescribeStacksCommand({ StackName: "missing" })).catch((e: Error) => e);
    expect(error).toMatchObject({ name: "ValidationError", message: "Stack with id missing does not exist", $metadata: { httpStatusCode: 400 } });
  });
});
