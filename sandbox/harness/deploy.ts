import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { Config } from "../../functions/config/schema.js";
import type { ScanSummary } from "../../functions/handler.js";
import { effectiveExecution } from "../../functions/scanner/index.js";
import { driftguardApp } from "../../modules/app.js";
import { driftguardNames } from "../../modules/names.js";
import { FANOUT_NAMES } from "../../modules/fanout-state-machine.js";
import { deliveries } from "../emulator/services/events/delivery.js";
import { onAsyncInvocation, type AsyncInvocation } from "../emulator/services/lambda/invoke.js";
import { logsState } from "../emulator/services/logs/service.js";
import { backgroundSettled } from "../emulator/services/shared/background.js";
import { messagesByProtocol } from "../emulator/services/sns/delivery.js";
import { executionsState, type Execution } from "../emulator/services/stepfunctions/executions.js";
import { printRun } from "./run-local.js";
import { startBareSandbox, type BareSandbox, type SandboxCredentials, type SandboxOptions } from "./server.js";
import { prepareToolchain, slowestCreates, terraformIn, type TerraformRun } from "./terraform.js";
export { ToolchainError } from "./terraform.js";

/**
 * `npm start -- --deploy`: the deployment users run, into the sandbox. A bare sandbox (the
 * organization and its bootstrap roles, nothing of driftguard), the cdktf app synthesized,
 * `terraform apply` of the hub stack and then of every spoke stack, through the deployer session
 * of the management account. Then the deployed schedule rule fires, EventBridge invokes the
 * deployed Lambda (its own zip, its own environment and role), and the report is read back out of
 * the sandbox's S3, as `npm start` prints it.
 *
 * The hub's scanner role first, then the rest of the hub and every spoke in parallel: a spoke's
 * role trusts the scanner role, and IAM refuses a trust policy naming a role that does not exist
 * yet ("Invalid principal in policy", MalformedPolicyDocument — IAM User Guide, "Troubleshooting
 * IAM policies"); nothing else of a spoke needs the hub at apply time (its forwarding target is
 * an ARN, used only when an event is delivered), and the spokes never need each other. So the
 * role is applied alone (`-target`, terraform's way to create one dependency first), and the
 * deployment takes as long as its slowest stack instead of the hub plus the slowest spoke.
 *
 * With `hub.execution: fanout` the schedule's target is the Step Functions state machine: the
 * sandbox's EventBridge starts an execution as the target's role, and the execution runs the
 * deployed Lambda for Plan, each account's scan and Reduce. At the end `--deploy` destroys what
 * it applied (`terraform destroy`, every stack), as a trial deployment should leave nothing
 * behind; `--keep` leaves it all up and the sandbox serving until Ctrl-C instead.
 */

export interface DeployedSandbox {
  sandbox: BareSandbox & { deployerCredentials: SandboxCredentials };
  config: Config;
  /** Stack name → its synthesized terraform working directory. */
  stackDirs: Record<string, string>;
  /** Stack name (and `<stack> <address>` for a targeted apply) → seconds its `terraform apply` took. */
  applySeconds: Record<string, number>;
  terraform(stack: string, args: string[]): ReturnType<TerraformRun>;
  /**
   * `terraform destroy` of every stack applied, the spokes in parallel and then the hub, after
   * emptying the report bucket of what the runs wrote: terraform manages only
   * the configuration object in it, S3 refuses to delete a bucket that still holds objects
   * (BucketNotEmpty, API_DeleteBucket.html), and the hub stack leaves force_destroy off on
   * purpose, so that a real `terraform destroy` never deletes an organization's reports.
   * Stack name → seconds its destroy took.
   */
  destroy(): Promise<Record<string, number>>;
  /** Waits for the sandbox's asynchronous work (deliveries, invocations), stops it and removes the synthesized stacks. */
  close(): Promise<void>;
}

export interface DeployOptions extends Pick<SandboxOptions, "scenarioFile" | "scenario" | "seed"> {
  config: Config;
  /** A handler entry to bundle instead of functions/handler.ts (tests use a tiny one). */
  lambdaEntry?: string;
  print?: (line: string) => void;
}

/** The longest the sandbox's asynchronous work may run once a run is over: one Lambda invocation's 15 minutes. */
const SETTLE_MS = 15 * 60_000;

/** Like Promise.all, but waits for every terraform run to end before throwing the first failure (none is left running into a stopped sandbox). */
async function allFinished(runs: Promise<unknown>[]): Promise<void> {
  for (const outcome of await Promise.allSettled(runs)) if (outcome.status === "rejected") throw outcome.reason;
}

/** The terraform address of the hub's aws_iam_role named `roleName`, read from the synthesized stack. */
/** The terraform address of the scanner role in the synthesized hub stack (what spokes' trust names). */
export function scannerRoleAddress(hubDir: string, roleName: string): string {
  const json = JSON.parse(readFileSync(join(hubDir, "cdk.tf.json"), "utf8")) as { resource?: { aws_iam_role?: Record<string, { name?: string }> } };
  const id = Object.entries(json.resource?.aws_iam_role ?? {}).find(([, role]) => role.name === roleName)?.[0];
  if (!id) throw new Error(`the synthesized hub stack has no aws_iam_role named ${roleName}`);
  return `aws_iam_role.${id}`;
}

/** Synthesizes the cdktf app for `config` into `outdir`: stack name → its terraform working directory. */
export function synthesizeStacks(config: Config, outdir: string, lambdaEntry?: string): Record<string, string> {
  driftguardApp(config, { outdir, ...(lambdaEntry ? { lambdaEntry } : {}) }).synth();
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { workingDirectory: string }> };
  return Object.fromEntries(Object.entries(manifest.stacks).map(([name, s]) => [name, join(outdir, s.workingDirectory)]));
}

/** Bare sandbox, synth, init, apply hub, apply spokes: everything of driftguard comes from the synthesized stacks. */
export async function deployIntoSandbox(opts: DeployOptions): Promise<DeployedSandbox> {
  const print = opts.print ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), "driftguard-deploy-"));
  let toolchain;
  try {
    toolchain = prepareToolchain(join(work, "cli"));
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  const sandbox = await startBareSandbox({ config: opts.config, ...(opts.scenarioFile ? { scenarioFile: opts.scenarioFile } : {}), ...(opts.scenario ? { scenario: opts.scenario } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  const close = async () => {
    try {
      await backgroundSettled(SETTLE_MS);
    } finally {
      await sandbox.close();
      rmSync(work, { recursive: true, force: true });
    }
  };
  try {
    const stackDirs = synthesizeStacks(opts.config, join(work, "out"), opts.lambdaEntry);
    const target = { endpoint: sandbox.endpoint, credentials: sandbox.deployerCredentials, region: opts.config.hub.region };
    const runners = Object.fromEntries(Object.entries(stackDirs).map(([stack, dir]) => [stack, terraformIn(toolchain, dir, stack, target)]));
    const terraform = (stack: string, args: string[]) => runners[stack]!(args);
    const names = driftguardNames(opts.config);
    const spokes = Object.keys(stackDirs).filter((s) => s !== names.hubStack);
    print(`sandbox organization ${sandbox.world.organization.id} on ${sandbox.endpoint}, bare: deploying ${Object.keys(stackDirs).length} synthesized stacks with terraform ${toolchain.terraformVersion}`);
    // cdktf's local backend puts state in the project directory (terraform.<stack>.tfstate), where
    // a previous sandbox's state would be refreshed against this one: each deployment keeps its own.
    const init = (stack: string) => terraform(stack, ["init", "-input=false", `-backend-config=path=${join(work, `${stack}.tfstate`)}`]);
    // The scenario's faults (an account refusing AssumeRole, a throttled region) are what the scan
    // meets; the deployment, done by an administrator beforehand, does not go through them.
    sandbox.setFaults([]);
    // Why an apply takes minutes against a sandbox that answers in milliseconds: the provider
    // (hashicorp/aws 5.100.0) polls after each create until it has read the written value back N
    // times in a row, with fixed pauses, and the sandbox's read-back matches from the first poll —
    // a mismatch would run each wait into its timeout (3 min, 2 min) and fail the apply instead:
    // - aws_s3_bucket_lifecycle_configuration: waitLifecycleConfigEquals, Delay 10 s,
    //   ContinuousTargetOccurence 10, PollInterval 5 s → 10 + 9 × 5 = 55 s (measured 56 s)
    //   (internal/service/s3/bucket_lifecycle_configuration.go);
    // - aws_sqs_queue: waitQueueAttributesPropagated, ContinuousTargetOccurence 6, MinTimeout 5 s
    //   → 25 s (measured 25–28 s; internal/service/sqs); the spoke's DLQ policy is set inline on the
    //   queue, because a separate aws_sqs_queue_policy would wait for its queue and then run the same wait again;
    // - aws_kms_key: policy, description and rotation each ContinuousTargetOccurence 5 with
    //   MinTimeout 1–2 s (internal/service/kms/wait.go; measured 13–15 s).
    // So the hub's floor is ~57 s and a spoke's ~25 s; the rest is CPU (one provider process per
    // provider alias and walk, on 2 shared cores): idle, the hub took 81 s and a spoke ~100 s.
    const applySeconds: Record<string, number> = {};
    const apply = async (stack: string, target?: string) => {
      const started = Date.now();
      // -parallelism=20 (default 10): the hub has 33 resources whose creates mostly wait on the provider's own
      // consistency polls (the sandbox answers at once), so more of them may wait at the same time.
      const { stdout } = await terraform(stack, ["apply", "-auto-approve", "-input=false", "-parallelism=20", ...(target ? [`-target=${target}`] : [])]);
      const label = target ? `${stack} ${target}` : stack;
      applySeconds[label] = Math.round((Date.now() - started) / 100) / 10;
      print(`  applied ${label} in ${applySeconds[label]} s; slowest: ${slowestCreates(stdout, 3)}`);
    };
    // One init at a time: they share the plugin cache, and "the plugin cache directory is not
    // guaranteed to be concurrency safe" (Terraform CLI configuration, plugin_cache_dir). The
    // spokes' inits (no AWS call) run while the scanner role applies, which does not touch the cache.
    await init(names.hubStack);
    await allFinished([
      apply(names.hubStack, scannerRoleAddress(stackDirs[names.hubStack]!, names.scannerRole)),
      (async () => {
        for (const stack of spokes) await init(stack);
      })(),
    ]);
    await allFinished([names.hubStack, ...spokes].map((stack) => apply(stack)));
    sandbox.setFaults(sandbox.scenario.faults);
    const destroy = async () => {
      const destroySeconds: Record<string, number> = {};
      await destroyInOrder(sandbox, opts.config, spokes, async (stack) => {
        const started = Date.now();
        await terraform(stack, ["destroy", "-auto-approve", "-input=false", "-parallelism=20"]);
        destroySeconds[stack] = Math.round((Date.now() - started) / 100) / 10;
        print(`  destroyed ${stack} in ${destroySeconds[stack]} s`);
      }, print);
      return destroySeconds;
    };
    return { sandbox, config: opts.config, stackDirs, applySeconds, terraform, destroy, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * `terraform destroy` of a deployment in the order that succeeds: the spokes first (in
 * parallel), then the events they caused settle, then the report bucket is emptied of what the
 * runs wrote, and the hub goes last. Deleting a spoke's roles and rules is itself a stream of
 * CloudTrail events its forwarding rules still send to the hub, whose Lambda writes an event
 * report for each into the bucket: a bucket emptied before they arrive is not empty any more when
 * terraform deletes it (measured: BucketNotEmpty with the stacks destroyed in parallel; S3 refuses
 * to delete a bucket that holds objects, API_DeleteBucket.html), and the hub stack leaves
 * force_destroy off on purpose, so that a real `terraform destroy` never deletes an organization's
 * reports. The destroy, like the deployment, is the administrator's: the scan's faults do not
 * apply to it. `destroyStack` runs terraform (a test's fake records the order).
 */
export async function destroyInOrder(
  sandbox: DeployedSandbox["sandbox"],
  config: Config,
  spokes: string[],
  destroyStack: (stack: string) => Promise<void>,
  print: (line: string) => void = () => undefined,
): Promise<void> {
  const names = driftguardNames(config);
  sandbox.setFaults([]);
  await allFinished(spokes.map(destroyStack));
  await backgroundSettled(SETTLE_MS);
  const emptied = await emptyReportBucket(sandbox, config);
  if (emptied > 0) print(`  emptied ${names.reportBucket} of the ${emptied} objects the runs wrote (terraform manages only ${names.configKey})`);
  await destroyStack(names.hubStack);
}

/** Deletes every object of the report bucket but the configuration object terraform manages; how many it deleted. */
async function emptyReportBucket(sandbox: DeployedSandbox["sandbox"], config: Config): Promise<number> {
  const names = driftguardNames(config);
  const { accountId, region } = config.hub;
  const call = <T>(action: string, params: Record<string, unknown>) => sandbox.dispatch(accountId, region, "s3", action, { Bucket: names.reportBucket, ...params }) as Promise<T>;
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await call<{ Contents?: { Key?: string }[]; NextContinuationToken?: string }>("ListObjectsV2", token ? { ContinuationToken: token } : {});
    for (const { Key } of page.Contents ?? []) {
      if (Key === undefined || Key === names.configKey) continue;
      await call("DeleteObject", { Key });
      deleted++;
    }
    token = page.NextContinuationToken;
  } while (token);
  return deleted;
}

/** The deployed scanner's ARN, as the hub stack names it. */
export function scannerArn(config: Config): string {
  return `arn:aws:lambda:${config.hub.region}:${config.hub.accountId}:function:${driftguardNames(config).scannerFunction}`;
}

/**
 * Fires the deployed schedule rule and returns what the deployed scanner's asynchronous
 * invocation for that event returned (EventBridge invokes Lambda asynchronously,
 * invocation-async.html). The scanner also receives the change events the deployed rules forward
 * — its own repairs are changes too — so the scan is the invocation whose event is the one the
 * schedule sent, not merely the first to finish. A function error is thrown with its payload.
 */
export async function scanDeployed(deployed: Pick<DeployedSandbox, "sandbox" | "config">): Promise<{ summary: ScanSummary; invocation: AsyncInvocation }> {
  const { config } = deployed;
  const names = driftguardNames(config);
  if (effectiveExecution(config) === "fanout") throw new Error(`the deployed hub runs fanned out (hub.execution ${config.hub.execution}): its schedule starts the state machine; use scanDeployedFanout`);
  const { accountId, region } = config.hub;
  const seen: AsyncInvocation[] = [];
  const stop = onAsyncInvocation((o) => {
    if (o.functionArn === scannerArn(config)) seen.push(o);
  });
  let invocation: AsyncInvocation | undefined;
  try {
    const fired = await deployed.sandbox.fireSchedule(accountId, region, names.scheduleRule);
    invocation = seen.find((o) => (o.event as { id?: string } | undefined)?.id === fired.id);
  } finally {
    stop();
  }
  if (!invocation) throw new Error(`${names.scheduleRule} fired but did not invoke ${names.scannerFunction}: see the sandbox's EventBridge deliveries`);
  if (invocation.functionError) throw new Error(`the deployed ${names.scannerFunction} failed: ${JSON.stringify(invocation.payload)}`);
  return { summary: invocation.payload as ScanSummary, invocation };
}

/**
 * `hub.execution: fanout`: fires the deployed schedule rule, whose target starts the deployed
 * state machine as the schedule role (the delivery names the execution it started), waits for
 * that execution and returns the Reduce's summary from its output. A failed execution, or one
 * that ended without a summary (the Plan found the run lease taken), is thrown with its error,
 * cause or output.
 */
export async function scanDeployedFanout(deployed: Pick<DeployedSandbox, "sandbox" | "config">): Promise<{ summary: ScanSummary; execution: Execution }> {
  const { config } = deployed;
  const names = driftguardNames(config);
  const { accountId, region } = config.hub;
  const fired = await deployed.sandbox.fireSchedule(accountId, region, names.scheduleRule);
  const delivery = deliveries.find((d) => d.eventId === fired.id);
  if (!delivery?.executionArn) throw new Error(`${names.scheduleRule} fired but started no execution of ${FANOUT_NAMES.stateMachine}: ${delivery?.error ?? "no delivery was made"}`);
  const execution = executionsState.at(deployed.sandbox.world.accounts.get(accountId)!, region).executions.get(delivery.executionArn)!;
  await execution.done;
  if (execution.status !== "SUCCEEDED") throw new Error(`the deployed ${FANOUT_NAMES.stateMachine} execution ${execution.name} ${execution.status}: ${execution.error}: ${execution.cause}`);
  const output = JSON.parse(execution.output ?? "null") as { summary?: ScanSummary } | null;
  if (!output?.summary) throw new Error(`the deployed ${FANOUT_NAMES.stateMachine} execution ${execution.name} ended without a scan summary: ${execution.output}`);
  return { summary: output.summary, execution };
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
  /** Also print what the deployed scanner wrote to its CloudWatch Logs group. */
  verbose?: boolean;
  /** Deploy with this hub.execution instead of the accounts file's (the state machine is part of what is synthesized). */
  execution?: "single" | "fanout";
  /** Leave the deployment up, the sandbox serving until Ctrl-C, instead of destroying it. */
  keep?: boolean;
  /** Resolves when a kept sandbox should stop (Ctrl-C); the CLI's signal, a test's promise. */
  untilStopped?: () => Promise<void>;
}

export interface DeployRunResult {
  summary: ScanSummary;
  files: string[];
  applySeconds: Record<string, number>;
  /** Stack → seconds its terraform destroy took; undefined when kept. */
  destroySeconds?: Record<string, number>;
}

/** Every line the deployed scanner wrote, in order, out of its log group in the sandbox's CloudWatch Logs. */
export function scannerLogLines(deployed: DeployedSandbox): string[] {
  const { config } = deployed;
  const hub = deployed.sandbox.world.accounts.get(config.hub.accountId);
  const group = hub ? logsState.at(hub, config.hub.region).groups.get(driftguardNames(config).scannerLogGroup) : undefined;
  return [...(group?.streams?.values() ?? [])].flatMap((s) => s.events).sort((a, b) => a.timestamp - b.timestamp).map((e) => e.message);
}

/** The shell lines that point the AWS CLI, an SDK or terraform at a kept deployment. */
function keptBanner(deployed: DeployedSandbox): string[] {
  const { sandbox } = deployed;
  const creds = sandbox.deployerCredentials;
  return [
    `--keep: the deployment stays up; the sandbox serves on ${sandbox.endpoint} until Ctrl-C (its state goes with it: nothing is destroyed)`,
    `export AWS_ENDPOINT_URL=${sandbox.endpoint} AWS_REGION=${deployed.config.hub.region} AWS_EC2_METADATA_DISABLED=true`,
    `export AWS_ACCESS_KEY_ID=${creds.accessKeyId} AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}${creds.sessionToken ? ` AWS_SESSION_TOKEN=${creds.sessionToken}` : ""}`,
  ];
}

/**
 * The two steps `--deploy` drives: the deployment (terraform) and the scan by what was deployed.
 * A test of what happens around them (the report, --keep, the destroy) gives its own.
 */
export interface DeployRunSteps {
  deploy(opts: DeployOptions): Promise<DeployedSandbox>;
  scan(deployed: DeployedSandbox): Promise<{ summary: ScanSummary }>;
}

const TERRAFORM_STEPS: DeployRunSteps = {
  deploy: deployIntoSandbox,
  scan: (deployed) => (effectiveExecution(deployed.config) === "fanout" ? scanDeployedFanout(deployed) : scanDeployed(deployed)),
};

/** `npm start -- --deploy [--execution single|fanout] [--keep]`. */
export async function deployAndRun(opts: DeployRunOptions, print: (line: string) => void = console.log, steps: DeployRunSteps = TERRAFORM_STEPS): Promise<DeployRunResult> {
  const loaded = loadConfig(opts.accounts);
  const config: Config = opts.execution ? { ...loaded, hub: { ...loaded.hub, execution: opts.execution } } : loaded;
  const deployed = await steps.deploy({ config, scenarioFile: opts.scenario, print });
  try {
    const names = driftguardNames(config);
    const fanout = effectiveExecution(config) === "fanout";
    print(
      fanout
        ? `firing ${names.scheduleRule}: EventBridge starts the deployed ${FANOUT_NAMES.stateMachine} as ${FANOUT_NAMES.scheduleRole}; Plan, one scan per account and Reduce run the deployed ${names.scannerFunction} from its zip …`
        : `firing ${names.scheduleRule}: EventBridge invokes the deployed ${names.scannerFunction} from its zip …`,
    );
    const { summary } = await steps.scan(deployed);
    const files = summary.s3 ? copyReport(deployed, summary.reportKey, resolve(opts.out)) : [];
    const { accountId, region } = config.hub;
    const topicArn = `arn:aws:sns:${region}:${accountId}:${names.topic}`;
    // The summary is published with MessageStructure json (one message per protocol); the deployed
    // alarms publish to the same topic without it (a plain JSON text), and one can come last.
    const published = deployed.sandbox.world.accounts.get(accountId)?.regions.get(region)?.topics.get(topicArn)?.published.filter((p) => p.structure === "json").at(-1);
    // Print what an email subscriber reads, as `npm start` does.
    const last = published && { ...published, message: messagesByProtocol(published.message, published.structure)("email") };
    if (opts.verbose) for (const line of scannerLogLines(deployed)) print(line);
    printRun(summary, files, topicArn, last, print);
    if (opts.keep) {
      for (const line of keptBanner(deployed)) print(line);
      await (opts.untilStopped ?? untilSignal)();
      return { summary, files, applySeconds: deployed.applySeconds };
    }
    print(`destroying what was applied (terraform destroy of ${Object.keys(deployed.stackDirs).length} stacks; --keep leaves it up) …`);
    const destroySeconds = await deployed.destroy();
    return { summary, files, applySeconds: deployed.applySeconds, destroySeconds };
  } finally {
    await deployed.close();
  }
}

/** Resolves at the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((done) => {
    process.once("SIGINT", () => done());
    process.once("SIGTERM", () => done());
  });
}
