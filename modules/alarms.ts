import { Construct } from "constructs";
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import type { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { longestGapSeconds, parseSchedule } from "../functions/config/schedule.js";
import { HEARTBEAT, METRICS_NAMESPACE, METRICS_SERVICE } from "../functions/core/metrics.js";
import type { RunMetricName } from "../functions/report/index.js";

/**
 * The hub's alarms, each notifying the driftguard topic, so a broken driftguard is no longer
 * indistinguishable from a quiet organization. driftguard's own metrics come from the EMF lines
 * (functions/runtime/metrics.ts, names imported, never retyped); the rest are the services' own
 * (AWS/Lambda, AWS/SQS, AWS/States).
 */

export interface AlarmsProps {
  /** hub.schedule, already validated. */
  schedule: string;
  topic: SnsTopic;
  fn: LambdaFunction;
  failureQueue: SqsQueue;
  /** Present with `hub.execution: fanout`. */
  stateMachine?: SfnStateMachine;
}

export const ALARM_PREFIX = "driftguard-";

/** CloudWatch evaluates Period x EvaluationPeriods over at most 7 days, and at most 1 day when the period is under an hour (PutMetricAlarm, Period). */
const MAX_WINDOW_SECONDS = 7 * 86_400;
const MAX_PERIOD_SECONDS = 86_400;
/** driftguard's own metrics arrive once per run; five minutes is CloudWatch's standard resolution for a sum. */
const RUN_PERIOD_SECONDS = 300;

/**
 * The heartbeat's window: no successful scan within twice the longest gap between two scheduled
 * runs. Split into whole days when longer than one (a period is at most a day), capped at the
 * 7 days CloudWatch can evaluate.
 */
export function heartbeatWindow(schedule: string): { period: number; evaluationPeriods: number } {
  const parsed = parseSchedule(schedule);
  if ("problem" in parsed) throw new Error(`hub.schedule "${schedule}": ${parsed.problem}`);
  const window = Math.min(2 * longestGapSeconds(parsed), MAX_WINDOW_SECONDS);
  if (window <= MAX_PERIOD_SECONDS) return { period: Math.ceil(window / 60) * 60, evaluationPeriods: 1 };
  const evaluationPeriods = Math.ceil(window / MAX_PERIOD_SECONDS);
  return { period: MAX_PERIOD_SECONDS, evaluationPeriods };
}

type AlarmSpec = Omit<CloudwatchMetricAlarmConfig, "alarmName" | "alarmActions" | "okActions"> & { name: string };

const ownMetric = (name: RunMetricName | typeof HEARTBEAT, period = RUN_PERIOD_SECONDS) => ({
  namespace: METRICS_NAMESPACE,
  metricName: name,
  dimensions: { service: METRICS_SERVICE },
  statistic: "Sum",
  period,
});

/** Any count above zero in a period. */
const anyOf = { comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1 } as const;

export function alarmSpecs(props: Omit<AlarmsProps, "topic">): AlarmSpec[] {
  const { fn, failureQueue, stateMachine } = props;
  const heartbeat = heartbeatWindow(props.schedule);
  const specs: AlarmSpec[] = [
    {
      name: "accounts-failed",
      alarmDescription: "driftguard: at least one account failed in a run (spoke role missing or untrusting, organization id mismatch); see the run's report",
      ...ownMetric("AccountsFailed"),
      ...anyOf,
      // No run in the period is not a failure; the heartbeat alarm covers silence.
      treatMissingData: "notBreaching",
    },
    {
      name: "run-incomplete",
      alarmDescription: "driftguard: a run stopped at the Lambda deadline with stacks not scanned; raise concurrency or use hub.execution: fanout",
      ...ownMetric("Incomplete"),
      ...anyOf,
      treatMissingData: "notBreaching",
    },
    {
      name: "refused-or-contested",
      alarmDescription: "driftguard: a repair was refused by the privilege invariants or a resource is contested; a person must decide",
      ...anyOf,
      treatMissingData: "notBreaching",
      metricQuery: [
        { id: "refused", metric: { ...metricOf(ownMetric("Refused")) }, returnData: false },
        { id: "contested", metric: { ...metricOf(ownMetric("Contested")) }, returnData: false },
        { id: "total", expression: "FILL(refused, 0) + FILL(contested, 0)", label: "refused + contested", returnData: true },
      ],
    },
    {
      name: "no-successful-scan",
      alarmDescription: `driftguard: no successful scan within twice the schedule period (${props.schedule}); the scanner is failing or not running`,
      ...ownMetric(HEARTBEAT, heartbeat.period),
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: heartbeat.evaluationPeriods,
      // Silence is exactly what this alarm is for.
      treatMissingData: "breaching",
    },
    {
      name: "failure-queue",
      alarmDescription: "driftguard: a scanner invocation failed and is waiting in the failure queue",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: failureQueue.name },
      statistic: "Maximum",
      period: RUN_PERIOD_SECONDS,
      ...anyOf,
      treatMissingData: "notBreaching",
    },
    {
      name: "lambda-errors",
      alarmDescription: "driftguard: the scanner Lambda returned an error (crash, timeout, bad invocation)",
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: fn.functionName },
      statistic: "Sum",
      period: RUN_PERIOD_SECONDS,
      ...anyOf,
      treatMissingData: "notBreaching",
    },
    {
      name: "lambda-throttles",
      alarmDescription: "driftguard: the scanner Lambda was throttled (account concurrency exhausted)",
      namespace: "AWS/Lambda",
      metricName: "Throttles",
      dimensions: { FunctionName: fn.functionName },
      statistic: "Sum",
      period: RUN_PERIOD_SECONDS,
      ...anyOf,
      treatMissingData: "notBreaching",
    },
  ];
  if (stateMachine) {
    // Step Functions execution metrics, dimension StateMachineArn (Monitoring Step Functions metrics using CloudWatch).
    const sfn = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: { namespace: "AWS/States", metricName, dimensions: { StateMachineArn: stateMachine.arn }, stat: "Sum", period: RUN_PERIOD_SECONDS },
    });
    specs.push({
      name: "fanout-execution-failed",
      alarmDescription: "driftguard: a fan-out scan execution failed, timed out or was aborted; its failure report is in the bucket",
      ...anyOf,
      treatMissingData: "notBreaching",
      metricQuery: [
        sfn("failed", "ExecutionsFailed"),
        sfn("timedout", "ExecutionsTimedOut"),
        sfn("aborted", "ExecutionsAborted"),
        { id: "total", expression: "FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0)", label: "failed + timed out + aborted", returnData: true },
      ],
    });
  }
  return specs;
}

/** A metric-query metric from the single-metric form (`stat` instead of `statistic`). */
function metricOf(m: ReturnType<typeof ownMetric>) {
  return { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.statistic, period: m.period };
}

/** One CloudWatch alarm per spec, alarm and recovery both sent to the topic. */
export class Alarms extends Construct {
  readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.alarms = alarmSpecs(props).map(
      ({ name, ...spec }) =>
        new CloudwatchMetricAlarm(this, name, {
          ...spec,
          alarmName: `${ALARM_PREFIX}${name}`,
          alarmActions: [props.topic.arn],
          // The recovery is news too: the person who looked knows it is fixed.
          okActions: [props.topic.arn],
        }),
    );
  }
}
