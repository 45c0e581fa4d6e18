import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { Config } from "../../functions/config/schema.js";
import type { ResourceReport, RunReport } from "../../functions/core/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import { invokeHub, publishedMessages } from "../../sandbox/harness/run-local.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/harness/scenario.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { publishedReport } from "../support/e2e.js";
import { startTestSandbox } from "../support/sandbox.js";

/**
 * The main job end to end: the demo scenario with its own accounts file, scanned by the
 * real Lambda handler through the sandbox's wire protocols. One sandbox, three runs in order:
 * report mode (nothing may change), remediate, and remediate again (nothing left to do).
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
  return readReport(summary);
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
});
