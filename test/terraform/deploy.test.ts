import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { driftguardApp } from "../../modules/app.js";
import { driftguardNames } from "../../modules/names.js";
import { startBareSandbox, type BareSandbox, type SandboxCredentials } from "../../sandbox/harness/server.js";
import { eventsState } from "../../sandbox/emulator/services/events/service.js";
import { sqsState } from "../../sandbox/emulator/services/sqs/service.js";
import { EXAMPLE_FILE, TINY_HANDLER } from "../constructs/synth.js";
import { prepareToolchain, type Toolchain } from "./toolchain.js";

/**
 * terraform apply, a second plan and destroy of a synthesized spoke stack against a bare sandbox
 * (issue 15): the deployment users run, through the emulated IAM, STS, EventBridge and SQS, with
 * the provider's own read-back after every create. The provider finds the sandbox through
 * AWS_ENDPOINT_URL, as the AWS SDKs do; nothing in the stack is changed for the sandbox.
 * The spoke deployed is data-dev (one region), the smallest stack of the example accounts.yaml.
 */

const run = promisify(execFile);
const config = loadConfig(EXAMPLE_FILE);
const names = driftguardNames(config);
const spoke = config.accounts.find((a) => a.name === "data-dev")!;
const work = mkdtempSync(join(tmpdir(), "driftguard-tf-deploy-"));
let toolchain: Toolchain;
let sandbox: BareSandbox & { deployerCredentials: SandboxCredentials };
let stackDir: string;

beforeAll(async () => {
  toolchain = prepareToolchain(join(work, "cli"));
  // The organization of the example accounts.yaml, without the demo's faults or stacks.
  sandbox = await startBareSandbox({
    config,
    scenario: {
      organization: { managementAccount: "999999999999" },
      accounts: [{ id: config.hub.accountId, name: "driftguard-hub" }, ...config.accounts.map((a) => ({ id: a.id, name: a.name }))],
    },
  });
  const outdir = join(work, "out");
  driftguardApp(config, { outdir, lambdaEntry: TINY_HANDLER }).synth();
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { workingDirectory: string }> };
  stackDir = join(outdir, manifest.stacks[names.spokeStack(spoke)]!.workingDirectory);
  await terraform(["init", "-input=false"]);
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(work, { recursive: true, force: true });
});

function terraform(args: string[]) {
  const creds = sandbox.deployerCredentials;
  return run(toolchain.terraform, [...args, "-no-color"], {
    cwd: stackDir,
    maxBuffer: 16 * 1024 * 1024,
    env: {
      ...toolchain.env,
      AWS_ENDPOINT_URL: sandbox.endpoint,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_SESSION_TOKEN: creds.sessionToken,
      AWS_REGION: config.hub.region,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
  }).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
    throw new Error(`terraform ${args[0]} exited ${err.code}:\n${err.stderr ?? ""}\n${(err.stdout ?? "").slice(-4000)}`);
  });
}

describe("terraform deploys a spoke stack into a bare sandbox", () => {
  it("applies, then plans no change, then destroys", async () => {
    const account = sandbox.world.accounts.get(spoke.id)!;
    const region = spoke.regions![0]!;
    expect(account.roles.has(names.spokeRole)).toBe(false);

    const started = Date.now();
    const applied = await terraform(["apply", "-auto-approve", "-input=false"]);
    expect(applied.stdout).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    // The oracle is the sandbox's own state, not terraform's report.
    const role = account.roles.get(names.spokeRole);
    expect(role?.managedPolicyArns).toContain("arn:aws:iam::aws:policy/ReadOnlyAccess");
    const rule = eventsState.at(account, region).rules.get(`default/${names.forwardingRule}`);
    expect(rule?.targets.map((t) => t.Arn)).toEqual([names.hubEventBusArn]);
    expect(rule?.targets[0]?.DeadLetterConfig?.Arn).toBe(sqsState.at(account, region).queues.get(names.forwardingDlq)?.arn);
    expect(sqsState.at(account, region).queues.get(names.forwardingDlq)?.attributes.Policy).toBeDefined();

    // -detailed-exitcode: 0 = no changes, 2 = changes (which would throw here).
    const plan = await terraform(["plan", "-detailed-exitcode", "-input=false"]);
    expect(plan.stdout).toContain("No changes.");

    await terraform(["destroy", "-auto-approve", "-input=false"]);
    expect(account.roles.has(names.spokeRole)).toBe(false);
    expect(account.roles.has(names.forwarderRole)).toBe(false);
    expect(eventsState.at(account, region).rules.size).toBe(0);
    expect(sqsState.at(account, region).queues.size).toBe(0);
    console.log(`[terraform] ${names.spokeStack(spoke)}: apply + plan + destroy ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
