import type { CallContext } from "../../protocol/types.js";
import { publishAsService } from "../sns/service.js";
import { cloudwatchState, type MetricAlarm } from "./service.js";
import { statistics, type Dimension } from "./metrics.js";

/**
 * Metric alarm evaluation ("Using Amazon CloudWatch alarms", AlarmThatSendsEmail.html, "Evaluating
 * an alarm" and "Configuring how CloudWatch alarms treat missing data"): the last EvaluationPeriods
 * periods of the alarm's metric (or of its metric-math expression), each a data point compared
 * with Threshold; DatapointsToAlarm (default EvaluationPeriods) breaching points make ALARM, fewer
 * make OK; a period without data is missing, notBreaching, breaching, or ignored (the state kept)
 * as TreatMissingData says. On a state change the actions of the new state run (API_PutMetricAlarm.html,
 * AlarmActions/OKActions/InsufficientDataActions) while ActionsEnabled: an SNS topic gets the alarm's
 * JSON message, published as cloudwatch.amazonaws.com for the alarm (so an encrypted topic's key
 * policy must allow that service: sns/encryption.ts). The message's shape is AWS's as the
 * aws-lambda-go events test data records it (events/testdata/cloudwatch-alarm-sns-payload-single-metric.json
 * and -multiple-metrics.json); a failed action is an "Action" history item, as DescribeAlarmHistory shows.
 *
 * Evaluation runs on the clock: once a minute, at the minute boundary, every alarm of the world
 * is evaluated over the periods ending there (AlarmThatSendsEmail.html, "Alarm evaluation": a
 * standard alarm is evaluated every minute; "If the alarm period is 10 seconds or 30 seconds, the
 * alarm is evaluated every 10 seconds", which the sandbox does not do — driftguard's periods are
 * 300 s and more), so an alarm whose metric has no data goes to
 * the state its TreatMissingData calls for without any data arriving (the heartbeat alarm of
 * modules/alarms.ts to ALARM, the notBreaching ones to OK). The sandbox also evaluates the alarms
 * on a metric when a data point arrives, with the periods ending at that moment, so a test sees a
 * transition without waiting for the next minute (AWS would show it within that minute). A clock
 * that jumps several minutes between two polls is evaluated once, at the last boundary it crossed.
 * Metric math evaluates sums and differences of metric ids, numbers and FILL(id, number) — the
 * expressions driftguard's alarms use (modules/alarms.ts) — and any other expression leaves the
 * alarm INSUFFICIENT_DATA with a reason naming it; percentiles are not computed.
 */

export type AlarmHost = Pick<CallContext, "world" | "sandbox">;

interface MetricQuery {
  Id?: string;
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  MetricStat?: { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] }; Period?: number; Stat?: string; Unit?: string };
}

type Stat = "Sum" | "SampleCount" | "Average" | "Minimum" | "Maximum";

class Unsupported extends Error {}

/** One period's value of a metric-math expression: `a + FILL(b, 0) - 2`; undefined when a bare id has no data. */
function expressionValue(expression: string, values: Map<string, number | undefined>): number | undefined {
  const terms = expression.replace(/\s+/g, "").split(/(?=[+-])/);
  let total = 0;
  for (const term of terms) {
    const sign = term.startsWith("-") ? -1 : 1;
    const body = term.replace(/^[+-]/, "");
    const fill = /^FILL\(([a-z][a-zA-Z0-9_]*),(-?\d+(?:\.\d+)?)\)$/.exec(body);
    let value: number | undefined;
    if (fill) value = values.has(fill[1]!) ? (values.get(fill[1]!) ?? Number(fill[2])) : undefined;
    else if (/^-?\d+(\.\d+)?$/.test(body)) value = Number(body);
    else if (values.has(body)) value = values.get(body);
    else throw new Unsupported(`the sandbox does not evaluate the metric math expression "${expression}"`);
    if ((fill && !values.has(fill[1]!)) || (!fill && /^[a-z]/.test(body) && !values.has(body))) throw new Unsupported(`the expression "${expression}" names an unknown id`);
    if (value === undefined) return undefined;
    total += sign * value;
  }
  return total;
}

/** The alarm's value for the period ending at `end` (ms), or undefined when it has no data. */
function periodValue(host: AlarmHost, accountId: string, region: string, alarm: MetricAlarm, end: number): number | undefined {
  const { input } = alarm;
  if (input.Metrics === undefined) {
    const period = (input.Period ?? 60) * 1000;
    const stats = statistics(host.world, accountId, region, { namespace: input.Namespace!, metricName: input.MetricName!, dimensions: input.Dimensions }, end - period, end);
    if (input.ExtendedStatistic !== undefined) throw new Unsupported("the sandbox does not compute percentile statistics");
    return stats?.[input.Statistic as Stat];
  }
  const queries = input.Metrics as MetricQuery[];
  const values = new Map<string, number | undefined>();
  for (const q of queries.filter((m) => m.MetricStat)) {
    const stat = q.MetricStat!;
    const period = (stat.Period ?? 60) * 1000;
    const stats = statistics(host.world, accountId, region, { namespace: stat.Metric?.Namespace ?? "", metricName: stat.Metric?.MetricName ?? "", dimensions: stat.Metric?.Dimensions }, end - period, end);
    if (!["Sum", "SampleCount", "Average", "Minimum", "Maximum"].includes(String(stat.Stat))) throw new Unsupported(`the sandbox does not compute the statistic ${stat.Stat}`);
    values.set(q.Id ?? "", stats?.[stat.Stat as Stat]);
  }
  const returned = queries.find((m) => m.ReturnData !== false && (m.Expression !== undefined || m.MetricStat !== undefined)) ?? queries.at(-1);
  if (!returned) return undefined;
  return returned.Expression !== undefined ? expressionValue(returned.Expression, values) : values.get(returned.Id ?? "");
}

/** The evaluation period of a metric-math alarm is its metrics' (PutMetricAlarm, Metrics: "the period … of the metrics"). */
function periodSeconds(alarm: MetricAlarm): number {
  if (alarm.input.Metrics === undefined) return alarm.input.Period ?? 60;
  const stat = (alarm.input.Metrics as MetricQuery[]).find((m) => m.MetricStat)?.MetricStat;
  return stat?.Period ?? 60;
}

const COMPARE: Record<string, [(v: number, t: number) => boolean, string]> = {
  GreaterThanOrEqualToThreshold: [(v, t) => v >= t, "greater than or equal to"],
  GreaterThanThreshold: [(v, t) => v > t, "greater than"],
  LessThanThreshold: [(v, t) => v < t, "less than"],
  LessThanOrEqualToThreshold: [(v, t) => v <= t, "less than or equal to"],
};

const fmt = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n));

/** The state the alarm's data calls for, with CloudWatch's reason wording, or undefined to keep the state. */
function assess(host: AlarmHost, accountId: string, region: string, alarm: MetricAlarm, now: number): { state: MetricAlarm["stateValue"]; reason: string } | undefined {
  const { input } = alarm;
  const compare = COMPARE[input.ComparisonOperator ?? ""];
  if (!compare) return { state: "INSUFFICIENT_DATA", reason: `The sandbox does not evaluate ${input.ComparisonOperator} (anomaly detection bands)` };
  const n = input.EvaluationPeriods ?? 1;
  const m = input.DatapointsToAlarm ?? n;
  const period = periodSeconds(alarm) * 1000;
  let values: (number | undefined)[];
  try {
    values = Array.from({ length: n }, (_, i) => periodValue(host, accountId, region, alarm, now - i * period));
  } catch (err) {
    if (err instanceof Unsupported) return { state: "INSUFFICIENT_DATA", reason: `Unchecked: ${err.message}` };
    throw err;
  }
  const present = values.filter((v): v is number => v !== undefined);
  const missing = input.TreatMissingData ?? "missing";
  const breaching = present.filter((v) => compare[0](v, input.Threshold ?? 0)).length + (missing === "breaching" ? n - present.length : 0);
  const points = present.map((v) => `${fmt(v)} (${new Date(now).toISOString()})`).join(", ");
  const threshold = fmt(input.Threshold ?? 0);
  if (breaching >= m) {
    return { state: "ALARM", reason: `Threshold Crossed: ${breaching} out of the last ${n} datapoints [${points}] was ${compare[1]} the threshold (${threshold}) (minimum ${m} datapoint for ${alarm.stateValue} -> ALARM transition).` };
  }
  if (present.length === 0) {
    if (missing === "missing") return { state: "INSUFFICIENT_DATA", reason: `Insufficient Data: ${n} datapoint${n === 1 ? " was" : "s were"} unknown.` };
    if (missing === "ignore") return undefined;
  }
  return { state: "OK", reason: `Threshold Crossed: ${present.length} datapoint${present.length === 1 ? "" : "s"} [${points}] was not ${compare[1]} the threshold (${threshold}).` };
}

/** The region's long name in alarm messages (Region, and the Subject's "in …"), as the SNS payloads show it. */
const REGION_NAMES: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "eu-west-1": "EU (Ireland)",
  "eu-central-1": "EU (Frankfurt)",
};
/** SNS refuses a Subject of 100 characters or more (API_Publish.html). */
const MAX_SUBJECT = 99;

function message(alarm: MetricAlarm, accountId: string, region: string, old: MetricAlarm["stateValue"]) {
  const { input } = alarm;
  const when = alarm.stateUpdatedAt.toISOString().replace("Z", "+0000");
  const trigger =
    input.Metrics === undefined
      ? { MetricName: input.MetricName, Namespace: input.Namespace, StatisticType: "Statistic", Statistic: String(input.Statistic).toUpperCase(), Unit: input.Unit ?? null, Dimensions: (input.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })), Period: input.Period }
      : { Metrics: input.Metrics, Period: periodSeconds(alarm) };
  return JSON.stringify({
    AlarmName: input.AlarmName,
    AlarmDescription: input.AlarmDescription ?? null,
    AWSAccountId: accountId,
    AlarmConfigurationUpdatedTimestamp: alarm.configurationUpdatedAt.toISOString().replace("Z", "+0000"),
    NewStateValue: alarm.stateValue,
    NewStateReason: alarm.stateReason,
    StateChangeTime: when,
    Region: REGION_NAMES[region] ?? region,
    AlarmArn: alarm.arn,
    OldStateValue: old,
    OKActions: input.OKActions ?? [],
    AlarmActions: input.AlarmActions ?? [],
    InsufficientDataActions: input.InsufficientDataActions ?? [],
    Trigger: { ...trigger, EvaluationPeriods: input.EvaluationPeriods, ComparisonOperator: input.ComparisonOperator, Threshold: input.Threshold, TreatMissingData: input.TreatMissingData ?? "missing", EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile ?? "" },
  });
}

async function runActions(host: AlarmHost, accountId: string, region: string, alarm: MetricAlarm, old: MetricAlarm["stateValue"]): Promise<void> {
  const { input } = alarm;
  if (input.ActionsEnabled === false) return;
  const actions = alarm.stateValue === "ALARM" ? input.AlarmActions : alarm.stateValue === "OK" ? input.OKActions : input.InsufficientDataActions;
  for (const action of actions ?? []) {
    const at = new Date(host.sandbox.now());
    if (!/^arn:aws[\w-]*:sns:/.test(action)) {
      alarm.history.push({ at, type: "Action", summary: `Failed to execute action ${action}. Received error: "the sandbox runs SNS actions only"` });
      continue;
    }
    try {
      const subject = `${alarm.stateValue}: "${input.AlarmName}" in ${REGION_NAMES[region] ?? region}`;
      await publishAsService(host, action, { message: message(alarm, accountId, region, old), subject: [...subject].slice(0, MAX_SUBJECT).join("") }, { service: "cloudwatch.amazonaws.com", sourceAccount: accountId, sourceArn: alarm.arn });
      alarm.history.push({ at, type: "Action", summary: `Successfully executed action ${action}` });
    } catch (err) {
      alarm.history.push({ at, type: "Action", summary: `Failed to execute action ${action}. Received error: "${(err as Error).message}"` });
    }
  }
}

/** The metrics an alarm reads, as namespace/name pairs. */
function metricsOf(alarm: MetricAlarm): string[] {
  const { input } = alarm;
  if (input.Metrics === undefined) return [`${input.Namespace}/${input.MetricName}`];
  return (input.Metrics as MetricQuery[]).filter((m) => m.MetricStat).map((m) => `${m.MetricStat!.Metric?.Namespace}/${m.MetricStat!.Metric?.MetricName}`);
}

/**
 * Evaluates the metric alarms of the account and region at `now` — those reading `touched` (a
 * metric that just got data, "namespace/name"), or all — and runs the actions of each state change.
 */
export async function evaluateAlarms(host: AlarmHost, accountId: string, region: string, touched?: ReadonlySet<string>, now = host.sandbox.now()): Promise<void> {
  const account = host.world.accounts.get(accountId);
  if (!account) return;
  for (const alarm of cloudwatchState.at(account, region).alarms.values()) {
    if (touched && !metricsOf(alarm).some((m) => touched.has(m))) continue;
    const next = assess(host, accountId, region, alarm, now);
    if (!next || next.state === alarm.stateValue) continue;
    const old = alarm.stateValue;
    Object.assign(alarm, { stateValue: next.state, stateReason: next.reason, stateUpdatedAt: new Date(now) });
    alarm.history.push({ at: new Date(now), type: "StateUpdate", summary: `Alarm updated from ${old} to ${next.state}` });
    await runActions(host, accountId, region, alarm, old);
  }
}

/** CloudWatch evaluates a standard alarm once a minute (AlarmThatSendsEmail.html, "Alarm evaluation"). */
export const EVALUATION_INTERVAL_MS = 60_000;
/** How often (real time) the sandbox looks whether its clock crossed a minute boundary: an injected clock may jump. */
const POLL_MS = 1_000;

const boundaryOf = (ms: number) => Math.floor(ms / EVALUATION_INTERVAL_MS) * EVALUATION_INTERVAL_MS;

/**
 * Evaluates every alarm of the world at the last minute boundary of its clock, when that is later
 * than `since` (the boundary evaluated before); returns the boundary now evaluated (or `since`).
 */
export async function evaluateOnTheClock(host: AlarmHost, since: number): Promise<number> {
  const boundary = boundaryOf(host.sandbox.now());
  if (boundary <= since) return since;
  for (const [accountId, account] of host.world.accounts) {
    for (const region of account.regions.keys()) {
      if (cloudwatchState.at(account, region).alarms.size > 0) await evaluateAlarms(host, accountId, region, undefined, boundary);
    }
  }
  return boundary;
}

/** Starts the minute clock of a running sandbox; the returned function stops it. */
export function startAlarmClock(host: AlarmHost): () => void {
  let since = boundaryOf(host.sandbox.now());
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    evaluateOnTheClock(host, since)
      .then((evaluated) => (since = evaluated))
      // A sandbox fault in one evaluation is reported, and the clock goes on.
      .catch((err: unknown) => process.stderr.write(`sandbox: evaluating CloudWatch alarms failed: ${(err as Error).stack ?? String(err)}\n`))
      .finally(() => (running = false));
  }, POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
