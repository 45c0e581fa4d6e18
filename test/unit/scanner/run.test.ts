import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import "aws-sdk-client-mock-vitest/extend";
import { DescribeOrganizationCommand, ListRootsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import type { HandlerExecutionContext } from "@smithy/types";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SpokeClients } from "../../../functions/aws/clients.js";
import type { Config } from "../../../functions/config/schema.js";
import { REPORT_SCHEMA_VERSION, type StackReport } from "../../../functions/core/types.js";
import { memoryFlappingStore } from "../../support/flapping.js";
import type { FlappingRecord } from "../../../functions/remediation/flapping-store.js";
import type { StackRemediationInput, StackRemediationResult } from "../../../functions/remediation/engine.js";
import { createDeadline } from "../../../functions/core/deadline.js";
import { runScan } from "../../../functions/scanner/run.js";
import type { ScanDeps, ScanProgress } from "../../../functions/scanner/types.js";
import { schemaErrors } from "../report/validate.js";
import { accessDenied, APP_ROLE_RESOURCE, describeOrganizationOutput, assumeRoleOutput, mockFlatOrganization, orgAccount, silentLogger } from "./fixtures.js";
import { testConfig } from "../../support/config.js";
import { deployStack, sandboxSpokeClients, startTestSandbox } from "../../support/sandbox.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";

const org = mockClient(OrganizationsClient);
const sts = mockClient(STSClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
// The sweep of unmanaged resources (functions/sweep/) lists EC2 in every account-region: nothing here.
const ec2 = mockClient(EC2Client);

const PAY = "222222222222";
const DATA = "333333333333";
/** The deadline test's account, and the concurrency tests': stacks of their own, apart from payments-prod's. */
const BATCH = "666666666666";
const FLEET = "777777777777";
const T0 = Date.parse("2026-01-02T03:04:05.000Z");
const RUN = "20260102T030405Z-a1b2c3";
const PUBLISH = { bucket: "driftguard-reports-111111111111-us-east-1", topicArn: "arn:aws:sns:us-east-1:111111111111:driftguard-summary" };

const config = testConfig(`
accounts:
  - { id: "${PAY}", name: payments-prod, mode: remediate, modeRules: [{ stacks: "legacy-*", mode: report }] }
  - { id: "${DATA}", name: data-dev, regions: [us-east-1] }
  - { id: "444444444444", name: suspended-team }
  - { id: "555555555555", name: gone-team }
`);
const batch = testConfig({ accounts: [{ id: BATCH, name: "batch", mode: "remediate" }] });
const fleet = testConfig({ accounts: [{ id: FLEET, name: "fleet", mode: "remediate" }] });

/**
 * The Region deny SCP of the Organizations User Guide ("Deny access to AWS based on the requested
 * AWS Region", orgs_manage_policies_scps_examples_general.html), keeping payments-prod in
 * us-east-1: its eu-west-1 answers AccessDenied "with an explicit deny in a service control policy".
 */
const US_EAST_1_ONLY = {
  Version: "2012-10-17" as const,
  Statement: [{ Effect: "Deny", NotAction: ["iam:*", "organizations:*", "sts:*"], Resource: "*", Condition: { StringNotEquals: { "aws:RequestedRegion": ["us-east-1"] } } }],
};

/**
 * SNS throttles the reads CloudFormation makes of payments-prod's topics (faults.ts calledVia): the
 * nested stack's Alerts topic cannot be checked, so its detection ends DETECTION_FAILED with the
 * reason in AWS's Summary/Failures shape (aws-cloudformation/cloudformation-coverage-roadmap#801).
 */
const THROTTLED_TOPIC_READS = { account: PAY, service: "sns", action: "GetTopicAttributes", calledVia: "cloudformation.amazonaws.com" as const, error: "Throttling", message: "Rate exceeded" };
const FAILED_REASON = '{"Summary":"Failed to detect drift on resources [Alerts]","Failures":[{"Resource":"Alerts","FailureReason":"Rate exceeded"}]}';

/**
 * The cloud's clock: the sandbox's detections finish, and its sessions and signatures are checked,
 * on it. It starts at the machine's time (SigV4 allows 15 minutes of skew) and moves forward by
 * every wait the scanner sleeps, so a detection takes as long as latency.detectionMs says on the
 * scanner's own clock however loaded the machine is. Each test's report clock starts at T0.
 */
const cloud = { now: Date.now() };
let sandbox: Sandbox;
/** payments-api's nested stack, named by CloudFormation `<parent>-<logicalId>-<random>`. */
let nested: string;

const WEB_GROUP = {
  Type: "AWS::EC2::SecurityGroup",
  Properties: { GroupDescription: "web", SecurityGroupIngress: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "0.0.0.0/0" }] },
};
const QUEUES_TEMPLATE = {
  Resources: {
    Archive: { Type: "AWS::S3::Bucket" },
    Alerts: { Type: "AWS::SNS::Topic", Properties: { DisplayName: "payments alerts" } },
  },
};

/**
 * payments-prod, us-east-1: payments-api (its role widened and its security group opened out of
 * band; tagged with an expired exemption) with a nested stack whose bucket was deleted and whose
 * topic cannot be read; core-network in sync; old-attempt, a failed create left ROLLBACK_COMPLETE.
 * batch: five stacks in sync for the deadline; fleet: six stacks in us-east-1, two in eu-west-1.
 */
async function deployWorld(): Promise<void> {
  const templates = "payments-templates-222222222222";
  await sandbox.dispatch(PAY, "us-east-1", "s3", "CreateBucket", { Bucket: templates });
  await sandbox.dispatch(PAY, "us-east-1", "s3", "PutObject", { Bucket: templates, Key: "queues.json", Body: Buffer.from(JSON.stringify(QUEUES_TEMPLATE)) });
  const api = await deployStack(
    sandbox,
    PAY,
    "us-east-1",
    "payments-api",
    { Resources: { AppRole: APP_ROLE_RESOURCE, Web: WEB_GROUP, Queues: { Type: "AWS::CloudFormation::Stack", Properties: { TemplateURL: `https://${templates}.s3.amazonaws.com/queues.json` } } } },
    { tags: { team: "payments", "driftguard:exempt": "reason=INC-1;until=2020-01-01" } },
  );
  await sandbox.dispatch(PAY, "us-east-1", "iam", "AttachRolePolicy", { RoleName: api.AppRole, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
  await sandbox.dispatch(PAY, "us-east-1", "ec2", "AuthorizeSecurityGroupIngress", { GroupId: api.Web, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] });
  nested = api.Queues!.split("/")[1]!;
  const { Archive } = (await describeResources(PAY, nested)) as { Archive: string };
  await sandbox.dispatch(PAY, "us-east-1", "s3", "DeleteBucket", { Bucket: Archive });
  await deployStack(sandbox, PAY, "us-east-1", "core-network", { Resources: { Web: WEB_GROUP } });
  // A trust policy naming an account that does not exist: IAM refuses it ("Invalid principal in policy"), the create rolls back.
  const orphan = { ...APP_ROLE_RESOURCE, Properties: { ...APP_ROLE_RESOURCE.Properties, AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" }] } } };
  await deployStack(sandbox, PAY, "us-east-1", "old-attempt", { Resources: { AppRole: orphan } });
  for (const n of ["a", "b", "c", "d", "e"]) await deployStack(sandbox, BATCH, "us-east-1", `stack-${n}`, { Resources: { AppRole: APP_ROLE_RESOURCE } });
  for (const n of ["a", "b", "c", "d", "e", "f"]) await deployStack(sandbox, FLEET, "us-east-1", `s-${n}`, { Resources: { AppRole: APP_ROLE_RESOURCE } });
  for (const n of ["a", "b"]) await deployStack(sandbox, FLEET, "eu-west-1", `s-${n}`, { Resources: { AppRole: APP_ROLE_RESOURCE } });
}

async function describeResources(account: string, stackName: string): Promise<Record<string, string>> {
  const { StackResources } = (await sandbox.dispatch(account, "us-east-1", "cloudformation", "DescribeStackResources", { StackName: stackName })) as { StackResources: { LogicalResourceId: string; PhysicalResourceId: string }[] };
  return Object.fromEntries(StackResources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
}

beforeAll(async () => {
  const accounts = [
    { id: PAY, name: "payments-prod" },
    { id: DATA, name: "data-dev" },
    { id: BATCH, name: "batch" },
    { id: FLEET, name: "fleet" },
  ];
  sandbox = await startTestSandbox({
    config: testConfig({ accounts }),
    scenario: { accounts, serviceControlPolicies: [{ name: "us-east-1-only", targets: [PAY], document: US_EAST_1_ONLY }] },
    clock: () => cloud.now,
  });
  await deployWorld();
  sandbox.setFaults([THROTTLED_TOPIC_READS]);
}, 60_000);
afterAll(() => sandbox?.close());

/** What the engine returns: report mode plans, remediate mode repairs (enough to exercise the report). */
async function fakeEngine(input: StackRemediationInput): Promise<StackRemediationResult> {
  return {
    exemption: { kind: "expired", reason: "INC-1", until: "2020-01-01", on: "stack" },
    resources: input.drifts.map((d) => ({
      ...d,
      exemption: { kind: "none" },
      action:
        d.status === "DELETED"
          ? { outcome: "manual", reason: "the resource was deleted; redeploy the stack", steps: [] }
          : input.account.mode === "remediate"
            ? { outcome: "remediated", reason: `restored ${d.differences.map((x) => x.propertyPath).join(", ")}`, steps: ["iam:DetachRolePolicy"], by: d.resourceType }
            : { outcome: "planned", reason: "would restore", steps: ["iam:DetachRolePolicy"], by: d.resourceType },
    })),
  };
}

/** Drift detections started and not yet seen finished, as the scanner's CloudFormation clients sent them; `max` is what concurrency allowed. */
interface InFlight {
  now: number;
  max: number;
}

/** Counts in `inFlight` the detections `clients` start (DetectStackDrift) until a status read answers anything but DETECTION_IN_PROGRESS. */
function countDetections(clients: SpokeClients, inFlight: InFlight): void {
  clients.cloudformation.middlewareStack.add(
    (next, context: HandlerExecutionContext) => async (args) => {
      const result = (await next(args)) as { output: { DetectionStatus?: string } };
      if (context.commandName === "DetectStackDriftCommand") inFlight.max = Math.max(inFlight.max, ++inFlight.now);
      if (context.commandName === "DescribeStackDriftDetectionStatusCommand" && result.output.DetectionStatus !== "DETECTION_IN_PROGRESS") inFlight.now--;
      return result as Awaited<ReturnType<typeof next>>;
    },
    { step: "initialize", name: "testCountDetections" },
  );
}

interface Harness {
  deps: ScanDeps;
  engineCalls: StackRemediationInput[];
  inFlight: InFlight;
  order: string[];
  clock: { now: number };
  flapping: ReturnType<typeof memoryFlappingStore>;
}

/** A flapping counter for a resource in payments-prod, from an earlier run. */
const EARLIER_REPAIR: FlappingRecord = {
  version: 1,
  entries: { [`${PAY}/us-east-1/stack-a/AppRole`]: { count: 1, lastRunId: "20260101T000000Z-000000", lastRepairedAt: "2026-01-01T00:00:00.000Z", flagged: false } },
};

function harness(engine = fakeEngine, sleepYields = false, flappingRecord: FlappingRecord = EARLIER_REPAIR): Harness {
  const engineCalls: StackRemediationInput[] = [];
  const inFlight = { now: 0, max: 0 };
  const order: string[] = [];
  const clock = { now: T0 };
  const flapping = memoryFlappingStore(flappingRecord);
  const deps: ScanDeps = {
    organizations: new OrganizationsClient({ region: "us-east-1" }),
    sts: new STSClient({ region: "us-east-1" }),
    s3: new S3Client({ region: "us-east-1" }),
    sns: new SNSClient({ region: "us-east-1" }),
    // The spoke role's own session in the sandbox (the mocked AssumeRole's keys mean nothing to it), so every call is IAM- and SCP-evaluated.
    spokeClients: (accountId, region, _credentials, options) => {
      const clients = sandboxSpokeClients(sandbox, accountId, region, options);
      countDetections(clients, inFlight);
      return clients;
    },
    remediateStack: async (input) => {
      engineCalls.push(input);
      return engine(input);
    },
    flappingStore: flapping,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
      cloud.now += ms;
      if (sleepYields) await new Promise((r) => setImmediate(r));
    },
    random: () => 0.5,
    logger: silentLogger(),
  };
  // No run holds the lease (state/run-lease.json); its writes are not part of publishing.
  s3.on(GetObjectCommand).rejects(Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" }));
  s3.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
    if (input.Key.startsWith("state/")) return { ETag: '"lease"' };
    order.push(`s3 ${input.Key}`);
    return { ETag: '"9b2cf535f27731c974343645a3985328"' };
  });
  sns.on(PublishCommand).callsFake(async () => {
    order.push("sns");
    return { MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e" };
  });
  return { deps, engineCalls, inFlight, order, clock, flapping };
}

function stacksOf(report: { accounts: { accountId: string; regions: { region: string; stacks: StackReport[] }[] }[] }, account: string, region: string): StackReport[] {
  return report.accounts.find((a) => a.accountId === account)!.regions.find((r) => r.region === region)!.stacks;
}

beforeEach(() => {
  ec2.reset();
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
  for (const m of [org, sts, s3, sns]) m.reset();
  mockFlatOrganization(org, [
    orgAccount(PAY, "payments-prod"),
    orgAccount(DATA, "data-dev"),
    orgAccount("444444444444", "suspended-team", "SUSPENDED"),
    orgAccount(BATCH, "batch"),
    orgAccount(FLEET, "fleet"),
    orgAccount("999999999999", "not-onboarded"),
  ]);
  sts.on(AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => {
    const account = input.RoleArn.split(":")[4]!;
    if (account === DATA) throw accessDenied(DATA);
    return assumeRoleOutput(account, new Date(T0 + 3_600_000));
  });
  // A payments-prod detection takes 1-3 s of the scanner's clock: it polls more than once.
  sandbox.setLatency({ detectionMs: [1_000, 3_000] });
});

describe("runScan", () => {
  it("scans the organization's onboarded accounts into a complete, schema-valid report and publishes it", async () => {
    const h = harness();
    const progress: ScanProgress[] = [];
    const { report, publish } = await runScan(h.deps, { config, runId: RUN, publish: PUBLISH, onProgress: (e) => progress.push(e) });

    expect(schemaErrors(report)).toEqual([]);
    // defaults.mode is report, but payments-prod remediates: the run's mode is what it could do.
    expect(config.defaults.mode).toBe("report");
    expect(report).toMatchObject({ schemaVersion: REPORT_SCHEMA_VERSION, runId: RUN, trigger: "schedule", mode: "remediate", incomplete: false, startedAt: "2026-01-02T03:04:05.000Z" });
    expect(report.configHash).toMatch(/^sha256:[0-9a-f]{64}$/);

    // Accounts in config order; AccessDenied on one account does not stop the others.
    expect(report.accounts.map((a) => [a.name, a.status])).toEqual([
      ["payments-prod", "scanned"],
      ["data-dev", "failed"],
      ["suspended-team", "suspended"],
      ["gone-team", "not-in-organization"],
    ]);
    expect(report.accounts[1]!.error).toMatchObject({ code: "AccessDenied", message: expect.stringContaining("arn:aws:iam::333333333333:role/driftguard-spoke") });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${PAY}:role/driftguard-spoke`, RoleSessionName: `driftguard-${RUN}`, DurationSeconds: 3600 });
    // One AssumeRole per account serves both of its regions.
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);

    const [usEast, euWest] = report.accounts[0]!.regions;
    expect(euWest).toMatchObject({ region: "eu-west-1", status: "failed", error: { code: "AccessDenied" }, stacks: [] });
    expect(euWest!.error!.message).toContain("is not authorized to perform: cloudformation:ListStacks with an explicit deny in a service control policy");
    expect(usEast!.status).toBe("scanned");
    const stacks = stacksOf(report, PAY, "us-east-1");
    // core-network is in sync with nothing else to say: counted, not listed (report.includeInSync: false).
    expect(usEast!.inSyncStacks).toBe(1);
    expect(stacks.map((s) => [s.stackName, s.scan, s.driftStatus])).toEqual([
      ["old-attempt", "skipped", undefined],
      ["payments-api", "scanned", "DRIFTED"],
      [nested, "scanned", "DRIFTED"],
    ]);
    const api = stacks.find((s) => s.stackName === "payments-api")!;
    expect(api.exemption).toMatchObject({ kind: "expired" });
    expect(api.resources.map((r) => [r.logicalResourceId, r.action.outcome])).toEqual([["AppRole", "remediated"], ["Web", "remediated"]]);
    expect(api.resources[0]!.differences).toMatchObject([{ differenceType: "ADD", actualValue: "arn:aws:iam::aws:policy/AdministratorAccess" }]);
    const queues = stacks.find((s) => s.stackName === nested)!;
    // The Alerts topic could not be read: the detection is partial, the deleted bucket still reported.
    expect(queues).toMatchObject({ detectionStatusReason: FAILED_REASON, parentStackId: expect.stringContaining("stack/payments-api/") });
    expect(queues.resources.map((r) => [r.logicalResourceId, r.status, r.action.outcome])).toEqual([["Archive", "DELETED", "manual"]]);
    expect(queues.unchecked).toEqual([{ logicalResourceId: "Alerts", resourceType: "AWS::SNS::Topic", status: "NOT_CHECKED" }]);
    expect(stacks.find((s) => s.stackName === "old-attempt")!.scanReason).toBe("status ROLLBACK_COMPLETE does not allow drift detection");

    // The engine saw each drifted stack once, with the run's shared guards and the stack's tags.
    expect(h.engineCalls.map((c) => c.stack.stackName).sort()).toEqual(["payments-api", nested]);
    const call = h.engineCalls.find((c) => c.stack.stackName === "payments-api")!;
    expect(call).toMatchObject({ runId: RUN, region: "us-east-1", exemptions: { tagKey: "driftguard:exempt", maxDays: 90 }, stack: { tags: { team: "payments" } } });
    expect(call.account).toMatchObject({ id: PAY, mode: "remediate", modeRules: [{ stacks: "legacy-*", mode: "report" }] });
    expect(call.clients.region).toBe("us-east-1");
    expect(call.guards).toBe(h.engineCalls[1]!.guards);
    expect(call.drifts.map((d) => d.logicalResourceId)).toEqual(["AppRole", "Web"]);

    expect(report.totals).toEqual({
      accounts: 4, accountsFailed: 1, regions: 2,
      stacksScanned: 3, stacksSkipped: 1, stacksFailed: 0, stacksNotScanned: 0, stacksDrifted: 2,
      resourcesDrifted: 3, refused: 0, remediated: 2, planned: 0, skipped: 0, exempt: 0, invalidExemptions: 0, manual: 1, failed: 0,
      guardTrips: 0, contested: 0, runErrors: 0, retried: 0,
      errors: 3, falsePositives: 0, ignored: 0, resourcesNotChecked: 1, resourcesUnknown: 0, nestedStacksNotReached: 0,
    });

    // S3 (dated report, then latest.json), then SNS.
    const day = `reports/2026/01/02/${RUN}`;
    expect(h.order.slice(0, 3).sort()).toEqual([`s3 ${day}/report.html`, `s3 ${day}/report.json`, `s3 ${day}/report.md`]);
    // The history index follows the report it points to (report/history.ts).
    expect(h.order.slice(3)).toEqual(["s3 reports/latest.json", "s3 reports/index.json", "s3 reports/index.html", "sns"]);
    expect(publish).toMatchObject({ s3: { ok: true }, sns: { ok: true, messageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e" }, keys: { json: `${day}/report.json` } });
    const stored = JSON.parse(s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === `${day}/report.json`)!.args[0].input.Body as string);
    expect(stored).toEqual(JSON.parse(JSON.stringify(publish.report)));
    expect(publish.report).toEqual({ ...report, accounts: expect.any(Array), history: expect.objectContaining({ new: report.totals.resourcesDrifted }) });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: PUBLISH.topicArn, Message: expect.stringContaining(`https://s3.console.aws.amazon.com/s3/object/${PUBLISH.bucket}?region=us-east-1&prefix=${encodeURIComponent(`${day}/report.html`)}`) });

    expect(progress[0]).toEqual({ kind: "accounts", configured: 4, toScan: 2 });
    expect(progress.filter((p) => p.kind === "stack")).toHaveLength(3);
    expect(progress.filter((p) => p.kind === "account").map((p) => (p as { account: { name: string } }).account.name).sort()).toEqual(["data-dev", "payments-prod"]);
  });

  it("applies a report-mode override to every account, rules included", async () => {
    const h = harness();
    const { report } = await runScan(h.deps, { config, runId: RUN, publish: PUBLISH, modeOverride: "report", trigger: "local" });
    expect(report).toMatchObject({ mode: "report", trigger: "local" });
    expect(report.accounts.every((a) => a.mode === "report")).toBe(true);
    expect(h.engineCalls.every((c) => c.account.mode === "report" && c.account.modeRules.length === 0)).toBe(true);
    expect(report.totals).toMatchObject({ remediated: 0, planned: 2, manual: 1 });
  });

  it("reports drift on driftguard's own StackSet instances but never hands them to the remediation engine", async () => {
    const own = "StackSet-driftguard-spoke-role-2d0a7c3e-4b1f-4e8a-9c55-0d8a3f1e6b7a";
    const notOwn = "StackSet-driftguard-spoke-role-lookalike";
    for (const name of [own, notOwn]) {
      const { AppRole } = await deployStack(sandbox, PAY, "us-east-1", name, { Resources: { AppRole: APP_ROLE_RESOURCE } });
      await sandbox.dispatch(PAY, "us-east-1", "iam", "AttachRolePolicy", { RoleName: AppRole, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
    }
    const h = harness();
    const { report } = await runScan(h.deps, { config, runId: RUN, publish: PUBLISH });
    for (const name of [own, notOwn]) await sandbox.dispatch(PAY, "us-east-1", "cloudformation", "DeleteStack", { StackName: name });
    const ownRow = stacksOf(report, PAY, "us-east-1").find((s) => s.stackName === own)!;
    expect(ownRow).toMatchObject({ scan: "scanned", driftStatus: "DRIFTED" });
    expect(ownRow.resources.map((r) => [r.logicalResourceId, r.action.outcome, r.action.by])).toEqual([["AppRole", "manual", "own-stack"]]);
    expect(ownRow.resources[0]!.action.reason).toContain("never remediated");
    expect(h.engineCalls.map((c) => c.stack.stackName)).not.toContain(own);
    expect(h.engineCalls.map((c) => c.stack.stackName)).toContain(notOwn);
    expect(schemaErrors(report)).toEqual([]);
  });

  it("keeps every drift in the report when the engine fails for a stack", async () => {
    const h = harness(async () => {
      throw Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    });
    const { report } = await runScan(h.deps, { config, runId: RUN, publish: PUBLISH });
    const api = stacksOf(report, PAY, "us-east-1").find((s) => s.stackName === "payments-api")!;
    expect(api).toMatchObject({ scan: "scanned", driftStatus: "DRIFTED", error: { code: "Throttling" } });
    expect(api.resources.map((r) => r.action.outcome)).toEqual(["failed", "failed"]);
    expect(api.resources[0]!.action.reason).toContain("remediation did not run");
    expect(schemaErrors(report)).toEqual([]);
  });

  it("lists every account as failed when the organization cannot be listed, and still publishes", async () => {
    org.on(ListRootsCommand).rejects(Object.assign(new Error("You don't have permissions to access this resource."), { name: "AccessDeniedException" }));
    const h = harness();
    const { report, publish } = await runScan(h.deps, { config, runId: RUN, publish: PUBLISH });
    expect(report.accounts.every((a) => a.status === "failed" && a.error?.code === "AccessDeniedException")).toBe(true);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    expect(publish.sns.ok).toBe(true);
  });

  it("checks the organization id first: a mismatch names both ids, file and line, and nothing is scanned", async () => {
    org.on(DescribeOrganizationCommand).resolves(describeOrganizationOutput("o-real7h2k9x"));
    const h = harness();
    const { report } = await runScan(h.deps, { config, runId: RUN, publish: PUBLISH, configSource: { file: "accounts.yaml", line: 8 } });
    expect(org).toHaveReceivedCommandTimes(ListRootsCommand, 0);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    const errors = new Set(report.accounts.map((a) => `${a.status} ${a.error?.code}: ${a.error?.message}`));
    expect([...errors]).toEqual([
      "failed OrganizationMismatch: these credentials are in organization o-real7h2k9x, but accounts.yaml:8 organization.id is o-example0001; set it to o-real7h2k9x (aws organizations describe-organization --query Organization.Id); nothing is scanned",
    ]);
  });

  it("fails closed when the organization cannot be confirmed", async () => {
    org.on(DescribeOrganizationCommand).rejects(Object.assign(new Error("Your account is not a member of an organization."), { name: "AWSOrganizationsNotInUseException" }));
    const { report } = await runScan(harness().deps, { config, runId: RUN, publish: PUBLISH });
    expect(report.accounts.every((a) => a.status === "failed" && a.error?.code === "OrganizationUnconfirmed")).toBe(true);
    expect(report.accounts[0]!.error!.message).toContain("accounts.yaml (the hub's configuration object) organization.id: these credentials' account is not in an organization");
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
  });

  it("stops starting work at the deadline and lists what was not scanned in a complete report", async () => {
    // Each detection takes 6 s of the scanner's clock; stacks of batch's us-east-1 go one at a time.
    sandbox.setLatency({ detectionMs: [6_000, 6_000] });
    const oneAtATime: Config = { ...batch, defaults: { ...batch.defaults, concurrency: { accounts: 1, regionsPerAccount: 1, stacksPerRegion: 1, cloudFormationPerSecond: 10 } } };
    const counter = (count: number) => ({ count, lastRunId: "20260101T000000Z-000000", lastRepairedAt: "2026-01-01T00:00:00.000Z", flagged: false });
    const unseen = { [`${BATCH}/us-east-1/stack-c/AppRole`]: counter(2) };
    const h = harness(fakeEngine, false, { version: 1, entries: { [`${BATCH}/us-east-1/stack-a/AppRole`]: counter(1), ...unseen } });
    // 40 s budget, 30 s margin: new work starts only in the first 10 s; each stack takes 6 s and the polls that notice it.
    const deadline = createDeadline(40_000, h.deps.now, 30_000);
    const { report, publish } = await runScan(h.deps, { config: oneAtATime, runId: RUN, publish: PUBLISH, deadline });

    expect(report.incomplete).toBe(true);
    // stack-a and stack-b were scanned in sync: counted; the three the deadline left are listed.
    expect(report.accounts[0]!.regions[0]!.inSyncStacks).toBe(2);
    expect(stacksOf(report, BATCH, "us-east-1").map((s) => [s.stackName, s.scan])).toEqual([
      ["stack-c", "not-scanned"],
      ["stack-d", "not-scanned"],
      ["stack-e", "not-scanned"],
    ]);
    expect(stacksOf(report, BATCH, "us-east-1")[0]!.scanReason).toContain("deadline");
    expect(report.accounts[0]!.regions[1]).toEqual({ region: "eu-west-1", status: "not-scanned", stacks: [] });
    expect(report.totals).toMatchObject({ stacksScanned: 2, stacksNotScanned: 3 });
    expect(schemaErrors(report)).toEqual([]);
    expect(publish.s3.ok && publish.sns.ok).toBe(true);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toContain("INCOMPLETE");
    // stack-a was checked and in sync: its counter restarts; stack-c was cut off by the deadline: its counter stays.
    expect(h.flapping.current()).toEqual({ version: 1, entries: unseen });
  });

  it("limits account-regions in flight by the run's slots, not only per account: a hub with one socket runs one at a time", async () => {
    // No caps but stacks: auto would run both account-regions at once; 125 descriptors leave one socket.
    const auto: Config = { ...fleet, defaults: { ...fleet.defaults, concurrency: { stacksPerRegion: 1, cloudFormationPerSecond: 10 } } };
    const h = harness(fakeEngine, true);
    const { report } = await runScan(h.deps, { config: auto, runId: RUN, publish: PUBLISH, runtime: { memoryMb: 1024, fileDescriptors: 125 } });
    // fleet: six stacks in us-east-1, two in eu-west-1.
    expect(report.totals.stacksScanned).toBe(8);
    expect(h.inFlight.max).toBe(1);
  });

  it("runs stacks of one account-region in parallel, never more than stacksPerRegion at once", async () => {
    const single: Config = { ...fleet, defaults: { ...fleet.defaults, regions: ["us-east-1"], concurrency: { accounts: 1, regionsPerAccount: 1, stacksPerRegion: 3, cloudFormationPerSecond: 10 } } };
    const counters = { version: 1 as const, entries: { ...EARLIER_REPAIR.entries, [`${FLEET}/us-east-1/s-a/AppRole`]: { count: 2, lastRunId: "20260101T000000Z-000000", lastRepairedAt: "2026-01-01T00:00:00.000Z", flagged: false } } };
    const h = harness(fakeEngine, true, counters);
    const { report } = await runScan(h.deps, { config: { ...single, accounts: [{ ...single.accounts[0]!, regions: ["us-east-1"] }] }, runId: RUN, publish: PUBLISH });
    expect(report.totals.stacksScanned).toBe(6);
    expect(h.inFlight.max).toBe(3);
    // s-a's detection completed in remediate mode and found AppRole in sync: its count starts again.
    // stack-a was not looked at in this run, so its counter stays as it was.
    expect(h.flapping.current().entries).toEqual(EARLIER_REPAIR.entries);
  });
});
