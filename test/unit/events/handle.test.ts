import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  DetectStackResourceDriftCommand,
  GetTemplateCommand,
  type StackResource,
} from "@aws-sdk/client-cloudformation";
import { CreateTagsCommand, DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Config } from "../../../functions/config/schema.js";
import { STACK_OPERATION_NAMES } from "../../../functions/config/events.js";
import { handleChangeEvent } from "../../../functions/events/handle.js";
import { cachedMembership, MEMBERSHIP_TTL_MS } from "../../../functions/events/membership.js";
import { OwnershipCache } from "../../../functions/remediation/ownership/cache.js";
import { keptResourceTypes } from "../../../functions/scanner/stack-listings.js";
import type { OrganizationMembership } from "../../../functions/remediation/index.js";
import { RecentIds } from "../../../functions/events/recent-ids.js";
import type { EventDelivery } from "../../../functions/events/publish.js";
import type { EventActionReport, EventDeps } from "../../../functions/events/types.js";
import { memoryFlappingStore } from "../../support/flapping.js";
import { createGuards, type RemediationGuards } from "../../../functions/remediation/guards.js";
import { assumedRoleIdentity, awsError, clientsIn, fakeLogger, fakeMetrics, fixture, SPOKE, PAYMENTS_SPOKE } from "./helpers.js";
import { testConfig } from "../../support/config.js";
import { stackResourceDrift } from "../../support/drift.js";

const cfn = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  cfn.reset();
  ec2.reset();
});

const SG = "sg-0a1b2c3d4e5f60718";
const ROLE = "payments-api-AppRole-1ABCDEF2GHIJ";
const STACK_ID = "arn:aws:cloudformation:eu-central-1:111122223333:stack/payments-api/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab";

function stackResource(physicalId: string, resourceType: string, logicalId: string): StackResource {
  return { StackName: "payments-api", StackId: STACK_ID, LogicalResourceId: logicalId, PhysicalResourceId: physicalId, ResourceType: resourceType, ResourceStatus: "UPDATE_COMPLETE", Timestamp: new Date() };
}

function manage(physicalId: string, resourceType: string, logicalId: string) {
  cfn.on(DescribeStackResourcesCommand, { PhysicalResourceId: physicalId }).resolves({
    StackResources: [stackResource("payments-api-Bucket-1X2Y", "AWS::S3::Bucket", "Bucket"), stackResource(physicalId, resourceType, logicalId)],
  });
  cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({
    Stacks: [{ StackName: "payments-api", StackId: STACK_ID, StackStatus: "UPDATE_COMPLETE", CreationTime: new Date(), Tags: [{ Key: "team", Value: "payments" }] }],
  });
}

function unmanaged() {
  cfn.on(DescribeStackResourcesCommand).callsFake(async (input: { PhysicalResourceId: string }) => {
    throw awsError("ValidationError", `Stack for ${input.PhysicalResourceId} does not exist`);
  });
  // No stack in the account-region, so no attachment owns anything (the ownership read).
  cfn.on(DescribeStacksCommand, {}).resolves({ Stacks: [] });
}

/** What the event changed, per type: SSH opened to the world on the group, a policy attached to the role. */
const HTTPS = { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "10.0.0.0/16" };
const BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const LIVE_CHANGE: Record<string, { expected: Record<string, unknown>; actual: Record<string, unknown> }> = {
  "AWS::EC2::SecurityGroup": {
    expected: { GroupDescription: "app", SecurityGroupIngress: [HTTPS] },
    actual: { GroupDescription: "app", SecurityGroupIngress: [HTTPS, { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "0.0.0.0/0" }] },
  },
  "AWS::IAM::Role": { expected: { ManagedPolicyArns: [BASIC] }, actual: { ManagedPolicyArns: [BASIC, "arn:aws:iam::aws:policy/AdministratorAccess"] } },
};

const modified = (logicalId: string, physicalId: string, resourceType: string) => ({
  StackResourceDrift: stackResourceDrift({
    stackId: STACK_ID,
    logicalResourceId: logicalId,
    physicalResourceId: physicalId,
    resourceType,
    ...LIVE_CHANGE[resourceType]!,
    timestamp: new Date("2025-03-14T09:01:19Z"),
  }),
});

/** The organization as Organizations lists it (the walk): the hub and the spoke. */
const MEMBERS = { accountIds: new Set(["999988887777", SPOKE]) };

function setup(config: Config = testConfig(PAYMENTS_SPOKE), placementOf: EventDeps["placementOf"] = async () => undefined, overrides: Partial<EventDeps> = {}) {
  const { logger, calls } = fakeLogger();
  const { metrics, emitted } = fakeMetrics();
  const published: EventActionReport[] = [];
  // Stands in for the engine: repairs, and tells the guards so, as the engine does.
  const remediateResource = vi.fn<EventDeps["remediateResource"]>(async (input) => {
    input.guards.recordRepair({ accountId: input.account.id, region: input.region, stackName: input.stack.stackName, logicalResourceId: input.drift.logicalResourceId }, input.now);
    return {
      ...input.drift,
      exemption: { kind: "none" },
      action: { outcome: "remediated", reason: "revoked tcp 22 from 0.0.0.0/0", steps: ["RevokeSecurityGroupIngress"], by: "AWS::EC2::SecurityGroup" },
    };
  });
  const flapping = memoryFlappingStore();
  const openGuards = vi.fn(
    (): Promise<RemediationGuards> => createGuards({ runId: "unused", counting: "event", limits: config.defaults.remediation, store: flapping }),
  );
  const clientsFor = vi.fn(async (account: string, region: string) => {
    expect(account).toBe(SPOKE);
    return clientsIn(region);
  });
  const deps: EventDeps = {
    config,
    placementOf: vi.fn(placementOf),
    clientsFor,
    remediateResource,
    openGuards,
    publish: vi.fn(async (report: EventActionReport): Promise<EventDelivery> => {
      published.push(report);
      return { record: { ok: true, key: "events/x.json" }, notification: { ok: true, sent: true } };
    }),
    recent: new RecentIds(),
    logger,
    metrics,
    now: () => new Date("2025-03-14T09:01:21.500Z"),
    membership: vi.fn(async () => MEMBERS),
    ...overrides,
  };
  return { deps, published, remediateResource, openGuards, flapping, clientsFor, logs: calls, emitted };
}

describe("handleChangeEvent on a stack-managed resource", () => {
  it("detects drift on just that resource and hands it to the engine within the invocation", async () => {
    manage(SG, "AWS::EC2::SecurityGroup", "AppSecurityGroup");
    cfn.on(DetectStackResourceDriftCommand, { StackName: "payments-api", LogicalResourceId: "AppSecurityGroup" }).resolves(modified("AppSecurityGroup", SG, "AWS::EC2::SecurityGroup"));
    const t = setup();
    const event = fixture("AuthorizeSecurityGroupIngress");

    const outcome = await handleChangeEvent(event, t.deps);

    expect(outcome.status).toBe("handled");
    expect(t.remediateResource).toHaveBeenCalledTimes(1);
    const input = t.remediateResource.mock.calls[0]?.[0];
    expect(input).toMatchObject({
      runId: event.detail.eventID,
      account: { id: SPOKE, mode: "remediate" },
      region: "eu-west-1",
      stack: { stackName: "payments-api", stackId: STACK_ID, tags: { team: "payments" } },
      drift: { logicalResourceId: "AppSecurityGroup", physicalResourceId: SG, status: "MODIFIED" },
      exemptions: { tagKey: "driftguard:exempt", maxDays: 90 },
    });
    expect(input?.clients.region).toBe("eu-west-1");

    expect(t.published).toHaveLength(1);
    const report = t.published[0];
    expect(report).toMatchObject({
      eventId: event.id,
      changeId: event.detail.eventID,
      account: SPOKE,
      accountName: "payments-prod",
      region: "eu-west-1",
      eventName: "AuthorizeSecurityGroupIngress",
      actor: { arn: event.detail.userIdentity.arn, type: "AssumedRole", sourceIp: "203.0.113.25", eventName: "AuthorizeSecurityGroupIngress", source: "event" },
      latencyMs: 4500,
      handlingMs: 0,
    });
    expect(report?.results).toEqual([
      expect.objectContaining({
        resource: expect.objectContaining({ physicalId: SG }),
        stack: { stackName: "payments-api", stackId: STACK_ID },
        logicalId: "AppSecurityGroup",
        driftStatus: "MODIFIED",
        differences: [expect.objectContaining({ propertyPath: "/SecurityGroupIngress/1", differenceType: "ADD" })],
        exemption: { kind: "none" },
        action: expect.objectContaining({ outcome: "remediated" }),
        finding: true,
      }),
    ]);
    expect(t.emitted).toContainEqual({ name: "EventLatency", value: 4500, dimensions: {} });
    // The repair counts towards flapping like a scheduled run's would.
    expect(t.openGuards).toHaveBeenCalledTimes(1);
    expect(Object.keys(t.flapping.current().entries)).toEqual([`${SPOKE}/eu-west-1/payments-api/AppSecurityGroup`]);
  });

  it("counts a contested resource once, as Contested (the metric the scan and the alarm use), and logs who changed it", async () => {
    manage(SG, "AWS::EC2::SecurityGroup", "AppSecurityGroup");
    cfn.on(DetectStackResourceDriftCommand).resolves(modified("AppSecurityGroup", SG, "AWS::EC2::SecurityGroup"));
    const t = setup();
    const contested = { scans: 3, lastRepairedAt: "2025-03-14T06:00:00Z", changedBy: ["arn:aws:sts::111122223333:assumed-role/Admin/mallory"] };
    t.remediateResource.mockImplementationOnce(async (input) => ({
      ...input.drift,
      exemption: { kind: "none" },
      action: { outcome: "remediated", reason: "revoked tcp 22 from 0.0.0.0/0", steps: ["RevokeSecurityGroupIngress"], contested },
    }));
    await handleChangeEvent(fixture("AuthorizeSecurityGroupIngress"), t.deps);
    expect(t.emitted.filter((m) => /contested/i.test(m.name))).toEqual([{ name: "Contested", value: 1, dimensions: {} }]);
    expect(t.logs.error).toHaveBeenCalledWith("contested resource changed again", expect.objectContaining({ contested }));
  });

  it("reports a resource already in sync without calling the engine", async () => {
    manage(SG, "AWS::EC2::SecurityGroup", "AppSecurityGroup");
    const inSync = modified("AppSecurityGroup", SG, "AWS::EC2::SecurityGroup");
    cfn.on(DetectStackResourceDriftCommand).resolves({ StackResourceDrift: { ...inSync.StackResourceDrift, StackResourceDriftStatus: "IN_SYNC", PropertyDifferences: [] } });
    const t = setup();
    const outcome = await handleChangeEvent(fixture("RevokeSecurityGroupIngress"), t.deps);
    expect(outcome).toMatchObject({ status: "handled", report: { results: [{ finding: false, driftStatus: "IN_SYNC", action: { outcome: "skipped" } }] } });
    expect(t.remediateResource).not.toHaveBeenCalled();
  });

  it("finds the stack of an IAM role in whichever onboarded region holds it", async () => {
    cfn.on(DescribeStackResourcesCommand).callsFake(async (input: { PhysicalResourceId: string }, getClient) => {
      const region = await getClient().config.region();
      if (region !== "eu-central-1") throw awsError("ValidationError", `Stack for ${input.PhysicalResourceId} does not exist`);
      return { StackResources: [stackResource(ROLE, "AWS::IAM::Role", "AppRole")] };
    });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: "payments-api", StackId: STACK_ID, StackStatus: "CREATE_COMPLETE", CreationTime: new Date() }] });
    cfn.on(DetectStackResourceDriftCommand).resolves(modified("AppRole", ROLE, "AWS::IAM::Role"));
    const t = setup();

    const outcome = await handleChangeEvent(fixture("AttachRolePolicy"), t.deps);

    expect(t.clientsFor.mock.calls.map((c) => c[1])).toEqual(["eu-west-1", "eu-central-1"]);
    expect(t.remediateResource.mock.calls[0]?.[0]).toMatchObject({ region: "eu-central-1", drift: { logicalResourceId: "AppRole" } });
    expect(outcome).toMatchObject({ status: "handled", report: { region: "us-east-1", results: [{ region: "eu-central-1" }] } });
  });

  it("leaves stacks the account's filter excludes to their owners", async () => {
    manage(SG, "AWS::EC2::SecurityGroup", "AppSecurityGroup");
    const t = setup(testConfig(PAYMENTS_SPOKE, { defaults: { regions: ["eu-west-1"], stacks: { exclude: ["payments-*"] } } }));
    const outcome = await handleChangeEvent(fixture("AuthorizeSecurityGroupIngress"), t.deps);
    expect(outcome).toMatchObject({ report: { results: [{ finding: false, action: { outcome: "skipped", reason: 'stack payments-api is excluded by stacks.exclude glob "payments-*"' } }] } });
    expect(cfn.commandCalls(DetectStackResourceDriftCommand)).toHaveLength(0);
    expect(t.remediateResource).not.toHaveBeenCalled();
  });

  it("records a failed detection as a failed action and still publishes", async () => {
    manage(SG, "AWS::EC2::SecurityGroup", "AppSecurityGroup");
    cfn.on(DetectStackResourceDriftCommand).rejects(awsError("ValidationError", "Stack payments-api is in UPDATE_IN_PROGRESS state"));
    const t = setup();
    const outcome = await handleChangeEvent(fixture("AuthorizeSecurityGroupIngress"), t.deps);
    expect(outcome).toMatchObject({ status: "handled", report: { results: [{ finding: true, action: { outcome: "failed", reason: "ValidationError: Stack payments-api is in UPDATE_IN_PROGRESS state" } }] } });
    expect(t.published).toHaveLength(1);
  });
});

describe("handleChangeEvent on unmanaged resources", () => {
  it("applies the open-ingress guardrail", async () => {
    unmanaged();
    const ssh = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
    ec2.on(DescribeSecurityGroupsCommand).resolvesOnce({ SecurityGroups: [{ GroupId: SG, IpPermissions: [ssh] }] }).resolves({ SecurityGroups: [{ GroupId: SG, IpPermissions: [] }] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const t = setup();
    const outcome = await handleChangeEvent(fixture("AuthorizeSecurityGroupIngress"), t.deps);
    expect(outcome).toMatchObject({ status: "handled", report: { results: [{ finding: true, action: { outcome: "remediated", by: "guardrail:open-ingress" } }] } });
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(1);
    expect(t.remediateResource).not.toHaveBeenCalled();
    // A guardrail's repair passes the same flapping and blast-radius guards as any repair.
    expect(t.openGuards).toHaveBeenCalledTimes(1);
  });

  it("uses mode rules without a stack glob for unmanaged resources", async () => {
    unmanaged();
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: SG, IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }] });
    const t = setup(testConfig(PAYMENTS_SPOKE, { defaults: { regions: ["eu-west-1"], mode: "remediate", modeRules: [{ resourceTypes: ["AWS::EC2::SecurityGroup"], mode: "report" }] } }));
    const outcome = await handleChangeEvent(fixture("AuthorizeSecurityGroupIngress"), t.deps);
    expect(outcome).toMatchObject({ report: { results: [{ action: { outcome: "planned" } }] } });
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it("tags each instance of a launch", async () => {
    unmanaged();
    ec2.on(DescribeInstancesCommand).callsFake(async (input: { InstanceIds: string[] }) => {
      const id = input.InstanceIds[0];
      const tagged = ec2.commandCalls(CreateTagsCommand).some((c) => c.args[0].input.Resources?.includes(id as string));
      return { Reservations: [{ Instances: [{ InstanceId: id, State: { Name: "pending" }, Tags: tagged ? [{ Key: "owner", Value: "x" }] : [] }] }] };
    });
    ec2.on(CreateTagsCommand).resolves({});
    const t = setup();
    const outcome = await handleChangeEvent(fixture("RunInstances"), t.deps);
    expect(outcome.status === "handled" && outcome.report.results.map((r) => [r.resource.physicalId, r.action.outcome])).toEqual([
      ["i-0d1c2b3a4f5e60718", "remediated"],
      ["i-0a9b8c7d6e5f40312", "remediated"],
    ]);
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input.Tags)).toEqual([
      [{ Key: "owner", Value: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com" }],
      [{ Key: "owner", Value: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com" }],
    ]);
  });

  it("notes an unmanaged resource no guardrail covers, as no finding", async () => {
    unmanaged();
    const t = setup();
    const outcome = await handleChangeEvent(fixture("TagRole"), t.deps);
    expect(outcome).toMatchObject({ status: "handled", report: { results: [{ finding: false, action: { outcome: "skipped", reason: "not managed by any CloudFormation stack and no guardrail applies" } }] } });
    // Both onboarded regions were asked before concluding the role is unmanaged.
    expect(cfn.commandCalls(DescribeStackResourcesCommand)).toHaveLength(2);
  });
});

describe("handleChangeEvent robustness", () => {
  it("handles a redelivery once, even under a new EventBridge id", async () => {
    manage(SG, "AWS::EC2::SecurityGroup", "AppSecurityGroup");
    cfn.on(DetectStackResourceDriftCommand).resolves(modified("AppSecurityGroup", SG, "AWS::EC2::SecurityGroup"));
    const t = setup();
    const event = fixture("AuthorizeSecurityGroupIngress");
    expect((await handleChangeEvent(event, t.deps)).status).toBe("handled");
    expect(await handleChangeEvent(event, t.deps)).toMatchObject({ status: "dropped", reason: "duplicate" });
    expect(await handleChangeEvent({ ...event, id: "another-delivery" }, t.deps)).toMatchObject({ status: "dropped", reason: "duplicate" });
    expect(t.remediateResource).toHaveBeenCalledTimes(1);
    expect(t.published).toHaveLength(1);
    expect(t.emitted.filter((m) => m.name === "DroppedEvents")).toEqual([
      { name: "DroppedEvents", value: 1, dimensions: { reason: "duplicate" } },
      { name: "DroppedEvents", value: 1, dimensions: { reason: "duplicate" } },
    ]);
  });

  const dropped: [string, string, unknown][] = [
    ["malformed", "warn", { hello: "world" }],
    ["malformed", "warn", "not even an object"],
    ["not-cloudtrail", "warn", { ...fixture("CreateVpc"), "detail-type": "Scheduled Event" }],
    ["failed-call", "info", { ...fixture("CreateVpc"), detail: { ...fixture("CreateVpc").detail, errorCode: "VpcLimitExceeded" } }],
    ["own-role", "info", { ...fixture("CreateVpc"), detail: { ...fixture("CreateVpc").detail, userIdentity: assumedRoleIdentity("arn:aws:iam::111122223333:role/driftguard-spoke", "s") } }],
    ["account-not-onboarded", "info", { ...fixture("CreateVpc"), account: "444455556666", detail: { ...fixture("CreateVpc").detail, recipientAccountId: "444455556666" } }],
    ["no-resource", "info", { ...fixture("CreateTags"), detail: { ...fixture("CreateTags").detail, requestParameters: { resourcesSet: { items: [{ resourceId: "ami-0abc" }] } } } }],
  ];
  it.each(dropped)("drops %s events with a log line (%s) and a metric, without throwing", async (reason, level, event) => {
    const t = setup();
    expect(await handleChangeEvent(event, t.deps)).toMatchObject({ status: "dropped", reason });
    expect(t.emitted).toEqual([{ name: "DroppedEvents", value: 1, dimensions: { reason } }]);
    expect(t.logs[level as "info" | "warn"]).toHaveBeenCalledWith("event dropped", expect.objectContaining({ reason }));
    expect(t.published).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  // Issue 17: accounts onboarded only through their OU are admitted with the OU's settings, as the scan scans them.
  describe("with accounts onboarded by organizational unit", () => {
    const OU = "ou-ab12-workload1";
    const byOu = testConfig(PAYMENTS_SPOKE, {
      spoke: { deployment: "stackset", stackSet: { administratorAccountId: "999988887777" } },
      accounts: [],
      organizationalUnits: [{ id: OU, mode: "report" }],
    });
    const member = { id: SPOKE, name: "newcomer", state: "ACTIVE", parents: [OU, "r-ab12"] };

    it("acts on an event from a member of an onboarded OU that accounts: does not list, with the OU's mode", async () => {
      const t = setup(byOu, async () => member);
      const outcome = await handleChangeEvent(fixture("CreateVpc"), t.deps);
      expect(outcome).toMatchObject({ status: "handled", report: { account: SPOKE, accountName: "newcomer" } });
      expect(t.deps.placementOf).toHaveBeenCalledWith(SPOKE);
    });

    it("drops, loudly, an event whose account's OU cannot be read: the OU decides the mode", async () => {
      const t = setup(byOu, async () => {
        throw awsError("TooManyRequestsException", "AWS Organizations can't complete your request because another request is already in progress.");
      });
      expect(await handleChangeEvent(fixture("CreateVpc"), t.deps)).toMatchObject({ status: "dropped", reason: "organization-unavailable" });
      expect(t.logs.warn).toHaveBeenCalledWith("event dropped", expect.objectContaining({ reason: "organization-unavailable", detail: expect.stringContaining("TooManyRequestsException") }));
      expect(t.published).toHaveLength(0);
    });

    it("asks Organizations nothing for an event it drops anyway", async () => {
      const t = setup(byOu, async () => member);
      const own = { ...fixture("CreateVpc"), detail: { ...fixture("CreateVpc").detail, userIdentity: assumedRoleIdentity("arn:aws:iam::111122223333:role/driftguard-spoke", "s") } };
      expect(await handleChangeEvent(own, t.deps)).toMatchObject({ status: "dropped", reason: "own-role" });
      expect(t.deps.placementOf).not.toHaveBeenCalled();
    });

    it("never asks when accounts.yaml onboards no OU", async () => {
      const t = setup(testConfig(PAYMENTS_SPOKE), async () => member);
      expect(await handleChangeEvent(fixture("CreateVpc"), t.deps)).toMatchObject({ status: "handled" });
      expect(t.deps.placementOf).not.toHaveBeenCalled();
    });
  });

  it("reports a resource it cannot reach (role assumption denied) as failed", async () => {
    const t = setup();
    t.clientsFor.mockRejectedValueOnce(awsError("AccessDenied", "not authorized to perform sts:AssumeRole"));
    const outcome = await handleChangeEvent(fixture("CreateVpc"), t.deps);
    expect(outcome).toMatchObject({ status: "handled", report: { results: [{ finding: true, action: { outcome: "failed", reason: "AccessDenied: not authorized to perform sts:AssumeRole" } }] } });
    expect(t.published).toHaveLength(1);
  });

  it("still reports and publishes when the flapping record cannot be saved", async () => {
    manage(SG, "AWS::EC2::SecurityGroup", "AppSecurityGroup");
    cfn.on(DetectStackResourceDriftCommand).resolves(modified("AppSecurityGroup", SG, "AWS::EC2::SecurityGroup"));
    const t = setup();
    t.flapping.update = async () => {
      throw awsError("AccessDenied", "s3:PutObject state/flapping.json");
    };
    expect((await handleChangeEvent(fixture("AuthorizeSecurityGroupIngress"), t.deps)).status).toBe("handled");
    expect(t.logs.error).toHaveBeenCalledWith("flapping record not saved", { error: "AccessDenied: s3:PutObject state/flapping.json" });
    expect(t.published).toHaveLength(1);
  });

  it("turns a publishing failure into a dropped event, logged first, and lets a redelivery try again", async () => {
    unmanaged();
    const t = setup();
    const publish = t.deps.publish;
    t.deps.publish = vi.fn().mockRejectedValueOnce(awsError("AccessDenied", "s3:PutObject")).mockImplementation(publish);
    const event = fixture("TagRole");
    expect(await handleChangeEvent(event, t.deps)).toMatchObject({ status: "dropped", reason: "error", detail: "AccessDenied: s3:PutObject" });
    expect(t.logs.info).toHaveBeenCalledWith("event handled", { report: expect.objectContaining({ eventName: "TagRole" }) });
    expect(t.emitted).toContainEqual({ name: "DroppedEvents", value: 1, dimensions: { reason: "error" } });

    expect((await handleChangeEvent(event, t.deps)).status).toBe("handled");
    expect(t.published).toHaveLength(1);
  });
});

describe("the event path's attachment ownership", () => {
  const NETWORK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/network/11111111-2222-3333-4444-555555555555";
  const created = new Date("2025-01-02T03:04:05Z");
  const stacks = [
    { StackName: "payments-api", StackId: STACK_ID, StackStatus: "UPDATE_COMPLETE" as const, CreationTime: created },
    { StackName: "network", StackId: NETWORK_ID, StackStatus: "CREATE_COMPLETE" as const, CreationTime: created },
  ];
  /** What the last scan kept (scanner/stack-listings.ts): only the network stack holds an attachment type. */
  const listed = (types: string[]) => ({ version: created.toISOString(), listedAt: "2025-03-13T00:00:00.000Z", types });
  const store = () => ({
    load: vi.fn(async () => ({ version: 1, stacks: { [STACK_ID]: listed(["AWS::EC2::SecurityGroup"]), [NETWORK_ID]: listed(["AWS::EC2::SecurityGroupIngress"]) } })),
    save: vi.fn(async () => undefined),
    location: () => "memory",
  });

  function ownershipEvent(listingStore?: ReturnType<typeof store>) {
    manage(SG, "AWS::EC2::SecurityGroup", "AppSecurityGroup");
    // The ownership read lists the account-region's stacks (no StackName); the owning-stack read names it.
    cfn.on(DescribeStacksCommand).callsFake(async (input: { StackName?: string }) => ({ Stacks: input.StackName ? stacks.filter((s) => s.StackId === input.StackName) : stacks }));
    cfn.on(DetectStackResourceDriftCommand).resolves(modified("AppSecurityGroup", SG, "AWS::EC2::SecurityGroup"));
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify({ Resources: {} }) });
    const t = setup();
    if (listingStore) t.deps.listedResourceTypes = (accountId) => keptResourceTypes({ accountId, store: listingStore, now: () => t.deps.now().getTime(), log: t.deps.logger });
    // The engine asks who owns the group's rules, as the real one does before any repair.
    const engine = t.remediateResource.getMockImplementation()!;
    t.remediateResource.mockImplementation(async (input) => {
      await input.ownership.forResource(input.region, "AWS::EC2::SecurityGroup", SG);
      return engine(input);
    });
    return t;
  }

  it("reads the templates only of stacks the scan's listings say hold attachments, and never rewrites the listings", async () => {
    const listings = store();
    expect((await handleChangeEvent(fixture("AuthorizeSecurityGroupIngress"), ownershipEvent(listings).deps)).status).toBe("handled");
    expect(cfn.commandCalls(GetTemplateCommand).map((c) => c.args[0].input.StackName)).toEqual([NETWORK_ID]);
    expect(listings.load).toHaveBeenCalledWith(SPOKE);
    expect(listings.save).not.toHaveBeenCalled();
  });

  it("reads every stack's template without the listings", async () => {
    expect((await handleChangeEvent(fixture("AuthorizeSecurityGroupIngress"), ownershipEvent().deps)).status).toBe("handled");
    expect(cfn.commandCalls(GetTemplateCommand).map((c) => c.args[0].input.StackName).sort()).toEqual([NETWORK_ID, STACK_ID].sort());
  });
});

describe("handleChangeEvent on a stack operation", () => {
  const cache = () => {
    const c = new OwnershipCache(() => 0);
    const stack = { StackName: "payments-app", StackId: "arn:app", CreationTime: new Date(0), StackStatus: "CREATE_COMPLETE" as const };
    c.keep(SPOKE, "eu-west-1", stack, []);
    c.keep(SPOKE, "eu-central-1", stack, []);
    return { c, kept: (region: string) => c.reuse(SPOKE, region, stack) !== undefined };
  };

  it.each(STACK_OPERATION_NAMES)("%s drops the ownership cache of its account-region, and nothing else", async (eventName) => {
    const { c, kept } = cache();
    const t = setup(undefined, undefined, { ownershipCache: c });
    const event = fixture("UpdateStack");
    event.detail.eventName = eventName;
    expect(await handleChangeEvent(event, t.deps)).toEqual({ status: "noted", detail: `${eventName} in ${SPOKE} eu-west-1: attachments there are read again on next use` });
    expect([kept("eu-west-1"), kept("eu-central-1")]).toEqual([false, true]);
    expect(cfn.calls()).toHaveLength(0);
    expect(t.published).toHaveLength(0);
    expect(t.deps.membership).not.toHaveBeenCalled();
  });

  it("acts on CloudFormation's own calls too (a nested stack's CreateStack), which repairs ignore", async () => {
    const { c, kept } = cache();
    const t = setup(undefined, undefined, { ownershipCache: c });
    const event = fixture("UpdateStack");
    event.detail.eventName = "CreateStack";
    event.detail.userIdentity.invokedBy = "cloudformation.amazonaws.com";
    expect((await handleChangeEvent(event, t.deps)).status).toBe("noted");
    expect(kept("eu-west-1")).toBe(false);
  });
});

describe("handleChangeEvent and the organization's membership", () => {
  it("judges trust against the members Organizations lists, not accounts.yaml", async () => {
    manage(ROLE, "AWS::IAM::Role", "AppRole");
    cfn.on(DetectStackResourceDriftCommand).resolves(modified("AppRole", ROLE, "AWS::IAM::Role"));
    // The organization has a member accounts.yaml does not list; the hub is listed in accounts.yaml's hub block only.
    const t = setup(undefined, undefined, { membership: vi.fn(async () => ({ accountIds: new Set(["999988887777", SPOKE, "444455556666"]) })) });
    await handleChangeEvent(fixture("AttachRolePolicy"), t.deps);
    const safety = t.remediateResource.mock.calls[0]![0].safety;
    expect([...safety.accountIds].sort()).toEqual([SPOKE, "444455556666", "999988887777"]);
    expect(safety.membershipError).toBeUndefined();
  });

  it("refuses trust in any other account when the membership cannot be read, and says so loudly", async () => {
    manage(ROLE, "AWS::IAM::Role", "AppRole");
    cfn.on(DetectStackResourceDriftCommand).resolves(modified("AppRole", ROLE, "AWS::IAM::Role"));
    const error = "AccessDeniedException: not authorized to perform organizations:ListRoots";
    const t = setup(undefined, undefined, { membership: vi.fn(async () => ({ error })) });
    await handleChangeEvent(fixture("AttachRolePolicy"), t.deps);
    const safety = t.remediateResource.mock.calls[0]![0].safety;
    expect(safety.accountIds.size).toBe(0);
    expect(safety.membershipError).toBe(error);
    expect(t.logs.error).toHaveBeenCalledWith("organization membership unreadable; repairs that trust another account are refused", { error });
  });
});

describe("cachedMembership", () => {
  it("walks once per TTL, and does not keep a failed walk", async () => {
    let now = 0;
    const read = vi.fn<() => Promise<OrganizationMembership>>().mockResolvedValueOnce({ error: "TooManyRequestsException: Rate exceeded" }).mockResolvedValue(MEMBERS);
    const membership = cachedMembership(read, () => now);
    expect(await membership()).toEqual({ error: "TooManyRequestsException: Rate exceeded" });
    expect(await membership()).toEqual(MEMBERS);
    now += MEMBERSHIP_TTL_MS - 1;
    await membership();
    expect(read).toHaveBeenCalledTimes(2);
    now += 1;
    await membership();
    expect(read).toHaveBeenCalledTimes(3);
  });

  it("turns a walk that throws into the reason trust is refused", async () => {
    const membership = cachedMembership(async () => Promise.reject(new Error("socket hang up")), () => 0);
    expect(await membership()).toEqual({ error: "socket hang up" });
  });
});
