import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import type { AccountState, Tags } from "../../state.js";
import { required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { regionalState } from "../shared/regional.js";

/**
 * CloudWatch Logs log groups (awsJson1_1, target prefix Logs_20140328): what the hub's scanner
 * and state-machine log groups need through terraform's create/read/update/delete cycle.
 * Source: CloudWatch Logs API Reference (docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/),
 * one page per action, cited at each handler.
 */

export interface LogGroup {
  name: string;
  /** Epoch ms, as DescribeLogGroups returns creationTime. */
  createdAt: number;
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass: string;
  tags: Tags;
  /** Log stream name → its events, oldest first (what a Lambda function writes, invoke.ts). */
  streams?: Map<string, LogStream>;
}

export interface LogStream {
  createdAt: number;
  events: { timestamp: number; message: string; ingestionTime: number }[];
}

export const logsState = regionalState("logs", () => ({ groups: new Map<string, LogGroup>() }));

/** API_CreateLogGroup.html: "Log group names … 1-512 characters … a-z, A-Z, 0-9, '_', '-', '/', '.', '#'". */
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
/** API_PutRetentionPolicy.html, retentionInDays "Valid values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and 3653." */
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);
/** API_CreateLogGroup.html, logGroupClass: "Valid Values: STANDARD | INFREQUENT_ACCESS | DELIVERY"; STANDARD when omitted. */
const LOG_GROUP_CLASSES = new Set(["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"]);

const invalid = (message: string) => new AwsError("InvalidParameterException", message);
const notFound = () => new AwsError("ResourceNotFoundException", "The specified log group does not exist.");

function groupArn(ctx: CallContext, name: string): string {
  return `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${name}`;
}

function groupOf(ctx: CallContext, name: string | undefined): LogGroup {
  const group = logsState.of(ctx).groups.get(required(name, () => invalid("1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null")));
  if (!group) throw notFound();
  return group;
}

/** ListTagsForResource takes the log group ARN without the trailing `:*` (API_ListTagsForResource.html, resourceArn). */
function groupOfArn(ctx: CallContext, arn: string | undefined): LogGroup {
  const match = /^arn:aws:logs:([^:]+):(\d{12}):log-group:(.+?)(:\*)?$/.exec(required(arn, () => invalid("resourceArn is required")));
  if (!match || match[1] !== ctx.region || match[2] !== ctx.accountId) throw new AwsError("ResourceNotFoundException", `The specified resource does not exist: ${arn}`);
  return groupOf(ctx, match[3]);
}

function checkRetention(days: unknown): number {
  if (typeof days !== "number" || !RETENTION_DAYS.has(days)) {
    throw invalid(`1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${[...RETENTION_DAYS].join(", ")}]`);
  }
  return days;
}

/** API_CreateLogGroup.html: ResourceAlreadyExistsException for an existing name. */
function createLogGroup(params: { logGroupName?: string; kmsKeyId?: string; tags?: Tags; logGroupClass?: string }, ctx: CallContext) {
  const name = required(params.logGroupName, () => invalid("logGroupName is required"));
  if (!LOG_GROUP_NAME.test(name)) throw invalid(`1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
  const logGroupClass = params.logGroupClass ?? "STANDARD";
  if (!LOG_GROUP_CLASSES.has(logGroupClass)) throw invalid(`Invalid logGroupClass ${logGroupClass}`);
  const { groups } = logsState.of(ctx);
  if (groups.has(name)) throw new AwsError("ResourceAlreadyExistsException", "The specified log group already exists");
  groups.set(name, { name, createdAt: ctx.sandbox.now(), logGroupClass, tags: { ...params.tags }, ...(params.kmsKeyId ? { kmsKeyId: params.kmsKeyId } : {}) });
  return {};
}

function deleteLogGroup(params: { logGroupName?: string }, ctx: CallContext) {
  const group = groupOf(ctx, params.logGroupName);
  logsState.of(ctx).groups.delete(group.name);
  return {};
}

/**
 * API_DescribeLogGroups.html: sorted by name, limit 1-50 (default 50); `arn` ends in `:*`,
 * `logGroupArn` does not; retentionInDays and kmsKeyId only when set.
 */
function describeLogGroups(params: { logGroupNamePrefix?: string; logGroupNamePattern?: string; limit?: number; nextToken?: string }, ctx: CallContext) {
  if (params.logGroupNamePrefix !== undefined && params.logGroupNamePattern !== undefined) {
    throw invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
  }
  const limit = params.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50`);
  const all = [...logsState.of(ctx).groups.values()]
    .filter((g) => (params.logGroupNamePrefix === undefined || g.name.startsWith(params.logGroupNamePrefix)) && (params.logGroupNamePattern === undefined || g.name.includes(params.logGroupNamePattern)))
    .sort((a, b) => a.name.localeCompare(b.name));
  const page = paginate(all, params.nextToken, limit, () => invalid("The specified nextToken is not valid."));
  return {
    logGroups: page.items.map((g) => ({
      logGroupName: g.name,
      creationTime: g.createdAt,
      ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
      metricFilterCount: 0,
      arn: `${groupArn(ctx, g.name)}:*`,
      logGroupArn: groupArn(ctx, g.name),
      storedBytes: 0,
      ...(g.kmsKeyId ? { kmsKeyId: g.kmsKeyId } : {}),
      logGroupClass: g.logGroupClass,
    })),
    ...(page.next ? { nextToken: page.next } : {}),
  };
}

function putRetentionPolicy(params: { logGroupName?: string; retentionInDays?: number }, ctx: CallContext) {
  const group = groupOf(ctx, params.logGroupName);
  group.retentionInDays = checkRetention(params.retentionInDays);
  return {};
}

/** API_DeleteRetentionPolicy.html: the group's events then never expire. */
function deleteRetentionPolicy(params: { logGroupName?: string }, ctx: CallContext) {
  delete groupOf(ctx, params.logGroupName).retentionInDays;
  return {};
}

function associateKmsKey(params: { logGroupName?: string; kmsKeyId?: string }, ctx: CallContext) {
  groupOf(ctx, params.logGroupName).kmsKeyId = required(params.kmsKeyId, () => invalid("kmsKeyId is required"));
  return {};
}

function disassociateKmsKey(params: { logGroupName?: string }, ctx: CallContext) {
  delete groupOf(ctx, params.logGroupName).kmsKeyId;
  return {};
}

/** API_ListTagsForResource.html / API_TagResource.html / API_UntagResource.html (by ARN). */
function listTagsForResource(params: { resourceArn?: string }, ctx: CallContext) {
  return { tags: { ...groupOfArn(ctx, params.resourceArn).tags } };
}

function tagResource(params: { resourceArn?: string; tags?: Tags }, ctx: CallContext) {
  Object.assign(groupOfArn(ctx, params.resourceArn).tags, params.tags);
  return {};
}

function untagResource(params: { resourceArn?: string; tagKeys?: string[] }, ctx: CallContext) {
  const group = groupOfArn(ctx, params.resourceArn);
  for (const key of params.tagKeys ?? []) delete group.tags[key];
  return {};
}

/**
 * Appends to a stream of an existing group, creating the stream: what Lambda does with a
 * function's output ("Lambda sends all output … to CloudWatch Logs", nodejs-logging.html). A
 * group that does not exist loses the output (Lambda would create it only if the execution role
 * may logs:CreateLogGroup; driftguard's stack creates the group itself).
 */
export function appendLogEvents(account: AccountState, region: string, groupName: string, streamName: string, messages: string[], now: number): boolean {
  const group = logsState.at(account, region).groups.get(groupName);
  if (!group) return false;
  const streams = (group.streams ??= new Map());
  let stream = streams.get(streamName);
  if (!stream) streams.set(streamName, (stream = { createdAt: now, events: [] }));
  for (const message of messages) stream.events.push({ timestamp: now, message, ingestionTime: now });
  return true;
}

/**
 * API_GetLogEvents.html: the stream's events, oldest first, and the forward/backward tokens. The
 * sandbox answers every event in one page (a stream here is one invocation's output, far below
 * the page limit of 10,000 events or 1 MB).
 */
function getLogEvents(params: { logGroupName?: string; logStreamName?: string; startFromHead?: boolean }, ctx: CallContext) {
  const group = groupOf(ctx, params.logGroupName);
  const name = required(params.logStreamName, () => invalid("logStreamName is required"));
  const stream = group.streams?.get(name);
  if (!stream) throw new AwsError("ResourceNotFoundException", "The specified log stream does not exist.");
  const token = `f/${String(stream.events.length).padStart(56, "0")}`;
  return { events: stream.events.map((e) => ({ ...e })), nextForwardToken: token, nextBackwardToken: `b/${token.slice(2)}` };
}

/** API_DescribeLogStreams.html: the group's streams by name (orderBy LogStreamName, the default). */
function describeLogStreams(params: { logGroupName?: string; logStreamNamePrefix?: string }, ctx: CallContext) {
  const group = groupOf(ctx, params.logGroupName);
  const streams = [...(group.streams ?? new Map<string, LogStream>())]
    .filter(([name]) => name.startsWith(params.logStreamNamePrefix ?? ""))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([logStreamName, s]) => ({
      logStreamName,
      creationTime: s.createdAt,
      ...(s.events.length > 0 ? { firstEventTimestamp: s.events[0]!.timestamp, lastEventTimestamp: s.events.at(-1)!.timestamp, lastIngestionTime: s.events.at(-1)!.ingestionTime } : {}),
      arn: `${groupArn(ctx, group.name)}:log-stream:${logStreamName}`,
      storedBytes: 0,
    }));
  return { logStreams: streams };
}

/** The deprecated by-name tag API (API_ListTagsLogGroup.html), which older clients still call. */
function listTagsLogGroup(params: { logGroupName?: string }, ctx: CallContext) {
  return { tags: { ...groupOf(ctx, params.logGroupName).tags } };
}

export const logsService: ServiceDefinition = {
  name: "logs",
  protocol: "json",
  actions: {
    CreateLogGroup: createLogGroup,
    DeleteLogGroup: deleteLogGroup,
    DescribeLogGroups: describeLogGroups,
    PutRetentionPolicy: putRetentionPolicy,
    DeleteRetentionPolicy: deleteRetentionPolicy,
    AssociateKmsKey: associateKmsKey,
    DisassociateKmsKey: disassociateKmsKey,
    ListTagsForResource: listTagsForResource,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsLogGroup: listTagsLogGroup,
    GetLogEvents: getLogEvents,
    DescribeLogStreams: describeLogStreams,
  },
};
