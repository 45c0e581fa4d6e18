import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALARM_PREFIX } from "../../modules/alarms.js";
import { FANOUT_NAMES } from "../../modules/fanout-state-machine.js";
import { logsState } from "../../sandbox/emulator/services/logs/service.js";
import { backgroundSettled } from "../../sandbox/emulator/services/shared/background.js";
import type { Topic } from "../../sandbox/emulator/state.js";
import type { BareSandbox } from "../../sandbox/harness/server.js";
import { exampleConfig, synthHub } from "../constructs/synth.js";
import { BASE_SCENARIO, HUB, startBareTestSandbox } from "../support/sandbox.js";
import { boto3 } from "./boto3.js";

/**
 * Service behaviours of the sandbox that only show over time or under load, each as AWS
 * documents it (sources cited in the emulator files named): one Lambda log stream per execution
 * environment (lambda/environments.ts), a redriven Distributed Map redriving only its unsuccessful
 * children (stepfunctions/executions.ts), EXPRESS executions delivered twice under the scenario's
 * duplicateExpressExecutions, the log delivery a state machine's logging needs from its role
 * (stepfunctions/service.ts), alarms evaluated on the minute clock without new data
 * (cloudwatch/alarm-evaluation.ts), and backgroundSettled waiting for executions. boto3 reads
 * back the log streams and drives the logging checks, as an independent client. One sandbox for
 * the file, on a clock the tests move forward.
 */

const REGION = "us-east-1";
const BUCKET = `fidelity-${HUB}`;
let sandbox: BareSandbox;
let offset = 0;

const call = <T = Record<string, unknown>>(service: string, action: string, params: unknown) => sandbox.dispatch(HUB, REGION, service, action, params) as Promise<T>;
const trust = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
const allow = (...statements: { Action: string[]; Resource: string | string[] }[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements.map((s) => ({ Effect: "Allow", ...s })) });

async function role(name: string, service: string, document?: string): Promise<string> {
  await call("iam", "CreateRole", { RoleName: name, AssumeRolePolicyDocument: trust(service) });
  if (document) await call("iam", "PutRolePolicy", { RoleName: name, PolicyName: "p", PolicyDocument: document });
  return `arn:aws:iam::${HUB}:role/${name}`;
}

const groups = () => logsState.at(sandbox.world.accounts.get(HUB)!, REGION).groups;

async function until<T>(what: string, read: () => Promise<T> | T, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  sandbox = await startBareTestSandbox({ clock: () => Date.now() + offset, scenario: { accounts: [{ id: HUB, name: "hub" }, ...(BASE_SCENARIO.accounts ?? [])], duplicateExpressExecutions: true } });
  await call("s3", "CreateBucket", { Bucket: BUCKET });
}, 60_000);

afterAll(() => sandbox?.close());

describe("Lambda: one log stream per execution environment (operatorguide/log-structure.html)", () => {
  const HANDLER = `
export const handler = async (event, context) => {
  console.log("run " + event.id);
  await new Promise((r) => setTimeout(r, event.holdMs ?? 0));
  return { env: process.env.AWS_LAMBDA_LOG_STREAM_NAME, context: context.logStreamName };
};`;

  it("reuses a warm environment's stream, opens one per concurrent (cold) environment, and a new one after an update", async () => {
    const fnRole = await role("envs-fn", "lambda.amazonaws.com");
    const zip = Buffer.from(zipSync({ "index.mjs": strToU8(HANDLER) }));
    await call("logs", "CreateLogGroup", { logGroupName: "/aws/lambda/envs" });
    await call("logs", "CreateLogGroup", { logGroupName: "shared-logs" });
    await call("lambda", "CreateFunction", { FunctionName: "envs", Role: fnRole, Runtime: "nodejs22.x", Handler: "index.handler", Code: { ZipFile: zip } });
    await call("lambda", "CreateFunction", { FunctionName: "custom", Role: fnRole, Runtime: "nodejs22.x", Handler: "index.handler", Code: { ZipFile: zip }, LoggingConfig: { LogFormat: "Text", LogGroup: "shared-logs" } });
    const invoke = async (FunctionName: string, event: object) => {
      const out = await call<{ Payload: Uint8Array; FunctionError?: string }>("lambda", "Invoke", { FunctionName, Payload: Buffer.from(JSON.stringify(event)) });
      expect(out.FunctionError).toBeUndefined();
      return JSON.parse(Buffer.from(out.Payload).toString("utf8")) as { env: string; context: string };
    };

    const first = await invoke("envs", { id: 1 });
    const second = await invoke("envs", { id: 2 });
    expect(second.env).toBe(first.env);
    expect(first.context).toBe(first.env);
    // Three at once: the warm environment takes one, two cold starts take the others.
    const concurrent = await Promise.all([3, 4, 5].map((id) => invoke("envs", { id, holdMs: 300 })));
    expect(new Set(concurrent.map((r) => r.env)).size).toBe(3);
    expect(concurrent.map((r) => r.env)).toContain(first.env);
    // An update sets up new environments (lambda-runtime-environment.html): the next run is a cold start.
    await call("lambda", "UpdateFunctionConfiguration", { FunctionName: "envs", Environment: { Variables: { STAGE: "two" } } });
    const updated = await invoke("envs", { id: 6 });
    expect([first.env, ...concurrent.map((r) => r.env)]).not.toContain(updated.env);
    const custom = await invoke("custom", { id: 7 });

    // Read back with boto3: the streams Lambda created and which invocation wrote where.
    const r = await boto3(sandbox, sandbox.adminCredentials(HUB), `
logs = client("logs")
def streams(group):
    names = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    return {n: [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=n, startFromHead=True)["events"]] for n in names}
out(dict(envs=streams("/aws/lambda/envs"), custom=streams("shared-logs")))`);
    const envs = r.envs as Record<string, string[]>;
    expect(Object.keys(envs).sort()).toEqual([...new Set([first.env, ...concurrent.map((c) => c.env), updated.env])].sort());
    for (const name of Object.keys(envs)) expect(name).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(envs[first.env]!.slice(0, 2)).toEqual(["run 1", "run 2"]);
    expect(Object.values(envs).flat().sort()).toEqual(["run 1", "run 2", "run 3", "run 4", "run 5", "run 6"]);
    expect(envs[updated.env]).toEqual(["run 6"]);
    // A log group of its own choosing: the function's name leads the stream name (monitoring-cloudwatchlogs-loggroups.html).
    expect(Object.keys(r.custom)).toEqual([custom.env]);
    expect(custom.env).toMatch(/^\d{4}\/\d{2}\/\d{2}\/custom\[\$LATEST\][0-9a-f]{32}$/);
  });
});

describe("Step Functions", () => {
  const LABEL = "Items";
  const definition = JSON.stringify({
    StartAt: "Each",
    States: {
      Each: {
        Type: "Map",
        Label: LABEL,
        ItemReader: { Resource: "arn:aws:states:::s3:getObject", ReaderConfig: { InputType: "JSON" }, Parameters: { Bucket: BUCKET, Key: "items.json" } },
        ItemProcessor: {
          ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
          StartAt: "Read",
          States: { Read: { Type: "Task", Resource: "arn:aws:states:::aws-sdk:s3:getObject", Parameters: { Bucket: BUCKET, "Key.$": "$.key" }, ResultSelector: { "body.$": "$.Body" }, End: true } },
        },
        ResultPath: null,
        End: true,
      },
    },
  });
  type Described = { status: string; error?: string; cause?: string; redriveCount: number };
  const history = async (executionArn: string) => (await call<{ events: { type: string }[] }>("states", "GetExecutionHistory", { executionArn, maxResults: 1000 })).events.map((e) => e.type);

  it("RedriveExecution of a failed Distributed Map redrives its Map Run: same ARN, only the failed child again, and only with states:RedriveExecution", async () => {
    const machineArn = `arn:aws:states:${REGION}:${HUB}:stateMachine:mapper`;
    const base = [
      { Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${BUCKET}/*` },
      { Action: ["states:StartExecution"], Resource: machineArn },
    ];
    const roleArn = await role("mapper", "states.amazonaws.com", allow(...base));
    await call("s3", "PutObject", { Bucket: BUCKET, Key: "items.json", Body: JSON.stringify([{ key: "flags/a" }, { key: "flags/b" }, { key: "flags/c" }]) });
    await call("s3", "PutObject", { Bucket: BUCKET, Key: "flags/a", Body: "A" });
    await call("s3", "PutObject", { Bucket: BUCKET, Key: "flags/c", Body: "C" });
    await call("states", "CreateStateMachine", { name: "mapper", roleArn, definition });
    const { executionArn } = await call<{ executionArn: string }>("states", "StartExecution", { stateMachineArn: machineArn, input: "{}" });
    // backgroundSettled counts executions, their Map Run children included.
    await backgroundSettled(60_000);
    expect(await call<Described>("states", "DescribeExecution", { executionArn })).toMatchObject({ status: "FAILED", error: "States.ExceedToleratedFailureThreshold" });
    const { mapRuns } = await call<{ mapRuns: { mapRunArn: string }[] }>("states", "ListMapRuns", { executionArn });
    const mapRunArn = mapRuns[0]!.mapRunArn;
    const children = async () => (await call<{ executions: { executionArn: string; status: string }[] }>("states", "ListExecutions", { mapRunArn })).executions;
    const before = await children();
    expect(before.map((c) => c.status).sort()).toEqual(["FAILED", "SUCCEEDED", "SUCCEEDED"]);

    // The object arrives; without states:RedriveExecution the Map Run cannot redrive its failed child.
    await call("s3", "PutObject", { Bucket: BUCKET, Key: "flags/b", Body: "B" });
    await call("states", "RedriveExecution", { executionArn });
    await backgroundSettled(60_000);
    const denied = await call<Described>("states", "DescribeExecution", { executionArn });
    expect(denied).toMatchObject({ status: "FAILED", error: "States.Runtime", redriveCount: 1 });
    expect(denied.cause).toMatch(/could not redrive its child executions: .*states:RedriveExecution/);

    await call("iam", "PutRolePolicy", { RoleName: "mapper", PolicyName: "p", PolicyDocument: allow(...base, { Action: ["states:RedriveExecution"], Resource: `arn:aws:states:${REGION}:${HUB}:execution:mapper/${LABEL}:*` }) });
    await call("states", "RedriveExecution", { executionArn });
    await backgroundSettled(60_000);
    expect(await call<Described>("states", "DescribeExecution", { executionArn })).toMatchObject({ status: "SUCCEEDED", redriveCount: 2 });

    // The same Map Run, redriven; the same three children: the two that succeeded never ran again.
    expect((await call<{ mapRuns: unknown[] }>("states", "ListMapRuns", { executionArn })).mapRuns).toHaveLength(1);
    const run = await call<{ status: string; redriveCount: number; redriveDate?: Date; executionCounts: { succeeded: number; failed: number; total: number } }>("states", "DescribeMapRun", { mapRunArn });
    expect(run).toMatchObject({ status: "SUCCEEDED", redriveCount: 2, executionCounts: { succeeded: 3, failed: 0, total: 3 } });
    expect(run.redriveDate).toBeInstanceOf(Date);
    const after = await children();
    expect(after.map((c) => c.executionArn).sort()).toEqual(before.map((c) => c.executionArn).sort());
    const failedChild = before.find((c) => c.status === "FAILED")!.executionArn;
    for (const child of before) {
      const d = await call<Described>("states", "DescribeExecution", { executionArn: child.executionArn });
      const types = await history(child.executionArn);
      if (child.executionArn === failedChild) {
        expect(d).toMatchObject({ status: "SUCCEEDED", redriveCount: 1 });
        expect(types.filter((t) => t === "TaskScheduled")).toHaveLength(2);
        expect(types).toContain("ExecutionRedriven");
      } else {
        expect(d).toMatchObject({ status: "SUCCEEDED", redriveCount: 0 });
        expect(types.filter((t) => t === "TaskScheduled")).toHaveLength(1);
      }
    }
    const parent = await history(executionArn);
    expect(parent.filter((t) => t === "MapRunStarted")).toHaveLength(1);
    expect(parent.filter((t) => t === "MapRunRedriven")).toHaveLength(2);
  });

  it("driftguard's fan-out role may redrive its Map Run's children", () => {
    const { synth } = synthHub(exampleConfig((raw) => void ((raw.hub as { execution?: string }).execution = "fanout")));
    const policies = Object.values(synth.resources("aws_iam_role_policy")).flatMap((p) => synth.policy(p.policy));
    const redrive = policies.find((s) => s.actions?.includes("states:RedriveExecution"));
    expect(redrive?.resources?.some((r) => r.endsWith(`:execution:${FANOUT_NAMES.stateMachine}/*`))).toBe(true);
  });

  it("delivers an asynchronous EXPRESS execution twice under duplicateExpressExecutions; StartSyncExecution and STANDARD executions once", async () => {
    // driftguard's fan-out is STANDARD, parent and Map children: exactly-once, so the knob cannot reach it
    // (concepts-standard-vs-express.html). Were it EXPRESS, its fan-out would have to be proven under the knob.
    const { synth } = synthHub(exampleConfig((raw) => void ((raw.hub as { execution?: string }).execution = "fanout")));
    const deployed = synth.only("aws_sfn_state_machine");
    expect(deployed.type).toBe("STANDARD");
    expect(String(deployed.definition)).toContain('"ExecutionType":"STANDARD"');

    await call("logs", "CreateLogGroup", { logGroupName: "/aws/vendedlogs/states/twice" });
    const logGroupArn = `arn:aws:logs:${REGION}:${HUB}:log-group:/aws/vendedlogs/states/twice:*`;
    const roleArn = await role("twice", "states.amazonaws.com", allow({ Action: ["logs:CreateLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery"], Resource: "*" }));
    const definition = JSON.stringify({ StartAt: "Echo", States: { Echo: { Type: "Pass", End: true } } });
    const loggingConfiguration = { level: "ALL", includeExecutionData: true, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn } }] };
    const express = await call<{ stateMachineArn: string }>("states", "CreateStateMachine", { name: "twice", type: "EXPRESS", roleArn, definition, loggingConfiguration });
    const standard = await call<{ stateMachineArn: string }>("states", "CreateStateMachine", { name: "once", roleArn, definition });

    const async = await call<{ executionArn: string }>("states", "StartExecution", { stateMachineArn: express.stateMachineArn, input: JSON.stringify({ n: 1 }) });
    const sync = await call<{ executionArn: string; status: string }>("states", "StartSyncExecution", { stateMachineArn: express.stateMachineArn, input: JSON.stringify({ n: 2 }) });
    const single = await call<{ executionArn: string }>("states", "StartExecution", { stateMachineArn: standard.stateMachineArn, input: "{}" });
    await backgroundSettled(60_000);
    const records = [...groups().get("/aws/vendedlogs/states/twice")!.streams!.values()].flatMap((s) => s.events.map((e) => JSON.parse(e.message) as { type: string; execution_arn: string; details: { input?: string } }));
    const of = (arn: string, type: string) => records.filter((r) => r.execution_arn === arn && r.type === type);
    expect(of(async.executionArn, "ExecutionStarted").map((r) => JSON.parse(r.details.input!))).toEqual([{ n: 1 }, { n: 1 }]);
    expect(of(async.executionArn, "ExecutionSucceeded")).toHaveLength(2);
    expect(sync.status).toBe("SUCCEEDED");
    expect(of(sync.executionArn, "ExecutionStarted")).toHaveLength(1);
    expect((await history(single.executionArn)).filter((t) => t === "ExecutionStarted")).toHaveLength(1);
    expect((await call<{ executions: unknown[] }>("states", "ListExecutions", { stateMachineArn: standard.stateMachineArn })).executions).toHaveLength(1);
  });

  it("logging needs the role's log delivery permissions: CreateStateMachine and UpdateStateMachine refuse it otherwise (boto3)", async () => {
    await role("quiet", "states.amazonaws.com");
    await call("logs", "CreateLogGroup", { logGroupName: "/aws/vendedlogs/states/quiet" });
    const r = await boto3(sandbox, sandbox.adminCredentials(HUB), `
sfn = client("stepfunctions")
iam = client("iam")
role = "arn:aws:iam::${HUB}:role/quiet"
definition = json.dumps({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}})
def logging(level):
    return {"level": level, "includeExecutionData": False, "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:${REGION}:${HUB}:log-group:/aws/vendedlogs/states/quiet:*"}}]}
def grant(*actions):
    iam.put_role_policy(RoleName="quiet", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))
created = err(lambda: sfn.create_state_machine(name="quiet", roleArn=role, definition=definition, loggingConfiguration=logging("ERROR")))
arn = sfn.create_state_machine(name="quiet", roleArn=role, definition=definition)["stateMachineArn"]
update_denied = err(lambda: sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=logging("ERROR")))
grant("logs:CreateLogDelivery")
sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=logging("ERROR"))
level_denied = err(lambda: sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=logging("ALL")))
off_denied = err(lambda: sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration={"level": "OFF"}))
grant("logs:CreateLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery")
sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=logging("ALL"))
sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration={"level": "OFF"})
out(dict(created=created, update_denied=update_denied, level_denied=level_denied, off_denied=off_denied, level=sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"]["level"]))`);
    const denied = { code: "AccessDeniedException", message: "The state machine IAM Role is not authorized to access the Log Destination", status: 400 };
    expect(r).toEqual({ created: denied, update_denied: denied, level_denied: denied, off_denied: denied, level: "OFF" });
  });
});

describe("CloudWatch alarms are evaluated on the clock (AlarmThatSendsEmail.html)", () => {
  it("the synthesized heartbeat alarm goes to ALARM and a notBreaching alarm to OK at the next minute, with no data, and their actions run", async () => {
    const { synth } = synthHub(exampleConfig());
    const alarms = Object.values(synth.resources("aws_cloudwatch_metric_alarm"));
    const { TopicArn } = await call<{ TopicArn: string }>("sns", "CreateTopic", { Name: "alarms" });
    const names = [`${ALARM_PREFIX}no-successful-scan`, `${ALARM_PREFIX}accounts-failed`];
    for (const name of names) {
      const a = alarms.find((x) => x.alarm_name === name)!;
      expect(a.treat_missing_data).toBe(name.endsWith("no-successful-scan") ? "breaching" : "notBreaching");
      await call("monitoring", "PutMetricAlarm", {
        AlarmName: a.alarm_name,
        Namespace: a.namespace,
        MetricName: a.metric_name,
        Dimensions: Object.entries(a.dimensions as Record<string, string>).map(([Name, Value]) => ({ Name, Value })),
        Statistic: a.statistic,
        Period: a.period,
        EvaluationPeriods: a.evaluation_periods,
        Threshold: a.threshold,
        ComparisonOperator: a.comparison_operator,
        TreatMissingData: a.treat_missing_data,
        AlarmActions: [TopicArn],
        OKActions: [TopicArn],
      });
    }
    const states = async () => Object.fromEntries((await call<{ MetricAlarms: { AlarmName: string; StateValue: string }[] }>("monitoring", "DescribeAlarms", { AlarmNames: names })).MetricAlarms.map((m) => [m.AlarmName, m.StateValue]));
    expect(await states()).toEqual({ [names[0]!]: "INSUFFICIENT_DATA", [names[1]!]: "INSUFFICIENT_DATA" });
    // The next minute boundary: no data arrives, the clock alone evaluates.
    offset += 60_000;
    const after = await until("the minute's evaluation", states, (s) => Object.values(s).every((v) => v !== "INSUFFICIENT_DATA"));
    expect(after).toEqual({ [names[0]!]: "ALARM", [names[1]!]: "OK" });
    const topic: Topic = sandbox.world.accounts.get(HUB)!.regions.get(REGION)!.topics.get(TopicArn)!;
    const sent = topic.published.map((p) => JSON.parse(p.message) as { AlarmName: string; NewStateValue: string; OldStateValue: string });
    expect(sent.map((m) => [m.AlarmName, m.OldStateValue, m.NewStateValue]).sort()).toEqual([
      [names[1], "INSUFFICIENT_DATA", "OK"],
      [names[0], "INSUFFICIENT_DATA", "ALARM"],
    ].sort());
  });
});
