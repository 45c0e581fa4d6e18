import { describe, expect, it } from "vitest";
import { heartbeatWindow } from "../../modules/alarms.js";
import { exampleConfig } from "../support/config.js";
import { synthHub } from "./synth.js";

/** The example hub (schedule rate(6 hours), single execution) and a fan-out one. */
const single = synthHub(exampleConfig()).synth;
const fanout = synthHub(exampleConfig({ hub: { execution: "fanout", schedule: "cron(0 18 ? * MON-FRI *)" } })).synth;

type Block = Record<string, unknown>;
const alarmsOf = (synth: typeof single) => Object.values(synth.resources("aws_cloudwatch_metric_alarm"));
const alarm = (synth: typeof single, name: string): Block => {
  const found = alarmsOf(synth).find((a) => a.alarm_name === `driftguard-${name}`);
  if (!found) throw new Error(`no alarm driftguard-${name}; have ${alarmsOf(synth).map((a) => String(a.alarm_name)).join(", ")}`);
  return found;
};
const topicArn = (synth: typeof single) => synth.ref("aws_sns_topic", synth.only("aws_sns_topic"), "arn");
/** driftguard's EMF metrics as the Powertools defaults write them: namespace driftguard, dimension service. */
const own = (metric: string) => ({ namespace: "driftguard", metric_name: metric, dimensions: { service: "driftguard" }, statistic: "Sum" });
const above0 = { comparison_operator: "GreaterThanThreshold", threshold: 0, evaluation_periods: 1 };

describe("Hub alarms", () => {
  it("notify the topic on alarm and on recovery, every one of them", () => {
    const all = alarmsOf(single);
    expect(all.length).toBe(7);
    for (const a of all) {
      expect(a.alarm_actions, String(a.alarm_name)).toEqual([topicArn(single)]);
      expect(a.ok_actions, String(a.alarm_name)).toEqual([topicArn(single)]);
      expect(String(a.alarm_description)).toMatch(/^driftguard: /);
    }
  });

  it("any account failed", () => {
    expect(alarm(single, "accounts-failed")).toMatchObject({ ...own("AccountsFailed"), ...above0, period: 300, treat_missing_data: "notBreaching" });
  });

  it("run incomplete", () => {
    expect(alarm(single, "run-incomplete")).toMatchObject({ ...own("Incomplete"), ...above0, treat_missing_data: "notBreaching" });
  });

  it("refused or contested above zero, as one metric-math alarm", () => {
    const a = alarm(single, "refused-or-contested");
    expect(a).toMatchObject({ ...above0, treat_missing_data: "notBreaching" });
    const queries = a.metric_query as Block[];
    expect(queries.map((q) => (q.metric as Block | undefined)?.metric_name ?? q.expression)).toEqual(["Refused", "Contested", "FILL(refused, 0) + FILL(contested, 0)"]);
    expect(queries.find((q) => q.return_data === true)!.id).toBe("total");
    expect(queries[0]!.metric).toMatchObject({ namespace: "driftguard", dimensions: { service: "driftguard" }, stat: "Sum" });
  });

  it("no successful scan within twice the schedule period, silence breaching", () => {
    // rate(6 hours): the heartbeat must arrive within 12 hours.
    expect(alarm(single, "no-successful-scan")).toMatchObject({
      ...own("Heartbeat"),
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      period: 12 * 3600,
      evaluation_periods: 1,
      treat_missing_data: "breaching",
    });
    // Weekdays at 18:00: the longest gap is Friday to Monday, 3 days; twice that is 6 one-day periods.
    expect(alarm(fanout, "no-successful-scan")).toMatchObject({ period: 86_400, evaluation_periods: 6 });
  });

  it("failure-queue depth above zero", () => {
    const queue = single.only("aws_sqs_queue");
    expect(alarm(single, "failure-queue")).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: single.ref("aws_sqs_queue", queue, "name") },
      statistic: "Maximum",
      ...above0,
    });
  });

  it("Lambda errors and throttles", () => {
    const fnName = single.ref("aws_lambda_function", single.only("aws_lambda_function"), "function_name");
    for (const [name, metric] of [["lambda-errors", "Errors"], ["lambda-throttles", "Throttles"]] as const) {
      expect(alarm(single, name)).toMatchObject({ namespace: "AWS/Lambda", metric_name: metric, dimensions: { FunctionName: fnName }, statistic: "Sum", ...above0 });
    }
  });

  it("a fan-out execution failed, timed out or was aborted (fan-out hubs only)", () => {
    expect(alarmsOf(single).some((a) => a.alarm_name === "driftguard-fanout-execution-failed")).toBe(false);
    const machineArn = fanout.ref("aws_sfn_state_machine", fanout.only("aws_sfn_state_machine"), "arn");
    const queries = alarm(fanout, "fanout-execution-failed").metric_query as Block[];
    const metrics = queries.filter((q) => q.metric).map((q) => q.metric as Block);
    expect(metrics.map((m) => m.metric_name)).toEqual(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]);
    for (const m of metrics) expect(m).toMatchObject({ namespace: "AWS/States", dimensions: { StateMachineArn: machineArn }, stat: "Sum" });
  });
});

describe("heartbeatWindow", () => {
  it("stays within what CloudWatch can evaluate (7 days; 1 day under hourly periods)", () => {
    expect(heartbeatWindow("rate(5 minutes)")).toEqual({ period: 600, evaluationPeriods: 1 });
    expect(heartbeatWindow("rate(1 day)")).toEqual({ period: 86_400, evaluationPeriods: 2 });
    expect(heartbeatWindow("rate(30 days)")).toEqual({ period: 86_400, evaluationPeriods: 7 });
  });
});
