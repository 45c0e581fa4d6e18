import { GetObjectCommand } from "@aws-sdk/client-s3";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config/load.js";
import type { Config } from "../../functions/config/schema.js";
import type { ResourceReport, RunReport } from "../../functions/core/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import { hubS3, invokeHub } from "../../sandbox/run-local.js";
import type { CloudTrailBridgeEvent } from "../../sandbox/services/cloudtrail-record.js";
import { startSandbox, type Sandbox } from "../../sandbox/server.js";
import { schemaErrors } from "../unit/report/validate.js";

/**
 * CloudFormation's false positives end to end: the sandbox reports every resource of the
 * false-positives scenario MODIFIED, as real CloudFormation does, and driftguard (remediate mode)
 * reports each in-sync as a false positive, writes nothing, and stays so over three runs.
 */

const SCENARIO = fileURLToPath(new URL("../../sandbox/scenarios/false-positives.yaml", import.meta.url));
const PAYMENTS = "222222222222";

let sandbox: Sandbox;
let config: Config;
const spokeWrites: CloudTrailBridgeEvent[] = [];

async function run(): Promise<RunReport> {
  const summary: ScanSummary = await invokeHub(sandbox, config, "remediate");
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
  sandbox = await startSandbox({ scenarioFile: SCENARIO, config });
  sandbox.onEvent((e) => {
    if ((e as { account?: string }).account === PAYMENTS) spokeWrites.push(e);
  });
}, 60_000);

afterAll(async () => sandbox?.close());

describe("CloudFormation false positives (sandbox scenario false-positives.yaml)", () => {
  it("are reported in-sync, never repaired, and stay so over three consecutive remediate runs", async () => {
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
  }, 120_000);
});
