import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../functions/config/schema.js";
import type { RunReport } from "../../functions/core/types.js";
import type { EventOutcome } from "../../functions/events/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import type { DriftguardNames } from "../../modules/names.js";
import type { AsyncInvocation } from "../../sandbox/emulator/services/lambda/invoke.js";
import type { DeployedSandbox } from "../../sandbox/harness/deploy.js";

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
 * Wall ~3–4 min on 2 loaded cores (apply of hub + 3 spokes dominates, mostly the provider's own
 * consistency polls), which CI's 15-minute budget has no room for, so it runs with
 * DRIFTGUARD_TF_RUN=1 (`DRIFTGUARD_TF_RUN=1 npx vitest run test/terraform/deploy-run.test.ts`).
 * Its modules load only then: skipped, the file costs CI nothing but its collection.
 */
const enabled = process.env.DRIFTGUARD_TF_RUN === "1";

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
let m: Awaited<ReturnType<typeof load>>;
let config: Config;
let names: DriftguardNames;
const PAYMENTS = "222222222222";
const SHARED = "444444444444";
const REGION = "us-east-1";
let deployed: DeployedSandbox;

function physicalId(account: string, stack: string, logicalId: string): string {
  const stacks = deployed.sandbox.world.accounts.get(account)?.regions.get(REGION)?.stacks ?? [];
  const id = stacks.find((s) => s.stackName === stack && s.status !== "DELETE_COMPLETE")?.resources.find((r) => r.logicalId === logicalId)?.physicalId;
  if (!id) throw new Error(`${stack}/${logicalId} not deployed in ${account}`);
  return id;
}

/** The group's ingress rules open to the whole internet on `port`. */
const worldOpen = (account: string, groupId: string, port: number) =>
  (deployed.sandbox.world.accounts.get(account)?.regions.get(REGION)?.securityGroups.get(groupId)?.ingress ?? []).filter((r) => r.fromPort === port && r.cidrIpv4 === "0.0.0.0/0");

/** The deployed scanner's next asynchronous invocation whose event `matches`, started by `trigger`. */
function invocationFor(matches: (event: unknown) => boolean, trigger: () => Promise<unknown>, timeoutMs = 120_000): Promise<AsyncInvocation> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no invocation of ${names.scannerFunction} for the change within ${timeoutMs / 1000} s; deliveries: ${JSON.stringify(m.deliveries.slice(-6))}`));
    }, timeoutMs);
    const stop = m.onAsyncInvocation((o) => {
      if (o.functionArn === m.scannerArn(config) && matches(o.event)) {
        clearTimeout(timer);
        stop();
        resolve(o);
      }
    });
    trigger().catch(reject);
  });
}

beforeAll(async () => {
  if (!enabled) return;
  m = await load();
  config = m.loadConfig(m.DEMO_ACCOUNTS);
  names = m.driftguardNames(config);
  deployed = await m.deployIntoSandbox({ config, scenarioFile: m.DEFAULT_SCENARIO, print: (line) => console.log(`[deploy] ${line}`) });
}, 900_000);

afterAll(() => deployed?.close(), 900_000);

describe.skipIf(!enabled)("the deployed driftguard runs in the sandbox (DRIFTGUARD_TF_RUN=1)", () => {
  let summary: ScanSummary;

  it("the fired schedule makes the deployed Lambda scan and remediate, with the totals npm start's fast path finds", async () => {
    const t = Date.now();
    const others: AsyncInvocation[] = [];
    const stop = m.onAsyncInvocation((o) => others.push(o));
    const scan = await m.scanDeployed(deployed).finally(stop);
    summary = scan.summary;
    console.log(
      `[deploy] scan by the deployed Lambda: ${((Date.now() - t) / 1000).toFixed(1)} s, ${scan.invocation.attempts} attempt(s), ${others.length - 1} other invocations meanwhile; apply ${JSON.stringify(deployed.applySeconds)}`,
    );
    expect(scan.invocation.attempts).toBe(1);
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
    const fast = await m.runLocal({ scenario: m.DEFAULT_SCENARIO, accounts: m.DEMO_ACCOUNTS, out: `${deployed.stackDirs[names.hubStack]}/fast-out`, verbose: false }, () => undefined);
    expect(summary.totals).toEqual(fast.summary.totals);
  });

  it("SSH opened in a spoke travels spoke bus → hub bus → the deployed Lambda and is reverted", async () => {
    const group = physicalId(PAYMENTS, "web-tier", "WebSecurityGroup");
    const before = m.deliveries.length;
    const invocation = await invocationFor(
      (event) => {
        const e = event as { detail?: { eventName?: string; requestParameters?: { groupId?: string } } };
        return e.detail?.eventName === "AuthorizeSecurityGroupIngress" && e.detail.requestParameters?.groupId === group;
      },
      () =>
        deployed.sandbox.dispatch(PAYMENTS, REGION, "ec2", "AuthorizeSecurityGroupIngress", {
          GroupId: group,
          IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "after the deploy" }] }],
        }),
    );
    expect(invocation.functionError, JSON.stringify(invocation.payload)).toBeUndefined();
    const outcome = invocation.payload as EventOutcome;
    expect(outcome.status, JSON.stringify(outcome)).toBe("handled");
    if (outcome.status === "handled") expect(outcome.report.results.map((r) => r.action.outcome)).toContain("remediated");
    expect(worldOpen(PAYMENTS, group, 22)).toEqual([]);
    await m.backgroundSettled(60_000);
    // Through the deployed rules, each hop delivered: the spoke's forwarding rule to the hub bus, the hub's rule to the function.
    const hops = m.deliveries.slice(before).filter((d) => d.eventId === (invocation.event as { id: string }).id);
    expect(hops).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ruleArn: `arn:aws:events:${REGION}:${PAYMENTS}:rule/${names.forwardingRule}`, targetArn: names.hubEventBusArn, outcome: "delivered" }),
        expect.objectContaining({ targetArn: m.scannerArn(config), outcome: "delivered" }),
      ]),
    );
  });
});
