import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAPPING_STATE_KEY } from "../../functions/aws/bucket-layout.js";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { Config, IgnoreRule } from "../../functions/config/schema.js";
import type { ResourceReport, RunReport } from "../../functions/core/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import { hubS3, invokeHub } from "../../sandbox/harness/run-local.js";
import type { CloudTrailBridgeEvent } from "../../sandbox/emulator/services/cloudtrail/record.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { startTestSandbox } from "../support/sandbox.js";
import { schemaErrors } from "../unit/report/validate.js";

/**
 * CloudFormation's false positives end to end: the sandbox reports every resource of the
 * false-positives scenario MODIFIED, as real CloudFormation does, and driftguard (remediate mode)
 * reports each in-sync as a false positive, writes nothing, and stays so over three runs. Then
 * accounts.yaml ignore rules on the same sandbox: a real change an ignore rule covers is
 * reported `ignored` and left alone; once the rule's `until` has passed it is repaired, and the
 * row says which rule expired.
 */

const SCENARIO = fileURLToPath(new URL("../../sandbox/scenarios/false-positives.yaml", import.meta.url));
const PAYMENTS = "222222222222";
const AUDIT_ROLE_KEY = `${PAYMENTS}/us-east-1/fp-audit/AuditRole`;

let sandbox: Sandbox;
let config: Config;
const spokeWrites: CloudTrailBridgeEvent[] = [];

async function run(withConfig: Config = config): Promise<RunReport> {
  const summary: ScanSummary = await invokeHub(sandbox, withConfig, "remediate");
  const object = await hubS3(sandbox).send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: summary.reportKey }));
  return JSON.parse(await object.Body!.transformToString()) as RunReport;
}

const resources = (report: RunReport): ResourceReport[] =>
  report.accounts.filter((a) => a.accountId === PAYMENTS).flatMap((a) => a.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources)));

/** The live state of the spoke account: roles, groups, buckets. */
function spokeState(): string {
  const account = sandbox.world.accounts.get(PAYMENTS)!;
  const buckets = [...sandbox.world.buckets.values()].filter((b) => b.accountId === PAYMENTS).map(({ objects: _o, ...b }) => b);
  return JSON.stringify({ roles: [...account.roles.values()], groups: [...account.regions].map(([r, s]) => [r, [...s.securityGroups.values()]]), buckets });
}

beforeAll(async () => {
  config = loadConfig("accounts.yaml");
  sandbox = await startTestSandbox({ scenarioFile: SCENARIO, config });
  sandbox.onEvent((e) => {
    if ((e as { account?: string }).account === PAYMENTS) spokeWrites.push(e);
  });
}, 60_000);

afterAll(async () => sandbox?.close());

describe("CloudFormation false positives (sandbox scenario false-positives.yaml)", () => {
  it("are reported in-sync, never repaired, and stay so over three consecutive remediate runs", async () => {
    // A flapping counter from an earlier repair of AuditRole: a run that finds only false
    // positives on it has seen it in sync, so the counter restarts (guards.ts observeStack).
    const admin = new S3Client({ endpoint: sandbox.endpoint, region: sandbox.hub.region, credentials: sandbox.adminCredentials(sandbox.hub.accountId) });
    const earlier = { count: 2, lastRunId: "20261130T000000Z-000000", lastRepairedAt: "2026-11-30T00:00:00.000Z", flagged: false, resourceType: "AWS::IAM::Role" };
    await admin.send(new PutObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: FLAPPING_STATE_KEY, Body: JSON.stringify({ version: 1, entries: { [AUDIT_ROLE_KEY]: earlier } }) }));
    const before = spokeState();
    const reports: RunReport[] = [];
    for (let i = 0; i < 3; i++) reports.push(await run());
    await new Promise((r) => setImmediate(r));

    for (const report of reports) {
      expect(schemaErrors(report)).toEqual([]);
      const rows = resources(report);
      expect(rows.map((r) => [r.logicalResourceId, r.status, r.action.outcome]).sort()).toEqual([
        ["ArchiveBucket", "MODIFIED", "in-sync"],
        ["AuditRole", "MODIFIED", "in-sync"],
        ["BastionSg", "MODIFIED", "in-sync"],
        ["LedgerBucket", "MODIFIED", "in-sync"],
      ]);
      for (const r of rows) expect(r.action.steps, r.logicalResourceId).toEqual([]);
      expect(report.totals).toMatchObject({ resourcesDrifted: 0, remediated: 0, failed: 0, manual: 0, falsePositives: 4, stacksDrifted: 0 });
    }

    const [first] = reports;
    const classes = (id: string) => [...new Set(resources(first!).find((r) => r.logicalResourceId === id)!.falsePositives!.flatMap((f) => f.classes))].sort();
    expect(classes("AuditRole")).toEqual(["account-id-principal", "list-order", "policy-form"]);
    expect(classes("ArchiveBucket")).toEqual(["bucket-encryption-remove"]);
    expect(classes("LedgerBucket")).toEqual(["kms-key-id", "service-defaults"]);
    expect(classes("BastionSg")).toEqual(["service-case"]);
    expect(resources(first!).find((r) => r.logicalResourceId === "ArchiveBucket")!.action.reason).toBe(
      "false positive: bucket-encryption-remove (cloudformation-coverage-roadmap#2554)",
    );
    // The coverage section lists every one of them.
    expect(first!.coverage.drift.falsePositives.map((f) => f.logicalResourceId)).toEqual(expect.arrayContaining(["ArchiveBucket", "AuditRole", "BastionSg", "LedgerBucket"]));

    // No churn: nothing but drift detection was called to change anything in the spoke account, and its state is unchanged.
    const names = spokeWrites.map((e) => (e as { detail?: { eventName?: string } }).detail?.eventName ?? "");
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => n !== "DetectStackDrift")).toEqual([]);
    expect(spokeState()).toBe(before);
    const flapping = JSON.parse(await (await admin.send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: FLAPPING_STATE_KEY }))).Body!.transformToString());
    expect(flapping.entries[AUDIT_ROLE_KEY]).toBeUndefined();
  }, 120_000);

  it("ignore rules: a covered change is left alone with its reason; after `until` it is repaired and the row names the expired rule", async () => {
    const group = [...sandbox.world.accounts.get(PAYMENTS)!.regions.get("us-east-1")!.securityGroups.values()].find((g) => g.description === "Bastion access from the office")!;
    // Ops opens HTTPS from a temporary office range: a real change, which the team lets drift.
    await sandbox.dispatch(PAYMENTS, "us-east-1", "ec2", "AuthorizeSecurityGroupIngress", {
      GroupId: group.groupId,
      IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "198.51.100.0/24", Description: "temporary office" }] }],
    });
    const rule: IgnoreRule = { resourceType: "AWS::EC2::SecurityGroup", property: "/SecurityGroupIngress", reason: "ops opens temporary office ranges", stacks: ["fp-*"] };
    const withIgnore = (r: IgnoreRule): Config => ({ ...config, defaults: { ...config.defaults, ignore: [r] } });
    const bastion = (report: RunReport) => resources(report).find((r) => r.logicalResourceId === "BastionSg")!;
    const writes = () => spokeWrites.map((e) => (e as { detail?: { eventName?: string } }).detail?.eventName ?? "").filter((n) => n !== "DetectStackDrift");
    await new Promise((r) => setImmediate(r));
    // The change above is one of them; a run that leaves it alone adds none.
    const writesBefore = writes().length;

    const ignored = await run(withIgnore(rule));
    expect(schemaErrors(ignored)).toEqual([]);
    expect(bastion(ignored).action).toMatchObject({ outcome: "ignored", steps: [], reason: expect.stringContaining("ignored by accounts.yaml: /SecurityGroupIngress/1 (ops opens temporary office ranges)") });
    expect(ignored.coverage.drift.ignored).toEqual([expect.objectContaining({ logicalResourceId: "BastionSg", rule: "/SecurityGroupIngress", reason: "ops opens temporary office ranges" })]);
    expect(ignored.totals).toMatchObject({ ignored: 1, resourcesDrifted: 0, remediated: 0 });
    await new Promise((r) => setImmediate(r));
    expect(writes().length).toBe(writesBefore);
    expect(group.ingress.map((r) => r.cidrIpv4)).toContain("198.51.100.0/24");

    const expired = await run(withIgnore({ ...rule, until: "2020-01-01" }));
    expect(schemaErrors(expired)).toEqual([]);
    expect(bastion(expired).action).toMatchObject({
      outcome: "remediated",
      reason: expect.stringContaining('EXPIRED ignore rule(s) no longer let /SecurityGroupIngress/1 drift: /SecurityGroupIngress ("ops opens temporary office ranges", until 2020-01-01)'),
    });
    expect(expired.totals).toMatchObject({ ignored: 0, remediated: 1 });
    expect(group.ingress.map((r) => r.cidrIpv4)).not.toContain("198.51.100.0/24");
  }, 120_000);
});
