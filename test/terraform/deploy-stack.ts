import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../functions/config/schema.js";
import { driftguardApp } from "../../modules/app.js";
import type { BareSandbox, SandboxCredentials } from "../../sandbox/harness/server.js";
import { TINY_HANDLER } from "../constructs/synth.js";
import { startBareTestSandbox } from "../support/sandbox.js";
import { terraformIn, type Toolchain } from "../../sandbox/harness/terraform.js";

/**
 * One synthesized stack driven by terraform against a bare sandbox: init with its own state file
 * (cdktf's local backend would write terraform.<stack>.tfstate into the working directory, shared
 * by every test that deploys the same stack), then apply / plan / destroy as a user runs them.
 * The provider finds the sandbox through AWS_ENDPOINT_URL alone, as the AWS SDKs do.
 */

export interface DeployedStack {
  name: string;
  /** Its synthesized working directory (cdk.tf.json). */
  dir: string;
  terraform(args: string[]): Promise<{ stdout: string; stderr: string }>;
}

/**
 * The organization of `config` (the example accounts.yaml) started bare, for terraform to deploy
 * into: by default without the demo's faults or stacks (the hub account and every onboarded
 * account); with `scenarioFile`, that scenario's organization, stacks, drift and faults.
 */
export function startExampleOrganization(config: Config, scenarioFile?: string): Promise<BareSandbox & { deployerCredentials: SandboxCredentials }> {
  if (scenarioFile) return startBareTestSandbox({ config, scenarioFile });
  return startBareTestSandbox({ config, scenario: { accounts: [{ id: config.hub.accountId, name: "driftguard-hub" }, ...config.accounts.map((a) => ({ id: a.id, name: a.name }))] } });
}

/**
 * Synthesizes the app for `config` into `outdir` and returns the named stacks, initialised. The
 * Lambda is the tiny test handler unless `realHandler` (functions/handler.ts, bundled as deployed).
 */
export async function prepareStacks(
  config: Config,
  outdir: string,
  stackNames: string[],
  toolchain: Toolchain,
  sandbox: BareSandbox & { deployerCredentials: SandboxCredentials },
  { realHandler = false }: { realHandler?: boolean } = {},
): Promise<DeployedStack[]> {
  driftguardApp(config, { outdir, ...(realHandler ? {} : { lambdaEntry: TINY_HANDLER }) }).synth();
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { workingDirectory: string }> };
  const target = { endpoint: sandbox.endpoint, credentials: sandbox.deployerCredentials, region: config.hub.region };
  const stacks = stackNames.map((name): DeployedStack => {
    const entry = manifest.stacks[name];
    if (!entry) throw new Error(`the synthesized app has no stack ${name}; it has ${Object.keys(manifest.stacks).join(", ")}`);
    const dir = join(outdir, entry.workingDirectory);
    return { name, dir, terraform: terraformIn(toolchain, dir, name, target) };
  });
  await Promise.all(stacks.map((s) => s.terraform(["init", "-input=false", "-reconfigure", `-backend-config=path=${join(outdir, `${s.name}.tfstate`)}`])));
  return stacks;
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

/** `terraform apply` of the whole stack, which must only add; its seconds. */
export async function applyStack(stack: DeployedStack): Promise<string> {
  const t = Date.now();
  const applied = await stack.terraform(["apply", "-auto-approve", "-input=false", "-parallelism=20"]);
  if (!/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/.test(applied.stdout)) throw new Error(`${stack.name}: unexpected apply summary\n${applied.stdout.slice(-2000)}`);
  return seconds(t);
}

/** `plan -detailed-exitcode` (exit 2 = changes, which throws) must say "No changes."; its seconds. */
export async function planNoChange(stack: DeployedStack): Promise<string> {
  const t = Date.now();
  const plan = await stack.terraform(["plan", "-detailed-exitcode", "-input=false"]);
  if (!plan.stdout.includes("No changes.")) throw new Error(`${stack.name}: the second plan is not empty\n${plan.stdout.slice(-30000)}`);
  return seconds(t);
}

/** `terraform destroy` of the stack; its seconds. */
export async function destroyStack(stack: DeployedStack): Promise<string> {
  const t = Date.now();
  await stack.terraform(["destroy", "-auto-approve", "-input=false", "-parallelism=20"]);
  return seconds(t);
}

/** apply, then a plan with no change, then destroy; each step's seconds. */
export async function applyPlanDestroy(stack: DeployedStack, checks: { afterApply: () => void; afterDestroy: () => void }): Promise<string> {
  const apply = await applyStack(stack);
  checks.afterApply();
  const planned = await planNoChange(stack);
  const destroyed = await destroyStack(stack);
  checks.afterDestroy();
  return `${stack.name}: apply ${apply} s, plan ${planned} s, destroy ${destroyed} s`;
}
