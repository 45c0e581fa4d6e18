import { randomUUID } from "node:crypto";
import { authorize } from "../../authorization/evaluate.js";
import { AwsError, type CallContext, type SandboxRuntime } from "../../protocol/types.js";
import type { World } from "../../state.js";
import { mintRoleSession } from "../iam/principals.js";
import { functionByArn } from "../lambda/functions.js";
import { runAsync } from "../lambda/invoke.js";
import { functionPolicyAllows } from "../lambda/policy.js";
import { afterResponse } from "../shared/background.js";
import { serviceMayAssume } from "../shared/service-trust.js";
import { queueByArn } from "../sqs/service.js";
import { callAs } from "../stepfunctions/integrations.js";
import { stepFunctionsService } from "../stepfunctions/service.js";
import { transformInput } from "./input-transformer.js";
import { matchesEventPattern } from "./pattern.js";
import { eventsService, eventsState, type Rule, type Target } from "./service.js";

/**
 * What EventBridge does with an event once a bus has it: every enabled rule on that bus whose
 * pattern matches (pattern.ts, EventBridge's own semantics) sends it to each of its targets.
 * - Another bus (arn:…:event-bus/…): EventBridge assumes the target's RoleArn — the role must
 *   trust events.amazonaws.com and allow events:PutEvents on that bus — and the receiving bus's
 *   resource policy must admit the call when the bus is in another account ("Sending and
 *   receiving events between AWS accounts in Amazon EventBridge", eb-cross-account.html; "Using
 *   IAM roles to send events to targets", eb-use-identity-based.html#eb-target-permissions).
 * - A Lambda function: its resource policy must allow events.amazonaws.com for this rule
 *   (eb-use-resource-based.html#eb-lambda-permissions); the function is invoked asynchronously.
 * - An SQS queue: the message is the event.
 * - A Step Functions state machine: EventBridge calls StartExecution with the target's RoleArn —
 *   the role must trust events.amazonaws.com and allow states:StartExecution on the machine
 *   ("IAM roles for sending events to targets", eb-events-iam-roles.html; "Step Functions state
 *   machine target", eb-custom-bus-target-sfn.html: "The role needs states:StartExecution on the
 *   state machine") — and the execution's input is the target's input, the whole event unless
 *   Input or InputPath says otherwise (aws-cdk-lib aws_events_targets.SfnStateMachine, input:
 *   "@default the entire EventBridge event"). The call is authorized and served exactly as an
 *   HTTP StartExecution made with that role's credentials would be.
 * Retries and dead letters ("Event retry policy and using dead-letter queues", eb-rule-dlq.html;
 * "How EventBridge retries delivering events", eb-rule-retry-policy.html): an error that
 * results "from missing permissions to a target, or a target resource that no longer exists" is
 * not retried and goes "directly to the DLQ"; a retriable one — EventBridge "retries only 5xx or
 * 429 HTTP status codes" and "doesn't retry other 4xx" (AWS re:Post Knowledge Center,
 * eventbridge-resolve-failedinvocation-errors) — is retried "with an exponential back off and
 * jitter" until the target's RetryPolicy runs out: MaximumRetryAttempts (0–185, default 185) or
 * MaximumEventAgeInSeconds (60–86,400, default 24 hours), "whichever limit is reached first"
 * (API_RetryPolicy.html). The sandbox retries at once and counts the waits instead of sleeping
 * them (as Lambda's asynchronous retries do here, lambda/invoke.ts): see retryAfter. An event
 * that still fails goes to the target's DeadLetterConfig queue when there is one, with the
 * attributes eb-rule-dlq.html lists ("the Error Code, Error Message, the Exhausted Retry
 * Condition, Rule ARN, Retry Attempts, and the Target ARN"), and is otherwise dropped; every
 * delivery is recorded in `deliveries`, so a missing permission is something a test sees, never
 * a silent drop. Retriable errors come from the scenario's faults on the call EventBridge makes
 * to the target (lambda Invoke, sqs SendMessage, events PutEvents, states StartExecution in the
 * target's account: SandboxRuntime.serviceCallFault), since no emulated target fails on its own.
 */

export interface BusEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface Delivery {
  ruleArn: string;
  targetArn: string;
  eventId: string;
  outcome: "delivered" | "failed";
  error?: string;
  /** The execution a state-machine target started. */
  executionArn?: string;
  /** Attempts made: 1 + the retries (RETRY_ATTEMPTS is this minus one). */
  attempts: number;
  /** Which RetryPolicy limit ended the retries of a retriable error. */
  exhausted?: RetryLimit;
}

export interface EventsHost {
  world: World;
  runtime: SandboxRuntime;
}

/** Every delivery attempt, newest last (the sandbox's FailedInvocations / Invocations metrics). */
export const deliveries: Delivery[] = [];

const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;
const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:[^:]+$/;

function ruleAccountAndRegion(rule: Rule): { accountId: string; region: string } {
  const [, , , region, accountId] = rule.arn.split(":");
  return { accountId: accountId!, region: region! };
}

/** The role session EventBridge uses for a target (the session name is EventBridge's own choice). */
async function assumeTargetRole(host: EventsHost, rule: Rule, target: Target) {
  const { accountId } = ruleAccountAndRegion(rule);
  const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(target.RoleArn ?? "");
  const role = m ? host.world.accounts.get(m[1]!)?.roles.get(m[2]!) : undefined;
  if (!m || !role || !serviceMayAssume(role, { service: "events.amazonaws.com", sourceAccount: accountId, sourceArn: rule.arn })) {
    throw new AwsError("AccessDeniedException", `EventBridge cannot assume ${target.RoleArn}: the role does not exist or does not trust events.amazonaws.com for ${rule.arn}`);
  }
  const now = host.runtime.now();
  return mintRoleSession(host.world, host.runtime.random, m[1]!, role, `events-${randomUUID().slice(0, 8)}`, { issuedAt: now, expiresAt: now + 3600_000 });
}

async function toBus(host: EventsHost, rule: Rule, target: Target, event: BusEvent): Promise<void> {
  const [, region, accountId, name] = BUS_ARN.exec(target.Arn)!;
  const ruleAt = ruleAccountAndRegion(rule);
  if (region !== ruleAt.region) throw new AwsError("ValidationException", "The sandbox delivers to event buses in the rule's region only.");
  const principal = target.RoleArn ? await assumeTargetRole(host, rule, target) : undefined;
  if (!principal && accountId !== ruleAt.accountId) {
    throw new AwsError("AccessDeniedException", `Target ${target.Arn} is in another account and has no RoleArn; driftguard's forwarders always use one.`);
  }
  if (principal) {
    // The role's own policy, and the receiving bus's policy for another account (authorize reads the bus policy).
    await authorize(
      host.world,
      { service: eventsService, action: "PutEvents", params: { Entries: [{ EventBusName: target.Arn }] }, principal, accountId: principal.accountId, region: region! },
      { secureTransport: true, now: host.runtime.now() },
    );
  }
  const account = host.world.accounts.get(accountId!);
  if (!account) throw new AwsError("ResourceNotFoundException", `Event bus ${target.Arn} does not exist.`);
  const bus = eventsState.at(account, region!).buses.get(name!);
  if (!bus && name !== "default") throw new AwsError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
  // The event arrives unchanged: same id, source, account (the sender's) and detail (eb-cross-account.html).
  await deliverToBus(host, accountId!, region!, name!, event);
}

async function toLambda(host: EventsHost, rule: Rule, target: Target, input: string): Promise<void> {
  const found = functionByArn(host.world, target.Arn);
  if (!found) throw new AwsError("ResourceNotFoundException", `Function not found: ${target.Arn}`, 404);
  const { accountId } = ruleAccountAndRegion(rule);
  if (!functionPolicyAllows(found.fn, { service: "events.amazonaws.com", sourceArn: rule.arn, sourceAccount: accountId })) {
    throw new AwsError("AccessDeniedException", `The resource policy of ${found.fn.arn} does not allow events.amazonaws.com to invoke it for ${rule.arn}`, 403);
  }
  let event: unknown;
  try {
    event = JSON.parse(input) as unknown;
  } catch {
    // Invoke's Payload is JSON (API_Invoke.html, Errors: InvalidRequestContentException, 400).
    throw new AwsError("InvalidRequestContentException", "Could not parse request body into json", 400);
  }
  await runAsync(found.fn, found.region, event, host);
}

async function toStateMachine(host: EventsHost, rule: Rule, target: Target, input: string): Promise<string> {
  const principal = await assumeTargetRole(host, rule, target);
  const [, region] = STATE_MACHINE_ARN.exec(target.Arn)!;
  const started = await callAs(host, principal, region!, stepFunctionsService, "StartExecution", { stateMachineArn: target.Arn, input });
  return String(started.executionArn);
}

function toQueue(host: EventsHost, arn: string, body: string, attributes?: Record<string, string>): void {
  const queue = queueByArn(host, arn);
  if (!queue) throw new AwsError("ResourceNotFoundException", `Queue ${arn} does not exist.`);
  queue.messages.push({ messageId: randomUUID(), body, sentAt: host.runtime.now(), ...(attributes ? { attributes } : {}) });
}

/**
 * The text a target receives (API_Target.html): Input (a constant), InputPath (the part of the
 * event a JSON path names), InputTransformer (input-transformer.ts), else the event itself.
 */
function inputOf(rule: Rule, target: Target, event: BusEvent, receivedAt: number): string {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) {
    let value: unknown = event;
    for (const key of target.InputPath.replace(/^\$\.?/, "").split(".").filter((k) => k !== "")) value = (value as Record<string, unknown> | undefined)?.[key];
    return JSON.stringify(value ?? null);
  }
  if (target.InputTransformer !== undefined) {
    return transformInput(target.InputTransformer, event, { ruleArn: rule.arn, ingestionTime: new Date(receivedAt).toISOString().replace(/\.\d{3}Z$/, "Z") });
  }
  return JSON.stringify(event);
}

/** The API call EventBridge makes to deliver to `arn`, in the target's account and region: what a scenario fault on the target service matches. */
function targetCall(arn: string): { service: string; action: string; account: string; region: string } {
  const [, , service, region, account] = arn.split(":");
  const action = ({ events: "PutEvents", lambda: "Invoke", sqs: "SendMessage", states: "StartExecution" } as Record<string, string>)[service!] ?? "Invoke";
  return { service: service!, action, account: account!, region: region! };
}

/** One attempt: the scenario's fault on the target's service, else the target's own call. */
async function sendToTarget(host: EventsHost, rule: Rule, target: Target, event: BusEvent, receivedAt: number): Promise<string | undefined> {
  const fault = host.runtime.serviceCallFault?.({ ...targetCall(target.Arn), callerArn: "events.amazonaws.com" });
  if (fault) throw fault;
  if (BUS_ARN.test(target.Arn)) await toBus(host, rule, target, event);
  else if (target.Arn.includes(":lambda:")) await toLambda(host, rule, target, inputOf(rule, target, event, receivedAt));
  else if (target.Arn.includes(":sqs:")) toQueue(host, target.Arn, inputOf(rule, target, event, receivedAt));
  else if (STATE_MACHINE_ARN.test(target.Arn)) return toStateMachine(host, rule, target, inputOf(rule, target, event, receivedAt));
  else throw new AwsError("ValidationException", `The sandbox does not deliver to ${target.Arn}`);
  return undefined;
}

async function deliverToTarget(host: EventsHost, rule: Rule, target: Target, event: BusEvent): Promise<void> {
  const receivedAt = host.runtime.now();
  let retries = 0;
  let waitedMs = 0;
  for (;;) {
    try {
      const executionArn = await sendToTarget(host, rule, target, event, receivedAt);
      deliveries.push({ ruleArn: rule.arn, targetArn: target.Arn, eventId: event.id, outcome: "delivered", attempts: retries + 1, ...(executionArn ? { executionArn } : {}) });
      return;
    } catch (error) {
      const next = retryAfter(error, { retries, ageMs: host.runtime.now() - receivedAt + waitedMs }, target.RetryPolicy, host.runtime.random);
      if ("waitMs" in next) {
        retries++;
        waitedMs += next.waitMs;
        continue;
      }
      const message = (error as Error).message;
      deliveries.push({ ruleArn: rule.arn, targetArn: target.Arn, eventId: event.id, outcome: "failed", error: message, attempts: retries + 1, ...(next.exhausted ? { exhausted: next.exhausted } : {}) });
      const dlq = target.DeadLetterConfig?.Arn;
      if (!dlq) return; // "the event is dropped" (eb-rule-retry-policy.html)
      const attributes = {
        ERROR_CODE: (error as AwsError).code ?? "Error",
        ERROR_MESSAGE: message,
        RULE_ARN: rule.arn,
        TARGET_ARN: target.Arn,
        RETRY_ATTEMPTS: String(retries),
        ...(next.exhausted ? { EXHAUSTED_RETRY_CONDITION: next.exhausted } : {}),
      };
      try {
        toQueue(host, dlq, JSON.stringify(event), attributes);
      } catch {
        // A dead-letter queue that is gone loses the event, as in EventBridge; the delivery is recorded above.
      }
      return;
    }
  }
}

export type RetryLimit = "MaximumRetryAttempts" | "MaximumEventAgeInSeconds";

/** API_RetryPolicy.html's defaults, eb-rule-retry-policy.html: "24 hours and up to 185 times". */
export const DEFAULT_RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } as const;

/**
 * The back-off between retries: "exponential back off and jitter" (eb-rule-retry-policy.html,
 * linking the AWS Architecture Blog's "Exponential Backoff And Jitter"), here full jitter:
 * random(0, min(cap, base × 2^retry)). AWS publishes neither base nor cap; 1 s and 15 minutes are
 * the sandbox's, chosen so the defaults agree with each other — at the cap the mean wait is 450 s,
 * and 185 retries take ~22 hours, about the 24-hour default age.
 */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 15 * 60_000;

/**
 * After a failed attempt: wait `waitMs` and retry, or stop — at once for an error EventBridge does
 * not retry (a 4xx other than 429, or anything that is not a service's answer), else with the
 * RetryPolicy limit that ran out. `ageMs` is the event's age with the waits so far counted.
 */
export function retryAfter(
  error: unknown,
  so: { retries: number; ageMs: number },
  policy: Target["RetryPolicy"],
  random: () => number,
): { waitMs: number } | { exhausted?: RetryLimit } {
  const status = error instanceof AwsError ? error.status : 400;
  if (status !== 429 && status < 500) return {};
  if (so.retries >= (policy?.MaximumRetryAttempts ?? DEFAULT_RETRY_POLICY.MaximumRetryAttempts)) return { exhausted: "MaximumRetryAttempts" };
  const waitMs = random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** so.retries);
  if (so.ageMs + waitMs > (policy?.MaximumEventAgeInSeconds ?? DEFAULT_RETRY_POLICY.MaximumEventAgeInSeconds) * 1000) return { exhausted: "MaximumEventAgeInSeconds" };
  return { waitMs };
}

const DELIVERING_STATES = new Set(["ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]);

/** Every enabled pattern rule of a bus that matches, each target in turn. */
export async function deliverToBus(host: EventsHost, accountId: string, region: string, busName: string, event: BusEvent): Promise<void> {
  const account = host.world.accounts.get(accountId);
  if (!account) return;
  const rules = [...eventsState.at(account, region).rules.values()].filter((r) => {
    if (r.eventBusName !== busName || !DELIVERING_STATES.has(r.state) || r.eventPattern === undefined) return false;
    try {
      return matchesEventPattern(JSON.parse(r.eventPattern), event);
    } catch (error) {
      // A pattern operator the sandbox does not evaluate: recorded as a failure, never a silent miss.
      deliveries.push({ ruleArn: r.arn, targetArn: "", eventId: event.id, outcome: "failed", error: (error as Error).message, attempts: 0 });
      return false;
    }
  });
  await Promise.all(rules.flatMap((rule) => rule.targets.map((target) => deliverToTarget(host, rule, target, event))));
}

/**
 * "Creating a rule that runs on a schedule" (eb-create-rule-schedule.html): the event a schedule
 * rule sends its targets — source aws.events, detail-type "Scheduled Event", the rule's ARN as
 * the one resource, an empty detail. The sandbox fires a schedule when asked, not on a clock.
 */
export async function fireSchedule(host: EventsHost, accountId: string, region: string, ruleName: string): Promise<BusEvent> {
  const account = host.world.accounts.get(accountId);
  const rule = account ? eventsState.at(account, region).rules.get(`default/${ruleName}`) : undefined;
  if (!rule?.scheduleExpression) throw new Error(`no schedule rule ${ruleName} on the default bus of ${accountId} in ${region}`);
  const event: BusEvent = {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: accountId,
    time: new Date(host.runtime.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [rule.arn],
    detail: {},
  };
  if (DELIVERING_STATES.has(rule.state)) await Promise.all(rule.targets.map((target) => deliverToTarget(host, rule, target, event)));
  return event;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: Date;
  EventBusName?: string;
}

/**
 * API_PutEvents.html: 1-10 entries, each with Source, DetailType and a JSON-object Detail;
 * a bad entry fails alone (FailedEntryCount, ErrorCode per entry). Accepted events reach their
 * bus's rules after the call returns, as EventBridge delivers asynchronously.
 */
export function putEvents(params: { Entries?: PutEventsEntry[] }, ctx: CallContext) {
  const entries = params.Entries ?? [];
  if (entries.length < 1 || entries.length > 10) throw new AwsError("ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10, Member must have length greater than or equal to 1");
  const results = entries.map((entry) => {
    if (!entry.Source || !entry.DetailType) return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameters Source and DetailType are required." };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail ?? "");
    } catch {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    if (typeof detail !== "object" || detail === null || Array.isArray(detail)) return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    const bus = BUS_ARN.exec(entry.EventBusName ?? "");
    const accountId = bus?.[2] ?? ctx.accountId;
    const name = bus?.[3] ?? (entry.EventBusName || "default");
    const account = ctx.world.accounts.get(accountId);
    if (!account || (name !== "default" && !eventsState.at(account, ctx.region).buses.has(name))) return { ErrorCode: "InvalidArgument", ErrorMessage: `Event bus ${name} does not exist.` };
    const event: BusEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: ctx.accountId,
      time: (entry.Time ?? new Date(ctx.sandbox.now())).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: ctx.region,
      resources: entry.Resources ?? [],
      detail,
    };
    afterResponse(() => deliverToBus({ world: ctx.world, runtime: ctx.sandbox }, accountId, ctx.region, name, event));
    return { EventId: event.id };
  });
  return { FailedEntryCount: results.filter((r) => "ErrorCode" in r).length, Entries: results };
}
