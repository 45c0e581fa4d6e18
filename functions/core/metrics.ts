import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/**
 * CloudWatch metrics in the Embedded Metric Format (Powertools for AWS Lambda Metrics): one EMF
 * log line at the end of every scan, fan-out reduce and event action. CloudWatch extracts them
 * from the Lambda's log group, so no PutMetricData permission and no extra call are needed.
 * What each run counts is in report/metrics.ts, what an event counts in events/metrics.ts; the
 * hub's alarms (modules/alarms.ts) import the names from there, never retyped.
 */

export const METRICS_NAMESPACE = "driftguard";
/** Powertools adds `service` as the default dimension; the alarms name it. */
export const METRICS_SERVICE = "driftguard";

export type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface MetricValue {
  name: string;
  unit: MetricUnitName;
  value: number;
}

/**
 * 1 after every successful scan. Its absence for twice the schedule period is the alarm a
 * silent driftguard would otherwise never raise.
 */
export const HEARTBEAT = "Heartbeat";

/**
 * 1 when a run did not start because another run holds the run lease (scanner/skipped-run.ts).
 * A skipped run emits no other metric and no heartbeat: skips on every schedule end in the
 * no-successful-scan alarm.
 */
export const RUN_SKIPPED = "RunSkipped";

/** One EMF document with every value. */
export function publishMetrics(metrics: Metrics, values: readonly MetricValue[]): void {
  for (const v of values) metrics.addMetric(v.name, v.unit, v.value);
  metrics.publishStoredMetrics();
}

export function createMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
}

export { MetricUnit };
