import { join } from "node:path";
import aslValidator from "asl-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { alarmSpecs } from "../../modules/alarms.js";
import { FANOUT_NAMES } from "../../modules/fanout-state-machine.js";
import { driftguardNames } from "../../modules/names.js";
import type { BareSandbox, SandboxCredentials } from "../../sandbox/harness/server.js";
import { cloudwatchState } from "../../sandbox/emulator/services/cloudwatch/service.js";
import { statesState } from "../../sandbox/emulator/services/stepfunctions/service.js";
import { EXAMPLE_FILE } from "../support/config.js";
import { tempDir } from "../support/temp.js";
import { applyPlanDestroy, prepareStacks, startExampleOrganization, type DeployedStack } from "./deploy-stack.js";
import { prepareToolchain } from "../../sandbox/harness/terraform.js";

/**
 * The hub stack with `hub.execution: fanout` (the Step Functions state machine, its roles, log
 * group and alarm added to the single hub) applied, planned with no change and destroyed against
 * its own bare sandbox: the hub's names are the same as in deploy.test.ts, so it cannot share that
 * file's sandbox. It adds ~150 s (measured on the shared 2-core machine: apply 89 s, plan 24 s,
 * destroy 28 s) that CI's 900 s budget does not have beside deploy.test.ts, so it runs when
 * DRIFTGUARD_TF_FANOUT=1 (`DRIFTGUARD_TF_FANOUT=1 npx vitest run test/terraform/deploy-fanout.test.ts`).
 */

const config = loadConfig(EXAMPLE_FILE);
config.hub.execution = "fanout";
const names = driftguardNames(config);
const work = tempDir("driftguard-tf-deploy-fanout-");
let sandbox: BareSandbox & { deployerCredentials: SandboxCredentials };
let hubStack: DeployedStack;

beforeAll(async () => {
  if (!enabled) return;
  const toolchain = prepareToolchain(join(work, "cli"));
  sandbox = await startExampleOrganization(config);
  [hubStack] = await prepareStacks(config, join(work, "out"), [names.hubStack], toolchain, sandbox);
});

afterAll(() => sandbox?.close());

const enabled = process.env.DRIFTGUARD_TF_FANOUT === "1";

describe.runIf(enabled)("terraform deploys the fan-out hub into a bare sandbox", () => {
  it("applies the state machine with the synthesized definition, plans no change, destroys", async () => {
    const hub = sandbox.world.accounts.get(config.hub.accountId)!;
    const region = config.hub.region;
    const timing = await applyPlanDestroy(hubStack, {
      afterApply: () => {
        const machine = statesState.at(hub, region).machines.get(FANOUT_NAMES.stateMachine);
        expect(machine?.roleArn).toBe(`arn:aws:iam::${hub.id}:role/${FANOUT_NAMES.role}`);
        expect(machine?.loggingConfiguration.destinations?.[0]?.cloudWatchLogsLogGroup?.logGroupArn).toBe(`arn:aws:logs:${region}:${hub.id}:log-group:${FANOUT_NAMES.logGroup}:*`);
        const definition = JSON.parse(machine!.definition) as Record<string, unknown>;
        expect(aslValidator(definition, { checkPaths: true, checkArn: false }).isValid).toBe(true);
        expect(machine!.definition).toContain(`arn:aws:lambda:${region}:${hub.id}:function:${names.scannerFunction}`);
        const alarms = cloudwatchState.at(hub, region).alarms;
        expect(alarms.size).toBe(alarmSpecs({ schedule: config.hub.schedule, fn: {} as never, failureQueue: {} as never, stateMachine: {} as never }).length);
      },
      afterDestroy: () => {
        expect(statesState.at(hub, region).machines.size).toBe(0);
        expect(cloudwatchState.at(hub, region).alarms.size).toBe(0);
        expect(hub.roles.has(FANOUT_NAMES.role)).toBe(false);
      },
    });
    console.log(`[terraform] ${timing} (fanout)`);
  });
});
