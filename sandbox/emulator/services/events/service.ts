import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import type { Tags } from "../../state.js";
import { required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { authorizePassRole } from "../shared/pass-role.js";
import { regionalState } from "../shared/regional.js";
import { fromTagList, toTagList, type TagEntry } from "../shared/tags.js";
import { putEvents } from "./delivery.js";

/**
 * EventBridge (awsJson1_1, target prefix AWSEvents): event buses and their resource policies,
 * rules (event patterns and schedules) and targets with RoleArn, DeadLetterConfig and
 * RetryPolicy — what the hub's and spokes' buses, rules and targets need through terraform's
 * create/read/update/delete cycle. Source: Amazon EventBridge API Reference
 * (docs.aws.amazon.com/eventbridge/latest/APIReference/), one page per action, cited at each handler.
 */

export interface EventBus {
  name: string;
  arn: string;
  description?: string;
  kmsKeyIdentifier?: string;
  deadLetterConfig?: { Arn?: string };
  /** The resource policy document as stored (PutPermission's Policy), undefined when none. */
  policy?: string;
  createdAt: number;
  modifiedAt: number;
  tags: Tags;
}

export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: unknown;
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
}

export interface Rule {
  name: string;
  arn: string;
  eventBusName: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: string;
  description?: string;
  roleArn?: string;
  tags: Tags;
  targets: Target[];
}

interface EventsRegion {
  buses: Map<string, EventBus>;
  /** By `${bus}/${rule}`. */
  rules: Map<string, Rule>;
}

export const eventsState = regionalState<EventsRegion>("events", () => ({ buses: new Map(), rules: new Map() }));

const DEFAULT_BUS = "default";
/** API_CreateEventBus.html, Name: "[/\.\-_A-Za-z0-9]+", 1-256; a custom bus may not be named default. */
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
/** API_PutRule.html, Name: "[\.\-_A-Za-z0-9]+", 1-64. */
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
/** API_PutRule.html, State: "ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS". */
const RULE_STATES = new Set(["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]);
/** "Creating an Amazon EventBridge rule that runs on a schedule" (eb-scheduled-rule-pattern.html): rate(value unit) or cron(six fields). */
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/;
/** API_PutTargets.html: "You can add up to five targets to a rule"; Target Id "[\.\-_A-Za-z0-9]+", 1-64. */
const MAX_TARGETS = 5;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;

const validation = (message: string) => new AwsError("ValidationException", message);
const notFound = (message: string) => new AwsError("ResourceNotFoundException", message);

/** EventBusName may be a name or an ARN (API_PutRule.html, EventBusName: "The name or ARN of the event bus"). */
function busName(nameOrArn: string | undefined): string {
  if (nameOrArn === undefined || nameOrArn === "") return DEFAULT_BUS;
  const arn = /^arn:aws[\w-]*:events:[^:]+:\d{12}:event-bus\/(.+)$/.exec(nameOrArn);
  return arn ? arn[1]! : nameOrArn;
}

function busArn(ctx: CallContext, name: string): string {
  return `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/${name}`;
}

/** Every account has a default bus in every region (eb-event-bus.html). */
function busOf(ctx: CallContext, nameOrArn: string | undefined): EventBus {
  const name = busName(nameOrArn);
  const { buses } = eventsState.of(ctx);
  let bus = buses.get(name);
  if (!bus && name === DEFAULT_BUS) {
    const now = ctx.sandbox.now();
    bus = { name, arn: busArn(ctx, name), createdAt: now, modifiedAt: now, tags: {} };
    buses.set(name, bus);
  }
  if (!bus) throw notFound(`Event bus ${name} does not exist.`);
  return bus;
}

/** A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on a custom one (API_PutRule.html, RuleArn). */
function ruleArn(ctx: CallContext, bus: string, name: string): string {
  return `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${bus === DEFAULT_BUS ? "" : `${bus}/`}${name}`;
}

function ruleOf(ctx: CallContext, name: string | undefined, bus: string | undefined): Rule {
  const ruleName = required(name, () => validation("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"));
  const busKey = busName(bus);
  busOf(ctx, busKey);
  const rule = eventsState.of(ctx).rules.get(`${busKey}/${ruleName}`);
  if (!rule) throw notFound(`Rule ${ruleName} does not exist on EventBus ${busKey}.`);
  return rule;
}

/** Resources ListTagsForResource / TagResource accept: buses and rules, by ARN. */
function taggable(ctx: CallContext, arn: string | undefined): { tags: Tags } {
  const resource = required(arn, () => validation("ResourceARN is required"));
  const state = eventsState.of(ctx);
  for (const bus of state.buses.values()) if (bus.arn === resource) return bus;
  for (const rule of state.rules.values()) if (rule.arn === resource) return rule;
  if (resource === busArn(ctx, DEFAULT_BUS)) return busOf(ctx, DEFAULT_BUS);
  throw notFound(`Resource ${resource} does not exist.`);
}

/** API_CreateEventBus.html: ResourceAlreadyExistsException for an existing name. */
function createEventBus(params: { Name?: string; Description?: string; KmsKeyIdentifier?: string; DeadLetterConfig?: { Arn?: string }; EventSourceName?: string; Tags?: TagEntry[] }, ctx: CallContext) {
  const name = required(params.Name, () => validation("Name is required"));
  if (!BUS_NAME.test(name) || name === DEFAULT_BUS) throw validation(`Event bus name ${name} is not valid.`);
  if (params.EventSourceName !== undefined) throw validation("Partner event sources are not emulated by the sandbox.");
  const { buses } = eventsState.of(ctx);
  if (buses.has(name)) throw new AwsError("ResourceAlreadyExistsException", `Event bus ${name} already exists.`);
  const now = ctx.sandbox.now();
  const bus: EventBus = {
    name,
    arn: busArn(ctx, name),
    createdAt: now,
    modifiedAt: now,
    tags: fromTagList(params.Tags),
    ...(params.Description !== undefined ? { description: params.Description } : {}),
    ...(params.KmsKeyIdentifier !== undefined ? { kmsKeyIdentifier: params.KmsKeyIdentifier } : {}),
    ...(params.DeadLetterConfig !== undefined ? { deadLetterConfig: params.DeadLetterConfig } : {}),
  };
  buses.set(name, bus);
  return { EventBusArn: bus.arn, ...(bus.description !== undefined ? { Description: bus.description } : {}) };
}

/** API_UpdateEventBus.html. */
function updateEventBus(params: { Name?: string; Description?: string; KmsKeyIdentifier?: string; DeadLetterConfig?: { Arn?: string } }, ctx: CallContext) {
  const bus = busOf(ctx, params.Name);
  if (params.Description !== undefined) bus.description = params.Description;
  if (params.KmsKeyIdentifier !== undefined) bus.kmsKeyIdentifier = params.KmsKeyIdentifier;
  if (params.DeadLetterConfig !== undefined) bus.deadLetterConfig = params.DeadLetterConfig;
  bus.modifiedAt = ctx.sandbox.now();
  return { Arn: bus.arn, Name: bus.name };
}

/** API_DescribeEventBus.html: Policy only when the bus has one. */
function describeEventBus(params: { Name?: string }, ctx: CallContext) {
  const bus = busOf(ctx, params.Name);
  return {
    Name: bus.name,
    Arn: bus.arn,
    ...(bus.description !== undefined ? { Description: bus.description } : {}),
    ...(bus.kmsKeyIdentifier !== undefined ? { KmsKeyIdentifier: bus.kmsKeyIdentifier } : {}),
    ...(bus.deadLetterConfig !== undefined ? { DeadLetterConfig: bus.deadLetterConfig } : {}),
    ...(bus.policy !== undefined ? { Policy: bus.policy } : {}),
    CreationTime: new Date(bus.createdAt),
    LastModifiedTime: new Date(bus.modifiedAt),
  };
}

/** API_DeleteEventBus.html: "You can't delete your account's default event bus"; a bus with rules cannot be deleted. */
function deleteEventBus(params: { Name?: string }, ctx: CallContext) {
  const name = busName(required(params.Name, () => validation("Name is required")));
  if (name === DEFAULT_BUS) throw validation("Cannot delete event bus default.");
  const state = eventsState.of(ctx);
  if ([...state.rules.values()].some((r) => r.eventBusName === name)) throw validation(`Cannot delete event bus ${name} because it has rules.`);
  state.buses.delete(name);
  return {};
}

function listEventBuses(params: { NamePrefix?: string; NextToken?: string; Limit?: number }, ctx: CallContext) {
  busOf(ctx, DEFAULT_BUS);
  const all = [...eventsState.of(ctx).buses.values()].filter((b) => b.name.startsWith(params.NamePrefix ?? "")).sort((a, b) => a.name.localeCompare(b.name));
  const page = paginate(all, params.NextToken, params.Limit ?? 100, () => validation("The NextToken is invalid."));
  return { EventBuses: page.items.map((b) => ({ Name: b.name, Arn: b.arn, ...(b.policy ? { Policy: b.policy } : {}) })), ...(page.next ? { NextToken: page.next } : {}) };
}

/**
 * API_PutPermission.html: either a whole Policy document (what terraform's
 * aws_cloudwatch_event_bus_policy sends) or one statement from Action/Principal/StatementId.
 * Unlike S3, SNS, SQS, KMS and Lambda, EventBridge does not check that the principals exist: it
 * accepts an account that does not (the sources: iam/principal-existence.ts).
 */
function putPermission(params: { EventBusName?: string; Policy?: string; Action?: string; Principal?: string; StatementId?: string; Condition?: { Type?: string; Key?: string; Value?: string } }, ctx: CallContext) {
  const bus = busOf(ctx, params.EventBusName);
  if (params.Policy !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(params.Policy);
    } catch {
      throw new AwsError("MalformedPolicyDocumentException", "The policy document is not valid JSON.");
    }
    const statements = (doc as { Statement?: unknown }).Statement;
    if (!Array.isArray(statements) && (typeof statements !== "object" || statements === null)) throw new AwsError("MalformedPolicyDocumentException", "The policy must have a Statement.");
    bus.policy = params.Policy;
  } else {
    const sid = required(params.StatementId, () => validation("StatementId is required"));
    const principal = required(params.Principal, () => validation("Principal is required"));
    const current: { Statement: Record<string, unknown>[] } = bus.policy ? (JSON.parse(bus.policy) as { Statement: Record<string, unknown>[] }) : { Version: "2012-10-17", Statement: [] } as { Statement: Record<string, unknown>[] };
    if (current.Statement.some((s) => s.Sid === sid)) throw new AwsError("ResourceAlreadyExistsException", `Statement with sid ${sid} already exists.`);
    current.Statement.push({
      Sid: sid,
      Effect: "Allow",
      Principal: principal === "*" ? "*" : { AWS: `arn:aws:iam::${principal}:root` },
      Action: params.Action ?? "events:PutEvents",
      Resource: bus.arn,
      ...(params.Condition ? { Condition: { StringEquals: { [params.Condition.Key!]: params.Condition.Value } } } : {}),
    });
    bus.policy = JSON.stringify(current);
  }
  bus.modifiedAt = ctx.sandbox.now();
  return {};
}

/** API_RemovePermission.html: RemoveAllPermissions, or one statement by id. */
function removePermission(params: { EventBusName?: string; StatementId?: string; RemoveAllPermissions?: boolean }, ctx: CallContext) {
  const bus = busOf(ctx, params.EventBusName);
  if (params.RemoveAllPermissions) {
    delete bus.policy;
    return {};
  }
  const sid = required(params.StatementId, () => validation("StatementId is required"));
  const current = bus.policy ? (JSON.parse(bus.policy) as { Statement: Record<string, unknown>[] }) : undefined;
  if (!current?.Statement.some((s) => s.Sid === sid)) throw notFound(`Statement with the provided id ${sid} does not exist.`);
  current.Statement = current.Statement.filter((s) => s.Sid !== sid);
  if (current.Statement.length === 0) delete bus.policy;
  else bus.policy = JSON.stringify(current);
  return {};
}

function checkPattern(pattern: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(pattern);
  } catch {
    throw new AwsError("InvalidEventPatternException", "Event pattern is not valid. Reason: Unrecognized token");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new AwsError("InvalidEventPatternException", "Event pattern is not valid. Reason: Filter is not an object");
}

/**
 * API_PutRule.html: creates or updates; a rule needs an EventPattern or a ScheduleExpression, and
 * "scheduled expressions are supported only on the default event bus".
 */
function putRule(params: { Name?: string; EventBusName?: string; EventPattern?: string; ScheduleExpression?: string; State?: string; Description?: string; RoleArn?: string; Tags?: TagEntry[] }, ctx: CallContext) {
  const name = required(params.Name, () => validation("Name is required"));
  if (!RULE_NAME.test(name)) throw validation(`1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
  const bus = busOf(ctx, params.EventBusName);
  if (params.EventPattern === undefined && params.ScheduleExpression === undefined) throw validation("Parameter(s) EventPattern or ScheduleExpression must be specified.");
  if (params.EventPattern !== undefined) checkPattern(params.EventPattern);
  if (params.ScheduleExpression !== undefined) {
    if (!SCHEDULE.test(params.ScheduleExpression)) throw validation("Parameter ScheduleExpression is not valid.");
    if (bus.name !== DEFAULT_BUS) throw validation("ScheduleExpression is supported only on the default event bus.");
  }
  const state = params.State ?? "ENABLED";
  if (!RULE_STATES.has(state)) throw validation(`1 validation error detected: Value '${state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${[...RULE_STATES].join(", ")}]`);
  const { rules } = eventsState.of(ctx);
  const key = `${bus.name}/${name}`;
  const existing = rules.get(key);
  const rule: Rule = {
    name,
    arn: ruleArn(ctx, bus.name, name),
    eventBusName: bus.name,
    state,
    // PutRule on an existing rule replaces its definition but keeps its tags and targets.
    tags: existing?.tags ?? fromTagList(params.Tags),
    targets: existing?.targets ?? [],
    ...(params.EventPattern !== undefined ? { eventPattern: params.EventPattern } : {}),
    ...(params.ScheduleExpression !== undefined ? { scheduleExpression: params.ScheduleExpression } : {}),
    ...(params.Description !== undefined ? { description: params.Description } : {}),
    ...(params.RoleArn !== undefined ? { roleArn: params.RoleArn } : {}),
  };
  rules.set(key, rule);
  return { RuleArn: rule.arn };
}

/** API_DescribeRule.html. */
function describeRule(params: { Name?: string; EventBusName?: string }, ctx: CallContext) {
  const rule = ruleOf(ctx, params.Name, params.EventBusName);
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventBusName: rule.eventBusName,
    State: rule.state,
    CreatedBy: ctx.accountId,
    ...(rule.eventPattern !== undefined ? { EventPattern: rule.eventPattern } : {}),
    ...(rule.scheduleExpression !== undefined ? { ScheduleExpression: rule.scheduleExpression } : {}),
    ...(rule.description !== undefined ? { Description: rule.description } : {}),
    ...(rule.roleArn !== undefined ? { RoleArn: rule.roleArn } : {}),
  };
}

function listRules(params: { NamePrefix?: string; EventBusName?: string; NextToken?: string; Limit?: number }, ctx: CallContext) {
  const bus = busOf(ctx, params.EventBusName);
  const all = [...eventsState.of(ctx).rules.values()].filter((r) => r.eventBusName === bus.name && r.name.startsWith(params.NamePrefix ?? "")).sort((a, b) => a.name.localeCompare(b.name));
  const page = paginate(all, params.NextToken, params.Limit ?? 100, () => validation("The NextToken is invalid."));
  return { Rules: page.items.map((r) => describeRule({ Name: r.name, EventBusName: r.eventBusName }, ctx)), ...(page.next ? { NextToken: page.next } : {}) };
}

/**
 * API_DeleteRule.html: "you must remove all targets from a rule … before you can delete the
 * rule"; "If you call delete rule multiple times for the same rule, all calls will succeed",
 * while a custom bus that does not exist is ResourceNotFoundException.
 */
function deleteRule(params: { Name?: string; EventBusName?: string }, ctx: CallContext) {
  const bus = busOf(ctx, params.EventBusName);
  const key = `${bus.name}/${required(params.Name, () => validation("Name is required"))}`;
  const rule = eventsState.of(ctx).rules.get(key);
  if (!rule) return {};
  if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
  eventsState.of(ctx).rules.delete(key);
  return {};
}

function setRuleState(state: string) {
  return (params: { Name?: string; EventBusName?: string }, ctx: CallContext) => {
    ruleOf(ctx, params.Name, params.EventBusName).state = state;
    return {};
  };
}

/**
 * Targets EventBridge reaches through the target's RoleArn, never a resource policy: "For EC2
 * instances, Kinesis data streams, and Step Functions state machines, EventBridge uses IAM roles
 * that you specify in the RoleARN parameter in PutTargets" (eb-targets.html). Without one,
 * PutTargets fails the whole call: "ValidationException: RoleArn is required for target
 * arn:aws:states:…:stateMachine:…" (quoted from AWS in hashicorp/terraform-provider-aws#19913 and
 * localstack/localstack#8224).
 */
const ROLE_REQUIRED = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:/;

/**
 * API_PutTargets.html: adds or replaces targets by Id; at most five per rule. Bad entries come
 * back in FailedEntries, not as an error, as EventBridge answers. A target's RoleArn is a role
 * handed to EventBridge, which assumes it at each delivery (eb-targets.html), so the caller needs
 * iam:PassRole on it with iam:PassedToService events.amazonaws.com (id_roles_use_passrole.html;
 * services/shared/pass-role.ts).
 */
async function putTargets(params: { Rule?: string; EventBusName?: string; Targets?: Target[] }, ctx: CallContext) {
  const rule = ruleOf(ctx, params.Rule, params.EventBusName);
  const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
  for (const target of params.Targets ?? []) {
    if (!TARGET_ID.test(target.Id ?? "")) throw validation(`1 validation error detected: Value '${target.Id}' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
    if (!/^arn:aws[\w-]*:/.test(target.Arn ?? "")) throw validation(`Parameter ${target.Arn} is not valid. Reason: Provided Arn is not in correct format.`);
    if (target.RetryPolicy?.MaximumRetryAttempts !== undefined && (target.RetryPolicy.MaximumRetryAttempts < 0 || target.RetryPolicy.MaximumRetryAttempts > 185)) {
      throw validation("RetryPolicy MaximumRetryAttempts must be between 0 and 185.");
    }
    if (target.RetryPolicy?.MaximumEventAgeInSeconds !== undefined && (target.RetryPolicy.MaximumEventAgeInSeconds < 60 || target.RetryPolicy.MaximumEventAgeInSeconds > 86400)) {
      throw validation("RetryPolicy MaximumEventAgeInSeconds must be between 60 and 86400.");
    }
    if (target.RoleArn === undefined && ROLE_REQUIRED.test(target.Arn)) throw validation(`RoleArn is required for target ${target.Arn}.`);
    if (target.RoleArn !== undefined) await authorizePassRole(ctx, target.RoleArn, "events.amazonaws.com", eventsService);
    const index = rule.targets.findIndex((t) => t.Id === target.Id);
    if (index < 0 && rule.targets.length >= MAX_TARGETS) {
      failed.push({ TargetId: target.Id, ErrorCode: "LimitExceededException", ErrorMessage: `The requested resource exceeds the maximum number allowed (${MAX_TARGETS} targets per rule).` });
      continue;
    }
    const stored: Target = JSON.parse(JSON.stringify(target)) as Target;
    if (index < 0) rule.targets.push(stored);
    else rule.targets[index] = stored;
  }
  return { FailedEntryCount: failed.length, FailedEntries: failed };
}

function listTargetsByRule(params: { Rule?: string; EventBusName?: string; NextToken?: string; Limit?: number }, ctx: CallContext) {
  const rule = ruleOf(ctx, params.Rule, params.EventBusName);
  const page = paginate(rule.targets, params.NextToken, params.Limit ?? 100, () => validation("The NextToken is invalid."));
  return { Targets: page.items, ...(page.next ? { NextToken: page.next } : {}) };
}

function removeTargets(params: { Rule?: string; EventBusName?: string; Ids?: string[] }, ctx: CallContext) {
  const rule = ruleOf(ctx, params.Rule, params.EventBusName);
  const ids = new Set(params.Ids ?? []);
  rule.targets = rule.targets.filter((t) => !ids.has(t.Id));
  return { FailedEntryCount: 0, FailedEntries: [] };
}

/** API_ListTagsForResource.html / API_TagResource.html / API_UntagResource.html: tags as [{Key, Value}]. */
function listTagsForResource(params: { ResourceARN?: string }, ctx: CallContext) {
  return { Tags: toTagList(taggable(ctx, params.ResourceARN).tags) };
}

function tagResource(params: { ResourceARN?: string; Tags?: TagEntry[] }, ctx: CallContext) {
  Object.assign(taggable(ctx, params.ResourceARN).tags, fromTagList(params.Tags));
  return {};
}

function untagResource(params: { ResourceARN?: string; TagKeys?: string[] }, ctx: CallContext) {
  const resource = taggable(ctx, params.ResourceARN);
  for (const key of params.TagKeys ?? []) delete resource.tags[key];
  return {};
}

export const eventsService: ServiceDefinition = {
  name: "events",
  protocol: "json",
  actions: {
    CreateEventBus: createEventBus,
    UpdateEventBus: updateEventBus,
    DescribeEventBus: describeEventBus,
    DeleteEventBus: deleteEventBus,
    ListEventBuses: listEventBuses,
    PutPermission: putPermission,
    RemovePermission: removePermission,
    PutRule: putRule,
    DescribeRule: describeRule,
    ListRules: listRules,
    DeleteRule: deleteRule,
    EnableRule: setRuleState("ENABLED"),
    DisableRule: setRuleState("DISABLED"),
    PutTargets: putTargets,
    PutEvents: putEvents,
    ListTargetsByRule: listTargetsByRule,
    RemoveTargets: removeTargets,
    ListTagsForResource: listTagsForResource,
    TagResource: tagResource,
    UntagResource: untagResource,
  },
};
