import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FANOUT_NAMES } from "../../../modules/fanout-state-machine.js";
import { ALARM_PREFIX } from "../../../modules/alarms.js";
import { mintRoleSession } from "../../../sandbox/emulator/services/iam/principals.js";
import { logsState } from "../../../sandbox/emulator/services/logs/service.js";
import type { Principal, Topic } from "../../../sandbox/emulator/state.js";
import type { BareSandbox } from "../../../sandbox/harness/server.js";
import { exampleConfig, synthHub, type PolicyStatement } from "../../constructs/synth.js";
import { startBareTestSandbox } from "../../support/sandbox.js";

/**
 * What a Step Functions execution tells CloudWatch, and what CloudWatch then does, against the
 * synthesized fan-out hub's own alarm, key policy and logging settings (never retyped: read from
 * the synthesized stack): a failed execution publishes AWS/States ExecutionsFailed for its
 * StateMachineArn (procedure-cw-metrics.html), the hub's fanout-execution-failed alarm (metric
 * math over ExecutionsFailed/TimedOut/Aborted) goes to ALARM and its action publishes to the
 * KMS-encrypted topic as cloudwatch.amazonaws.com, which the key policy must allow
 * (sns-key-management.html); the execution's history reaches the log group at the machine's level
 * (cloudwatch-log-level.html); RedriveExecution continues a failed execution from the failed step
 * (API_RedriveExecution.html); EXPRESS machines answer StartSyncExecution and refuse the history
 * APIs (API_StartSyncExecution.html, API_ListExecutions.html). One bare sandbox for the file.
 */

const config = exampleConfig((raw) => {
  (raw.hub as { execution?: string }).execution = "fanout";
});
const HUB = config.hub.accountId;
const REGION = config.hub.region;
const BUCKET = `states-telemetry-${HUB}`;
const { synth } = synthHub(config);
let sandbox: BareSandbox;

const call = <T = Record<string, unknown>>(service: string, action: string, params: unknown, principal?: Principal) => sandbox.dispatch(HUB, REGION, service, action, params, principal) as Promise<T>;
const statesTrust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }] });

/** A terraform aws_iam_policy_document statement as the IAM JSON it renders. */
function iamStatement(s: PolicyStatement) {
  return {
    ...(s.sid ? { Sid: s.sid } : {}),
    Effect: s.effect ?? "Allow",
    Action: s.actions,
    Resource: s.resources,
    ...(s.principals ? { Principal: Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers])) } : {}),
    ...(s.condition ? { Condition: Object.fromEntries(s.condition.map((c) => [c.test, { [c.variable]: c.values }])) } : {}),
  };
}

/** The synthesized topic key's policy document. */
function topicKeyPolicy(): string {
  const key = synth.only("aws_kms_key");
  return JSON.stringify({ Version: "2012-10-17", Statement: synth.policy(key.policy).map(iamStatement) });
}

type Block = Record<string, unknown>;

/** The synthesized fanout-execution-failed alarm as PutMetricAlarm's input (what the provider sends), its references bound to this sandbox's machine and topic. */
function fanoutAlarm(machineArn: string, topicArn: string) {
  const alarm = Object.values(synth.resources("aws_cloudwatch_metric_alarm")).find((a) => a.alarm_name === `${ALARM_PREFIX}fanout-execution-failed`)!;
  const bind = (v: unknown) => (typeof v === "string" && v.includes("aws_sfn_state_machine") ? machineArn : v);
  return {
    AlarmName: alarm.alarm_name,
    AlarmDescription: alarm.alarm_description,
    ComparisonOperator: alarm.comparison_operator,
    Threshold: alarm.threshold,
    EvaluationPeriods: alarm.evaluation_periods,
    TreatMissingData: alarm.treat_missing_data,
    AlarmActions: [topicArn],
    OKActions: [topicArn],
    Metrics: (alarm.metric_query as Block[]).map((q) => {
      const metric = q.metric as Block | undefined;
      return {
        Id: q.id,
        ReturnData: q.return_data,
        ...(q.expression ? { Expression: q.expression, Label: q.label } : {}),
        ...(metric
          ? {
              MetricStat: {
                Metric: { Namespace: metric.namespace, MetricName: metric.metric_name, Dimensions: Object.entries(metric.dimensions as Block).map(([Name, Value]) => ({ Name, Value: bind(Value) })) },
                Period: metric.period,
                Stat: metric.stat,
              },
            }
          : {}),
      };
    }),
  };
}

async function until<T>(what: string, read: () => Promise<T> | T, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const topicOf = (arn: string): Topic => sandbox.world.accounts.get(HUB)!.regions.get(REGION)!.topics.get(arn)!;
const described = (executionArn: string) => call<{ status: string; output?: string; error?: string; redriveCount: number; redriveStatus: string; redriveStatusReason?: string }>("states", "DescribeExecution", { executionArn });

beforeAll(async () => {
  sandbox = await startBareTestSandbox({ config, scenario: { accounts: [{ id: HUB, name: "hub" }] } });
  await call("iam", "CreateRole", { RoleName: "sfn", AssumeRolePolicyDocument: statesTrust });
  await call("iam", "PutRolePolicy", { RoleName: "sfn", PolicyName: "p", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${BUCKET}/*` }, { Effect: "Allow", Action: ["logs:CreateLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery"], Resource: "*" }] }) });
  await call("s3", "CreateBucket", { Bucket: BUCKET });
  await call("logs", "CreateLogGroup", { logGroupName: FANOUT_NAMES.logGroup });
});

afterAll(() => sandbox?.close());

describe("a failed execution fires the hub's fan-out alarm through CloudWatch, onto the encrypted topic", () => {
  it("publishes AWS/States metrics, evaluates the synthesized alarm to ALARM, and the alarm's message reaches the topic its key policy admits CloudWatch to", async () => {
    const { KeyMetadata } = await call<{ KeyMetadata: { Arn: string } }>("kms", "CreateKey", { Policy: topicKeyPolicy() });
    const { TopicArn } = await call<{ TopicArn: string }>("sns", "CreateTopic", { Name: "driftguard-alarms", Attributes: { KmsMasterKeyId: KeyMetadata.Arn } });
    const logging = synth.only("aws_sfn_state_machine").logging_configuration as Block;
    const { stateMachineArn } = await call<{ stateMachineArn: string }>("states", "CreateStateMachine", {
      name: FANOUT_NAMES.stateMachine,
      roleArn: `arn:aws:iam::${HUB}:role/sfn`,
      definition: JSON.stringify({ StartAt: "Plan", States: { Plan: { Type: "Pass", Next: "Plan failed" }, "Plan failed": { Type: "Fail", Error: "Plan.Failed", Cause: "no accounts" } } }),
      loggingConfiguration: { level: logging.level, includeExecutionData: logging.include_execution_data, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: `arn:aws:logs:${REGION}:${HUB}:log-group:${FANOUT_NAMES.logGroup}:*` } }] },
    });
    const alarm = fanoutAlarm(stateMachineArn, TopicArn);
    await call("monitoring", "PutMetricAlarm", alarm);

    const { executionArn } = await call<{ executionArn: string }>("states", "StartExecution", { stateMachineArn, input: JSON.stringify({ secret: "payload" }) });
    await until("the execution", () => described(executionArn), (d) => d.status !== "RUNNING");
    const state = await until("the alarm", () => call<{ MetricAlarms: { StateValue: string; StateReason: string }[] }>("monitoring", "DescribeAlarms", { AlarmNames: [alarm.AlarmName] }), (r) => r.MetricAlarms[0]?.StateValue === "ALARM");
    expect(state.MetricAlarms[0]!.StateReason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[1\.0 .*\] was greater than the threshold \(0\.0\)/);

    // The metrics, read back as a dashboard would (API_GetMetricStatistics.html).
    const stats = (metricName: string, statistic: string) =>
      call<{ Datapoints: Record<string, number>[] }>("monitoring", "GetMetricStatistics", { Namespace: "AWS/States", MetricName: metricName, Dimensions: [{ Name: "StateMachineArn", Value: stateMachineArn }], StartTime: new Date(Date.now() - 600_000), EndTime: new Date(Date.now() + 60_000), Period: 3600, Statistics: [statistic] });
    expect((await stats("ExecutionsStarted", "Sum")).Datapoints.map((d) => d.Sum)).toEqual([1]);
    expect((await stats("ExecutionsFailed", "Sum")).Datapoints.map((d) => d.Sum)).toEqual([1]);
    expect((await stats("ExecutionsSucceeded", "Sum")).Datapoints).toEqual([]);
    expect((await stats("ExecutionTime", "Maximum")).Datapoints[0]!.Maximum).toBeGreaterThanOrEqual(0);

    const published = await until("the alarm message", () => topicOf(TopicArn).published, (p) => p.length > 0);
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toBe(`ALARM: "${alarm.AlarmName}" in US East (N. Virginia)`);
    const message = JSON.parse(published[0]!.message) as Record<string, unknown>;
    expect(message).toMatchObject({ AlarmName: alarm.AlarmName, AWSAccountId: HUB, NewStateValue: "ALARM", OldStateValue: "INSUFFICIENT_DATA", AlarmArn: `arn:aws:cloudwatch:${REGION}:${HUB}:alarm:${alarm.AlarmName}` });

    // Log delivery at the synthesized level (ERROR): the failure, not the start; no execution data.
    const streams = logsState.at(sandbox.world.accounts.get(HUB)!, REGION).groups.get(FANOUT_NAMES.logGroup)!.streams!;
    const [name, stream] = [...streams].find(([, s]) => s.events.some((e) => e.message.includes(executionArn)))!;
    expect(name).toMatch(new RegExp(`^states/${FANOUT_NAMES.stateMachine}/\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}/[0-9a-f]{8}$`));
    const records = stream.events.map((e) => JSON.parse(e.message) as { type: string; details: Record<string, unknown>; execution_arn: string; previous_event_id: string });
    expect(logging.level).toBe("ERROR");
    expect(records.map((r) => r.type)).toEqual(["FailStateEntered", "ExecutionFailed"]);
    expect(records[1]).toMatchObject({ execution_arn: executionArn, details: { error: "Plan.Failed", cause: "no accounts" } });
    expect(JSON.stringify(records)).not.toContain("payload");
  });

  it("the alarm's action fails, and says so in the alarm history, when the key policy does not admit CloudWatch; a role publishing needs kms:GenerateDataKey and kms:Decrypt", async () => {
    const { KeyMetadata } = await call<{ KeyMetadata: { Arn: string } }>("kms", "CreateKey", {});
    const { TopicArn } = await call<{ TopicArn: string }>("sns", "CreateTopic", { Name: "sealed", Attributes: { KmsMasterKeyId: KeyMetadata.Arn } });
    await call("monitoring", "PutMetricAlarm", { AlarmName: "custom", Namespace: "Team", MetricName: "Errors", Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: "GreaterThanThreshold", AlarmActions: [TopicArn] });
    // AWS/ namespaces are the services' own (API_PutMetricData.html).
    await expect(call("monitoring", "PutMetricData", { Namespace: "AWS/States", MetricData: [{ MetricName: "ExecutionsFailed", Value: 1 }] })).rejects.toMatchObject({ code: "InvalidParameterValue" });
    await call("monitoring", "PutMetricData", { Namespace: "Team", MetricData: [{ MetricName: "Errors", Value: 3 }] });
    const { AlarmHistoryItems } = await call<{ AlarmHistoryItems: { HistoryItemType: string; HistorySummary: string }[] }>("monitoring", "DescribeAlarmHistory", { AlarmName: "custom", HistoryItemType: "Action" });
    expect(AlarmHistoryItems).toHaveLength(1);
    expect(AlarmHistoryItems[0]!.HistorySummary).toMatch(new RegExp(`^Failed to execute action ${TopicArn}\\. Received error: "The service cloudwatch\\.amazonaws\\.com is not authorized to perform: kms:GenerateDataKey`));
    expect(topicOf(TopicArn).published).toEqual([]);

    // A role session: sns:Publish alone is not enough on an encrypted topic.
    const publisher = async (name: string, actions: string[]) => {
      await call("iam", "CreateRole", { RoleName: name, AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: "sts:AssumeRole" }] }) });
      await call("iam", "PutRolePolicy", { RoleName: name, PolicyName: "p", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sns:Publish"], Resource: TopicArn }, ...(actions.length ? [{ Effect: "Allow", Action: actions, Resource: KeyMetadata.Arn }] : [])] }) });
      return mintRoleSession(sandbox.world, sandbox.runtime.random, HUB, sandbox.world.accounts.get(HUB)!.roles.get(name)!, "p", { issuedAt: sandbox.runtime.now() });
    };
    await expect(call("sns", "Publish", { TopicArn, Message: "hello" }, await publisher("no-key", []))).rejects.toMatchObject({ code: "KMSAccessDenied" });
    await expect(call("sns", "Publish", { TopicArn, Message: "hello" }, await publisher("encrypt-only", ["kms:GenerateDataKey*"]))).rejects.toMatchObject({ code: "KMSAccessDenied" });
    await call("sns", "Publish", { TopicArn, Message: "hello" }, await publisher("both", ["kms:GenerateDataKey*", "kms:Decrypt"]));
    expect(topicOf(TopicArn).published.map((p) => p.message)).toEqual(["hello"]);
    await call("kms", "DisableKey", { KeyId: KeyMetadata.Arn });
    await expect(call("sns", "Publish", { TopicArn, Message: "again" })).rejects.toMatchObject({ code: "KMSDisabled" });
  });
});

describe("RedriveExecution and EXPRESS workflows", () => {
  it("redrives a failed execution from the failed step with the same input; a succeeded one is not redrivable", async () => {
    const { stateMachineArn } = await call<{ stateMachineArn: string }>("states", "CreateStateMachine", {
      name: "redrivable",
      roleArn: `arn:aws:iam::${HUB}:role/sfn`,
      definition: JSON.stringify({
        StartAt: "Seed",
        States: {
          Seed: { Type: "Pass", Result: "seeded", ResultPath: "$.seed", Next: "Read" },
          Read: { Type: "Task", Resource: "arn:aws:states:::aws-sdk:s3:getObject", Parameters: { Bucket: BUCKET, "Key.$": "$.key" }, ResultSelector: { "body.$": "$.Body" }, ResultPath: "$.read", Next: "Done" },
          Done: { Type: "Pass", Parameters: { "seed.$": "$.seed", "body.$": "$.read.body", "redriveCount.$": "$$.Execution.RedriveCount" }, End: true },
        },
      }),
    });
    const { executionArn } = await call<{ executionArn: string }>("states", "StartExecution", { stateMachineArn, input: JSON.stringify({ key: "later.txt" }) });
    const failed = await until("the failure", () => described(executionArn), (d) => d.status !== "RUNNING");
    expect(failed).toMatchObject({ status: "FAILED", error: "S3.NoSuchKeyException", redriveCount: 0, redriveStatus: "REDRIVABLE" });

    await call("s3", "PutObject", { Bucket: BUCKET, Key: "later.txt", Body: "now here" });
    await call("states", "RedriveExecution", { executionArn });
    const done = await until("the redrive", () => described(executionArn), (d) => d.status !== "RUNNING");
    expect(done).toMatchObject({ status: "SUCCEEDED", redriveCount: 1, redriveStatus: "NOT_REDRIVABLE", redriveStatusReason: "Execution is SUCCEEDED and cannot be redriven." });
    expect(JSON.parse(done.output!)).toEqual({ seed: "seeded", body: "now here", redriveCount: 1 });
    const { events } = await call<{ events: { type: string }[] }>("states", "GetExecutionHistory", { executionArn, maxResults: 1000 });
    const types = events.map((e) => e.type);
    // The successful step is not run again (API_RedriveExecution.html): one Seed, the Read twice.
    expect(types.filter((t) => t === "PassStateEntered")).toHaveLength(2);
    expect(types.slice(types.indexOf("ExecutionFailed"))).toEqual(["ExecutionFailed", "ExecutionRedriven", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]);
    await expect(call("states", "RedriveExecution", { executionArn })).rejects.toMatchObject({ code: "ExecutionNotRedrivable" });
  });

  it("EXPRESS: StartSyncExecution answers the outcome, the execution has no history or listing, and its records go to the logs", async () => {
    const logGroupArn = `arn:aws:logs:${REGION}:${HUB}:log-group:${FANOUT_NAMES.logGroup}:*`;
    const definition = JSON.stringify({ StartAt: "Echo", States: { Echo: { Type: "Pass", Parameters: { "got.$": "$.n" }, End: true } } });
    const { stateMachineArn } = await call<{ stateMachineArn: string }>("states", "CreateStateMachine", { name: "quick", type: "EXPRESS", roleArn: `arn:aws:iam::${HUB}:role/sfn`, definition, loggingConfiguration: { level: "ALL", includeExecutionData: true, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn } }] } });
    const out = await call<{ executionArn: string; status: string; output: string; billingDetails: { billedDurationInMilliseconds: number } }>("states", "StartSyncExecution", { stateMachineArn, input: JSON.stringify({ n: 7 }) });
    expect(out.status).toBe("SUCCEEDED");
    expect(JSON.parse(out.output)).toEqual({ got: 7 });
    expect(out.executionArn).toMatch(new RegExp(`^arn:aws:states:${REGION}:${HUB}:express:quick:[0-9a-f-]{36}:[0-9a-f-]{36}$`));
    expect(out.billingDetails.billedDurationInMilliseconds % 100).toBe(0);
    await expect(call("states", "DescribeExecution", { executionArn: out.executionArn })).rejects.toMatchObject({ code: "InvalidArn" });
    await expect(call("states", "GetExecutionHistory", { executionArn: out.executionArn })).rejects.toMatchObject({ code: "InvalidArn" });
    await expect(call("states", "ListExecutions", { stateMachineArn })).rejects.toMatchObject({ code: "StateMachineTypeNotSupported" });
    const { stateMachineArn: standard } = await call<{ stateMachineArn: string }>("states", "CreateStateMachine", { name: "slow", roleArn: `arn:aws:iam::${HUB}:role/sfn`, definition });
    await expect(call("states", "StartSyncExecution", { stateMachineArn: standard, input: "{}" })).rejects.toMatchObject({ code: "StateMachineTypeNotSupported" });
    const streams = [...logsState.at(sandbox.world.accounts.get(HUB)!, REGION).groups.get(FANOUT_NAMES.logGroup)!.streams!.values()];
    const records = streams.flatMap((s) => s.events.map((e) => JSON.parse(e.message) as { type: string; execution_arn: string; details: { input?: string } })).filter((r) => r.execution_arn === out.executionArn);
    expect(records.map((r) => r.type)).toEqual(["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]);
    expect(JSON.parse(records[0]!.details.input!)).toEqual({ n: 7 });
  });
});
