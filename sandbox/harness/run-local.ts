import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { configObjectBody } from "../../functions/config/load.js";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { Config, Mode } from "../../functions/config/schema.js";
import type { RunReport } from "../../functions/core/types.js";
import { totalsTable } from "../../functions/report/index.js";
import type { RouteHooks, ScanSummary, SkippedScan } from "../../functions/handler.js";
import type { PartitionOutput } from "../../functions/fanout/index.js";
import { effectiveExecution, type ScanProgress } from "../../functions/scanner/index.js";
import { driftguardNames } from "../../modules/names.js";
import { messagesByProtocol } from "../emulator/services/sns/delivery.js";
import { lambdaContext } from "./lambda-context.js";
import { startSandbox, type Sandbox } from "./server.js";

/**
 * `npm start`: the main job on a laptop. Starts the sandbox organization, points the unchanged
 * Lambda handler at it through AWS_ENDPOINT_URL and the hub scanner role's credentials, invokes it
 * as the EventBridge schedule would, then copies the report out of the sandbox's S3 to ./out/.
 */

export const EXECUTIONS = ["single", "fanout"] as const;
export type Execution = (typeof EXECUTIONS)[number];

export interface LocalRunOptions {
  scenario: string;
  accounts: string;
  /** Replaces every account's mode; without it each account runs in its configured mode. */
  mode?: Mode;
  /** accounts.yaml's hub.execution when not given. */
  execution?: Execution;
  out: string;
  verbose: boolean;
}

/** Each local invocation gets the full 15 minutes a Lambda invocation may take. */
const invocationContext = () => lambdaContext(15 * 60_000, "driftguard-scanner-local");

/** The environment the hub stack gives the Lambda, with the sandbox in place of AWS. */
function lambdaEnvironment(sandbox: Sandbox, config: Config, mode: Mode | undefined, verbose: boolean): Record<string, string> {
  const { hub, hubCredentials } = sandbox;
  return {
    AWS_ENDPOINT_URL: sandbox.endpoint,
    AWS_REGION: hub.region,
    AWS_ACCESS_KEY_ID: hubCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: hubCredentials.secretAccessKey,
    ...(hubCredentials.sessionToken ? { AWS_SESSION_TOKEN: hubCredentials.sessionToken } : {}),
    AWS_EC2_METADATA_DISABLED: "true",
    DRIFTGUARD_CONFIG_KEY: driftguardNames(config).configKey,
    DRIFTGUARD_ORGANIZATION_ID: config.organization.id,
    DRIFTGUARD_HUB_ACCOUNT_ID: hub.accountId,
    DRIFTGUARD_REPORT_BUCKET: hub.reportBucket,
    DRIFTGUARD_TOPIC_ARN: hub.topicArn,
    ...(mode ? { DRIFTGUARD_MODE: mode } : {}),
    POWERTOOLS_SERVICE_NAME: "driftguard",
    // The progress lines already carry every error; --verbose shows the Lambda's JSON logs too.
    POWERTOOLS_LOG_LEVEL: verbose ? "INFO" : "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  };
}

function progressLine(event: ScanProgress): string | undefined {
  switch (event.kind) {
    case "accounts":
      return `scanning ${event.toScan} of ${event.configured} configured accounts`;
    case "stack": {
      const s = event.stack;
      const drifted = s.resources.filter((r) => r.status === "MODIFIED" || r.status === "DELETED").length;
      const state = s.scan === "scanned" ? (s.driftStatus ?? "UNKNOWN") : `${s.scan}${s.scanReason ? ` (${s.scanReason})` : ""}`;
      const outcomes = s.resources.map((r) => r.action.outcome).filter((o) => o !== "skipped");
      const actions = outcomes.length > 0 ? `  ${count(outcomes)}` : "";
      return `  ${event.accountId} ${event.region.padEnd(12)} ${s.stackName.padEnd(20)} ${state}${drifted > 0 ? `, ${drifted} drifted` : ""}${actions}`;
    }
    case "region":
      return event.region.status === "scanned" ? undefined : `  ${event.accountId} ${event.region.region.padEnd(12)} region ${event.region.status}: ${event.region.error?.code ?? ""} ${event.region.error?.message ?? ""}`;
    case "account": {
      const a = event.account;
      return a.status === "scanned" ? `✓ ${a.accountId} ${a.name} (${a.mode})` : `✗ ${a.accountId} ${a.name}: ${a.status}${a.error ? ` — ${a.error.code}: ${a.error.message}` : ""}`;
    }
  }
}

function count(values: string[]): string {
  const tally = new Map<string, number>();
  for (const v of values) tally.set(v, (tally.get(v) ?? 0) + 1);
  return [...tally].map(([k, n]) => `${n} ${k}`).join(", ");
}


async function copyReport(sandbox: Sandbox, reportKey: string, out: string): Promise<string[]> {
  const s3 = hubS3(sandbox);
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const ext of ["json", "html", "md"]) {
    const key = reportKey.replace(/report\.json$/, `report.${ext}`);
    const object = await s3.send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: key }));
    const file = join(out, `report.${ext}`);
    writeFileSync(file, await object.Body!.transformToString());
    written.push(file);
  }
  return written;
}

/** The hub's S3 client, as the Lambda role sees the report bucket. */
export function hubS3(sandbox: Sandbox): S3Client {
  return new S3Client({ endpoint: sandbox.endpoint, region: sandbox.hub.region, credentials: sandbox.hubCredentials });
}

/** What was published to the hub's topic, `message` as an email subscriber reads it (one message per protocol: sns/delivery.ts). */
export function publishedMessages(sandbox: Sandbox) {
  const { accountId, region, topicArn } = sandbox.hub;
  const published = sandbox.world.accounts.get(accountId)?.regions.get(region)?.topics.get(topicArn)?.published ?? [];
  return published.map((p) => ({ ...p, raw: p.message, message: messagesByProtocol(p.message, p.structure)("email") }));
}

/**
 * Invokes the real Lambda handler, as the EventBridge schedule would, with the environment the hub
 * stack gives it — pointed at the sandbox. The environment is restored afterwards. With `fanout`,
 * the handler is invoked as the state machine would: plan, one worker per account, reduce.
 */
export async function invokeHub(sandbox: Sandbox, config: Config, mode: Mode | undefined, hooks: RouteHooks = {}, verbose = false, execution: Execution = "single"): Promise<ScanSummary> {
  const answer = await invokeHubAnswer(sandbox, config, mode, hooks, verbose, execution);
  if ("skipped" in answer) throw new Error(`the hub skipped the run: ${answer.skipped}`);
  return answer;
}

/** invokeHub's raw answer: a run summary, or the skip of a run that found the run lease held. */
export async function invokeHubAnswer(sandbox: Sandbox, config: Config, mode: Mode | undefined, hooks: RouteHooks = {}, verbose = false, execution: Execution = "single"): Promise<ScanSummary | SkippedScan> {
  const previousEnv = { ...process.env };
  try {
    // The configuration object the hub stack writes (aws_s3_object), written the same way.
    await hubS3(sandbox).send(
      new PutObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: driftguardNames(config).configKey, Body: configObjectBody(config), ContentType: "application/json" }),
    );
    Object.assign(process.env, lambdaEnvironment(sandbox, config, mode, verbose));
    // Imported only now: the handler's logger reads the environment when it loads.
    const { createHandler, createProductionRoutes } = await import("../../functions/handler.js");
    // The process-wide logger may have been created before this environment (the CLI loads the scanner).
    (await import("../../functions/core/logger.js")).logger.setLogLevel(verbose ? "INFO" : "SILENT");
    const handler = createHandler(createProductionRoutes(hooks));
    if (execution === "single") return (await handler({ "detail-type": "Scheduled Event", source: "aws.events" }, invocationContext())) as ScanSummary | SkippedScan;
    const { driveFanout } = await import("../../functions/fanout/index.js");
    const { logger } = await import("../../functions/core/logger.js");
    // Each step is its own Lambda invocation, with its own 15 minutes.
    const invoke = async <T>(payload: object) => (await handler(payload, invocationContext())) as T;
    return await driveFanout<ScanSummary>(
      {
        plan: () => invoke<PartitionOutput | SkippedScan>({ fanout: "plan", input: { trigger: "schedule" } }),
        scan: (item) => invoke(item),
        reduce: (runId) => invoke({ fanout: "reduce", runId }),
      },
      {
        s3: hubS3(sandbox),
        bucket: sandbox.hub.reportBucket,
        maxConcurrency: config.hub.fanout.maxConcurrency,
        logger,
      },
    );
  } finally {
    process.env = previousEnv;
  }
}

/** The end of a run as `npm start` prints it: the totals, where the report went, the SNS summary. */
export function printRun(summary: ScanSummary, files: string[], topicArn: string, last: { subject?: string; message: string } | undefined, print: (line: string) => void): void {
  print("");
  print(`run ${summary.runId}${summary.incomplete ? " (incomplete: see not-scanned rows)" : ""}`);
  print(totalsTable(summary.totals));
  print(files.length > 0 ? `report: ${files.join(", ")}` : "report: NOT written (S3 failed; see the SNS message)");
  if (last) print(`\nSNS ${topicArn}\nSubject: ${last.subject ?? ""}\n\n${last.message}`);
}

export async function runLocal(opts: LocalRunOptions, print: (line: string) => void = console.log): Promise<{ summary: ScanSummary; report?: RunReport; files: string[] }> {
  const config = loadConfig(opts.accounts);
  const sandbox = await startSandbox({ scenarioFile: opts.scenario, config });
  try {
    print(`sandbox organization ${sandbox.world.organization.id} on ${sandbox.endpoint} (scenario ${sandbox.scenario.file})`);
    const execution = opts.execution ?? effectiveExecution(config);
    print(`invoking the hub handler${opts.mode ? ` in ${opts.mode} mode` : " (each account in its own mode)"}${execution === "fanout" ? ", fanned out as the state machine would (plan, one worker per account, reduce)" : ""} …`);
    const onProgress = (e: ScanProgress) => {
      const line = progressLine(e);
      if (line) print(line);
    };
    const summary = await invokeHub(sandbox, config, opts.mode, { onProgress }, opts.verbose, execution);
    const files = summary.s3 ? await copyReport(sandbox, summary.reportKey, resolve(opts.out)) : [];
    const report = files.length > 0 ? (JSON.parse(readFileSync(files[0]!, "utf8")) as RunReport) : undefined;
    printRun(summary, files, sandbox.hub.topicArn, publishedMessages(sandbox).at(-1), print);
    return { summary, report, files };
  } finally {
    await sandbox.close();
  }
}
