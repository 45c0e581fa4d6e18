import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { RunReport } from "../../functions/core/types.js";
import { hubS3, invokeHub, invokeHubAnswer, publishedMessages, type Execution } from "../../sandbox/harness/run-local.js";
import { acquireRunLease, releaseRunLease } from "../../functions/scanner/run-lease.js";
import type { SkippedScan } from "../../functions/handler.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/harness/scenario.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { publishedReport } from "../support/e2e.js";
import { startTestSandbox } from "../support/sandbox.js";
import { driftguardNames } from "../../modules/names.js";

/**
 * `hub.execution: fanout` against the emulator: the real handler invoked as the state machine
 * would (plan, one worker per account, reduce) must publish the same consolidated report as the
 * single invocation. Each mode scans its own fresh sandbox of the demo scenario in remediate
 * mode, so both see the same drift and both repair it.
 */

const config = loadConfig(DEMO_ACCOUNTS);


async function scanFresh(execution: Execution, before?: (sandbox: Sandbox) => Promise<void>): Promise<{ report: RunReport; keys: string[] }> {
  const sandbox = await startTestSandbox({ scenarioFile: DEFAULT_SCENARIO, config });
  try {
    await before?.(sandbox);
    const summary = await invokeHub(sandbox, config, "remediate", {}, false, execution);
    expect(summary.s3 && summary.sns).toBe(true);
    const report = await publishedReport(sandbox, summary);
    return { report, keys: [...(sandbox.world.buckets.get(sandbox.hub.reportBucket)?.objects.keys() ?? [])] };
  } finally {
    await sandbox.close();
  }
}

const HOLDER = "20261201T000000Z-0000aa";

/**
 * Before the fan-out run (its sandbox reused, one sandbox start less in CI): a manual run holds
 * the run lease, taken as the hub role takes it (If-None-Match on the real wire protocol). The
 * fan-out must end cleanly and say so — no manifest, items, parts or report, no repair, one SNS
 * message naming the holder — and run normally once the holder releases the lease.
 */
async function skippedWhileLeaseHeld(sandbox: Sandbox): Promise<void> {
  const target = { s3: hubS3(sandbox), bucket: sandbox.hub.reportBucket, backoff: { sleep: async () => {}, random: Math.random }, now: Date.now };
  expect((await acquireRunLease(target, { runId: HOLDER, trigger: "manual", ttlMs: 900_000 })).kind).toBe("held");
  // The configuration object is the deployment's (invokeHub writes it as the hub stack does), not the run's.
  const configKey = driftguardNames(config).configKey;
  const objects = () => [...(sandbox.world.buckets.get(sandbox.hub.reportBucket)?.objects.keys() ?? [])].filter((key) => key !== configKey);
  const before = objects();

  const answer = (await invokeHubAnswer(sandbox, config, "remediate", {}, false, "fanout")) as SkippedScan;
  expect(answer.skipped).toMatch(new RegExp(`^another run in progress \\(run ${HOLDER}, manual, since `));
  expect(answer.holder.runId).toBe(HOLDER);
  expect(objects()).toEqual(before);
  expect(publishedMessages(sandbox).map((m) => m.subject)).toEqual([`driftguard: scan SKIPPED, run ${HOLDER} still in progress`]);
  expect(await releaseRunLease(target, HOLDER)).toBeUndefined();
}

/** Timestamps differ between any two runs; the run id also appears inside change set names. */
const TIMESTAMPS = new Set(["startedAt", "finishedAt", "detectedAt", "lastRepairedAt", "eventTime", "firstSeen"]);

function comparable(report: RunReport): unknown {
  const text = JSON.stringify(report, (key, value: unknown) => (TIMESTAMPS.has(key) ? undefined : value));
  return JSON.parse(text.replaceAll(report.runId, "<runId>"));
}

describe("fan-out execution in the sandbox", () => {
  it("publishes the same consolidated report as the single invocation (after a clean skip while another run held the lease)", async () => {
    const single = await scanFresh("single");
    const fanout = await scanFresh("fanout", skippedWhileLeaseHeld);

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
