import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { RunReport } from "../../functions/core/types.js";
import type { EventOutcome } from "../../functions/events/types.js";
import { alarmSpecs } from "../../modules/alarms.js";
import { driftguardNames } from "../../modules/names.js";
import type { BareSandbox, SandboxCredentials } from "../../sandbox/harness/server.js";
import { cloudwatchState } from "../../sandbox/emulator/services/cloudwatch/service.js";
import { eventsState } from "../../sandbox/emulator/services/events/service.js";
import { lambdaState } from "../../sandbox/emulator/services/lambda/functions.js";
import { backgroundSettled } from "../../sandbox/emulator/services/shared/background.js";
import { sqsState } from "../../sandbox/emulator/services/sqs/service.js";
import { DEFAULT_SCENARIO } from "../../sandbox/harness/scenario.js";
import { EXAMPLE_FILE } from "../support/config.js";
import { tempDir } from "../support/temp.js";
import { applyStack, destroyStack, planNoChange, prepareStacks, startExampleOrganization, type DeployedStack } from "./deploy-stack.js";
import { openSshAndAwaitScanner, physicalId, worldOpen } from "./deployed-run.js";
import { prepareToolchain } from "../../sandbox/harness/terraform.js";
import { destroyInOrder, scanDeployed, scannerArn, scannerRoleAddress } from "../../sandbox/harness/deploy.js";

/**
 * terraform apply, a second plan and destroy of the synthesized hub stack (hub.execution: single)
 * and of a spoke stack, in parallel, against one bare sandbox (issue 15): the deployment users
 * run, through the emulated IAM, STS, S3, SNS, KMS, CloudWatch Logs and alarms, EventBridge, SQS
 * and Lambda, with the provider's own read-back after every create. The oracle is the sandbox's
 * own state, not terraform's report. The fan-out hub is deploy-fanout.test.ts (same names in the
 * same hub account, so its own sandbox).
 *
 * Between the apply and the plan, what was deployed runs (issue 15, "deploy-then-scan" and
 * "deploy-then-event"), on the same apply: the bare organization is the demo's
 * (sandbox/scenarios/demo.yaml: its stacks, drift and faults), the Lambda is the real handler
 * bundle, the deployed schedule fires and the deployed Lambda scans and remediates, then SSH
 * opened in the spoke reaches the Lambda through the deployed rules and is reverted. The plan
 * after that must still be empty (a run changes nothing terraform manages), and the destroy goes
 * in `npm start -- --deploy`'s order (destroyInOrder: spoke, events settle, bucket emptied, hub).
 * The spoke deployed is payments-prod: of the example accounts.yaml it is the one in remediate
 * mode the scan can enter (data-dev's AssumeRole is refused by the demo's fault) with drift to
 * repair; its two regions add a rule, a target and a queue of the same kinds, no new resource
 * type. The other spokes are not deployed, so the scan reports them failed (no spoke role to
 * assume): one failing account never sinks a run. The full demo (all spokes, totals equal to the
 * fast path's) in single and fan-out is deploy-run.test.ts (DRIFTGUARD_TF_RUN=1).
 *
 * Measured (shared 2-core machine, load ~17–33; see the report for each step's seconds): hub
 * apply ~90 s (the provider's own waits: S3 lifecycle 55 s), spoke ~64 s alongside; the scan
 * ~20–35 s, the event a few seconds; plans and destroys ~10–30 s each.
 */

const config = loadConfig(EXAMPLE_FILE);
const names = driftguardNames(config);
const spoke = config.accounts.find((a) => a.name === "payments-prod")!;
const work = tempDir("driftguard-tf-deploy-");
let sandbox: BareSandbox & { deployerCredentials: SandboxCredentials };
let hubStack: DeployedStack;
let spokeStack: DeployedStack;

beforeAll(async () => {
  const toolchain = prepareToolchain(join(work, "cli"));
  sandbox = await startExampleOrganization(config, DEFAULT_SCENARIO);
  // The deployment is the administrator's, before any scan: the demo's faults (data-dev refusing
  // AssumeRole, a throttled region) are what the scan meets, not terraform.
  sandbox.setFaults([]);
  [spokeStack, hubStack] = (await prepareStacks(config, join(work, "out"), [names.spokeStack(spoke), names.hubStack], toolchain, sandbox, { realHandler: true })) as [DeployedStack, DeployedStack];
  // The spoke role trusts the hub's scanner role, and IAM refuses a trust policy naming a role
  // that does not exist ("Invalid principal in policy"), so the scanner role comes first, as
  // `npm start -- --deploy` applies it (sandbox/harness/deploy.ts).
  await hubStack.terraform(["apply", "-auto-approve", "-input=false", `-target=${scannerRole()}`]);
  expect(sandbox.world.accounts.get(config.hub.accountId)!.roles.has(names.scannerRole)).toBe(true);
}, 600_000);

const scannerRole = () => scannerRoleAddress(hubStack.dir, names.scannerRole);

afterAll(() => sandbox?.close());

function spokeChecks() {
  const account = sandbox.world.accounts.get(spoke.id)!;
  const region = config.hub.region;
  return {
    afterApply: () => {
      expect(account.roles.get(names.spokeRole)?.managedPolicyArns).toContain("arn:aws:iam::aws:policy/ReadOnlyAccess");
      const rule = eventsState.at(account, region).rules.get(`default/${names.forwardingRule}`);
      expect(rule?.targets.map((t) => t.Arn)).toEqual([names.hubEventBusArn]);
      expect(rule?.targets[0]?.DeadLetterConfig?.Arn).toBe(sqsState.at(account, region).queues.get(names.forwardingDlq)?.arn);
      expect(sqsState.at(account, region).queues.get(names.forwardingDlq)?.attributes.Policy).toBeDefined();
    },
    afterDestroy: () => {
      expect(account.roles.has(names.spokeRole)).toBe(false);
      expect(account.roles.has(names.forwarderRole)).toBe(false);
      for (const r of spoke.regions ?? config.defaults.regions) {
        expect(eventsState.at(account, r).rules.size).toBe(0);
        expect(sqsState.at(account, r).queues.size).toBe(0);
      }
    },
  };
}

function hubChecks() {
  const hub = sandbox.world.accounts.get(config.hub.accountId)!;
  const region = config.hub.region;
  const topicArn = `arn:aws:sns:${region}:${hub.id}:${names.topic}`;
  return {
    afterApply: () => {
      const bucket = sandbox.world.buckets.get(names.reportBucket);
      expect(bucket?.versioning).toBe("Enabled");
      expect(JSON.stringify(bucket?.policy)).toContain("aws:SecureTransport");
      expect(bucket?.objects.has("config/driftguard-config.json")).toBe(true);
      const topic = hub.regions.get(region)?.topics.get(topicArn);
      expect(topic?.attributes.KmsMasterKeyId).toMatch(/^arn:aws:kms:/);
      expect(topic?.subscriptions.map((s) => [s.protocol, s.endpoint, s.pendingConfirmation])).toEqual(config.hub.notifications.emails.map((e) => ["email", e, true]));
      const alarms = [...cloudwatchState.at(hub, region).alarms.values()];
      // Derived from the construct's own table, never retyped: every alarm it declares exists, each notifying the topic.
      expect(alarms).toHaveLength(alarmSpecs({ schedule: config.hub.schedule, fn: {} as never, failureQueue: {} as never }).length);
      for (const a of alarms) expect(a.input.AlarmActions).toEqual([topicArn]);
      const fn = lambdaState.at(hub, region).functions.get(names.scannerFunction);
      expect(fn?.role).toBe(names.scannerRoleArn);
      expect(fn?.timeout).toBe(config.hub.lambda.timeoutSeconds);
    },
    afterDestroy: () => {
      expect(sandbox.world.buckets.has(names.reportBucket)).toBe(false);
      expect(hub.regions.get(region)?.topics.has(topicArn)).toBe(false);
      expect(cloudwatchState.at(hub, region).alarms.size).toBe(0);
      expect(lambdaState.at(hub, region).functions.size).toBe(0);
      expect(hub.roles.has(names.scannerRole)).toBe(false);
    },
  };
}

const REGION = config.hub.region;
const timings: string[] = [];
afterAll(() => console.log(`[terraform] ${timings.join("; ")}`));

describe("terraform deploys the hub (single) and a spoke into a bare sandbox, and what was deployed runs", () => {
  it("applies the hub and the spoke at once", async () => {
    expect(sandbox.world.buckets.has(names.reportBucket)).toBe(false);
    expect(sandbox.world.accounts.get(spoke.id)!.roles.has(names.spokeRole)).toBe(false);
    const [hub, spokeSeconds] = await Promise.all([applyStack(hubStack), applyStack(spokeStack)]);
    timings.push(`apply hub ${hub} s, spoke ${spokeSeconds} s`);
    hubChecks().afterApply();
    spokeChecks().afterApply();
  });

  let report: RunReport;
  it("the fired schedule makes the deployed Lambda (the real bundle, its own role) scan and remediate the deployed spoke; the spokes not deployed are reported failed", async () => {
    sandbox.setFaults(sandbox.scenario.faults);
    const t = Date.now();
    const scan = await scanDeployed({ sandbox, config });
    timings.push(`scan ${((Date.now() - t) / 1000).toFixed(1)} s`);
    expect(scan.invocation.attempts).toBe(1);
    expect(scan.summary.s3).toBe(true);
    report = JSON.parse(sandbox.world.buckets.get(names.reportBucket)!.objects.get(scan.summary.reportKey)!.body.toString("utf8")) as RunReport;
    expect(report.totals).toEqual(scan.summary.totals);
    const status = Object.fromEntries(report.accounts.map((a) => [a.name, a.status]));
    expect(status).toMatchObject({ "payments-prod": "scanned", "data-dev": "failed", "shared-services": "failed" });
    // Repairs read back from the account, not from the Lambda's answer: SSH to the world is gone
    // from payments-prod's web tier (remediate mode), and the role's drift was found.
    expect(worldOpen(sandbox, spoke.id, physicalId(sandbox, spoke.id, "web-tier", "WebSecurityGroup"), 22)).toEqual([]);
    const payments = report.accounts.find((a) => a.name === "payments-prod")!;
    const drifted = payments.regions.flatMap((r) => r.stacks).filter((st) => st.driftStatus === "DRIFTED").map((st) => st.stackName);
    expect(drifted).toEqual(expect.arrayContaining(["iam-baseline", "web-tier"]));
    const topic = sandbox.world.accounts.get(config.hub.accountId)?.regions.get(REGION)?.topics.get(`arn:aws:sns:${REGION}:${config.hub.accountId}:${names.topic}`);
    expect(topic?.published.length).toBeGreaterThan(0);
  });

  it("SSH opened in the spoke travels spoke bus → hub bus → the deployed Lambda, which reverts it", async () => {
    const group = physicalId(sandbox, spoke.id, "web-tier", "WebSecurityGroup");
    const t = Date.now();
    const { invocation, hops } = await openSshAndAwaitScanner(sandbox, config, spoke.id, group);
    timings.push(`event ${((Date.now() - t) / 1000).toFixed(1)} s`);
    expect(invocation.functionError, JSON.stringify(invocation.payload)).toBeUndefined();
    const outcome = invocation.payload as EventOutcome;
    expect(outcome.status, JSON.stringify(outcome)).toBe("handled");
    if (outcome.status === "handled") expect(outcome.report.results.map((r) => r.action.outcome)).toContain("remediated");
    expect(worldOpen(sandbox, spoke.id, group, 22)).toEqual([]);
    await backgroundSettled(60_000);
    expect(hops()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ruleArn: `arn:aws:events:${REGION}:${spoke.id}:rule/${names.forwardingRule}`, targetArn: names.hubEventBusArn, outcome: "delivered" }),
        expect.objectContaining({ targetArn: scannerArn(config), outcome: "delivered" }),
      ]),
    );
  });

  it("plans no change for either stack after the runs, then destroys the spoke, lets its events settle, empties the bucket and destroys the hub", async () => {
    const [hubPlan, spokePlan] = await Promise.all([planNoChange(hubStack), planNoChange(spokeStack)]);
    const destroyed: Record<string, string> = {};
    const stacks = { [hubStack.name]: hubStack, [spokeStack.name]: spokeStack };
    await destroyInOrder(sandbox, config, [spokeStack.name], async (name) => {
      destroyed[name] = await destroyStack(stacks[name]!);
    });
    timings.push(`plan hub ${hubPlan} s, spoke ${spokePlan} s; destroy spoke ${destroyed[spokeStack.name]} s, then hub ${destroyed[hubStack.name]} s`);
    hubChecks().afterDestroy();
    spokeChecks().afterDestroy();
  });
});
