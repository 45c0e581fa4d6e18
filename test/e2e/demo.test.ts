import { AuthorizeSecurityGroupIngressCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetObjectCommand, PutBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { Config } from "../../functions/config/schema.js";
import type { ResourceReport, RunReport } from "../../functions/core/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import { hubS3, invokeHub, publishedMessages } from "../../sandbox/harness/run-local.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/harness/scenario.js";
import { HISTORY_INDEX_KEY } from "../../functions/aws/bucket-layout.js";
import type { HistoryIndex } from "../../functions/report/history.js";
import type { RunSummary } from "../../functions/report/run-summary.js";
import { queueByArn } from "../../sandbox/emulator/services/sqs/service.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { publishedReport } from "../support/e2e.js";
import { startTestSandbox } from "../support/sandbox.js";

/**
 * The main job end to end: the demo scenario with its own accounts file, scanned by the
 * real Lambda handler through the sandbox's wire protocols. One sandbox, four runs in order:
 * report mode (nothing may change), remediate, remediate again (nothing left to do), then, after
 * a person's fix and a new change, a fourth run whose history marks come from the three before
 * (the same bucket's reports/index.json) and whose SNS summary reaches an SQS subscriber.
 */

const PAYMENTS = "222222222222";
const DATA_DEV = "333333333333";
const SHARED = "444444444444";
/** In accounts.yaml as `status: retired`: kept for the record, never scanned. */
const RETIRED = "777777777777";
/** In the organization, not in accounts.yaml. */
const MARKETING = "555555555555";

let sandbox: Sandbox;
let config: Config;
/** Every run's stored report, in order. */
const runs: RunReport[] = [];

const readReport = (summary: ScanSummary): Promise<RunReport> => publishedReport(sandbox, summary);

function resource(report: RunReport, accountId: string, stackName: string, logicalId: string): ResourceReport {
  const stack = report.accounts
    .find((a) => a.accountId === accountId)
    ?.regions.flatMap((r) => r.stacks)
    .find((s) => s.stackName === stackName);
  const found = stack?.resources.find((r) => r.logicalResourceId === logicalId);
  if (!found) throw new Error(`${accountId}/${stackName}/${logicalId} is not in the report`);
  return found;
}

function allResources(report: RunReport): ResourceReport[] {
  return report.accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources)));
}

/** The live state of every spoke account (the hub's report bucket and topic change on every run). */
function spokeState(): string {
  const accounts = [...sandbox.world.accounts.values()].filter((a) => a.id !== sandbox.hub.accountId);
  const buckets = [...sandbox.world.buckets.values()]
    .filter((b) => b.accountId !== sandbox.hub.accountId)
    .map(({ objects: _objects, ...config }) => config);
  return JSON.stringify({
    roles: accounts.map((a) => [a.id, [...a.roles.values()]]),
    groups: accounts.map((a) => [a.id, [...a.regions].map(([region, r]) => [region, [...r.securityGroups.values()]])]),
    buckets,
  });
}

async function run(mode: "report" | "remediate"): Promise<RunReport> {
  const summary = await invokeHub(sandbox, config, mode);
  expect(summary.s3).toBe(true);
  expect(summary.sns).toBe(true);
  const report = await readReport(summary);
  runs.push(report);
  return report;
}

beforeAll(async () => {
  config = loadConfig(DEMO_ACCOUNTS);
  sandbox = await startTestSandbox({ scenarioFile: DEFAULT_SCENARIO, config });
});

afterAll(async () => {
  await sandbox?.close();
});

describe("demo scenario", () => {
  it("report mode plans every repair and changes nothing", async () => {
    const before = spokeState();
    const report = await run("report");
    expect(spokeState()).toBe(before);
    expect(report.mode).toBe("report");
    expect(report.totals.remediated).toBe(0);
    expect(report.totals.planned).toBeGreaterThanOrEqual(5);
    for (const r of allResources(report)) expect(["planned", "skipped", "manual"]).toContain(r.action.outcome);
    expect(resource(report, PAYMENTS, "iam-baseline", "AppRole").action.steps.join("\n")).toMatch(/AdministratorAccess/);
  });

  it("remediate mode repairs the drift, honours exemptions and reports the unreachable account", async () => {
    const report = await run("remediate");

    const role = resource(report, PAYMENTS, "iam-baseline", "AppRole");
    expect(role.action.outcome).toBe("remediated");
    const appRole = sandbox.world.accounts.get(PAYMENTS)!.roles.get("app-role")!;
    expect(appRole.managedPolicyArns).not.toContain("arn:aws:iam::aws:policy/AdministratorAccess");
    expect(appRole.managedPolicyArns).toContain("arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy");

    const sg = resource(report, PAYMENTS, "web-tier", "WebSecurityGroup");
    expect(sg.action.outcome).toBe("remediated");
    // payments-prod opts in to CloudTrail lookups: the report names who opened the port.
    expect(sg.changedBy?.arn).toMatch(/assumed-role\/AWSReservedSSO_AdministratorAccess_[0-9a-f]+\/alice@example.com$/);
    const group = sandbox.world.accounts.get(PAYMENTS)!.regions.get("us-east-1")!.securityGroups.get(sg.physicalResourceId)!;
    expect(group.ingress.some((r) => r.fromPort === 22 && r.cidrIpv4 === "0.0.0.0/0")).toBe(false);

    const bucket = resource(report, PAYMENTS, "web-tier", "AssetsBucket");
    expect(bucket.action.outcome).toBe("remediated");
    expect(sandbox.world.buckets.get(bucket.physicalResourceId)!.encryption?.[0]?.sseAlgorithm).toBe("aws:kms");

    // legacy-* stacks are report-only through a mode rule in accounts.yaml.
    expect(resource(report, PAYMENTS, "legacy-reports", "ArchiveBucket").action.outcome).toBe("planned");

    const exempt = resource(report, SHARED, "edge-security", "BreakGlassGroup");
    expect(exempt.exemption.kind).toBe("exempt");
    expect(exempt.action.outcome).toBe("skipped");
    const invalid = resource(report, SHARED, "edge-security", "BastionGroup");
    expect(invalid.exemption.kind).toBe("invalid");
    expect(invalid.action.outcome).toBe("remediated");

    const reverted = resource(report, SHARED, "network-core", "DatabaseSecurityGroup");
    expect(reverted.action).toMatchObject({ outcome: "remediated", by: "revert-drift-change-set" });

    const denied = report.accounts.find((a) => a.accountId === DATA_DEV)!;
    expect(denied.status).toBe("failed");
    expect(denied.error?.code).toBe("AccessDenied");
    expect(report.accounts.map((a) => a.accountId)).not.toContain(RETIRED);
    // Coverage (demo.yaml): 6 active members (management, hub, payments, data-dev, shared, marketing);
    // payments and shared scanned, data-dev denied -> 2 / 6; everyone sits under the root.
    const coverage = report.coverage!.organization!;
    expect(coverage).toMatchObject({ available: true, activeAccounts: 6, scannedAccounts: 2, percent: 33.3, onboardedNotActive: [] });
    expect(coverage.notOnboarded.map((a) => [a.accountId, a.reason, a.organizationalUnit?.path])).toEqual([
      ["111111111111", "not-onboarded", "Root"],
      [MARKETING, "not-onboarded", "Root"],
      ["999999999999", "not-onboarded", "Root"],
    ]);
    // The sandbox's accounts have the 17 default regions enabled (EC2 DescribeRegions); payments scans 2.
    expect(coverage.regionsNotScanned.find((a) => a.accountId === PAYMENTS)?.regions).toHaveLength(15);
    expect(report.totals.errors).toBeGreaterThanOrEqual(1);

    const message = publishedMessages(sandbox).at(-1)!;
    expect(message.subject!.length).toBeLessThan(100);
    expect(message.message).toContain("data-dev");
    // A link a person can click: the report's https S3 console page, not an s3:// URI.
    expect(message.message).toMatch(/Full report: https:\/\/s3\.console\.aws\.amazon\.com\/s3\/object\/[^?]+\?region=us-east-1&prefix=reports%2F/);
    expect(message.message).toContain("Organization coverage 33.3%: 2 of 6 active accounts scanned");
  });

  it("a second remediate run finds nothing left to repair", async () => {
    const report = await run("remediate");
    const drifted = allResources(report).filter((r) => r.status === "MODIFIED" || r.status === "DELETED");
    // Only what driftguard must leave alone is still drifted: the exempt group and the report-only stack.
    expect(drifted.map((r) => r.logicalResourceId).sort()).toEqual(["ArchiveBucket", "BreakGlassGroup"]);
    expect(report.totals.remediated).toBe(0);
    expect(report.totals.failed).toBe(0);
  });

  it("marks a fourth run against the three before it: resolved by hand, still drifted since the first run, back again as new", async () => {
    const [first, second, third] = runs;
    // History through the three runs above: all new in the first, still in the second (same firstSeen), remediated ones resolved in the third.
    expect(first!.history).toMatchObject({ new: first!.totals.resourcesDrifted, still: 0, resolved: [] });
    expect(second!.history).toMatchObject({ previousRunId: first!.runId, new: 0, still: first!.totals.resourcesDrifted });
    for (const r of allResources(second!).filter((x) => x.seen)) expect(r.seen).toEqual({ status: "still", firstSeen: first!.startedAt });
    expect(third!.history!.resolved.map((r) => r.logicalResourceId)).toEqual(expect.arrayContaining(["AppRole", "WebSecurityGroup", "AssetsBucket", "BastionGroup"]));

    // Between the runs: a person re-enables the archive's versioning by hand, and someone opens SSH again on the web tier.
    const admin = (account: string, region = "us-east-1") => ({ region, endpoint: sandbox.endpoint, credentials: sandbox.adminCredentials(account) });
    const archive = resource(third!, PAYMENTS, "legacy-reports", "ArchiveBucket");
    await new S3Client({ ...admin(PAYMENTS, "eu-west-1"), forcePathStyle: true }).send(new PutBucketVersioningCommand({ Bucket: archive.physicalResourceId, VersioningConfiguration: { Status: "Enabled" } }));
    const web = resource(first!, PAYMENTS, "web-tier", "WebSecurityGroup");
    await new EC2Client(admin(PAYMENTS)).send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: web.physicalResourceId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
    );
    // A machine subscriber: an SQS queue on the hub's topic, its policy letting the topic send (subscribe-sqs-queue-to-sns-topic.html).
    const hub = sandbox.hub.accountId;
    const queueArn = `arn:aws:sqs:${sandbox.hub.region}:${hub}:driftguard-runs`;
    const Policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": sandbox.hub.topicArn } } }] });
    await new SQSClient(admin(hub, sandbox.hub.region)).send(new CreateQueueCommand({ QueueName: "driftguard-runs", Attributes: { Policy } }));
    await new SNSClient(admin(hub, sandbox.hub.region)).send(new SubscribeCommand({ TopicArn: sandbox.hub.topicArn, Protocol: "sqs", Endpoint: queueArn }));

    const fourth = await run("remediate");
    expect(fourth.history).toMatchObject({ previousRunId: third!.runId, new: 1, still: 1 });
    expect(fourth.history!.resolved).toEqual([expect.objectContaining({ logicalResourceId: "ArchiveBucket", firstSeen: first!.startedAt })]);
    expect(resource(fourth, SHARED, "edge-security", "BreakGlassGroup").seen).toEqual({ status: "still", firstSeen: first!.startedAt });
    // Resolved in the third run, the web tier's drift is new again, seen first now.
    expect(resource(fourth, PAYMENTS, "web-tier", "WebSecurityGroup")).toMatchObject({ seen: { status: "new", firstSeen: fourth.startedAt }, action: { outcome: "remediated" } });
    const index = JSON.parse(await (await hubS3(sandbox).send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: HISTORY_INDEX_KEY }))).Body!.transformToString()) as HistoryIndex;
    expect(index.runs.map((r) => r.runId)).toEqual(runs.map((r) => r.runId).reverse());
    // Open after this run: what it found drifted (the web tier's, repaired now, resolves when the next run sees it in sync).
    expect(index.findings.map((f) => [f.logicalResourceId, f.firstSeen]).sort()).toEqual([["BreakGlassGroup", first!.startedAt], ["WebSecurityGroup", fourth.startedAt]]);
    expect(fourth.history!.trend.map((t) => t.runId)).toEqual(runs.map((r) => r.runId));

    // The queue got the SNS envelope whose Message is the JSON run summary (sns-message.ts), the email subscriber's text aside.
    const [envelope, ...more] = queueByArn(sandbox, queueArn)!.messages.map((m) => JSON.parse(m.body) as { Type: string; TopicArn: string; Message: string });
    expect(more).toEqual([]);
    expect(envelope).toMatchObject({ Type: "Notification", TopicArn: sandbox.hub.topicArn });
    const summary = JSON.parse(envelope!.Message) as RunSummary;
    expect(summary).toMatchObject({ schema: "driftguard.run-summary", runId: fourth.runId, totals: fourth.totals, history: { new: 1, still: 1, resolved: 1 } });
    expect(summary.report?.json).toBe(`${summary.report?.html.replace(/report\.html$/, "")}report.json`);
    expect(publishedMessages(sandbox).at(-1)!.message).toMatch(/^driftguard run /);
  });
});
