import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testConfig } from "../../support/config.js";
import { FLAPPING_STATE_KEY, runKeys } from "../../../functions/aws/bucket-layout.js";
import type { RunReport } from "../../../functions/core/types.js";
import { runFanoutInProcess } from "../../../functions/fanout/in-process.js";
import type { AccountPart, RunManifest } from "../../../functions/fanout/types.js";
import type { StackRemediationInput, StackRemediationResult } from "../../../functions/remediation/engine.js";
import { s3FlappingStore } from "../../../functions/remediation/flapping-store.js";
import { RunInProgressError, runScan } from "../../../functions/scanner/run.js";
import { acquireRunLease, type LeaseRecord } from "../../../functions/scanner/run-lease.js";
import { runPartitioner } from "../../../functions/fanout/partitioner.js";
import { executionRunId } from "../../../functions/runtime/run-id.js";
import { RUN_LEASE_KEY } from "../../../functions/aws/bucket-layout.js";
import type { ScanDeps, ScanProgress } from "../../../functions/scanner/types.js";
import { accessDenied, APP_ROLE_RESOURCE, assumeRoleOutput, mockFlatOrganization, orgAccount, silentLogger } from "../scanner/fixtures.js";
import { deployStack, sandboxSpokeClients, useHubBucket } from "../../support/sandbox.js";

const org = mockClient(OrganizationsClient);
const sts = mockClient(STSClient);
const sns = mockClient(SNSClient);

const PAY = "222222222222";
const DATA = "333333333333";
const EDGE = "444444444444";
const BUCKET = "driftguard-reports-111111111111-us-east-1";
const PUBLISH = { bucket: BUCKET, topicArn: "arn:aws:sns:us-east-1:111111111111:driftguard-notifications" };
const T0 = Date.parse("2026-01-02T03:04:05.000Z");

/** The three-account organization the fan-out runs over, on the shared test base (test/support/config.ts). */
const FANOUT_ORG = `
hub: { fanout: { maxConcurrency: 3 } }
defaults:
  # The spoke S3 clients here are real ones (no network): the sweep's bucket rules stay off; its EC2 listings are mocked empty.
  events: { guardrails: { restoreBucketEncryption: false, blockBucketPublicAccess: false } }
accounts:
  - { id: "${PAY}", name: payments-prod, mode: remediate }
  - { id: "${DATA}", name: data-dev, regions: [us-east-1] }
  - { id: "${EDGE}", name: edge, mode: remediate, regions: [us-east-1] }
  - { id: "555555555555", name: gone-team }
`;

/**
 * The organization in the sandbox: the accounts driftguard can assume have stacks whose IAM role
 * someone widened out of band (AdministratorAccess attached), drifted as CloudFormation reports
 * it; payments-prod's eu-west-1 has one stack in sync; data-dev cannot be assumed (STS below).
 * The sandbox's buckets, CloudFormation and IAM are real state; Organizations, STS and SNS answer
 * from aws-sdk-client-mock, and the sweep's EC2 listings are empty.
 */
const hub = useHubBucket({
  config: testConfig({ accounts: [PAY, DATA, EDGE].map((id) => ({ id, name: `account-${id}` })) }),
  scenario: { accounts: [PAY, DATA, EDGE].map((id) => ({ id, name: `account-${id}` })) },
  // Detections finish by the first status read: the scanner's polling has its own tests.
  latency: { detectionMs: [0, 0] },
});
const APP_ROLE = { Resources: { AppRole: APP_ROLE_RESOURCE } };
const QUIET = { Resources: { Alerts: { Type: "AWS::SNS::Topic", Properties: { DisplayName: "alerts" } } } };

beforeAll(async () => {
  expect(hub.sandbox.hub.reportBucket).toBe(BUCKET);
  for (const [account, names] of [[PAY, ["app-a", "app-b"]], [EDGE, ["edge-a", "edge-b"]]] as const) {
    for (const name of names) {
      const { AppRole } = await deployStack(hub.sandbox, account, "us-east-1", name, APP_ROLE);
      await hub.sandbox.dispatch(account, "us-east-1", "iam", "AttachRolePolicy", { RoleName: AppRole, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
    }
  }
  await deployStack(hub.sandbox, PAY, "eu-west-1", "quiet", QUIET);
});

/** The engine's guard behaviour without AWS: report mode plans, remediate mode reserves then repairs. */
async function engine(input: StackRemediationInput): Promise<StackRemediationResult> {
  return {
    exemption: { kind: "none" },
    resources: input.drifts.map((d) => {
      if (input.account.mode === "report") return { ...d, exemption: { kind: "none" }, action: { outcome: "planned", reason: "would detach", steps: ["iam:DetachRolePolicy"] } };
      const reservation = input.guards.reserve(input.account.id);
      if (!reservation.ok) return { ...d, exemption: { kind: "none" }, action: { outcome: "skipped", reason: reservation.reason, steps: ["iam:DetachRolePolicy"] } };
      input.guards.recordRepair({ accountId: input.account.id, region: input.region, stackName: input.stack.stackName, logicalResourceId: d.logicalResourceId }, input.now);
      return { ...d, exemption: { kind: "none" }, action: { outcome: "remediated", reason: "detached", steps: ["iam:DetachRolePolicy"] } };
    }),
  };
}

/** The hub's deps over the sandbox's report bucket; spoke clients as the spoke role (the mocked AssumeRole's keys mean nothing to the sandbox). */
function harness() {
  const bucket = hub.bucket;
  const s3 = bucket.s3;
  let clock = T0;
  const deps: ScanDeps = {
    organizations: new OrganizationsClient({ region: "us-east-1" }),
    sts: new STSClient({ region: "us-east-1" }),
    s3,
    sns: new SNSClient({ region: "us-east-1" }),
    spokeClients: (accountId, region, _credentials, options) => sandboxSpokeClients(hub.sandbox, accountId, region, options),
    remediateStack: engine,
    flappingStore: s3FlappingStore(s3, BUCKET, { sleep: async () => {}, random: () => 0.5 }),
    now: () => (clock += 1_000),
    sleep: async () => {},
    random: () => 0.5,
    logger: silentLogger(),
  };
  return { deps, bucket };
}

/** What may differ between two runs of the same scan: ids and clocks (CloudFormation stamps each detection's drifts with its time). */
function comparable(report: RunReport) {
  const { runId: _runId, startedAt: _startedAt, finishedAt: _finishedAt, ...rest } = report;
  return JSON.parse(JSON.stringify(rest), (key, value) => (key === "detectedAt" ? "(detection time)" : value)) as object;
}

const ec2 = mockClient(EC2Client);
beforeEach(() => {
  for (const m of [org, sts, sns, ec2]) m.reset();
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
  mockFlatOrganization(org, [orgAccount(PAY, "payments-prod"), orgAccount(DATA, "data-dev"), orgAccount(EDGE, "edge")]);
  sts.on(AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => {
    const account = input.RoleArn.split(":")[4]!;
    if (account === DATA) throw accessDenied(DATA);
    return assumeRoleOutput(account, new Date(T0 + 3_600_000));
  });
  sns.on(PublishCommand).resolves({ MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e" });
});

describe("runFanoutInProcess", () => {
  // Two whole runs over the sandbox (11 s at load 20 on the shared 2-core machine): above the unit project's 20 s default there.
  it("gives the same report as the single-invocation scan, through plan, parts and reduce in S3", { timeout: 60_000 }, async () => {
    const config = testConfig(FANOUT_ORG);
    const single = harness();
    const one = await runScan(single.deps, { config, runId: "20260102T030405Z-000001", publish: PUBLISH });
    // The fan-out starts from the same empty bucket (no flapping record, no history of the first run).
    const singleRepairs = Object.keys(single.bucket.json<{ entries: object }>(FLAPPING_STATE_KEY)!.entries).sort();
    single.bucket.empty();
    const fanned = harness();
    const runId = "20260102T030405Z-000002";
    const fan = await runFanoutInProcess(fanned.deps, { config, runId, publish: PUBLISH });

    expect(comparable(fan.report)).toEqual(comparable(one.report));
    expect(fan.report.totals).toMatchObject({ accounts: 4, accountsFailed: 1, remediated: 4, planned: 0 });
    expect(fan.publish.s3.ok && fan.publish.sns.ok).toBe(true);
    expect(fanned.bucket.json<RunReport>(fan.publish.keys.latest)?.runId).toBe(runId);
    // Every worker wrote its part; the flapping record merges what each worker repaired.
    const keys = runKeys(runId);
    expect(fanned.bucket.keys().filter((k) => k.includes("/parts/")).sort()).toEqual([keys.part(PAY), keys.part(DATA), keys.part(EDGE)].sort());
    expect(singleRepairs).toHaveLength(4);
    expect(Object.keys(fanned.bucket.json<{ entries: object }>(FLAPPING_STATE_KEY)!.entries).sort()).toEqual(singleRepairs);
    expect(fanned.bucket.json<RunManifest>(keys.manifest)?.accounts.map((a) => a.accountId)).toEqual([PAY, DATA, EDGE, "555555555555"]);
    // Each part carries its account's measured detections, which the reducer learns from (reduce.ts runDetectionTimes):
    // payments-prod's three stacks, edge's two; data-dev could not be assumed.
    const detections = (id: string) => fanned.bucket.json<AccountPart>(keys.part(id))?.detectionMs;
    expect([detections(PAY)?.length, detections(EDGE)?.length, detections(DATA)]).toEqual([3, 2, undefined]);
    expect([...detections(PAY)!, ...detections(EDGE)!].every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
  });

  it("a run's stacks in flight stay within its heap budget, and the run still scans every stack", async () => {
    const config = testConfig(FANOUT_ORG);
    const { deps } = harness();
    const heap: ScanProgress[] = [];
    // (96.1 MB / 2 − 48 MB) = 51 KB of heap: room for two stacks of 22 KB (concurrency.ts HEAP_BUDGET),
    // where the config's caps alone allow 2 accounts × 2 regions × 2 stacks.
    const runtime = { memoryMb: 1024, fileDescriptors: 1024, heapMb: 96.1 };
    const { report } = await runScan(deps, { config, runId: "20260102T030405Z-000006", publish: PUBLISH, runtime, onProgress: (e) => e.kind === "heap" && heap.push(e) });

    expect(heap).toEqual([{ kind: "heap", peakStacksInFlight: 2, stacksInFlightCap: expect.any(Number), heldReportBytes: expect.any(Number), oldSpaceMb: 96.1 }]);
    expect(report.totals).toMatchObject({ stacksScanned: 5, remediated: 4, accountsFailed: 1 });
  });

  it("holds the run's blast radius across workers running at the same time", async () => {
    const config = testConfig(FANOUT_ORG, { defaults: { remediation: { maxPerRun: 3, maxPerAccount: 2 } } });
    const { deps, bucket } = harness();
    const { report } = await runFanoutInProcess(deps, { config, runId: "20260102T030405Z-000003", publish: PUBLISH });

    expect(report.totals).toMatchObject({ remediated: 3, skipped: 1 });
    const skipped = report.accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources))).find((r) => r.action.outcome === "skipped");
    expect(skipped?.action.reason).toMatch(/^blast radius: one more repair would exceed the limit of 3 per run/);
    // Unused leases were given back: the budget records exactly what was repaired.
    expect(bucket.json(runKeys("20260102T030405Z-000003").budget)).toEqual({ version: 1, maxPerRun: 3, leased: 3 });
  });

  it("records a failed worker as its account's error row and still publishes the others", async () => {
    const config = testConfig(FANOUT_ORG);
    const { deps, bucket } = harness();
    const runId = "20260102T030405Z-000004";
    // S3 fails that one worker's part (ErrorBestPractices.html: "Internal errors are errors that occur within the Amazon S3 environment").
    hub.sandbox.setFaults([{ service: "s3", action: "PutObject", key: runKeys(runId).part(EDGE), error: "InternalError", message: "We encountered an internal error. Please try again." }]);
    const { report, publish } = await runFanoutInProcess(deps, { config, runId, publish: PUBLISH });

    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
      [PAY, "scanned"],
      [DATA, "failed"],
      [EDGE, "failed"],
      ["555555555555", "not-in-organization"],
    ]);
    expect(report.accounts[2]!.error).toEqual({
      code: "FanoutWorkerFailed",
      message: "the worker scanning this account failed (InternalError: We encountered an internal error. Please try again.); it is not scanned in this run",
    });
    expect(bucket.json(runKeys(runId).failure(EDGE))).toEqual({ Error: "InternalError", Cause: "We encountered an internal error. Please try again." });
    expect(publish.s3.ok).toBe(true);
  });

  it("a Plan that finds the run lease held answers with a clean skip: nothing planned, scanned or repaired, the holder named", async () => {
    const config = testConfig(FANOUT_ORG);
    const { deps, bucket } = harness();
    const holder = "20260102T030000Z-0000aa";
    expect((await acquireRunLease({ s3: deps.s3, bucket: BUCKET, backoff: deps, now: deps.now }, { runId: holder, trigger: "manual", ttlMs: 900_000 })).kind).toBe("held");
    const runId = "20260102T030405Z-000005";

    const answer = await runPartitioner(deps, { config, runId, trigger: "schedule", bucket: BUCKET });
    expect(answer).toEqual({
      runId,
      skipped: expect.stringMatching(new RegExp(`^another run in progress \\(run ${holder}, manual, since `)),
      holder: { runId: holder, trigger: "manual", acquiredAt: expect.any(String), expiresAt: expect.any(String) },
    });
    // No manifest, no work items: the state machine has nothing to map, and the lease is untouched.
    expect(bucket.keys().filter((k) => k.startsWith("runs/"))).toEqual([]);
    expect(bucket.json<LeaseRecord>(RUN_LEASE_KEY)?.runId).toBe(holder);

    // The in-process driver keeps runScan's contract: the skip is a RunInProgressError carrying it.
    const run = runFanoutInProcess(deps, { config, runId, publish: PUBLISH });
    await expect(run).rejects.toBeInstanceOf(RunInProgressError);
    await expect(run).rejects.toMatchObject({ code: "RunInProgress", skip: { runId, holder: { runId: holder } } });
    expect(sts.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
    expect(bucket.keys()).not.toContain(FLAPPING_STATE_KEY);
  });
  it("a Plan retried by Step Functions after it took the lease keeps its run id (from the execution) and plans again instead of skipping", async () => {
    const config = testConfig(FANOUT_ORG);
    const { deps, bucket } = harness();
    // $$.Execution of one execution, as the state machine passes it to both attempts of its Plan.
    const execution = { name: "6f3c0d2e-5b1a-4c8e-9d7f-0a1b2c3d4e5f", startTime: "2026-01-02T03:04:05.123Z" };
    const runId = executionRunId(execution);
    expect(runId).toBe(executionRunId({ ...execution }));
    expect(runId).toMatch(/^20260102T030405Z-[0-9a-f]{12}$/);
    expect(executionRunId({ ...execution, name: "another-execution" })).not.toBe(runId);

    const first = await runPartitioner(deps, { config, runId, trigger: "schedule", bucket: BUCKET });
    expect(first).toMatchObject({ runId, workers: 3 });
    // The first attempt "failed" after taking the lease (its answer never reached Step Functions); the retry:
    const retry = await runPartitioner(deps, { config, runId: executionRunId(execution), trigger: "schedule", bucket: BUCKET });
    expect(retry).toEqual(first);
    expect(bucket.json<LeaseRecord>(RUN_LEASE_KEY)?.runId).toBe(runId);
  });
});
