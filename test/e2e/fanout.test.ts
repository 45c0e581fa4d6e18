import { GetObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config/load.js";
import type { RunReport } from "../../functions/core/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import { hubS3, invokeHub, type Execution } from "../../sandbox/run-local.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/scenario.js";
import { startSandbox, type Sandbox } from "../../sandbox/server.js";
import { schemaErrors } from "../unit/report/validate.js";

/**
 * `hub.execution: fanout` against the emulator: the real handler invoked as the state machine
 * would (plan, one worker per account, reduce) must publish the same consolidated report as the
 * single invocation. Each mode scans its own fresh sandbox of the demo scenario in remediate
 * mode, so both see the same drift and both repair it.
 */

const config = loadConfig(DEMO_ACCOUNTS);

async function readReport(sandbox: Sandbox, summary: ScanSummary): Promise<RunReport> {
  const s3 = hubS3(sandbox);
  const object = await s3.send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: summary.reportKey }));
  return JSON.parse(await object.Body!.transformToString()) as RunReport;
}

async function scanFresh(execution: Execution): Promise<{ report: RunReport; keys: string[] }> {
  const sandbox = await startSandbox({ scenarioFile: DEFAULT_SCENARIO, config });
  try {
    const summary = await invokeHub(sandbox, config, "remediate", {}, false, execution);
    expect(summary.s3 && summary.sns).toBe(true);
    const report = await readReport(sandbox, summary);
    expect(schemaErrors(report)).toEqual([]);
    return { report, keys: [...(sandbox.world.buckets.get(sandbox.hub.reportBucket)?.objects.keys() ?? [])] };
  } finally {
    await sandbox.close();
  }
}

/** Timestamps differ between any two runs; the run id also appears inside change set names. */
const TIMESTAMPS = new Set(["startedAt", "finishedAt", "detectedAt", "lastRepairedAt", "eventTime"]);

function comparable(report: RunReport): unknown {
  const text = JSON.stringify(report, (key, value: unknown) => (TIMESTAMPS.has(key) ? undefined : value));
  return JSON.parse(text.replaceAll(report.runId, "<runId>"));
}

describe("fan-out execution in the sandbox", () => {
  it("publishes the same consolidated report as the single invocation", async () => {
    const single = await scanFresh("single");
    const fanout = await scanFresh("fanout");

    expect(comparable(fanout.report)).toEqual(comparable(single.report));
    // Not vacuous: the demo has repairs, a failed account and listed-only accounts.
    expect(fanout.report.totals).toMatchObject({ remediated: 5, accountsFailed: 1 });
    expect(fanout.report.accounts.map((a) => a.status)).toContain("scanned");

    // The fan-out went through S3: a plan, work items and one part per worker.
    const run = `runs/${fanout.report.runId}/`;
    const runKeys = fanout.keys.filter((k) => k.startsWith(run)).map((k) => k.slice(run.length));
    expect(runKeys).toEqual(expect.arrayContaining(["manifest.json", "items.json", "budget.json"]));
    const withWorkers = fanout.report.accounts.filter((a) => a.status !== "suspended" && a.status !== "not-in-organization");
    expect(runKeys.filter((k) => k.startsWith("parts/")).sort()).toEqual(withWorkers.map((a) => `parts/${a.accountId}.json`).sort());
    expect(single.keys.some((k) => k.startsWith("runs/"))).toBe(false);
  });
});
