import { AwsError, type CallContext } from "../../protocol/types.js";
import type { World } from "../../state.js";
import { required } from "../shared/params.js";
import { regionalState } from "../shared/regional.js";
import { evaluateAlarms, type AlarmHost } from "./alarm-evaluation.js";

/**
 * CloudWatch metrics: the data points AWS services publish for their resources (Step Functions'
 * AWS/States execution metrics, stepfunctions/telemetry.ts) and PutMetricData's, kept per metric
 * (namespace, name, dimensions) and read back with GetMetricStatistics and ListMetrics. Every new
 * data point re-evaluates the region's alarms (alarm-evaluation.ts), which is how a driftguard
 * alarm on a service metric fires in the sandbox. Sources: Amazon CloudWatch API Reference,
 * API_PutMetricData.html, API_GetMetricStatistics.html, API_ListMetrics.html; "Metrics concepts"
 * (cloudwatch_concepts.html: a metric is uniquely identified by its namespace, name and dimensions).
 */

export interface Dimension {
  Name?: string;
  Value?: string;
}

/** One published value or statistic set: what a period's statistics are computed from. */
interface Point {
  timestamp: number;
  sum: number;
  count: number;
  min: number;
  max: number;
  unit?: string;
}

interface Series {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  points: Point[];
}

export const metricsState = regionalState("monitoring-metrics", () => ({ series: new Map<string, Series>() }));

/** Dimensions compare as a set: order does not make another metric. */
const sortedDimensions = (dimensions: Dimension[] | undefined) => [...(dimensions ?? [])].sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
const seriesKey = (namespace: string, metricName: string, dimensions: Dimension[] | undefined) =>
  JSON.stringify([namespace, metricName, sortedDimensions(dimensions).map((d) => [d.Name, d.Value])]);

/** The statistics of the points in (start, end], or undefined when there are none. */
export function statistics(world: World, accountId: string, region: string, metric: { namespace: string; metricName: string; dimensions?: Dimension[] }, start: number, end: number) {
  const account = world.accounts.get(accountId);
  const series = account ? metricsState.at(account, region).series.get(seriesKey(metric.namespace, metric.metricName, metric.dimensions)) : undefined;
  const points = (series?.points ?? []).filter((p) => p.timestamp > start && p.timestamp <= end);
  if (points.length === 0) return undefined;
  const sum = points.reduce((s, p) => s + p.sum, 0);
  const count = points.reduce((s, p) => s + p.count, 0);
  return { Sum: sum, SampleCount: count, Average: sum / count, Minimum: Math.min(...points.map((p) => p.min)), Maximum: Math.max(...points.map((p) => p.max)), Unit: points[0]!.unit };
}

export interface MetricDatum {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  value: number;
  unit?: string;
}

/** A data point a service publishes for its resource (no PutMetricData checks: AWS/ namespaces are the services'). */
export async function publishServiceMetric(host: AlarmHost, accountId: string, region: string, datum: MetricDatum): Promise<void> {
  const account = host.world.accounts.get(accountId);
  if (!account) return;
  const now = host.sandbox.now();
  store(metricsState.at(account, region).series, datum.namespace, datum.metricName, datum.dimensions, { timestamp: now, sum: datum.value, count: 1, min: datum.value, max: datum.value, unit: datum.unit });
  await evaluateAlarms(host, accountId, region, new Set([`${datum.namespace}/${datum.metricName}`]));
}

function store(series: Map<string, Series>, namespace: string, metricName: string, dimensions: Dimension[], point: Point): void {
  const key = seriesKey(namespace, metricName, dimensions);
  let s = series.get(key);
  if (!s) series.set(key, (s = { namespace, metricName, dimensions: sortedDimensions(dimensions), points: [] }));
  s.points.push(point);
}

const invalidValue = (message: string) => new AwsError("InvalidParameterValue", message);

interface DatumInput {
  MetricName?: string;
  Dimensions?: Dimension[];
  Timestamp?: Date | string;
  Value?: number;
  Values?: number[];
  Counts?: number[];
  StatisticValues?: { SampleCount?: number; Sum?: number; Minimum?: number; Maximum?: number };
  Unit?: string;
}

/** API_PutMetricData.html: MetricData "Array Members: Maximum number of 1000 items"; Dimensions at most 30 a datum. */
const MAX_DATA = 1000;
const MAX_DIMENSIONS = 30;

/**
 * API_PutMetricData.html: Namespace "must not begin with AWS/" (the services' own, "To avoid
 * conflicts with AWS service namespaces, you should not specify a namespace that begins with
 * AWS/" — CloudWatch refuses it), each datum one Value, Values with Counts, or StatisticValues.
 */
export async function putMetricData(params: { Namespace?: string; MetricData?: DatumInput[] }, ctx: CallContext) {
  const namespace = required(params.Namespace, () => new AwsError("MissingParameter", "The parameter Namespace is required."));
  if (namespace.startsWith("AWS/")) throw invalidValue(`The value ${namespace} for parameter Namespace is invalid.`);
  const data = params.MetricData ?? [];
  if (data.length === 0) throw new AwsError("MissingParameter", "The parameter MetricData is required.");
  if (data.length > MAX_DATA) throw invalidValue(`The collection MetricData must not have a size greater than ${MAX_DATA}.`);
  const { series } = metricsState.of(ctx);
  const now = ctx.sandbox.now();
  const touched = new Set<string>();
  for (const d of data) {
    const metricName = required(d.MetricName, () => new AwsError("MissingParameter", "The parameter MetricData.member.MetricName is required."));
    if ((d.Dimensions?.length ?? 0) > MAX_DIMENSIONS) throw invalidValue(`The collection Dimensions must not have a size greater than ${MAX_DIMENSIONS}.`);
    touched.add(`${namespace}/${metricName}`);
    const timestamp = d.Timestamp === undefined ? now : new Date(d.Timestamp).getTime();
    const unit = d.Unit;
    if (d.StatisticValues) {
      const sv = d.StatisticValues;
      store(series, namespace, metricName, d.Dimensions ?? [], { timestamp, sum: sv.Sum ?? 0, count: sv.SampleCount ?? 0, min: sv.Minimum ?? 0, max: sv.Maximum ?? 0, unit });
    } else if (d.Values) {
      d.Values.forEach((v, i) => {
        const n = d.Counts?.[i] ?? 1;
        store(series, namespace, metricName, d.Dimensions ?? [], { timestamp, sum: v * n, count: n, min: v, max: v, unit });
      });
    } else {
      if (typeof d.Value !== "number") throw new AwsError("MissingParameter", "The parameter MetricData.member.Value is required.");
      store(series, namespace, metricName, d.Dimensions ?? [], { timestamp, sum: d.Value, count: 1, min: d.Value, max: d.Value, unit });
    }
  }
  await evaluateAlarms(ctx, ctx.accountId, ctx.region, touched);
  return {};
}

/**
 * API_GetMetricStatistics.html: the metric with exactly these dimensions, one data point per
 * Period between StartTime and EndTime that has data, each with the Statistics asked for.
 * Periods are aligned to multiples of Period since the epoch, as CloudWatch rounds them.
 */
export function getMetricStatistics(
  params: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[]; StartTime?: Date | string; EndTime?: Date | string; Period?: number; Statistics?: string[]; ExtendedStatistics?: string[] },
  ctx: CallContext,
) {
  const namespace = required(params.Namespace, () => new AwsError("MissingParameter", "The parameter Namespace is required."));
  const metricName = required(params.MetricName, () => new AwsError("MissingParameter", "The parameter MetricName is required."));
  const period = required(params.Period, () => new AwsError("MissingParameter", "The parameter Period is required.")) * 1000;
  const start = new Date(required(params.StartTime, () => new AwsError("MissingParameter", "The parameter StartTime is required."))).getTime();
  const end = new Date(required(params.EndTime, () => new AwsError("MissingParameter", "The parameter EndTime is required."))).getTime();
  if (params.ExtendedStatistics?.length) throw invalidValue("The sandbox does not compute percentile statistics (ExtendedStatistics).");
  const wanted = params.Statistics ?? [];
  if (wanted.length === 0) throw new AwsError("MissingParameter", "The parameter Statistics is required.");
  const datapoints = [];
  for (let t = Math.floor(start / period) * period; t < end; t += period) {
    const stats = statistics(ctx.world, ctx.accountId, ctx.region, { namespace, metricName, dimensions: params.Dimensions }, t - 1, Math.min(t + period, end) - 1);
    if (!stats) continue;
    datapoints.push({ Timestamp: new Date(t), ...Object.fromEntries(wanted.map((s) => [s, stats[s as keyof typeof stats]])), Unit: stats.Unit ?? "None" });
  }
  return { Label: metricName, Datapoints: datapoints };
}

/** API_ListMetrics.html: the metrics with data, filtered by namespace, name and dimensions (a dimension without Value matches any value). */
export function listMetrics(params: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] }, ctx: CallContext) {
  const metrics = [...metricsState.of(ctx).series.values()]
    .filter((s) => (params.Namespace === undefined || s.namespace === params.Namespace) && (params.MetricName === undefined || s.metricName === params.MetricName))
    .filter((s) => (params.Dimensions ?? []).every((want) => s.dimensions.some((d) => d.Name === want.Name && (want.Value === undefined || d.Value === want.Value))))
    .map((s) => ({ Namespace: s.namespace, MetricName: s.metricName, Dimensions: s.dimensions }));
  return { Metrics: metrics };
}
