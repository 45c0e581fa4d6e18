import { randomBytes } from "node:crypto";
import type { SandboxRuntime } from "../../protocol/types.js";
import type { World } from "../../state.js";
import { publishServiceMetric } from "../cloudwatch/metrics.js";
import { appendLogEvents } from "../logs/service.js";

/**
 * What an execution tells CloudWatch: its execution metrics and its history as log records.
 *
 * Metrics — "Monitoring Step Functions metrics using Amazon CloudWatch" (Step Functions Developer
 * Guide, procedure-cw-metrics.html), "Execution metrics": ExecutionsStarted, ExecutionsSucceeded,
 * ExecutionsFailed, ExecutionsAborted, ExecutionsTimedOut and ExecutionsRedriven (counts) and
 * ExecutionTime ("the interval, in milliseconds, between the time the execution starts and the time
 * it closes"), in the AWS/States namespace with the dimension StateMachineArn. The child executions
 * of a Distributed Map are left out: they would count a tolerated item failure as an
 * ExecutionsFailed of the parent's state machine, which driftguard's fan-out alarm must not see.
 *
 * Logs — "Using CloudWatch Logs to log execution history in Step Functions" (cw-logs.html) and
 * "Log levels for Step Functions execution events" (cloudwatch-log-level.html): with a level other
 * than OFF each history event of the level's categories becomes one JSON record in the configured
 * log group; includeExecutionData false leaves out inputs and outputs. The record's fields and the
 * stream name are AWS's as a CloudWatch Logs subscription delivered them to the Datadog forwarder
 * (DataDog/datadog-serverless-functions, aws/logs_monitoring tests: stream
 * "states/logs-to-traces-sequential/2022-11-10-15-50/7851b2d9", message
 * {"id":"1","type":"ExecutionStarted","details":{…},"previous_event_id":"0","event_timestamp":"1668095539607","execution_arn":"…"}),
 * with "redrive_count" as redriven executions add it. One stream per execution here (AWS batches
 * several executions of the same minute into a stream; nothing driftguard reads depends on it).
 * A log group that does not exist loses the records, as delivery is best effort ("Log delivery guarantees", cw-logs.html).
 */

export interface TelemetryHost {
  world: World;
  runtime: SandboxRuntime;
}

export type ExecutionMetric = "ExecutionsStarted" | "ExecutionsSucceeded" | "ExecutionsFailed" | "ExecutionsAborted" | "ExecutionsTimedOut" | "ExecutionsRedriven";

/** The CloudWatch Logs settings of a state machine (API_LoggingConfiguration.html). */
export interface LoggingSettings {
  level?: string;
  includeExecutionData?: boolean;
  destinations?: { cloudWatchLogsLogGroup?: { logGroupArn?: string } }[];
}

/** The closing metric of each terminal status. */
export const CLOSING_METRIC: Record<string, ExecutionMetric> = { SUCCEEDED: "ExecutionsSucceeded", FAILED: "ExecutionsFailed", ABORTED: "ExecutionsAborted", TIMED_OUT: "ExecutionsTimedOut" };

/**
 * Publishes one execution metric (and ExecutionTime with a closing one). Called without waiting, as
 * the service publishes after the fact; a sandbox fault in evaluating alarms is written to stderr
 * rather than failing the execution it describes.
 */
export async function executionMetric(host: TelemetryHost, machineArn: string, metric: ExecutionMetric, executionTimeMs?: number): Promise<void> {
  const [, , , region, accountId] = machineArn.split(":");
  const dimensions = [{ Name: "StateMachineArn", Value: machineArn }];
  const cw = { world: host.world, sandbox: host.runtime };
  try {
    await publishServiceMetric(cw, accountId!, region!, { namespace: "AWS/States", metricName: metric, dimensions, value: 1, unit: "Count" });
    if (executionTimeMs !== undefined) await publishServiceMetric(cw, accountId!, region!, { namespace: "AWS/States", metricName: "ExecutionTime", dimensions, value: executionTimeMs, unit: "Milliseconds" });
  } catch (err) {
    process.stderr.write(`sandbox: publishing ${metric} for ${machineArn} failed: ${(err as Error).stack ?? String(err)}\n`);
  }
}

/**
 * The event types each level logs (cloudwatch-log-level.html): FATAL the execution's own failures;
 * ERROR those and every failed, timed-out or aborted step; ALL everything.
 */
const FATAL = new Set(["ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"]);
const ERROR = new Set([
  ...FATAL,
  "FailStateEntered",
  "LambdaFunctionFailed",
  "LambdaFunctionScheduleFailed",
  "LambdaFunctionStartFailed",
  "LambdaFunctionTimedOut",
  "MapStateAborted",
  "MapStateFailed",
  "MapIterationAborted",
  "MapIterationFailed",
  "MapRunAborted",
  "MapRunFailed",
  "ParallelStateAborted",
  "ParallelStateFailed",
  "TaskFailed",
  "TaskStartFailed",
  "TaskStateAborted",
  "TaskSubmitFailed",
  "TaskTimedOut",
  "WaitStateAborted",
]);

export function logsEvent(level: string | undefined, type: string): boolean {
  if (level === "ALL") return true;
  if (level === "ERROR") return ERROR.has(type);
  if (level === "FATAL") return FATAL.has(type);
  return false;
}

/** The stream an execution's records go to: states/<machine>/<yyyy-mm-dd-HH-MM of its start>/<8 hex>. */
export function logStreamName(machineName: string, startedAt: Date): string {
  const minute = startedAt.toISOString().slice(0, 16).replace(/[T:]/g, "-");
  return `states/${machineName}/${minute}/${randomBytes(4).toString("hex")}`;
}

// includeExecutionData: "When set to false, data is excluded" — the events' input and output (API_LoggingConfiguration.html).
const DATA_FIELDS = new Set(["input", "output"]);

/** One history event as the log record AWS writes for it, or undefined when the level leaves it out. */
export function logRecord(settings: LoggingSettings, executionArn: string, redriveCount: number, event: { id: number; previousEventId: number; type: string; timestamp: Date; [k: string]: unknown }): string | undefined {
  if (!logsEvent(settings.level, event.type)) return undefined;
  const detailsKey = Object.keys(event).find((k) => k.endsWith("EventDetails"));
  const raw = (detailsKey ? event[detailsKey] : {}) as Record<string, unknown>;
  const details = settings.includeExecutionData ? raw : Object.fromEntries(Object.entries(raw).filter(([k]) => !DATA_FIELDS.has(k)));
  return JSON.stringify({
    id: String(event.id),
    type: event.type,
    details,
    previous_event_id: String(event.previousEventId),
    event_timestamp: String(event.timestamp.getTime()),
    execution_arn: executionArn,
    redrive_count: String(redriveCount),
  });
}

/** Appends one record to the machine's log group (the ARN ends in `:*`, API_LogDestination.html). */
export function deliverLogRecord(host: TelemetryHost, settings: LoggingSettings, stream: string, record: string): void {
  const arn = settings.destinations?.[0]?.cloudWatchLogsLogGroup?.logGroupArn;
  const m = arn ? /^arn:aws[\w-]*:logs:([^:]+):(\d{12}):log-group:(.+):\*$/.exec(arn) : null;
  const account = m ? host.world.accounts.get(m[2]!) : undefined;
  if (account) appendLogEvents(account, m![1]!, m![3]!, stream, [record], host.runtime.now());
}
