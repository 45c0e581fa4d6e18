import { performance } from "node:perf_hooks";
import { Logger } from "@aws-lambda-powertools/logger";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../../functions/accounts-file/index.js";
import { handleChangeEvent } from "../../functions/events/handle.js";
import { RecentIds } from "../../functions/events/recent-ids.js";
import type { EventActionReport, EventDeps, EventOutcome } from "../../functions/events/types.js";
import { eventDeps } from "../../functions/runtime/wiring.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { startTestSandbox } from "../support/sandbox.js";
import type { CloudTrailBridgeEvent } from "../../sandbox/emulator/services/cloudtrail/record.js";
import { fakeMetrics } from "../unit/events/helpers.js";

/**
 * The event path against the emulator: an out-of-band change made through the sandbox's API
 * handlers is delivered as the EventBridge event AWS would send, handled by the production
 * wiring (role assumption, engine, guardrails, S3/SNS publishing), and found reverted when the
 * handler returns.
 */

const HUB = "111111111111";
const SPOKE = "222222222222";
const REGION = "us-east-1";

const config = configSchema.parse({
  version: 1,
  organization: { id: "o-example0001" },
  hub: { accountId: HUB, region: REGION },
  defaults: { regions: [REGION], mode: "remediate", events: { guardrails: { requiredTags: [{ key: "owner" }] } } },
  accounts: [{ id: SPOKE, name: "payments-prod" }],
});

interface Delivery {
  event: CloudTrailBridgeEvent;
  outcome: EventOutcome;
  /** performance.now() when the handler returned. */
  at: number;
}

let sandbox: Sandbox;
let deps: EventDeps;
let emitted: ReturnType<typeof fakeMetrics>["emitted"];
const deliveries: Delivery[] = [];
const previousEndpoint = process.env.AWS_ENDPOINT_URL;

beforeAll(async () => {
  sandbox = await startTestSandbox({
    config,
    scenario: {
      organization: { managementAccount: "999999999999" },
      accounts: [
        { id: "999999999999", name: "management" },
        { id: HUB, name: "driftguard-hub" },
        { id: SPOKE, name: "payments-prod" },
      ],
      stacks: [
        { account: SPOKE, region: REGION, name: "web-tier", template: "sandbox/scenarios/templates/web-tier.yaml", parameters: { Environment: "prod" } },
        { account: SPOKE, region: REGION, name: "iam-baseline", template: "sandbox/scenarios/templates/iam-baseline.yaml" },
      ],
    },
    latency: { apiMs: 1, detectionMs: [20, 60] },
  });
  // Every SDK client, the Lambda's own included, talks to the emulator.
  process.env.AWS_ENDPOINT_URL = sandbox.endpoint;
  const credentials = sandbox.hubCredentials;
  const hub = {
    organizations: new OrganizationsClient({ region: REGION, credentials }),
    sts: new STSClient({ region: REGION, credentials }),
    s3: new S3Client({ region: REGION, credentials }),
    sns: new SNSClient({ region: REGION, credentials }),
  };
  const metrics = fakeMetrics();
  emitted = metrics.emitted;
  deps = {
    ...eventDeps(
      { settings: { config: { kind: "file", file: "(in memory)" }, reportBucket: sandbox.hub.reportBucket, topicArn: sandbox.hub.topicArn }, config, hub },
      new Logger({ serviceName: "driftguard", logLevel: "SILENT" }),
      new RecentIds(),
    ),
    metrics: metrics.metrics,
  };
  // The subscriber EventBridge would be: every mutating call becomes an invocation.
  sandbox.onEvent((event) => {
    void handleChangeEvent(event, deps).then((outcome) => deliveries.push({ event, outcome, at: performance.now() }));
  });
});

afterAll(async () => {
  if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = previousEndpoint;
  await sandbox?.close();
});

function physicalId(stack: string, logicalId: string): string {
  const stacks = sandbox.world.accounts.get(SPOKE)?.regions.get(REGION)?.stacks ?? [];
  const id = stacks.find((s) => s.stackName === stack)?.resources.find((r) => r.logicalId === logicalId)?.physicalId;
  if (!id) throw new Error(`${stack}/${logicalId} not deployed`);
  return id;
}

/** The report of the first handled `eventName` event delivered since `startedAt`, and when it was done. */
async function handled(eventName: string, startedAt: number, timeoutMs = 30_000): Promise<{ report: EventActionReport; at: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const d of deliveries) {
      if (d.at >= startedAt && d.event.detail.eventName === eventName && d.outcome.status === "handled") return { report: d.outcome.report, at: d.at };
    }
    if (performance.now() > deadline) throw new Error(`no handled ${eventName} event within ${timeoutMs} ms; saw ${JSON.stringify(deliveries.map((d) => [d.event.detail.eventName, d.outcome.status]))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Makes a change as the spoke account's root user and waits for its event to be handled. */
async function change(service: string, action: string, params: unknown): Promise<EventActionReport> {
  const startedAt = performance.now();
  await sandbox.dispatch(SPOKE, REGION, service, action, params);
  const { report, at } = await handled(action, startedAt);
  console.log(`event->revert latency for ${action}: ${Math.round(at - startedAt)} ms (handler ${report.handlingMs} ms)`);
  return report;
}

const ingressOf = (groupId: string) => sandbox.world.accounts.get(SPOKE)?.regions.get(REGION)?.securityGroups.get(groupId)?.ingress ?? [];
const sshFromAnywhere = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "temporary ssh" }] };

describe("event path in the sandbox", () => {
  it("reverts SSH opened on a stack's security group within the invocation", async () => {
    const group = physicalId("web-tier", "WebSecurityGroup");
    const report = await change("ec2", "AuthorizeSecurityGroupIngress", { GroupId: group, IpPermissions: [sshFromAnywhere] });

    expect(report.results).toEqual([
      expect.objectContaining({ stack: expect.objectContaining({ stackName: "web-tier" }), logicalId: "WebSecurityGroup", driftStatus: "MODIFIED", finding: true }),
    ]);
    expect(report.results[0]?.action, JSON.stringify(report.results[0]?.action)).toMatchObject({ outcome: "remediated" });
    expect(report.actor).toMatchObject({ arn: `arn:aws:iam::${SPOKE}:root`, type: "Root", source: "event" });
    // Reverted by the time the handler returned.
    expect(ingressOf(group).filter((r) => r.fromPort === 22)).toEqual([]);
    expect(ingressOf(group).filter((r) => r.fromPort === 443)).toHaveLength(1);

    // The report is in the hub bucket under its deterministic key, and SNS said who did it.
    const bucket = sandbox.world.buckets.get(sandbox.hub.reportBucket);
    expect([...(bucket?.objects.keys() ?? [])]).toContain(`events/${report.eventTime.slice(0, 10).replace(/-/g, "/")}/${report.changeId}.json`);
    const topic = sandbox.world.accounts.get(HUB)?.regions.get(REGION)?.topics.get(sandbox.hub.topicArn);
    expect(topic?.published.at(-1)?.message).toContain(`Changed by: arn:aws:iam::${SPOKE}:root (Root)`);
  });

  it("detaches a policy attached by hand to a stack's IAM role", async () => {
    const role = physicalId("iam-baseline", "AppRole");
    const report = await change("iam", "AttachRolePolicy", { RoleName: role, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
    expect(report.results[0]).toMatchObject({ logicalId: "AppRole", action: { outcome: "remediated" } });
    expect(sandbox.world.accounts.get(SPOKE)?.roles.get(role)?.managedPolicyArns).not.toContain("arn:aws:iam::aws:policy/AdministratorAccess");
  });

  it("restores the KMS default encryption a DeleteBucketEncryption replaced with SSE-S3 on a stack's bucket", async () => {
    const bucket = physicalId("web-tier", "AssetsBucket");
    const report = await change("s3", "DeleteBucketEncryption", { Bucket: bucket });
    expect(report.results[0]).toMatchObject({ logicalId: "AssetsBucket", action: { outcome: "remediated" } });
    // S3 fell back to SSE-S3 (API_DeleteBucketEncryption.html); the repair puts the template's SSE-KMS back.
    expect(sandbox.world.buckets.get(bucket)?.encryption).toEqual([expect.objectContaining({ sseAlgorithm: "aws:kms", bucketKeyEnabled: true })]);
  });

  it("revokes RDP opened on a group no stack manages (guardrail)", async () => {
    const created = (await sandbox.dispatch(SPOKE, REGION, "ec2", "CreateSecurityGroup", { GroupName: "hand-made", Description: "made by hand" })) as { GroupId: string };
    const rdp = { IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
    const https = { IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
    const report = await change("ec2", "AuthorizeSecurityGroupIngress", { GroupId: created.GroupId, IpPermissions: [rdp, https] });
    expect(report.results[0]).toMatchObject({ finding: true, action: { outcome: "remediated", by: "guardrail:open-ingress" } });
    expect(report.results[0]?.stack).toBeUndefined();
    expect(ingressOf(created.GroupId).map((r) => r.fromPort)).toEqual([443]);
  });

  it("tags a hand-launched instance with its creator (guardrail)", async () => {
    const report = await change("ec2", "RunInstances", { ImageId: "ami-0c1bc246476a5572b", MinCount: 1, MaxCount: 1, InstanceType: "t3.micro" });
    expect(report.results[0]).toMatchObject({ resource: { resourceType: "AWS::EC2::Instance" }, action: { outcome: "remediated", by: "guardrail:required-tags" } });
    const instance = sandbox.world.accounts.get(SPOKE)?.regions.get(REGION)?.instances.get(report.results[0]?.resource.physicalId ?? "");
    expect(instance?.tags).toMatchObject({ owner: `arn:aws:iam::${SPOKE}:root` });
  });

  it("drops the events of its own repairs, so a repair never triggers another", async () => {
    const ownRole = `:assumed-role/${config.spoke.roleName}/`;
    const own = () => deliveries.filter((d) => String((d.event.detail.userIdentity as { arn?: string }).arn).includes(ownRole));
    await expect.poll(() => own().length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(new Set(own().map((d) => d.outcome.status === "dropped" && d.outcome.reason))).toEqual(new Set(["own-role"]));
    expect(emitted.some((m) => m.name === "DroppedEvents" && m.dimensions.reason === "own-role")).toBe(true);
  });

  it("handles a redelivered event once", async () => {
    const first = deliveries.find((d) => d.event.detail.eventName === "AttachRolePolicy" && d.outcome.status === "handled");
    expect(first).toBeDefined();
    expect(await handleChangeEvent(first?.event, deps)).toMatchObject({ status: "dropped", reason: "duplicate" });
  });
});
