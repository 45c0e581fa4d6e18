import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../functions/config/load.js";
import type { Config } from "../../functions/config/schema.js";
import type { ScanSummary } from "../../functions/handler.js";
import { driftguardApp } from "../../modules/app.js";
import { driftguardNames } from "../../modules/names.js";
import { prepareToolchain, type Toolchain } from "../../test/terraform/toolchain.js";
import { onAsyncInvocation, type AsyncInvocation } from "../emulator/services/lambda/invoke.js";
import { printRun } from "./run-local.js";
import { startBareSandbox, type BareSandbox, type SandboxCredentials, type SandboxOptions } from "./server.js";

/**
 * `npm start -- --deploy`: the deployment users run, into the sandbox. A bare sandbox (the
 * organization and its bootstrap roles, nothing of driftguard), the cdktf app synthesized,
 * `terraform apply` of the hub stack and then of every spoke stack (in parallel: they depend on
 * the hub only), through the deployer session of the management account — the provider finds the
 * sandbox through AWS_ENDPOINT_URL alone. Then the deployed schedule rule fires, EventBridge
 * invokes the deployed Lambda (its own zip, its own environment and role), and the report is read
 * back out of the sandbox's S3, as `npm start` prints it.
 */

const run = promisify(execFile);

export interface DeployedSandbox {
  sandbox: BareSandbox & { deployerCredentials: SandboxCredentials };
  config: Config;
  /** Stack name → its synthesized terraform working directory. */
  stackDirs: Record<string, string>;
  terraform(stack: string, args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Stops the sandbox and removes the synthesized stacks. */
  close(): Promise<void>;
}

export interface DeployOptions extends Pick<SandboxOptions, "scenarioFile" | "scenario" | "seed"> {
  config: Config;
  /** A handler entry to bundle instead of functions/handler.ts (tests use a tiny one). */
  lambdaEntry?: string;
  print?: (line: string) => void;
}

function terraformRunner(toolchain: Toolchain, sandbox: DeployedSandbox["sandbox"], config: Config, stackDirs: Record<string, string>) {
  const creds = sandbox.deployerCredentials;
  return (stack: string, args: string[]) =>
    run(toolchain.terraform, [...args, "-no-color"], {
      cwd: stackDirs[stack],
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...toolchain.env,
        AWS_ENDPOINT_URL: sandbox.endpoint,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
        AWS_REGION: config.hub.region,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      },
    }).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
      throw new Error(`terraform ${args[0]} of ${stack} exited ${err.code}:\n${err.stderr ?? ""}\n${(err.stdout ?? "").slice(-4000)}`);
    });
}

/** Bare sandbox, synth, init, apply hub, apply spokes: everything of driftguard comes from the synthesized stacks. */
export async function deployIntoSandbox(opts: DeployOptions): Promise<DeployedSandbox> {
  const print = opts.print ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), "driftguard-deploy-"));
  const toolchain = prepareToolchain(join(work, "cli"));
  const sandbox = await startBareSandbox({ config: opts.config, ...(opts.scenarioFile ? { scenarioFile: opts.scenarioFile } : {}), ...(opts.scenario ? { scenario: opts.scenario } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  const close = async () => {
    await sandbox.close();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const outdir = join(work, "out");
    driftguardApp(opts.config, { outdir, ...(opts.lambdaEntry ? { lambdaEntry: opts.lambdaEntry } : {}) }).synth();
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { workingDirectory: string }> };
    const stackDirs = Object.fromEntries(Object.entries(manifest.stacks).map(([name, s]) => [name, join(outdir, s.workingDirectory)]));
    const terraform = terraformRunner(toolchain, sandbox, opts.config, stackDirs);
    const names = driftguardNames(opts.config);
    const spokes = Object.keys(stackDirs).filter((s) => s !== names.hubStack);
    print(`sandbox organization ${sandbox.world.organization.id} on ${sandbox.endpoint}, bare: deploying ${Object.keys(stackDirs).length} synthesized stacks with terraform ${toolchain.terraformVersion}`);
    // One init at a time: they share the plugin cache, which terraform does not lock. cdktf's
    // local backend puts state in the project directory (terraform.<stack>.tfstate), where a
    // previous sandbox's state would be refreshed against this one: each deployment keeps its own.
    for (const stack of Object.keys(stackDirs)) await terraform(stack, ["init", "-input=false", `-backend-config=path=${join(work, `${stack}.tfstate`)}`]);
    // The scenario's faults (an account refusing AssumeRole, a throttled region) are what the scan
    // meets; the deployment, done by an administrator beforehand, does not go through them.
    sandbox.setFaults([]);
    const started = Date.now();
    await terraform(names.hubStack, ["apply", "-auto-approve", "-input=false"]);
    print(`  applied ${names.hubStack} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    await Promise.all(
      spokes.map(async (stack) => {
        const t = Date.now();
        await terraform(stack, ["apply", "-auto-approve", "-input=false"]);
        print(`  applied ${stack} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
      }),
    );
    sandbox.setFaults(sandbox.scenario.faults);
    return { sandbox, config: opts.config, stackDirs, terraform, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Fires the deployed schedule rule and waits for the deployed scanner's asynchronous invocation
 * to finish (EventBridge invokes Lambda asynchronously, invocation-async.html), returning what it
 * returned. A function error is thrown with the runtime's error object.
 */
export async function scanDeployed(deployed: DeployedSandbox): Promise<{ summary: ScanSummary; invocation: AsyncInvocation }> {
  const names = driftguardNames(deployed.config);
  const { accountId, region } = deployed.config.hub;
  // The scanner also receives the change events the deployed rules forward; the scan is the
  // invocation whose event is the one the schedule sent.
  const seen: AsyncInvocation[] = [];
  const stop = onAsyncInvocation((o) => {
    if (o.functionArn === `arn:aws:lambda:${region}:${accountId}:function:${names.scannerFunction}`) seen.push(o);
  });
  let invocation: AsyncInvocation | undefined;
  try {
    const fired = (await deployed.sandbox.fireSchedule(accountId, region, names.scheduleRule)) as { id: string };
    invocation = seen.find((o) => (o.event as { id?: string } | undefined)?.id === fired.id);
  } finally {
    stop();
  }
  if (!invocation) throw new Error(`${names.scheduleRule} fired but did not invoke ${names.scannerFunction}: see the sandbox's EventBridge deliveries`);
  if (invocation.functionError) throw new Error(`the deployed ${names.scannerFunction} failed: ${JSON.stringify(invocation.payload)}`);
  return { summary: invocation.payload as ScanSummary, invocation };
}

/** The report's three renderings, out of the sandbox's S3 bucket as the deployment named it. */
function copyReport(deployed: DeployedSandbox, reportKey: string, out: string): string[] {
  const bucket = deployed.sandbox.world.buckets.get(driftguardNames(deployed.config).reportBucket);
  mkdirSync(out, { recursive: true });
  return ["json", "html", "md"].flatMap((ext) => {
    const object = bucket?.objects.get(reportKey.replace(/report\.json$/, `report.${ext}`));
    if (!object) return [];
    const file = join(out, `report.${ext}`);
    writeFileSync(file, object.body);
    return [file];
  });
}

export interface DeployRunOptions {
  scenario: string;
  accounts: string;
  out: string;
}

/** `npm start -- --deploy`. */
export async function deployAndRun(opts: DeployRunOptions, print: (line: string) => void = console.log): Promise<{ summary: ScanSummary; files: string[] }> {
  const config = loadConfig(opts.accounts);
  const deployed = await deployIntoSandbox({ config, scenarioFile: opts.scenario, print });
  try {
    const names = driftguardNames(config);
    print(`firing ${names.scheduleRule}: EventBridge invokes the deployed ${names.scannerFunction} from its zip …`);
    const { summary } = await scanDeployed(deployed);
    const files = summary.s3 ? copyReport(deployed, summary.reportKey, resolve(opts.out)) : [];
    const { accountId, region } = config.hub;
    const topicArn = `arn:aws:sns:${region}:${accountId}:${names.topic}`;
    const last = deployed.sandbox.world.accounts.get(accountId)?.regions.get(region)?.topics.get(topicArn)?.published.at(-1);
    printRun(summary, files, topicArn, last, print);
    return { summary, files };
  } finally {
    await deployed.close();
  }
}
