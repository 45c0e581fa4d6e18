import { Logger } from "@aws-lambda-powertools/logger";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAPPING_STATE_KEY } from "../../functions/aws/bucket-layout.js";
import { createHubClients, RETRY } from "../../functions/aws/clients.js";
import { type Config } from "../../functions/config/schema.js";
import { configSchema } from "../../functions/accounts-file/index.js";
import type { ResourceReport, RunReport } from "../../functions/core/types.js";
import { handleChangeEvent } from "../../functions/events/handle.js";
import { RecentIds } from "../../functions/events/recent-ids.js";
import type { EventDeps, EventOutcome } from "../../functions/events/types.js";
import { eventDeps, scanDeps } from "../../functions/runtime/wiring.js";
import { runScan, type RunScanResult } from "../../functions/scanner/run.js";
import { invokeHub, publishedMessages } from "../../sandbox/harness/run-local.js";
import { principalOfAccessKey } from "../../sandbox/harness/running-worlds.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import type { CloudTrailBridgeEvent } from "../../sandbox/emulator/services/cloudtrail/record.js";
import { assumedRoleIdentity, fakeMetrics } from "../unit/events/helpers.js";
import { administratorSession, startTestSandbox } from "../support/sandbox.js";

/**
 * Issue 12's attacks, as a hostile member-account user and as an operator under faults, against
 * the emulator with the production wiring: each change is a real API call to the sandbox, each
 * scan the real runScan over the sandbox's S3/SNS/STS/CloudFormation, each event the EventBridge
 * event the sandbox records for the call.
 */

const HUB = "111111111111";
const SPOKE = "222222222222";
const OUTSIDER = "999999999999";
const REGION = "us-east-1";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const WEB_STACKS = ["web-a", "web-b", "web-c"];

const config: Config = configSchema.parse({
  version: 1,
  organization: { id: "o-example0001" },
  hub: { accountId: HUB, region: REGION },
  defaults: { regions: [REGION], mode: "remediate", remediation: { maxPerRun: 4, maxPerAccount: 10, flappingThreshold: 3 } },
  accounts: [{ id: SPOKE, name: "payments-prod" }],
  // Every stack listed (in sync too): the retry test counts the region's stacks.
  report: { includeInSync: true },
});

let sandbox: Sandbox;
let hubS3: S3Client;
let events: EventDeps;
const silent = new Logger({ serviceName: "driftguard", logLevel: "SILENT" });
const previousEndpoint = process.env.AWS_ENDPOINT_URL;
let runs = 0;

/** Events are handled only when a test says so: scans must see the drift the test made. */
let onEvent: ((event: CloudTrailBridgeEvent) => void) | undefined;

beforeAll(async () => {
  sandbox = await startTestSandbox({
    config,
    scenario: {
      organization: { managementAccount: OUTSIDER },
      accounts: [
        { id: OUTSIDER, name: "management" },
        { id: HUB, name: "driftguard-hub" },
        { id: SPOKE, name: "payments-prod" },
      ],
      stacks: [
        { account: SPOKE, region: REGION, name: "iam-baseline", template: "sandbox/scenarios/templates/iam-baseline.yaml" },
        ...WEB_STACKS.map((name) => ({ account: SPOKE, region: REGION, name, template: "sandbox/scenarios/templates/web-tier.yaml", parameters: { Environment: "prod" } })),
      ],
    },
    latency: { apiMs: 1, detectionMs: [20, 60] },
  });
  process.env.AWS_ENDPOINT_URL = sandbox.endpoint;
  // A person in the hub account, not the scanner: the scanner role may not delete (modules/scanner-function.ts).
  hubS3 = new S3Client({ region: REGION, credentials: sandbox.adminCredentials(HUB) });
  events = {
    ...eventDeps(
      { settings: { config: { kind: "file", file: "(in memory)" }, reportBucket: sandbox.hub.reportBucket, topicArn: sandbox.hub.topicArn }, config, hub: hubClients() },
      silent,
      new RecentIds(),
    ),
    metrics: fakeMetrics().metrics,
  };
  sandbox.onEvent((event) => onEvent?.(event));
});

afterAll(async () => {
  if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = previousEndpoint;
  await sandbox?.close();
});

/** The hub's clients as the Lambda builds them (createHubClients: its retry settings), on the sandbox hub role's session. */
const hubClients = () => createHubClients(REGION, sandbox.hubCredentials);

function scan(cfg: Config = config): Promise<RunScanResult> {
  runs++;
  return runScan(scanDeps(hubClients(), sandbox.hub.reportBucket, silent), {
    config: cfg,
    runId: `20261201T000000Z-${String(runs).padStart(6, "0")}`,
    publish: { bucket: sandbox.hub.reportBucket, topicArn: sandbox.hub.topicArn },
  });
}

function physicalId(stack: string, logicalId: string): string {
  const stacks = sandbox.world.accounts.get(SPOKE)?.regions.get(REGION)?.stacks ?? [];
  const id = stacks.find((s) => s.stackName === stack)?.resources.find((r) => r.logicalId === logicalId)?.physicalId;
  if (!id) throw new Error(`${stack}/${logicalId} not deployed`);
  return id;
}

const spoke = (service: string, action: string, params: unknown) => sandbox.dispatch(SPOKE, REGION, service, action, params);
const resources = (report: RunReport): ResourceReport[] => report.accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources)));
const resourceIn = (report: RunReport, stack: string, logicalId: string) =>
  report.accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks)).find((s) => s.stackName === stack)?.resources.find((r) => r.logicalResourceId === logicalId);

const role = () => sandbox.world.accounts.get(SPOKE)?.roles.get(physicalId("iam-baseline", "AppRole"));
const ingress = (stack: string) => sandbox.world.accounts.get(SPOKE)?.regions.get(REGION)?.securityGroups.get(physicalId(stack, "WebSecurityGroup"))?.ingress ?? [];
const versioning = (stack: string) => sandbox.world.buckets.get(physicalId(stack, "AssetsBucket"))?.versioning;
const sshToWorld = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
const openSsh = (stack: string) => spoke("ec2", "AuthorizeSecurityGroupIngress", { GroupId: physicalId(stack, "WebSecurityGroup"), IpPermissions: [sshToWorld] });
const suspendVersioning = (stack: string) => spoke("s3", "PutBucketVersioning", { Bucket: physicalId(stack, "AssetsBucket"), VersioningConfiguration: { Status: "Suspended" } });

async function flappingRecord(): Promise<{ entries: Record<string, { count: number; flagged: boolean; eventRepairs?: number }> } | undefined> {
  try {
    const out = await hubS3.send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: FLAPPING_STATE_KEY }));
    return JSON.parse(await out.Body!.transformToString()) as { entries: Record<string, { count: number; flagged: boolean }> };
  } catch {
    return undefined;
  }
}

/** Handles every event the sandbox records while `act` runs, and waits for `count` of them. */
async function withEvents(count: number, act: () => Promise<void>): Promise<EventOutcome[]> {
  const outcomes: Promise<EventOutcome>[] = [];
  onEvent = (event) => outcomes.push(handleChangeEvent(event, events));
  try {
    await act();
    await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(count);
    return await Promise.all(outcomes);
  } finally {
    onEvent = undefined;
  }
}

describe("guards a member account cannot switch off (issue 12)", () => {
  it("four AttachRolePolicy of AdministratorAccess within a second are all reverted, and the next scan does not skip the role", async () => {
    const outcomes = await withEvents(4, async () => {
      await Promise.all([0, 1, 2, 3].map(() => spoke("iam", "AttachRolePolicy", { RoleName: physicalId("iam-baseline", "AppRole"), PolicyArn: ADMIN })));
    });
    const attaches = outcomes.filter((o) => o.status === "handled" && o.report.eventName === "AttachRolePolicy");
    expect(attaches).toHaveLength(4);
    expect(role()?.managedPolicyArns).not.toContain(ADMIN);
    // Events never count as runs: nothing is flagged.
    expect(Object.values((await flappingRecord())?.entries ?? {}).filter((e) => e.flagged)).toEqual([]);

    // The attacker attaches it once more, between events and the schedule (no event handled this time).
    await spoke("iam", "AttachRolePolicy", { RoleName: physicalId("iam-baseline", "AppRole"), PolicyArn: ADMIN });
    const { report } = await scan();
    const appRole = resourceIn(report, "iam-baseline", "AppRole");
    expect(appRole?.action).toMatchObject({ outcome: "remediated", securityCritical: [{ class: "admin-policy", detail: `attached ${ADMIN}` }] });
    expect(appRole?.action.guard).toBeUndefined();
    expect(role()?.managedPolicyArns).not.toContain(ADMIN);
    expect(report.totals.guardTrips).toBe(0);
  });

  it("a role re-drifted in three consecutive scans is contested: still reverted when critical, named in the errors", async () => {
    let report: RunReport | undefined;
    for (let i = 0; i < 4; i++) {
      await spoke("iam", "AttachRolePolicy", { RoleName: physicalId("iam-baseline", "AppRole"), PolicyArn: ADMIN });
      ({ report } = await scan());
    }
    const appRole = resourceIn(report!, "iam-baseline", "AppRole");
    expect(appRole?.action).toMatchObject({ outcome: "remediated", contested: { scans: expect.any(Number) } });
    expect(appRole!.action.contested!.scans).toBeGreaterThanOrEqual(3);
    expect(report!.totals.contested).toBe(1);
    expect(report!.totals.errors).toBeGreaterThanOrEqual(1);
    expect(role()?.managedPolicyArns).not.toContain(ADMIN);
    // A person clears the entry to end the escalation.
    await hubS3.send(new DeleteObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: FLAPPING_STATE_KEY }));
  });

  const unreadable: [string, () => Promise<void>, string][] = [
    [
      "not JSON",
      async () => {
        await hubS3.send(new PutObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: FLAPPING_STATE_KEY, Body: "{ not json" }));
      },
      "GuardStateUnreadable",
    ],
    ["s3:GetObject denied", async () => sandbox.setFaults([{ account: HUB, service: "s3", action: "GetObject", error: "AccessDenied" }]), "GuardStateUnreadable"],
  ];
  it.each(unreadable)("an unreadable flapping record (%s) stops routine repairs loudly on every run, and critical reverts go on", async (_name, breakIt, code) => {
    await breakIt();
    try {
      for (let i = 0; i < 2; i++) {
        await openSsh("web-a");
        await suspendVersioning("web-a");
        const { report } = await scan();
        expect(report.runErrors.map((e) => e.code)).toContain(code);
        const bucket = resourceIn(report, "web-a", "AssetsBucket");
        expect(bucket?.action).toMatchObject({ outcome: "skipped", guard: "guard-state" });
        expect(resourceIn(report, "web-a", "WebSecurityGroup")?.action).toMatchObject({ outcome: "remediated", securityCritical: [{ class: "world-open-ingress" }] });
        expect(report.totals.errors).toBeGreaterThanOrEqual(2);
        expect(ingress("web-a").filter((r) => r.fromPort === 22)).toEqual([]);
        expect(versioning("web-a")).toBe("Suspended");
      }
    } finally {
      sandbox.setFaults([]);
    }
    // Left as the person will find it: never overwritten while unreadable.
    if (_name === "not JSON") {
      const out = await hubS3.send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: FLAPPING_STATE_KEY }));
      expect(await out.Body!.transformToString()).toBe("{ not json");
    }
    await hubS3.send(new DeleteObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: FLAPPING_STATE_KEY }));
    const { report } = await scan();
    expect(report.runErrors).toEqual([]);
    expect(versioning("web-a")).toBe("Enabled");
  });

  const attacks = ["reason=INC-1,until=2020-01-01", "reason=INC-1 until 2020-01-01", "reason=INC-1;until=9999-12-31"];
  it.each(attacks)("the exemption %s exempts nothing: SSH to the world is closed in remediate mode", async (value) => {
    await spoke("ec2", "CreateTags", { Resources: [physicalId("web-b", "WebSecurityGroup")], Tags: [{ Key: "driftguard:exempt", Value: value }] });
    await openSsh("web-b");
    const { report } = await scan();
    const group = resourceIn(report, "web-b", "WebSecurityGroup");
    expect(group?.exemption).toMatchObject({ kind: "invalid", raw: value });
    expect(group?.action.outcome).toBe("remediated");
    expect(report.totals.invalidExemptions).toBe(1);
    expect(report.exemptions).toEqual([]);
    expect(ingress("web-b").filter((r) => r.fromPort === 22)).toEqual([]);
  });

  it("a valid exemption is honoured and listed with its expiry, and, with CloudTrail lookup on, who set the tag", async () => {
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    // The tag is set by a person's role session, the way an operator in the member account would.
    await spoke("iam", "CreateRole", { RoleName: "Operator", AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${SPOKE}:root` }, Action: "sts:AssumeRole" }] }) });
    await spoke("iam", "AttachRolePolicy", { RoleName: "Operator", PolicyArn: ADMIN });
    // Root may not call AssumeRole (API_AssumeRole.html): carol signs in through an administrator's session.
    const admin = principalOfAccessKey((await administratorSession(sandbox, SPOKE, "ops")).accessKeyId)!;
    const session = (await sandbox.dispatch(SPOKE, REGION, "sts", "AssumeRole", { RoleArn: `arn:aws:iam::${SPOKE}:role/Operator`, RoleSessionName: "carol" }, admin)) as { Credentials: { AccessKeyId: string } };
    const carol = principalOfAccessKey(session.Credentials.AccessKeyId)!;
    await sandbox.dispatch(SPOKE, REGION, "ec2", "CreateTags", { Resources: [physicalId("web-b", "WebSecurityGroup")], Tags: [{ Key: "driftguard:exempt", Value: `reason=INC-7;until=${until}` }] }, carol);
    await openSsh("web-b");
    const withLookup = configSchema.parse({ ...config, accounts: [{ id: SPOKE, name: "payments-prod", cloudTrailLookup: true }] });
    const { report } = await scan(withLookup);
    // Found by CloudTrail LookupEvents on the group id, past the later AuthorizeSecurityGroupIngress (not a tagging call).
    expect(report.exemptions).toEqual([
      {
        accountId: SPOKE,
        region: REGION,
        stackName: "web-b",
        logicalResourceId: "WebSecurityGroup",
        on: "resource",
        reason: "INC-7",
        until,
        setBy: expect.objectContaining({ arn: `arn:aws:sts::${SPOKE}:assumed-role/Operator/carol`, eventName: "CreateTags", source: "cloudtrail-lookup" }),
      },
    ]);
    await spoke("ec2", "DeleteTags", { Resources: [physicalId("web-b", "WebSecurityGroup")], Tags: [{ Key: "driftguard:exempt" }] });
    await scan();
    expect(ingress("web-b").filter((r) => r.fromPort === 22)).toEqual([]);
  });

  it("two scans started at the same moment with maxPerRun 4: one runs, the other says another run is in progress; 4 repairs in all", async () => {
    // The exemption attacks above made web-b's group contested (3 consecutive repairs); a person clears it.
    await hubS3.send(new DeleteObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: FLAPPING_STATE_KEY }));
    for (const stack of WEB_STACKS) {
      await suspendVersioning(stack);
      await spoke("ec2", "AuthorizeSecurityGroupIngress", {
        GroupId: physicalId(stack, "WebSecurityGroup"),
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: "10.9.0.0/16" }] }],
      });
    }
    const results = await Promise.allSettled([scan(), scan()]);
    const done = results.filter((r): r is PromiseFulfilledResult<RunScanResult> => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(done).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatchObject({ name: "RunInProgress", message: expect.stringMatching(/^another run in progress \(run 20261201T000000Z-\d{6}, schedule, since /) });

    const report = done[0]!.value.report;
    expect(report.totals.remediated).toBe(4);
    expect(report.totals.guardTrips).toBe(2);
    expect(resources(report).filter((r) => r.action.guard === "blast-radius")).toHaveLength(2);
    const repairedInWorld = WEB_STACKS.filter((s) => versioning(s) === "Enabled").length + WEB_STACKS.filter((s) => !ingress(s).some((r) => r.fromPort === 8080)).length;
    expect(repairedInWorld).toBe(4);

    // The lease was released: the next run takes it and finishes the rest.
    const { report: next } = await scan();
    expect(next.totals).toMatchObject({ remediated: 2, guardTrips: 0 });
    expect(WEB_STACKS.every((s) => versioning(s) === "Enabled" && !ingress(s).some((r) => r.fromPort === 8080))).toBe(true);
  });

  it("a role named like the spoke role, in an account that is not onboarded, is not driftguard: its change is reverted", async () => {
    // The change as the sandbox records it; then delivered as the outsider's lookalike role session would appear.
    const recorded: CloudTrailBridgeEvent[] = [];
    const stop = sandbox.onEvent((e) => recorded.push(e));
    await spoke("ec2", "AuthorizeSecurityGroupIngress", { GroupId: physicalId("web-c", "WebSecurityGroup"), IpPermissions: [{ ...sshToWorld, FromPort: 2222, ToPort: 2222 }] });
    await expect.poll(() => recorded.length, { timeout: 5_000 }).toBeGreaterThan(0);
    stop();
    const original = recorded.at(-1)!;
    const lookalike = { ...original, id: `${original.id}-x`, detail: { ...original.detail, eventID: `${original.detail.eventID}-x`, userIdentity: assumedRoleIdentity(`arn:aws:iam::${OUTSIDER}:role/${config.spoke.roleName}`, "mallory") } };
    const outcome = await handleChangeEvent(lookalike, events);
    expect(outcome.status).toBe("handled");
    expect(ingress("web-c").filter((r) => r.fromPort === 2222)).toEqual([]);
  });
});

describe("runs under faults (issue 12)", () => {
  const outages: [string, { service: string; action: string }, (report: RunReport) => unknown][] = [
    ["STS AssumeRole", { service: "sts", action: "AssumeRole" }, (r) => r.accounts[0]?.retried],
    ["CloudFormation ListStacks", { service: "cloudformation", action: "ListStacks" }, (r) => r.accounts[0]?.regions[0]?.retried],
  ];
  // An outage that outlasts every SDK attempt of the first pass (RETRY.maxAttempts) and is over by
  // the run's own retry: counted in calls, not seconds, so a slow machine cannot race it.
  it.each(outages)("a ServiceUnavailable outage from %s that outlasts the SDK's retries is retried once at the end of the run, and the report says so", async (_name, target, retriedOf) => {
    sandbox.setFaults([{ account: SPOKE, ...target, error: "ServiceUnavailable", status: 503, message: "Service Unavailable", times: RETRY.maxAttempts }]);
    try {
      const { report } = await scan();
      expect(report.accounts[0]).toMatchObject({ status: "scanned" });
      expect(report.accounts[0]?.regions[0]).toMatchObject({ status: "scanned" });
      expect(retriedOf(report)).toEqual({ error: expect.objectContaining({ code: "ServiceUnavailable" }), outcome: "recovered" });
      expect(report.totals).toMatchObject({ retried: 1, accountsFailed: 0 });
      expect(report.accounts[0]?.regions[0]?.stacks.length).toBe(4);
    } finally {
      sandbox.setFaults([]);
    }
  }, 60_000);

  it("when the report bucket refuses the event record, SNS still carries it and the outcome is not 'dropped'", async () => {
    sandbox.setFaults([{ account: HUB, service: "s3", action: "PutObject", error: "AccessDenied" }]);
    try {
      const before = publishedMessages(sandbox).length;
      const [outcome] = await withEvents(1, () => openSsh("web-c").then(() => undefined));
      expect(outcome).toMatchObject({ status: "handled", summary: "remediated, record not stored", delivery: { record: { ok: false, error: { code: "AccessDenied" } }, notification: { ok: true, sent: true } } });
      expect(publishedMessages(sandbox).slice(before).at(-1)?.message).toContain("NOT stored");
      expect(ingress("web-c").filter((r) => r.fromPort === 22)).toEqual([]);
    } finally {
      sandbox.setFaults([]);
    }
  });

  it("when SNS fails after a repair, the event path reports 'remediated, notification failed' and keeps the record", async () => {
    sandbox.setFaults([{ account: HUB, service: "sns", action: "Publish", error: "InternalError", status: 500 }]);
    try {
      const [outcome] = await withEvents(1, () => openSsh("web-c").then(() => undefined));
      expect(outcome).toMatchObject({ status: "handled", summary: "remediated, notification failed", delivery: { record: { ok: true }, notification: { ok: false } } });
    } finally {
      sandbox.setFaults([]);
    }
  });

  it("with S3 and SNS both down, the scan leaves no record and fails the invocation", async () => {
    // Down once the run has read its configuration object (which the deployment, not the run, writes).
    const outage = () =>
      sandbox.setFaults([
        { account: HUB, service: "s3", action: "PutObject", error: "ServiceUnavailable", status: 503 },
        { account: HUB, service: "sns", action: "Publish", error: "InternalError", status: 500 },
      ]);
    try {
      await expect(invokeHub(sandbox, config, "report", { onProgress: (e) => void (e.kind === "accounts" && outage()) })).rejects.toMatchObject({ name: "ReportNotDelivered", message: expect.stringMatching(/could be neither stored \(ServiceUnavailable.*\) nor notified \(InternalError/) });
    } finally {
      sandbox.setFaults([]);
    }
  }, 60_000);
});
