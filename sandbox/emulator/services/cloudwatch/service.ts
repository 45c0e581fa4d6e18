import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import type { Tags } from "../../state.js";
import { paginate } from "../shared/paging.js";
import { regionalState } from "../shared/regional.js";
import { fromTagList, toTagList, type TagEntry } from "../shared/tags.js";
import { getMetricStatistics, listMetrics, putMetricData } from "./metrics.js";

/**
 * CloudWatch metric alarms, as terraform's aws_cloudwatch_metric_alarm creates, reads back, tags
 * and deletes the hub's alarms (modules/alarms.ts). Served over the awsQuery protocol, which
 * terraform-provider-aws 5.100.0 (aws-sdk-go-v2 service/cloudwatch v1.45.1) speaks: form-encoded
 * `Action=PutMetricAlarm&…&Version=2010-08-01`, XML answers. A new alarm is INSUFFICIENT_DATA,
 * as a real one is until its first period of data; metrics (metrics.ts) arrive from the services
 * and PutMetricData; every alarm is evaluated once a minute, and the alarms on a metric also when
 * a data point arrives (alarm-evaluation.ts), and run their actions. Source: Amazon CloudWatch API Reference
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_<Action>.html), cited at each handler.
 */

interface Dimension {
  Name?: string;
  Value?: string;
}

/** PutMetricAlarm's input as the SDK shapes it, kept as given and read back by DescribeAlarms. */
interface AlarmInput {
  AlarmName?: string;
  AlarmDescription?: string;
  ActionsEnabled?: boolean;
  OKActions?: string[];
  AlarmActions?: string[];
  InsufficientDataActions?: string[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: unknown[];
  ThresholdMetricId?: string;
  Tags?: TagEntry[];
}

export interface MetricAlarm {
  input: Omit<AlarmInput, "Tags">;
  arn: string;
  configurationUpdatedAt: Date;
  stateValue: "OK" | "ALARM" | "INSUFFICIENT_DATA";
  stateReason: string;
  stateUpdatedAt: Date;
  tags: Tags;
  /** State changes and action outcomes, newest last (DescribeAlarmHistory). */
  history: { at: Date; type: "StateUpdate" | "Action" | "ConfigurationUpdate"; summary: string }[];
}

export const cloudwatchState = regionalState("monitoring", () => ({ alarms: new Map<string, MetricAlarm>() }));

const validation = (message: string) => new AwsError("ValidationError", message);

/** API_PutMetricAlarm.html, ComparisonOperator: "Valid Values: GreaterThanOrEqualToThreshold | GreaterThanThreshold | LessThanThreshold | LessThanOrEqualToThreshold | LessThanLowerOrGreaterThanUpperThreshold | LessThanLowerThreshold | GreaterThanUpperThreshold". */
const COMPARISONS = new Set([
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
  "LessThanLowerOrGreaterThanUpperThreshold",
  "LessThanLowerThreshold",
  "GreaterThanUpperThreshold",
]);
/** API_PutMetricAlarm.html, Statistic: "Valid Values: SampleCount | Average | Sum | Minimum | Maximum". */
const STATISTICS = new Set(["SampleCount", "Average", "Sum", "Minimum", "Maximum"]);
/** API_PutMetricAlarm.html, TreatMissingData: "Valid Values: breaching | notBreaching | ignore | missing". */
const MISSING_DATA = new Set(["breaching", "notBreaching", "ignore", "missing"]);
/**
 * API_PutMetricAlarm.html, Period: "Valid values are 10, 20, 30, and any multiple of 60";
 * EvaluationPeriods: "An alarm's total current evaluation period can be no longer than seven
 * days, so this number multiplied by Period must be 604,800 or less" — one day for periods under an hour.
 */
const MAX_WINDOW_SECONDS = 604_800;
const MAX_SHORT_PERIOD_WINDOW_SECONDS = 86_400;
/** API_PutMetricAlarm.html, AlarmName: "Length Constraints: Minimum length of 1. Maximum length of 255."; Dimensions: "Array Members: Maximum number of 30 items". */
const MAX_NAME = 255;
const MAX_DIMENSIONS = 30;
/** API_PutMetricAlarm.html, AlarmActions/OKActions/InsufficientDataActions: "Array Members: Maximum number of 5 items". */
const MAX_ACTIONS = 5;

function checkAlarm(p: AlarmInput): string {
  const name = p.AlarmName ?? "";
  if (name.length < 1 || name.length > MAX_NAME) throw validation(`1 validation error detected: Value '${name}' at 'alarmName' failed to satisfy constraint: Member must have length between 1 and 255`);
  if (p.ComparisonOperator === undefined || !COMPARISONS.has(p.ComparisonOperator)) throw validation(`1 validation error detected: Value '${p.ComparisonOperator}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [${[...COMPARISONS].join(", ")}]`);
  if (!Number.isInteger(p.EvaluationPeriods) || p.EvaluationPeriods! < 1) throw validation("1 validation error detected: Value at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1");
  if (p.DatapointsToAlarm !== undefined && (p.DatapointsToAlarm < 1 || p.DatapointsToAlarm > p.EvaluationPeriods!)) throw validation("DatapointsToAlarm must be between 1 and EvaluationPeriods");
  if (p.TreatMissingData !== undefined && !MISSING_DATA.has(p.TreatMissingData)) throw validation(`Invalid value for TreatMissingData: ${p.TreatMissingData}`);
  for (const actions of [p.AlarmActions, p.OKActions, p.InsufficientDataActions]) {
    if ((actions?.length ?? 0) > MAX_ACTIONS) throw validation("1 validation error detected: Member must have length less than or equal to 5");
  }
  if (p.Metrics === undefined) {
    // A single-metric alarm: its metric, one statistic and a period (a metric-math alarm names them in Metrics instead).
    if (!p.MetricName || !p.Namespace) throw validation("Either MetricName and Namespace, or Metrics must be specified");
    if ((p.Statistic === undefined) === (p.ExtendedStatistic === undefined)) throw validation("Exactly one of Statistic and ExtendedStatistic must be specified");
    if (p.Statistic !== undefined && !STATISTICS.has(p.Statistic)) throw validation(`1 validation error detected: Value '${p.Statistic}' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [${[...STATISTICS].join(", ")}]`);
    const period = p.Period ?? 0;
    if (![10, 20, 30].includes(period) && (period < 60 || period % 60 !== 0)) throw validation("The parameter Period must be 10, 20, 30, or a multiple of 60.");
    const window = period * p.EvaluationPeriods!;
    if (window > MAX_WINDOW_SECONDS || (period < 3600 && window > MAX_SHORT_PERIOD_WINDOW_SECONDS)) throw validation("The evaluation period (Period x EvaluationPeriods) cannot be longer than 7 days, or 1 day for periods under an hour.");
    if ((p.Dimensions?.length ?? 0) > MAX_DIMENSIONS) throw validation("The collection Dimensions must not have a size greater than 30.");
  }
  return name;
}

function alarmArn(ctx: CallContext, name: string): string {
  return `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${name}`;
}

/**
 * API_PutMetricAlarm.html: "Creates or updates an alarm … When this operation creates an alarm,
 * the alarm state is immediately set to INSUFFICIENT_DATA"; an update keeps the state. Tags are
 * applied only at creation: "If you are using this operation to update an existing alarm, any
 * tags you specify in this parameter are ignored".
 */
function putMetricAlarm(params: AlarmInput, ctx: CallContext) {
  const name = checkAlarm(params);
  const { alarms } = cloudwatchState.of(ctx);
  const now = new Date(ctx.sandbox.now());
  const { Tags: tags, ...input } = params;
  const existing = alarms.get(name);
  if (existing) {
    existing.input = structuredClone(input);
    existing.configurationUpdatedAt = now;
    return {};
  }
  alarms.set(name, {
    input: structuredClone(input),
    arn: alarmArn(ctx, name),
    configurationUpdatedAt: now,
    stateValue: "INSUFFICIENT_DATA",
    stateReason: "Unchecked: Initial alarm creation",
    stateUpdatedAt: now,
    tags: fromTagList(tags),
    history: [{ at: now, type: "ConfigurationUpdate", summary: `Alarm "${name}" created` }],
  });
  return {};
}

function describeAlarm(alarm: MetricAlarm) {
  const { input } = alarm;
  return {
    ...structuredClone(input),
    AlarmArn: alarm.arn,
    AlarmConfigurationUpdatedTimestamp: alarm.configurationUpdatedAt,
    // API_MetricAlarm.html: ActionsEnabled defaults to true; the action lists and Dimensions are always present.
    ActionsEnabled: input.ActionsEnabled ?? true,
    OKActions: input.OKActions ?? [],
    AlarmActions: input.AlarmActions ?? [],
    InsufficientDataActions: input.InsufficientDataActions ?? [],
    Dimensions: input.Dimensions ?? [],
    StateValue: alarm.stateValue,
    StateReason: alarm.stateReason,
    StateUpdatedTimestamp: alarm.stateUpdatedAt,
    StateTransitionedTimestamp: alarm.stateUpdatedAt,
  };
}

/** API_DescribeAlarms.html: AlarmNames (at most 100) or AlarmNamePrefix, not both; MaxRecords 1-100 (default 50); sorted by name. */
function describeAlarms(params: { AlarmNames?: string[]; AlarmNamePrefix?: string; AlarmTypes?: string[]; StateValue?: string; MaxRecords?: number; NextToken?: string }, ctx: CallContext) {
  if (params.AlarmNames !== undefined && params.AlarmNamePrefix !== undefined) throw new AwsError("InvalidParameterCombination", "AlarmNamePrefix and AlarmNames cannot be specified together");
  if ((params.AlarmNames?.length ?? 0) > 100) throw validation("The collection AlarmNames must not have a size greater than 100.");
  const max = params.MaxRecords ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw validation("1 validation error detected: Value at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100");
  // Without AlarmTypes only metric alarms are returned ("If you omit this parameter, only metric alarms are returned").
  const wantsMetricAlarms = params.AlarmTypes === undefined || params.AlarmTypes.includes("MetricAlarm");
  const all = wantsMetricAlarms
    ? [...cloudwatchState.of(ctx).alarms.entries()]
        .filter(([name, a]) => (params.AlarmNames === undefined || params.AlarmNames.includes(name)) && (params.AlarmNamePrefix === undefined || name.startsWith(params.AlarmNamePrefix)) && (params.StateValue === undefined || a.stateValue === params.StateValue))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([, a]) => a)
    : [];
  const page = paginate(all, params.NextToken, max, () => new AwsError("InvalidNextToken", "The service couldn't process the NextToken"));
  return { MetricAlarms: page.items.map(describeAlarm), CompositeAlarms: [], ...(page.next ? { NextToken: page.next } : {}) };
}

/** API_DeleteAlarms.html: "If you specify an incorrect alarm name or make any other error in the operation, no alarms are deleted" — ResourceNotFound (404). */
function deleteAlarms(params: { AlarmNames?: string[] }, ctx: CallContext) {
  const { alarms } = cloudwatchState.of(ctx);
  const names = params.AlarmNames ?? [];
  const missing = names.find((n) => !alarms.has(n));
  if (missing !== undefined) throw new AwsError("ResourceNotFound", `1 alarm(s) not found: ${missing}`, 404);
  for (const n of names) alarms.delete(n);
  return {};
}

/** API_DescribeAlarmHistory.html: one alarm's (or every alarm's) items, newest first, optionally of one HistoryItemType. */
function describeAlarmHistory(params: { AlarmName?: string; HistoryItemType?: string; MaxRecords?: number; NextToken?: string }, ctx: CallContext) {
  const items = [...cloudwatchState.of(ctx).alarms.entries()]
    .filter(([name]) => params.AlarmName === undefined || name === params.AlarmName)
    .flatMap(([name, a]) => a.history.map((h) => ({ AlarmName: name, AlarmType: "MetricAlarm", Timestamp: h.at, HistoryItemType: h.type, HistorySummary: h.summary })))
    .filter((h) => params.HistoryItemType === undefined || h.HistoryItemType === params.HistoryItemType)
    .sort((a, b) => b.Timestamp.getTime() - a.Timestamp.getTime());
  const page = paginate(items, params.NextToken, params.MaxRecords ?? 100, () => new AwsError("InvalidNextToken", "The service couldn't process the NextToken"));
  return { AlarmHistoryItems: page.items, ...(page.next ? { NextToken: page.next } : {}) };
}

/** The tag APIs name an alarm by ARN (API_TagResource.html, ResourceARN: "arn:aws:cloudwatch:Region:account-id:alarm:alarm-name"). */
function alarmOfArn(ctx: CallContext, arn: string | undefined): MetricAlarm {
  const match = /^arn:aws:cloudwatch:([^:]+):(\d{12}):alarm:(.+)$/.exec(arn ?? "");
  const alarm = match && match[1] === ctx.region && match[2] === ctx.accountId ? cloudwatchState.of(ctx).alarms.get(match[3]!) : undefined;
  if (!alarm) throw new AwsError("ResourceNotFoundException", `The specified resource does not exist: ${arn}`, 404);
  return alarm;
}

/** API_TagResource.html: "You can associate as many as 50 tags with a CloudWatch resource." */
const MAX_TAGS = 50;

function tagResource(params: { ResourceARN?: string; Tags?: TagEntry[] }, ctx: CallContext) {
  const alarm = alarmOfArn(ctx, params.ResourceARN);
  const merged = { ...alarm.tags, ...fromTagList(params.Tags) };
  if (Object.keys(merged).length > MAX_TAGS) throw new AwsError("LimitExceededException", "The maximum number of tags for the resource has been exceeded");
  alarm.tags = merged;
  return {};
}

function untagResource(params: { ResourceARN?: string; TagKeys?: string[] }, ctx: CallContext) {
  const alarm = alarmOfArn(ctx, params.ResourceARN);
  for (const key of params.TagKeys ?? []) delete alarm.tags[key];
  return {};
}

export const cloudwatchService: ServiceDefinition = {
  name: "monitoring",
  protocol: "query",
  // CloudWatch's model lists ["smithy-rpc-v2-cbor", "json", "query"]: the JS SDK and aws-sdk-go-v2
  // speak query, botocore 1.43 JSON (target prefix GraniteServiceVersion20100801). rpcv2Cbor is not served.
  alsoJson: "1.0",
  xmlNamespace: "http://monitoring.amazonaws.com/doc/2010-08-01/",
  actions: {
    PutMetricAlarm: putMetricAlarm,
    DescribeAlarms: describeAlarms,
    DeleteAlarms: deleteAlarms,
    DescribeAlarmHistory: describeAlarmHistory,
    PutMetricData: putMetricData,
    GetMetricStatistics: getMetricStatistics,
    ListMetrics: listMetrics,
    ListTagsForResource: (params: { ResourceARN?: string }, ctx: CallContext) => ({ Tags: toTagList(alarmOfArn(ctx, params.ResourceARN).tags) }),
    TagResource: tagResource,
    UntagResource: untagResource,
  },
};
