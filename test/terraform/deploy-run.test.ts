import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../functions/config/schema.js";
import type { RunReport } from "../../functions/core/types.js";
import type { EventOutcome } from "../../functions/events/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import type { DriftguardNames } from "../../modules/names.js";
import type { AsyncInvocation } from "../../sandbox/emulator/services/lambda/invoke.js";
import type { DeployedSandbox } from "../../sandbox/harness/deploy.js";
import type * as DeployedRun from "./deployed-run.js";

/**
 * Issue 15, "running what was deployed": the demo organization (sandbox/scenarios/demo.yaml with
 * its accounts.yaml) starts bare, terraform applies the synthesized hub and spokes into it, and
 * then only deployed things run — the schedule rule fires, EventBridge invokes the deployed
 * Lambda from its own zip with its own environment and role, it scans and remediates; a change in
 * a spoke then travels the deployed rules (spoke default bus → forwarder role → hub bus policy →
 * hub rule → Lambda resource policy) and is reverted. One deployment for both, the real handler
 * bundle (not the tiny one the apply/plan/destroy tests use).
 *
 * The oracles are the sandbox's own state and an independent run: the scan's totals must equal
 * those of `npm start`'s fast path over the same scenario (the world builder derives driftguard's
 * resources from the same synthesized stacks), and each repair is read back from the emulated
 * account, not from the Lambda's answer.
 *
 * CI runs the cheaper half of this on its own apply (test/terraform/deploy.test.ts: one spoke, the
 * scan and the event, no fast-path oracle). This file is the whole demo: measured 178 s of wall
 * (load 17; apply 106 s of it: scanner role 13.7 s, then the hub 92.2 s beside the spokes' 59–64 s;
 * the scan 32.9 s; 85 s of CPU), so it runs with DRIFTGUARD_TF_RUN=1
 * (`DRIFTGUARD_TF_RUN=1 npx vitest run test/terraform/deploy-run.test.ts`), and with
 * DRIFTGUARD_TF_RUN_EXECUTION=fanout the same for `hub.execution: fanout`: the schedule starts the
 * deployed state machine and the fast path runs fanned out too (n15a's `npm start -- --deploy
 * --execution fanout` took 13 min 22 s at load 20–37). Its modules load only then: skipped, the
 * file costs CI nothing but its collection.
 */
const enabled = process.env.DRIFTGUARD_TF_RUN === "1";
const execution = process.env.DRIFTGUARD_TF_RUN_EXECUTION === "fanout" ? "fanout" : "single";

const load = async () => ({
  ...(await import("../../functions/accounts-file/index.js")),
  ...(await import("../../modules/names.js")),
  ...(await import("../../sandbox/emulator/services/events/delivery.js")),
  ...(await import("../../sandbox/emulator/services/lambda/invoke.js")),
  ...(await import("../../sandbox/emulator/services/shared/background.js")),
  ...(await import("../../sandbox/harness/deploy.js")),
  ...(await import("../../sandbox/harness/run-local.js")),
  ...(await import("../../sandbox/harness/scenario.js")),
});
let helpers: typeof DeployedRun;
let m: Awaited<ReturnType<typeof load>>;
let config: Config;
let names: DriftguardNames;
const PAYMENTS = "222222222222";
const SHARED = "444444444444";
const REGION = "us-east-1";
let deployed: DeployedSandbox;

const physicalId = (account: string, stack: string, logicalId: string) => helpers.physicalId(deployed.sandbox, account, stack, logicalId);
const worldOpen = (account: string, groupId: string, port: number) => helpers.worldOpen(deployed.sandbox, account, groupId, port);

beforeAll(async () => {
  if (!enabled) return;
  m = await load();
  helpers = await import("./deployed-run.js");
  const loaded = m.loadConfig(m.DEMO_ACCOUNTS);
  config = { ...loaded, hub: { ...loaded.hub, execution } };
  names = m.driftguardNames(config);
  deployed = await m.deployIntoSandbox({ config, scenarioFile: m.DEFAULT_SCENARIO, print: (line) => console.log(`[deploy] ${line}`) });
}, 900_000);

afterAll(() => deployed?.close(), 900_000);

describe.skipIf(!enabled)(`the deployed driftguard (${execution}) runs in the sandbox (DRIFTGUARD_TF_RUN=1)`, () => {
  let summary: ScanSummary;

  it("the fired schedule makes the deployed Lambda scan and remediate, with the totals npm start's fast path finds", async () => {
    const t = Date.now();
    const others: AsyncInvocation[] = [];
    const stop = m.onAsyncInvocation((o) => others.push(o));
    const scan = await (execution === "fanout" ? m.scanDeployedFanout(deployed) : m.scanDeployed(deployed)).finally(stop);
    summary = scan.summary;
    console.log(
      `[deploy] scan by the deployed ${execution === "fanout" ? "state machine" : "Lambda"}: ${((Date.now() - t) / 1000).toFixed(1)} s, ${others.length} invocations meanwhile; apply ${JSON.stringify(deployed.applySeconds)}`,
    );
    if ("invocation" in scan) expect(scan.invocation.attempts).toBe(1);
    else expect(scan.execution.status).toBe("SUCCEEDED");
    expect(summary.s3).toBe(true);
    const bucket = deployed.sandbox.world.buckets.get(names.reportBucket)!;
    const report = JSON.parse(bucket.objects.get(summary.reportKey)!.body.toString("utf8")) as RunReport;
    expect(report.totals).toEqual(summary.totals);
    // Repairs read back from the accounts: SSH to the world gone from payments-prod's web tier
    // (remediate), the bastion's too in shared-services; the exempt break-glass RDP left alone.
    expect(worldOpen(PAYMENTS, physicalId(PAYMENTS, "web-tier", "WebSecurityGroup"), 22)).toEqual([]);
    expect(worldOpen(SHARED, physicalId(SHARED, "edge-security", "BastionGroup"), 22)).toEqual([]);
    expect(worldOpen(SHARED, physicalId(SHARED, "edge-security", "BreakGlassGroup"), 3389)).toHaveLength(1);
    // The topic the deployment created carried the summary.
    const topic = deployed.sandbox.world.accounts.get(config.hub.accountId)?.regions.get(config.hub.region)?.topics.get(`arn:aws:sns:${config.hub.region}:${config.hub.accountId}:${names.topic}`);
    expect(topic?.published.length).toBeGreaterThan(0);

    // The independent oracle: the fast path over the same scenario, its world built from the same synthesized stacks.
    const fast = await m.runLocal({ scenario: m.DEFAULT_SCENARIO, accounts: m.DEMO_ACCOUNTS, execution, out: `${deployed.stackDirs[names.hubStack]}/fast-out`, verbose: false }, () => undefined);
    expect(summary.totals).toEqual(fast.summary.totals);
  });

  it("SSH opened in a spoke travels spoke bus → hub bus → the deployed Lambda and is reverted", async () => {
    const group = physicalId(PAYMENTS, "web-tier", "WebSecurityGroup");
    const { invocation, hops: hopsOf } = await helpers.openSshAndAwaitScanner(deployed.sandbox, config, PAYMENTS, group);
    expect(invocation.functionError, JSON.stringify(invocation.payload)).toBeUndefined();
    const outcome = invocation.payload as EventOutcome;
    expect(outcome.status, JSON.stringify(outcome)).toBe("handled");
    if (outcome.status === "handled") expect(outcome.report.results.map((r) => r.action.outcome)).toContain("remediated");
    expect(worldOpen(PAYMENTS, group, 22)).toEqual([]);
    await m.backgroundSettled(60_000);
    // Through the deployed rules, each hop delivered: the spoke's forwarding rule to the hub bus, the hub's rule to the function.
    expect(hopsOf()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ruleArn: `arn:aws:events:${REGION}:${PAYMENTS}:rule/${names.forwardingRule}`, targetArn: names.hubEventBusArn, outcome: "delivered" }),
        expect.objectContaining({ targetArn: m.scannerArn(config), outcome: "delivered" }),
      ]),
    );
  });
});
