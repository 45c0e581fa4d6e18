import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { DescribeOrganizationCommand, ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { RUN_LEASE_KEY } from "../../functions/aws/bucket-layout.js";
import { logger } from "../../functions/core/logger.js";
import { createHandler, createProductionRoutes } from "../../functions/handler.js";
import type { LeaseRecord } from "../../functions/scanner/run-lease.js";
import { executionRunId } from "../../functions/runtime/run-id.js";
import { lambdaContext } from "../../sandbox/harness/lambda-context.js";
import { awsError } from "../support/aws.js";
import { fixture, SPOKE, PAYMENTS_SPOKE } from "./events/helpers.js";
import { testConfig } from "../support/config.js";
import { assumeRoleOutput, describeOrganizationOutput, orgAccount } from "./scanner/fixtures.js";
import { tempDir } from "../support/temp.js";

/**
 * The handler's own answers where delivery or the run lease decide them, through the production
 * wiring (settings from the environment, the bundled config, real clients with every AWS client
 * class mocked): an event whose record reached neither S3 nor SNS fails the invocation; a scan or
 * fan-out Plan that finds the lease held answers with a skip, counted, logged and notified.
 */
const org = mockClient(OrganizationsClient);
const sts = mockClient(STSClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const cfn = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);
const BUCKET = "driftguard-reports-999988887777-eu-west-1";
const TOPIC = "arn:aws:sns:eu-west-1:999988887777:driftguard-summary";
const SG = "sg-0a1b2c3d4e5f60718";
const HOLDER: LeaseRecord = { version: 1, runId: "20251201T000000Z-0000aa", trigger: "manual", acquiredAt: "2025-12-01T00:00:00.000Z", expiresAt: "2999-01-01T00:00:00.000Z" };

/** Powertools writes EMF through the global console in dev mode only (test/unit/core/metrics.test.ts). */
function emfDocuments(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((l) => {
    try {
      const doc = JSON.parse(l) as Record<string, unknown>;
      return doc._aws === undefined ? [] : [doc];
    } catch {
      return [];
    }
  });
}

let handler: ReturnType<typeof createHandler>;
const context = lambdaContext(900_000, "driftguard-scanner");

beforeAll(() => {
  logger.setLogLevel("SILENT");
  const dir = tempDir("driftguard-handler-delivery-");
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify(testConfig(PAYMENTS_SPOKE)));
  vi.stubEnv("DRIFTGUARD_CONFIG_FILE", file);
  vi.stubEnv("DRIFTGUARD_REPORT_BUCKET", BUCKET);
  vi.stubEnv("DRIFTGUARD_TOPIC_ARN", TOPIC);
  vi.stubEnv("POWERTOOLS_DEV", "true");
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
  // Built after the environment: the routes' metrics read it when created.
  handler = createHandler(createProductionRoutes());
});

afterEach(() => vi.restoreAllMocks());
afterAll(() => vi.unstubAllEnvs());

let consoleLines: string[] = [];
beforeEach(() => {
  // EMF lines go to the console; kept for the tests that read them, out of the test output.
  consoleLines = [];
  vi.spyOn(console, "log").mockImplementation((line: unknown) => void consoleLines.push(String(line)));
  for (const m of [org, sts, s3, sns, cfn, ec2]) m.reset();
  sts.on(AssumeRoleCommand).resolves(assumeRoleOutput(SPOKE, new Date(Date.now() + 3_600_000)));
  org.on(DescribeOrganizationCommand).resolves(describeOrganizationOutput("o-a1b2c3d4e5"));
  org.on(ListAccountsCommand).resolves({ Accounts: [orgAccount(SPOKE, "payments-prod")] });
  s3.on(GetObjectCommand).rejects(awsError("NoSuchKey", "The specified key does not exist.", 404));
  s3.on(PutObjectCommand).resolves({ ETag: '"etag"' });
  sns.on(PublishCommand).resolves({ MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e" });
});

/** SSH opened to the world on a group no stack manages: the open-ingress guardrail revokes it. */
function sshOpenedOnUnmanagedGroup() {
  cfn.on(DescribeStackResourcesCommand).rejects(awsError("ValidationError", `Stack for ${SG} does not exist`));
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [] });
  const ssh = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
  ec2.on(DescribeSecurityGroupsCommand).resolvesOnce({ SecurityGroups: [{ GroupId: SG, IpPermissions: [ssh] }] }).resolves({ SecurityGroups: [{ GroupId: SG, IpPermissions: [] }] });
  ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
}

/**
 * The routes keep the recent change ids for the container's life (one handler here), and a change
 * that reached someone is not handled twice: each test delivers its own CloudTrail event.
 */
let delivered = 0;
function sshEvent() {
  const event = fixture("AuthorizeSecurityGroupIngress");
  delivered++;
  event.id = `${String(event.id).slice(0, -4)}${String(delivered).padStart(4, "0")}`;
  event.detail.eventID = `${String(event.detail.eventID).slice(0, -4)}${String(delivered).padStart(4, "0")}`;
  event.detail.requestID = `${String(event.detail.requestID).slice(0, -4)}${String(delivered).padStart(4, "0")}`;
  return event;
}

const eventRecordPuts = () => s3.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Key?.startsWith("events/"));

describe("handler: an event's record", () => {
  it("reached neither S3 nor SNS after a repair: the invocation fails with EventRecordNotDelivered, naming both errors", async () => {
    sshOpenedOnUnmanagedGroup();
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
      if (input.Key.startsWith("events/")) throw awsError("AccessDenied", "Access Denied", 403);
      return { ETag: '"etag"' };
    });
    sns.on(PublishCommand).rejects(awsError("KMSAccessDeniedException", "User is not authorized to perform kms:GenerateDataKey", 400));

    const invocation = handler(sshEvent(), context);
    await expect(invocation).rejects.toMatchObject({ code: "EventRecordNotDelivered", message: expect.stringMatching(/remediated, record not stored, notification failed\): the record could be neither stored \(AccessDenied\) nor notified \(KMSAccessDeniedException\)/) });
    // The repair happened and both deliveries were tried: the failure is the delivery, not the action.
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(1);
    expect(eventRecordPuts()).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it("reached SNS only: the invocation succeeds, and the message says it is the only copy", async () => {
    sshOpenedOnUnmanagedGroup();
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
      if (input.Key.startsWith("events/")) throw awsError("AccessDenied", "Access Denied", 403);
      return { ETag: '"etag"' };
    });
    const outcome = (await handler(sshEvent(), context)) as { status: string; summary: string };
    expect(outcome).toMatchObject({ status: "handled", summary: "remediated, record not stored" });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain("this message and the Lambda log are the only record");
  });

  it("reached S3 only: the invocation succeeds as remediated, notification failed", async () => {
    sshOpenedOnUnmanagedGroup();
    sns.on(PublishCommand).rejects(awsError("Throttling", "Rate exceeded", 400));
    const outcome = (await handler(sshEvent(), context)) as { status: string; summary: string };
    expect(outcome).toMatchObject({ status: "handled", summary: "remediated, notification failed" });
    expect(eventRecordPuts()).toHaveLength(1);
  });
});

describe("handler: a run that finds the run lease held", () => {
  function leaseHeld() {
    s3.on(GetObjectCommand, { Key: RUN_LEASE_KEY }).resolves({ Body: { transformToString: async () => JSON.stringify(HOLDER) } as never, ETag: '"lease"' });
  }

  async function loudly(invoke: () => Promise<unknown>) {
    const answer = (await invoke()) as Record<string, unknown>;
    return { answer, metrics: emfDocuments(consoleLines) };
  }

  for (const [name, payload] of [
    ["a scheduled single-invocation scan", { "detail-type": "Scheduled Event", source: "aws.events", detail: {} }],
    ["a fan-out Plan step", { fanout: "plan", input: { trigger: "schedule" } }],
  ] as const) {
    it(`${name} answers with the skip (not a failure), counts RunSkipped, notifies the topic, and scans nothing`, async () => {
      leaseHeld();
      const { answer, metrics } = await loudly(() => handler(payload, context));
      expect(answer).toEqual({
        runId: expect.stringMatching(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/),
        skipped: `another run in progress (run ${HOLDER.runId}, manual, since ${HOLDER.acquiredAt}, lease until ${HOLDER.expiresAt})`,
        holder: { runId: HOLDER.runId, trigger: "manual", acquiredAt: HOLDER.acquiredAt, expiresAt: HOLDER.expiresAt },
      });
      // One EMF document: RunSkipped 1, no run metrics and no heartbeat (a skipped run is no successful scan).
      expect(metrics).toHaveLength(1);
      expect(metrics[0]).toMatchObject({ RunSkipped: 1, service: "driftguard" });
      expect(metrics[0]).not.toHaveProperty("Heartbeat");
      const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
      expect(published).toEqual([{ TopicArn: TOPIC, Subject: `driftguard: scan SKIPPED, run ${HOLDER.runId} still in progress`, Message: expect.stringContaining(`its lease expires at ${HOLDER.expiresAt}`) }]);
      // Nothing was planned, scanned or written: the lease is the holder's, untouched.
      expect(sts.calls()).toHaveLength(0);
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    });
  }

  it("a Plan retried within the same execution finds the lease its first attempt took and plans instead of skipping", async () => {
    const execution = { name: "6f3c0d2e-5b1a-4c8e-9d7f-0a1b2c3d4e5f", startTime: "2026-01-02T03:04:05.123Z" };
    const firstAttempt: LeaseRecord = { ...HOLDER, runId: executionRunId(execution), trigger: "schedule" };
    s3.on(GetObjectCommand, { Key: RUN_LEASE_KEY }).resolves({ Body: { transformToString: async () => JSON.stringify(firstAttempt) } as never, ETag: '"lease"' });
    const answer = (await handler({ fanout: "plan", input: { trigger: "schedule" }, execution }, context).catch((err: unknown) => ({ thrown: err }))) as Record<string, unknown>;
    expect(answer).not.toHaveProperty("skipped");
    expect(sns.commandCalls(PublishCommand).filter((c) => String(c.args[0].input.Subject).includes("SKIPPED"))).toHaveLength(0);
    // It renewed the lease under the same run id.
    const renewed = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === RUN_LEASE_KEY);
    expect(JSON.parse(String(renewed?.args[0].input.Body)) as LeaseRecord).toMatchObject({ runId: firstAttempt.runId, acquiredAt: firstAttempt.acquiredAt });
  });

  it("still answers with the skip when the notification fails (the warning log and the metric stay)", async () => {
    leaseHeld();
    sns.on(PublishCommand).rejects(awsError("Throttling", "Rate exceeded", 400));
    const { answer, metrics } = await loudly(() => handler({ fanout: "plan", input: { trigger: "schedule" } }, context));
    expect(answer.skipped).toMatch(/^another run in progress/);
    expect(metrics[0]).toMatchObject({ RunSkipped: 1 });
  });
});
