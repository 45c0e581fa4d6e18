import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { AccountReport, RunReport } from "../../functions/core/types.js";
import { hubS3, invokeHub, publishedMessages } from "../../sandbox/harness/run-local.js";
import type { FaultRule } from "../../sandbox/emulator/protocol/faults.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/harness/scenario.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { startTestSandbox } from "../support/sandbox.js";

/**
 * Every fault kind the sandbox can inject ends in a complete report: the failing account, region
 * or stack is marked with the AWS error, and everything else is scanned as usual.
 */

const PAYMENTS = "222222222222";
const SHARED = "444444444444";
// In-sync stacks listed by name: these tests check which stacks each fault left scanned.
const config = { ...loadConfig(DEMO_ACCOUNTS), report: { includeInSync: true } };

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function scanWith(faults: FaultRule[]): Promise<{ report?: RunReport; summary: Awaited<ReturnType<typeof invokeHub>> }> {
  sandbox = await startTestSandbox({ scenarioFile: DEFAULT_SCENARIO, config });
  // Faults start once the run has read its configuration object, which the deployment writes.
  const summary = await invokeHub(sandbox, config, "report", { onProgress: (e) => void (e.kind === "accounts" && sandbox!.setFaults(faults)) });
  if (!summary.s3) return { summary };
  const s3 = hubS3(sandbox);
  const object = await s3.send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: summary.reportKey }));
  return { summary, report: JSON.parse(await object.Body!.transformToString()) as RunReport };
}

const account = (report: RunReport, id: string): AccountReport => report.accounts.find((a) => a.accountId === id)!;
const scannedStacks = (a: AccountReport) => a.regions.flatMap((r) => r.stacks).filter((s) => s.scan === "scanned").map((s) => s.stackName).sort();

describe("fault injection", () => {
  it("an account whose spoke role cannot be assumed is an error row; the others are scanned", async () => {
    const { report } = await scanWith([{ account: SHARED, service: "sts", action: "AssumeRole", error: "AccessDenied" }]);
    expect(account(report!, SHARED)).toMatchObject({ status: "failed", error: { code: "AccessDenied" } });
    expect(scannedStacks(account(report!, PAYMENTS))).toEqual(["iam-baseline", "legacy-reports", "web-tier"]);
    expect(report!.incomplete).toBe(false);
  });

  it("a region whose CloudFormation refuses ListStacks is marked failed; the account's other region is scanned", async () => {
    const { report } = await scanWith([{ account: PAYMENTS, region: "us-east-1", service: "cloudformation", action: "ListStacks", error: "AccessDenied" }]);
    const payments = account(report!, PAYMENTS);
    expect(payments.regions.find((r) => r.region === "us-east-1")).toMatchObject({ status: "failed", error: { code: "AccessDenied" } });
    expect(payments.regions.find((r) => r.region === "eu-west-1")?.status).toBe("scanned");
    expect(scannedStacks(account(report!, SHARED))).toEqual(["edge-security", "network-core"]);
  });

  it("a stack whose drift detection is refused is a failed stack; its neighbours are scanned", async () => {
    const { report } = await scanWith([{ account: SHARED, region: "us-east-1", service: "cloudformation", action: "DetectStackDrift", error: "AccessDenied" }]);
    const stacks = account(report!, SHARED).regions.flatMap((r) => r.stacks);
    expect(stacks.length).toBeGreaterThan(0);
    for (const s of stacks) expect(s).toMatchObject({ scan: "failed", error: { code: "AccessDenied" } });
    expect(scannedStacks(account(report!, PAYMENTS))).toEqual(["iam-baseline", "legacy-reports", "web-tier"]);
    expect(report!.totals.stacksFailed).toBe(stacks.length);
  });

  it("throttled CloudFormation is retried with backoff and the scan completes", async () => {
    const { report } = await scanWith([{ account: PAYMENTS, service: "cloudformation", throttle: { rps: 2, burst: 2 } }]);
    expect(scannedStacks(account(report!, PAYMENTS))).toEqual(["iam-baseline", "legacy-reports", "web-tier"]);
    expect(account(report!, PAYMENTS).status).toBe("scanned");
  });

  it("when the report bucket refuses writes, the SNS message says so and carries the summary", async () => {
    const { summary } = await scanWith([{ account: config.hub.accountId, service: "s3", action: "PutObject", error: "AccessDenied" }]);
    expect(summary.s3).toBe(false);
    expect(summary.sns).toBe(true);
    const message = publishedMessages(sandbox!).at(-1)!.message;
    expect(message).toMatch(/S3/);
    expect(message).toMatch(/AccessDenied/);
    expect(message).toContain("payments-prod");
  });
});
