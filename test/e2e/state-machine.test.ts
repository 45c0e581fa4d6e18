import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { configObjectBody } from "../../functions/config/load.js";
import type { RunReport } from "../../functions/core/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import { FANOUT_NAMES, fanoutDefinition } from "../../modules/fanout-state-machine.js";
import { buildLambdaFiles, deterministicZip, HANDLER_ENTRY, LAMBDA_HANDLER } from "../../modules/lambda-bundle.js";
import { driftguardNames } from "../../modules/names.js";
import { LAMBDA_RUNTIME } from "../../modules/scanner-function.js";
import { executionsState } from "../../sandbox/emulator/services/stepfunctions/executions.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/harness/scenario.js";
import { startSandbox, type Sandbox } from "../../sandbox/harness/server.js";
import { schemaErrors } from "../unit/report/validate.js";

/**
 * `hub.execution: fanout` as deployed: the real Lambda bundle (esbuild of functions/handler.ts,
 * in memory) created as the scanner function with the scanner role, and the fan-out state
 * machine with the definition the construct synthesizes (fanoutDefinition, the exact JSON
 * aws_sfn_state_machine receives) and its synthesized role (driftguard-scan-states, as the
 * sandbox world renders the hub stack's IAM), started as the schedule target starts it. The
 * execution runs in the sandbox's Step Functions: Plan → Lease taken? → Distributed Map over
 * runs/<runId>/items.json (one child execution per work item, as the role) → ResultWriter → Reduce.
 * The oracle is what the run leaves in the sandbox (the report, the Map Run's children, the
 * exported manifest), not the execution's word. One sandbox for the file.
 */

const demo = loadConfig(DEMO_ACCOUNTS);
const config = { ...demo, hub: { ...demo.hub, execution: "fanout" as const } };
const names = driftguardNames(config);
let sandbox: Sandbox;

const call = <T = Record<string, unknown>>(service: string, action: string, params: unknown) => sandbox.dispatch(config.hub.accountId, config.hub.region, service, action, params) as Promise<T>;
const getText = async (key: string) => Buffer.from((await call<{ Body: Uint8Array }>("s3", "GetObject", { Bucket: sandbox.hub.reportBucket, Key: key })).Body).toString("utf8");

beforeAll(async () => {
  // The demo's latency (5 ms a call, 0.2-1.5 s a drift detection) is for people watching; this
  // test is about the execution, so calls and detections are instant.
  sandbox = await startSandbox({ scenarioFile: DEFAULT_SCENARIO, config, latency: { apiMs: 0, detectionMs: [0, 0] } });
  // The configuration object the hub stack writes (aws_s3_object).
  await call("s3", "PutObject", { Bucket: sandbox.hub.reportBucket, Key: names.configKey, Body: configObjectBody(config), ContentType: "application/json" });
  await call("lambda", "CreateFunction", {
    FunctionName: names.scannerFunction,
    Role: sandbox.hub.scannerRoleArn,
    Runtime: LAMBDA_RUNTIME,
    Handler: LAMBDA_HANDLER,
    Timeout: config.hub.lambda.timeoutSeconds,
    MemorySize: config.hub.lambda.memoryMb,
    Code: { ZipFile: Buffer.from(deterministicZip(buildLambdaFiles({ entry: HANDLER_ENTRY }))) },
    Environment: {
      Variables: {
        DRIFTGUARD_REPORT_BUCKET: sandbox.hub.reportBucket,
        DRIFTGUARD_TOPIC_ARN: sandbox.hub.topicArn,
        DRIFTGUARD_CONFIG_KEY: names.configKey,
        DRIFTGUARD_ORGANIZATION_ID: config.organization.id,
        DRIFTGUARD_HUB_ACCOUNT_ID: config.hub.accountId,
        DRIFTGUARD_MODE: "report",
        POWERTOOLS_SERVICE_NAME: "driftguard",
        POWERTOOLS_LOG_LEVEL: "SILENT",
        POWERTOOLS_METRICS_DISABLED: "true",
      },
    },
  });
});

afterAll(() => sandbox?.close());

describe("the fan-out state machine, executed by the sandbox's Step Functions", () => {
  it("runs the synthesized definition end to end as its role: every work item scanned by a child execution, the results exported, one consolidated report", async () => {
    const functionArn = `arn:aws:lambda:${config.hub.region}:${config.hub.accountId}:function:${names.scannerFunction}`;
    const definition = fanoutDefinition({
      partition: "aws",
      functionArn,
      bucket: sandbox.hub.reportBucket,
      maxConcurrency: config.hub.fanout.maxConcurrency,
      workerTimeoutSeconds: config.hub.lambda.timeoutSeconds,
      topicArn: sandbox.hub.topicArn,
    });
    const { stateMachineArn } = await call<{ stateMachineArn: string }>("states", "CreateStateMachine", {
      name: FANOUT_NAMES.stateMachine,
      roleArn: `arn:aws:iam::${config.hub.accountId}:role/${FANOUT_NAMES.role}`,
      definition: JSON.stringify(definition),
    });
    // The schedule target's constant input (modules/fanout-state-machine.ts).
    const { executionArn } = await call<{ executionArn: string }>("states", "StartExecution", { stateMachineArn, input: JSON.stringify({ trigger: "schedule" }) });
    await executionsState.at(sandbox.world.accounts.get(config.hub.accountId)!, config.hub.region).executions.get(executionArn)!.done;
    const described = await call<{ status: string; output?: string; error?: string; cause?: string }>("states", "DescribeExecution", { executionArn });
    expect(described.error ? `${described.error}: ${described.cause}` : described.status).toBe("SUCCEEDED");

    const { events } = await call<{ events: { type: string; stateEnteredEventDetails?: { name: string }; mapRunStartedEventDetails?: { mapRunArn: string } }[] }>("states", "GetExecutionHistory", { executionArn, maxResults: 1000 });
    expect(events.filter((e) => e.type.endsWith("StateEntered")).map((e) => e.stateEnteredEventDetails!.name)).toEqual(["Plan", "Lease taken?", "Scan accounts", "Reduce"]);
    const mapRunArn = events.find((e) => e.type === "MapRunStarted")!.mapRunStartedEventDetails!.mapRunArn;

    // One child execution per work item the Plan wrote, each SUCCEEDED.
    const { summary } = JSON.parse(described.output!) as { summary: ScanSummary & { runId?: string } };
    const runs = [...sandbox.world.buckets.get(sandbox.hub.reportBucket)!.objects.keys()].filter((k) => /^runs\/[^/]+\/items\.json$/.test(k));
    expect(runs).toHaveLength(1);
    const items = JSON.parse(await getText(runs[0]!)) as unknown[];
    const children = await call<{ executions: { status: string }[] }>("states", "ListExecutions", { mapRunArn });
    expect(children.executions.map((c) => c.status)).toEqual(items.map(() => "SUCCEEDED"));

    // The ResultWriter's manifest under runs/map-results/<map run id>/.
    const manifest = JSON.parse(await getText(`runs/map-results/${mapRunArn.split(":").pop()}/manifest.json`)) as { ResultFiles: { SUCCEEDED: { Key: string }[] } };
    expect(manifest.ResultFiles.SUCCEEDED).toHaveLength(1);

    // The Reduce's consolidated report: valid, one row per configured account that is not
    // retired (a retired account is never scanned); failed exactly where the demo scenario
    // makes AssumeRole fail, scanned everywhere else.
    const report = JSON.parse(await getText(summary.reportKey)) as RunReport;
    expect(schemaErrors(report)).toEqual([]);
    const locked = new Set(sandbox.scenario.faults.filter((f) => f.service === "sts" && f.action === "AssumeRole").map((f) => f.account));
    const expected = config.accounts.filter((a) => a.status !== "retired").map((a) => [a.id, locked.has(a.id) ? "failed" : "scanned"]);
    expect(report.accounts.map((a) => [a.accountId, a.status]).sort()).toEqual(expected.sort());
  });
});
