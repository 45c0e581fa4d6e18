import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { alarmSpecs } from "../../modules/alarms.js";
import { driftguardNames } from "../../modules/names.js";
import type { BareSandbox, SandboxCredentials } from "../../sandbox/harness/server.js";
import { cloudwatchState } from "../../sandbox/emulator/services/cloudwatch/service.js";
import { eventsState } from "../../sandbox/emulator/services/events/service.js";
import { lambdaState } from "../../sandbox/emulator/services/lambda/functions.js";
import { sqsState } from "../../sandbox/emulator/services/sqs/service.js";
import { EXAMPLE_FILE } from "../support/config.js";
import { tempDir } from "../support/temp.js";
import { applyPlanDestroy, prepareStacks, startExampleOrganization, type DeployedStack } from "./deploy-stack.js";
import { prepareToolchain } from "../../sandbox/harness/terraform.js";
import { scannerRoleAddress } from "../../sandbox/harness/deploy.js";

/**
 * terraform apply, a second plan and destroy of the synthesized hub stack (hub.execution: single)
 * and of a spoke stack, in parallel, against one bare sandbox (issue 15): the deployment users
 * run, through the emulated IAM, STS, S3, SNS, KMS, CloudWatch Logs and alarms, EventBridge, SQS
 * and Lambda, with the provider's own read-back after every create. The oracle is the sandbox's
 * own state, not terraform's report. The spoke deployed is data-dev (one region), the smallest
 * stack of the example accounts.yaml; the other two spokes differ only in regions (more of the same
 * rule, target and queue), so their apply would add time and no resource type. The fan-out hub is
 * deploy-fanout.test.ts (same names in the same hub account, so its own sandbox, in parallel).
 *
 * Idle, the scanner role first (the spoke trusts it), then hub and spoke at once: hub apply 63 s
 * (the provider's own waits: S3 lifecycle ~55 s), plan 7 s, destroy 11 s; spoke 33 / 6 / 8 s;
 * the file ~100 s of wall in CI, spent mostly waiting while the other workers run.
 */

const config = loadConfig(EXAMPLE_FILE);
const names = driftguardNames(config);
const spoke = config.accounts.find((a) => a.name === "data-dev")!;
const work = tempDir("driftguard-tf-deploy-");
let sandbox: BareSandbox & { deployerCredentials: SandboxCredentials };
let hubStack: DeployedStack;
let spokeStack: DeployedStack;

beforeAll(async () => {
  const toolchain = prepareToolchain(join(work, "cli"));
  sandbox = await startExampleOrganization(config);
  [spokeStack, hubStack] = (await prepareStacks(config, join(work, "out"), [names.spokeStack(spoke), names.hubStack], toolchain, sandbox)) as [DeployedStack, DeployedStack];
  // The spoke role trusts the hub's scanner role, and IAM refuses a trust policy naming a role
  // that does not exist ("Invalid principal in policy"), so the scanner role comes first, as
  // `npm start -- --deploy` applies it (sandbox/harness/deploy.ts).
  await hubStack.terraform(["apply", "-auto-approve", "-input=false", `-target=${scannerRole()}`]);
  expect(sandbox.world.accounts.get(config.hub.accountId)!.roles.has(names.scannerRole)).toBe(true);
});

const scannerRole = () => scannerRoleAddress(hubStack.dir, names.scannerRole);

afterAll(() => sandbox?.close());

function deploySpoke(): Promise<string> {
  const account = sandbox.world.accounts.get(spoke.id)!;
  const region = spoke.regions![0]!;
  expect(account.roles.has(names.spokeRole)).toBe(false);
  return applyPlanDestroy(spokeStack, {
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
      expect(eventsState.at(account, region).rules.size).toBe(0);
      expect(sqsState.at(account, region).queues.size).toBe(0);
    },
  });
}

function deployHub(): Promise<string> {
  const hub = sandbox.world.accounts.get(config.hub.accountId)!;
  const region = config.hub.region;
  const topicArn = `arn:aws:sns:${region}:${hub.id}:${names.topic}`;
  expect(sandbox.world.buckets.has(names.reportBucket)).toBe(false);
  return applyPlanDestroy(hubStack, {
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
  });
}

describe("terraform deploys the hub (single) and a spoke into a bare sandbox", () => {
  it("applies, then plans no change, then destroys the hub and the spoke at once", async () => {
    const timings = await Promise.all([deployHub(), deploySpoke()]);
    for (const line of timings) console.log(`[terraform] ${line}`);
  });
});
