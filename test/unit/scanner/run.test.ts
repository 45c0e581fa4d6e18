import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import "aws-sdk-client-mock-vitest/extend";
import { DescribeOrganizationCommand, ListRootsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createSpokeClients } from "../../../functions/aws/clients.js";
import type { Config } from "../../../functions/config/schema.js";
import { REPORT_SCHEMA_VERSION, type StackReport } from "../../../functions/core/types.js";
import { memoryFlappingStore } from "../../support/flapping.js";
import type { StackRemediationInput, StackRemediationResult } from "../../../functions/remediation/engine.js";
import { createDeadline } from "../../../functions/core/deadline.js";
import { runScan } from "../../../functions/scanner/run.js";
import type { ScanDeps, ScanProgress } from "../../../functions/scanner/types.js";
import { schemaErrors } from "../report/validate.js";
import { fakeCloudFormation, newObserver, type CfnObserver, type FakeRegion } from "./fake-cloudformation.js";
import { accessDenied, describeOrganizationOutput, assumeRoleOutput, cfnError, deletedQueueDrift, lambdaDrift, mockFlatOrganization, orgAccount, roleDrift, silentLogger, stackSummary } from "./fixtures.js";
import { testConfig } from "../../support/config.js";

const org = mockClient(OrganizationsClient);
const sts = mockClient(STSClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
// The sweep of unmanaged resources (functions/sweep/) lists EC2 in every account-region: nothing here.
const ec2 = mockClient(EC2Client);

const PAY = "222222222222";
const DATA = "333333333333";
const T0 = Date.parse("2026-01-02T03:04:05.000Z");
const RUN = "20260102T030405Z-a1b2c3";
const PUBLISH = { bucket: "driftguard-reports-111111111111-us-east-1", topicArn: "arn:aws:sns:us-east-1:111111111111:driftguard-summary" };
const FAILED_REASON = "Failed to detect drift on resource [Policy]: Internal Failure";

const config = testConfig(`
accounts:
  - { id: "${PAY}", name: payments-prod, mode: remediate, modeRules: [{ stacks: "legacy-*", mode: report }] }
  - { id: "${DATA}", name: data-dev, regions: [us-east-1] }
  - { id: "444444444444", name: suspended-team }
  - { id: "555555555555", name: gone-team }
`);

function world(): Record<string, FakeRegion> {
  return {
    [`${PAY}/us-east-1`]: {
      stacks: [
        { summary: stackSummary(PAY, "us-east-1", "payments-api", "UPDATE_COMPLETE"), drifts: [lambdaDrift(PAY, "us-east-1", "payments-api"), roleDrift(PAY, "us-east-1", "payments-api")], tags: { team: "payments", "driftguard:exempt": "reason=INC-1;until=2020-01-01" }, pollsUntilDone: 2 },
        { summary: stackSummary(PAY, "us-east-1", "payments-api-Queues-1A2B", "UPDATE_COMPLETE", "payments-api"), drifts: [deletedQueueDrift(PAY, "us-east-1", "payments-api-Queues-1A2B")], failReason: FAILED_REASON },
        { summary: stackSummary(PAY, "us-east-1", "core-network"), pollsUntilDone: 1 },
        { summary: stackSummary(PAY, "us-east-1", "old-attempt", "ROLLBACK_COMPLETE") },
      ],
    },
    [`${PAY}/eu-west-1`]: {
      stacks: [],
      listError: cfnError("AccessDenied", `User: arn:aws:sts::${PAY}:assumed-role/driftguard-spoke/driftguard-${RUN} is not authorized to perform: cloudformation:ListStacks with an explicit deny in a service control policy`),
    },
  };
}

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
            ? { outcome: "remediated", reason: `restored ${d.differences.map((x) => x.propertyPath).join(", ")}`, steps: ["lambda:UpdateFunctionConfiguration"], by: d.resourceType }
            : { outcome: "planned", reason: "would restore", steps: ["lambda:UpdateFunctionConfiguration"], by: d.resourceType },
    })),
  };
}

interface Harness {
  deps: ScanDeps;
  engineCalls: StackRemediationInput[];
  observer: CfnObserver;
  order: string[];
  clock: { now: number };
  flapping: ReturnType<typeof memoryFlappingStore>;
}

/** A flapping counter for a resource in payments-prod, from an earlier run. */
const EARLIER_REPAIR = {
  version: 1 as const,
  entries: { [`${PAY}/us-east-1/stack-a/AppRole`]: { count: 1, lastRunId: "20260101T000000Z-000000", lastRepairedAt: "2026-01-01T00:00:00.000Z", flagged: false } },
};

function harness(regions: Record<string, FakeRegion> = world(), engine = fakeEngine, sleepYields = false, flappingRecord = EARLIER_REPAIR): Harness {
  const engineCalls: StackRemediationInput[] = [];
  const observer = newObserver();
  const order: string[] = [];
  const clock = { now: T0 };
  const flapping = memoryFlappingStore(flappingRecord);
  const deps: ScanDeps = {
    organizations: new OrganizationsClient({ region: "us-east-1" }),
    sts: new STSClient({ region: "us-east-1" }),
    s3: new S3Client({ region: "us-east-1" }),
    sns: new SNSClient({ region: "us-east-1" }),
    spokeClients: (accountId, region, credentials) => {
      const clients = createSpokeClients(accountId, region, credentials);
      fakeCloudFormation(clients.cloudformation, regions[`${accountId}/${region}`] ?? { stacks: [] }, observer, `${accountId}/${region}`);
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
  return { deps, engineCalls, observer, order, clock, flapping };
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
  mockFlatOrganization(org, [orgAccount(PAY, "payments-prod"), orgAccount(DATA, "data-dev"), orgAccount("444444444444", "suspended-team", "SUSPENDED"), orgAccount("999999999999", "not-onboarded")]);
  sts.on(AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => {
    const account = input.RoleArn.split(":")[4]!;
    if (account === DATA) throw accessDenied(DATA);
    return assumeRoleOutput(account, new Date(T0 + 3_600_000));
  });
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
    expect(usEast!.status).toBe("scanned");
    const stacks = stacksOf(report, PAY, "us-east-1");
    // core-network is in sync with nothing else to say: counted, not listed (report.includeInSync: false).
    expect(usEast!.inSyncStacks).toBe(1);
    expect(stacks.map((s) => [s.stackName, s.scan, s.driftStatus])).toEqual([
      ["old-attempt", "skipped", undefined],
      ["payments-api", "scanned", "DRIFTED"],
      ["payments-api-Queues-1A2B", "scanned", "DRIFTED"],
    ]);
    const api = stacks.find((s) => s.stackName === "payments-api")!;
    expect(api.exemption).toMatchObject({ kind: "expired" });
    expect(api.resources.map((r) => [r.logicalResourceId, r.action.outcome])).toEqual([["function", "remediated"], ["AppRole", "remediated"]]);
    expect(api.resources[0]!.differences).toHaveLength(2);
    const nested = stacks.find((s) => s.stackName === "payments-api-Queues-1A2B")!;
    expect(nested).toMatchObject({ detectionStatusReason: FAILED_REASON, parentStackId: expect.stringContaining("stack/payments-api/") });
    expect(nested.resources[0]).toMatchObject({ status: "DELETED", action: { outcome: "manual" } });
    expect(stacks.find((s) => s.stackName === "old-attempt")!.scanReason).toBe("status ROLLBACK_COMPLETE does not allow drift detection");

    // The engine saw each drifted stack once, with the run's shared guards and the stack's tags.
    expect(h.engineCalls.map((c) => c.stack.stackName).sort()).toEqual(["payments-api", "payments-api-Queues-1A2B"]);
    const call = h.engineCalls.find((c) => c.stack.stackName === "payments-api")!;
    expect(call).toMatchObject({ runId: RUN, region: "us-east-1", exemptions: { tagKey: "driftguard:exempt", maxDays: 90 }, stack: { tags: { team: "payments" } } });
    expect(call.account).toMatchObject({ id: PAY, mode: "remediate", modeRules: [{ stacks: "legacy-*", mode: "report" }] });
    expect(call.clients.region).toBe("us-east-1");
    expect(call.guards).toBe(h.engineCalls[1]!.guards);
    expect(call.drifts.map((d) => d.logicalResourceId)).toEqual(["function", "AppRole"]);

    expect(report.totals).toEqual({
      accounts: 4, accountsFailed: 1, regions: 2,
      stacksScanned: 3, stacksSkipped: 1, stacksFailed: 0, stacksNotScanned: 0, stacksDrifted: 2,
      resourcesDrifted: 3, refused: 0, remediated: 2, planned: 0, skipped: 0, exempt: 0, invalidExemptions: 0, manual: 1, failed: 0,
      guardTrips: 0, contested: 0, runErrors: 0, retried: 0,
      errors: 3, falsePositives: 0, ignored: 0, resourcesNotChecked: 0, resourcesUnknown: 0, nestedStacksNotReached: 0,
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
    const regions = world();
    regions[`${PAY}/us-east-1`]!.stacks.push(
      { summary: stackSummary(PAY, "us-east-1", own), drifts: [roleDrift(PAY, "us-east-1", own)], pollsUntilDone: 1 },
      { summary: stackSummary(PAY, "us-east-1", notOwn), drifts: [roleDrift(PAY, "us-east-1", notOwn)], pollsUntilDone: 1 },
    );
    const h = harness(regions);
    const { report } = await runScan(h.deps, { config, runId: RUN, publish: PUBLISH });
    const ownRow = stacksOf(report, PAY, "us-east-1").find((s) => s.stackName === own)!;
    expect(ownRow).toMatchObject({ scan: "scanned", driftStatus: "DRIFTED" });
    expect(ownRow.resources.map((r) => [r.logicalResourceId, r.action.outcome, r.action.by])).toEqual([["AppRole", "manual", "own-stack"]]);
    expect(ownRow.resources[0]!.action.reason).toContain("never remediated");
    expect(h.engineCalls.map((c) => c.stack.stackName)).not.toContain(own);
    expect(h.engineCalls.map((c) => c.stack.stackName)).toContain(notOwn);
    expect(schemaErrors(report)).toEqual([]);
  });

  it("keeps every drift in the report when the engine fails for a stack", async () => {
    const h = harness(world(), async () => {
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
    const regions: Record<string, FakeRegion> = {
      [`${PAY}/us-east-1`]: {
        stacks: ["a", "b", "c", "d", "e"].map((n) => ({ summary: stackSummary(PAY, "us-east-1", `stack-${n}`), pollsUntilDone: 6 })),
      },
    };
    const oneAtATime: Config = { ...config, defaults: { ...config.defaults, concurrency: { accounts: 1, regionsPerAccount: 1, stacksPerRegion: 1, cloudFormationPerSecond: 10 } } };
    const unseen = { [`${PAY}/us-east-1/stack-c/AppRole`]: { ...EARLIER_REPAIR.entries[`${PAY}/us-east-1/stack-a/AppRole`], count: 2 } };
    const h = harness(regions, fakeEngine, false, { version: 1, entries: { ...EARLIER_REPAIR.entries, ...unseen } });
    // 40 s budget, 30 s margin: new work starts only in the first 10 s; each stack takes 7-9 s of polling.
    const deadline = createDeadline(40_000, h.deps.now, 30_000);
    const { report, publish } = await runScan(h.deps, { config: oneAtATime, runId: RUN, publish: PUBLISH, deadline });

    expect(report.incomplete).toBe(true);
    // stack-a and stack-b were scanned in sync: counted; the three the deadline left are listed.
    expect(report.accounts[0]!.regions[0]!.inSyncStacks).toBe(2);
    expect(stacksOf(report, PAY, "us-east-1").map((s) => [s.stackName, s.scan])).toEqual([
      ["stack-c", "not-scanned"],
      ["stack-d", "not-scanned"],
      ["stack-e", "not-scanned"],
    ]);
    expect(stacksOf(report, PAY, "us-east-1")[0]!.scanReason).toContain("deadline");
    expect(report.accounts[0]!.regions[1]).toEqual({ region: "eu-west-1", status: "not-scanned", stacks: [] });
    expect(report.totals).toMatchObject({ stacksScanned: 2, stacksNotScanned: 3 });
    expect(schemaErrors(report)).toEqual([]);
    expect(publish.s3.ok && publish.sns.ok).toBe(true);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toContain("INCOMPLETE");
    // stack-a was checked and in sync: its counter restarts; stack-c was cut off by the deadline: its counter stays.
    expect(h.flapping.current()).toEqual({ version: 1, entries: unseen });
  });

  it("limits account-regions in flight by the run's slots, not only per account: a hub with one socket runs one at a time", async () => {
    const stacks = (account: string, region: string) => ({ stacks: ["a", "b"].map((n) => ({ summary: stackSummary(account, region, `s-${n}`), pollsUntilDone: 2 })) });
    const regions: Record<string, FakeRegion> = {
      [`${PAY}/us-east-1`]: stacks(PAY, "us-east-1"),
      [`${PAY}/eu-west-1`]: stacks(PAY, "eu-west-1"),
    };
    // No caps but stacks: auto would run both account-regions at once; 125 descriptors leave one socket.
    const auto: Config = {
      ...config,
      accounts: [config.accounts[0]!],
      defaults: { ...config.defaults, concurrency: { stacksPerRegion: 1, cloudFormationPerSecond: 10 } },
    };
    const h = harness(regions, fakeEngine, true);
    const { report } = await runScan(h.deps, { config: auto, runId: RUN, publish: PUBLISH, runtime: { memoryMb: 1024, fileDescriptors: 125 } });
    expect(report.totals.stacksScanned).toBe(4);
    expect(h.observer.maxInFlight).toBe(1);
  });

  it("runs stacks of one account-region in parallel, never more than stacksPerRegion at once", async () => {
    const regions: Record<string, FakeRegion> = {
      [`${PAY}/us-east-1`]: { stacks: ["a", "b", "c", "d", "e", "f"].map((n) => ({ summary: stackSummary(PAY, "us-east-1", `s-${n}`), pollsUntilDone: 2 })) },
    };
    const single: Config = { ...config, accounts: [config.accounts[0]!], defaults: { ...config.defaults, regions: ["us-east-1"], concurrency: { accounts: 1, regionsPerAccount: 1, stacksPerRegion: 3, cloudFormationPerSecond: 10 } } };
    const counters = { version: 1 as const, entries: { ...EARLIER_REPAIR.entries, [`${PAY}/us-east-1/s-a/AppRole`]: { count: 2, lastRunId: "20260101T000000Z-000000", lastRepairedAt: "2026-01-01T00:00:00.000Z", flagged: false } } };
    const h = harness(regions, fakeEngine, true, counters);
    const { report } = await runScan(h.deps, { config: { ...single, accounts: [{ ...single.accounts[0]!, regions: ["us-east-1"] }] }, runId: RUN, publish: PUBLISH });
    expect(report.totals.stacksScanned).toBe(6);
    expect(h.observer.maxInFlight).toBe(3);
    // s-a's detection completed in remediate mode and found AppRole in sync: its count starts again.
    // stack-a was not looked at in this run, so its counter stays as it was.
    expect(h.flapping.current().entries).toEqual(EARLIER_REPAIR.entries);
  });
});
