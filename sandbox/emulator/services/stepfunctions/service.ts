import aslValidator from "asl-validator";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import type { Tags } from "../../state.js";
import { uuid } from "../shared/ids.js";
import { required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { regionalState } from "../shared/regional.js";
import { authorizePassRole } from "../shared/pass-role.js";
import { authorize } from "../../authorization/evaluate.js";
import { logsService } from "../logs/service.js";
import { describeExecution, describeMapRun, getExecutionHistory, listExecutions, listMapRuns, redriveExecution, startExecutionHandler, startSyncExecution, stateMachineSession, stopExecution, trustedRole, UNTRUSTED_ROLE } from "./executions.js";
import { StatesError } from "./paths.js";

/**
 * Step Functions state machines (awsJson1_0, target prefix AWSStepFunctions), as terraform's
 * aws_sfn_state_machine validates, creates, reads back, updates, tags and deletes the hub's
 * fan-out machine (modules/fanout-state-machine.ts). Definitions are checked with asl-validator
 * (the Amazon States Language JSON schemas), as the service refuses an invalid one. Executions
 * (StartExecution … StopExecution) run the definition with the interpreter: executions.ts.
 * Source: AWS Step Functions API Reference (docs.aws.amazon.com/step-functions/latest/apireference/API_<Action>.html),
 * cited at each handler.
 */

export interface LoggingConfiguration {
  level?: string;
  includeExecutionData?: boolean;
  destinations?: { cloudWatchLogsLogGroup?: { logGroupArn?: string } }[];
}

export interface StateMachine {
  name: string;
  arn: string;
  definition: string;
  roleArn: string;
  type: "STANDARD" | "EXPRESS";
  createdAt: Date;
  revisionId?: string;
  loggingConfiguration: LoggingConfiguration;
  tracingConfiguration: { enabled: boolean };
  encryptionConfiguration: { type: string; kmsKeyId?: string; kmsDataKeyReusePeriodSeconds?: number };
  description?: string;
  tags: Tags;
}

export const statesState = regionalState("states", () => ({ machines: new Map<string, StateMachine>() }));

/** API_CreateStateMachine.html, name: "1-80 characters … must not contain: white space, brackets < > { } [ ], wildcard characters ? *, special characters \" # % \\ ^ | ~ ` $ & , ; : /, control characters". */
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isValidName = (name: string) => name.length >= 1 && name.length <= 80 && !NAME_FORBIDDEN.test(name) && ![...name].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
/** API_LoggingConfiguration.html, level: "Valid Values: ALL | ERROR | FATAL | OFF". */
const LOG_LEVELS = new Set(["ALL", "ERROR", "FATAL", "OFF"]);
/** API_CreateStateMachine.html, type: "Valid Values: STANDARD | EXPRESS"; STANDARD when omitted. */
const TYPES = new Set(["STANDARD", "EXPRESS"]);
/** API_EncryptionConfiguration.html, type: "Valid Values: AWS_OWNED_KEY | CUSTOMER_MANAGED_KMS_KEY". */
const ENCRYPTION_TYPES = new Set(["AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY"]);

const invalidArn = (arn: unknown) => new AwsError("InvalidArn", `Invalid Arn: '${String(arn)}'`);

function machineArn(ctx: CallContext, name: string): string {
  return `arn:aws:states:${ctx.region}:${ctx.accountId}:stateMachine:${name}`;
}

/** A state machine ARN of the caller's account and region; another account's or region's is not found, as in the service. */
export function machineOf(ctx: CallContext, arn: string | undefined): StateMachine {
  const given = required(arn, () => invalidArn(arn));
  const match = /^arn:aws:states:([^:]+):(\d{12}):stateMachine:([^:]+)$/.exec(given);
  if (!match) throw invalidArn(given);
  const machine = match[1] === ctx.region && match[2] === ctx.accountId ? statesState.of(ctx).machines.get(match[3]!) : undefined;
  if (!machine) throw new AwsError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${given}'`);
  return machine;
}

/** asl-validator's findings, as ValidateStateMachineDefinition reports them. */
function definitionProblems(definition: string): { code: string; message: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (err) {
    return [{ code: "INVALID_JSON_DESCRIPTION", message: `Invalid JSON: ${(err as Error).message}` }];
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return [{ code: "SCHEMA_VALIDATION_FAILED", message: "The definition must be a JSON object" }];
  const result = aslValidator(parsed as Record<string, unknown>, { checkPaths: true, checkArn: false });
  return result.isValid ? [] : result.errors.map((e) => ({ code: "SCHEMA_VALIDATION_FAILED", message: e.Message }));
}

/** API_CreateStateMachine.html: "InvalidDefinition: The provided Amazon States Language definition is not valid." */
function checkDefinition(definition: string | undefined): string {
  const text = required(definition, () => new AwsError("ValidationException", "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null"));
  const problems = definitionProblems(text);
  if (problems.length > 0) throw new AwsError("InvalidDefinition", `Invalid State Machine Definition: '${problems.map((p) => `${p.code}: ${p.message}`).join(", ")}'`);
  return text;
}

/**
 * API_CreateStateMachine.html, loggingConfiguration; API_LogDestination.html: the log group ARN
 * must end in `:*` ("arn:aws:logs:…:log-group:<name>:*"); a level other than OFF needs one destination.
 */
function checkLogging(config: LoggingConfiguration | undefined): LoggingConfiguration {
  const level = config?.level ?? "OFF";
  if (!LOG_LEVELS.has(level)) throw new AwsError("ValidationException", `1 validation error detected: Value '${level}' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]`);
  const destinations = config?.destinations ?? [];
  if (destinations.length > 1) throw new AwsError("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify at most one destination.");
  if (level !== "OFF" && destinations.length === 0) throw new AwsError("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination.");
  for (const d of destinations) {
    const arn = d.cloudWatchLogsLogGroup?.logGroupArn ?? "";
    if (!/^arn:aws:logs:[^:]+:\d{12}:log-group:.+:\*$/.test(arn)) throw new AwsError("InvalidLoggingConfiguration", `Invalid Logging Configuration: The CloudWatch Logs Resource arn '${arn}' is not valid.`);
  }
  return { level, includeExecutionData: config?.includeExecutionData ?? false, destinations: structuredClone(destinations) };
}

/**
 * The role a state machine runs as. The caller must be allowed iam:PassRole on it ("To create
 * a state machine … you must have iam:PassRole permission for the role", procedure-create-iam-role.html;
 * "Grant a user permissions to pass a role to an AWS service", id_roles_use_passrole.html), and
 * the role must trust Step Functions: CreateStateMachine and UpdateStateMachine refuse a role that
 * does not with AccessDeniedException "Neither the global service principal states.amazonaws.com,
 * nor the regional one is authorized to assume the provided role." (the message terraform's
 * aws_sfn_state_machine retries on while IAM propagates; lumigo-io/lumigo-CLI#83).
 */
async function checkRole(roleArn: string | undefined, ctx: CallContext, machineArnFor: string): Promise<string> {
  const arn = required(roleArn, () => new AwsError("ValidationException", "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"));
  if (!/^arn:aws:iam::\d{12}:role\/.+$/.test(arn)) throw invalidArn(arn);
  await authorizePassRole(ctx, arn, "states.amazonaws.com", stepFunctionsService);
  if (!trustedRole(ctx.world, arn, ctx.region, machineArnFor)) throw new AwsError("AccessDeniedException", UNTRUSTED_ROLE);
  return arn;
}

/**
 * The log delivery a logging configuration needs, made as the state machine's role: Step Functions
 * creates a CloudWatch Logs delivery when logging is turned on, updates it when the level, the
 * destination or the role changes, and deletes it when logging is turned off — the
 * logs:CreateLogDelivery, logs:UpdateLogDelivery and logs:DeleteLogDelivery of the role policy
 * "IAM Policies for logging to CloudWatch Logs" lists (cw-logs.html#cloudwatch-iam-policy; "You
 * need to specify `*` in the Resource field", these actions have no resource type). A role that
 * may not is refused with AccessDeniedException "The state machine IAM Role is not authorized to
 * access the Log Destination", as Create/UpdateStateMachine answer it (aws/aws-cdk#26432,
 * aws-samples/serverless-patterns#102 quote it).
 */
async function checkLogDelivery(ctx: CallContext, machine: { arn: string; roleArn: string }, before: LoggingConfiguration | undefined, after: LoggingConfiguration, roleChanged: boolean): Promise<void> {
  const was = before !== undefined && before.level !== "OFF";
  const is = after.level !== "OFF";
  const changed = JSON.stringify(before) !== JSON.stringify(after) || roleChanged;
  const action = is ? (was ? (changed ? "UpdateLogDelivery" : undefined) : "CreateLogDelivery") : was ? "DeleteLogDelivery" : undefined;
  if (!action) return;
  const host = { world: ctx.world, runtime: ctx.sandbox };
  try {
    const role = stateMachineSession(host, machine, ctx.region, "log-delivery");
    await authorize(ctx.world, { service: logsService, action, params: {}, principal: role, accountId: role.accountId, region: ctx.region }, { secureTransport: true, now: ctx.sandbox.now() });
  } catch (err) {
    if (err instanceof AwsError || err instanceof StatesError) throw new AwsError("AccessDeniedException", "The state machine IAM Role is not authorized to access the Log Destination");
    throw err;
  }
}

/** API_EncryptionConfiguration.html: AWS_OWNED_KEY unless a customer managed key is named. */
function checkEncryption(config: StateMachine["encryptionConfiguration"] | undefined): StateMachine["encryptionConfiguration"] {
  const type = config?.type ?? "AWS_OWNED_KEY";
  if (!ENCRYPTION_TYPES.has(type)) throw new AwsError("ValidationException", `Invalid encryption type ${type}`);
  if (type === "CUSTOMER_MANAGED_KMS_KEY" && !config?.kmsKeyId) throw new AwsError("InvalidEncryptionConfiguration", "kmsKeyId must be specified for CUSTOMER_MANAGED_KMS_KEY");
  return { ...config, type };
}

interface CreateInput {
  name?: string;
  definition?: string;
  roleArn?: string;
  type?: string;
  loggingConfiguration?: LoggingConfiguration;
  tracingConfiguration?: { enabled?: boolean };
  encryptionConfiguration?: StateMachine["encryptionConfiguration"];
  tags?: { key?: string; value?: string }[];
  publish?: boolean;
}

/**
 * API_CreateStateMachine.html: "CreateStateMachine is an idempotent API … if you create a state
 * machine with the same name, definition, type, logging and tracing configuration, the
 * existing one is returned … StateMachineAlreadyExists" otherwise.
 */
async function createStateMachine(params: CreateInput, ctx: CallContext) {
  const name = required(params.name, () => new AwsError("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"));
  if (!isValidName(name)) throw new AwsError("InvalidName", `Invalid Name: '${name}'`);
  const type = params.type ?? "STANDARD";
  if (!TYPES.has(type)) throw new AwsError("ValidationException", `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`);
  if (params.publish === true) throw new AwsError("ValidationException", "The sandbox does not keep state machine versions (publish: true)");
  const definition = checkDefinition(params.definition);
  const roleArn = await checkRole(params.roleArn, ctx, machineArn(ctx, name));
  const loggingConfiguration = checkLogging(params.loggingConfiguration);
  await checkLogDelivery(ctx, { arn: machineArn(ctx, name), roleArn }, undefined, loggingConfiguration, false);
  const tracingConfiguration = { enabled: params.tracingConfiguration?.enabled ?? false };
  const { machines } = statesState.of(ctx);
  const existing = machines.get(name);
  if (existing) {
    const same = existing.definition === definition && existing.roleArn === roleArn && existing.type === type && JSON.stringify(existing.loggingConfiguration) === JSON.stringify(loggingConfiguration);
    if (!same) throw new AwsError("StateMachineAlreadyExists", `State Machine Already Exists: '${existing.arn}'`);
    return { stateMachineArn: existing.arn, creationDate: existing.createdAt };
  }
  const machine: StateMachine = {
    name,
    arn: machineArn(ctx, name),
    definition,
    roleArn,
    type: type as StateMachine["type"],
    createdAt: new Date(ctx.sandbox.now()),
    loggingConfiguration,
    tracingConfiguration,
    encryptionConfiguration: checkEncryption(params.encryptionConfiguration),
    tags: Object.fromEntries((params.tags ?? []).map((t) => [t.key ?? "", t.value ?? ""])),
  };
  machines.set(name, machine);
  return { stateMachineArn: machine.arn, creationDate: machine.createdAt };
}

/** API_DescribeStateMachine.html: status ACTIVE (a deleted machine is gone at once here, so never DELETING). */
function describeStateMachine(params: { stateMachineArn?: string }, ctx: CallContext) {
  const m = machineOf(ctx, params.stateMachineArn);
  return {
    stateMachineArn: m.arn,
    name: m.name,
    status: "ACTIVE",
    definition: m.definition,
    roleArn: m.roleArn,
    type: m.type,
    creationDate: m.createdAt,
    loggingConfiguration: structuredClone(m.loggingConfiguration),
    tracingConfiguration: { ...m.tracingConfiguration },
    encryptionConfiguration: { ...m.encryptionConfiguration },
    ...(m.revisionId ? { revisionId: m.revisionId } : {}),
    ...(m.description ? { description: m.description } : {}),
  };
}

/** API_UpdateStateMachine.html: "at least one of definition, roleArn, loggingConfiguration or tracingConfiguration"; each update gets a new revisionId. */
async function updateStateMachine(
  params: { stateMachineArn?: string; definition?: string; roleArn?: string; loggingConfiguration?: LoggingConfiguration; tracingConfiguration?: { enabled?: boolean }; encryptionConfiguration?: StateMachine["encryptionConfiguration"]; publish?: boolean },
  ctx: CallContext,
) {
  const m = machineOf(ctx, params.stateMachineArn);
  const { definition, roleArn, loggingConfiguration, tracingConfiguration, encryptionConfiguration } = params;
  if ([definition, roleArn, loggingConfiguration, tracingConfiguration, encryptionConfiguration].every((v) => v === undefined)) {
    throw new AwsError("MissingRequiredParameter", "Either the definition, the role ARN, the LoggingConfiguration, the EncryptionConfiguration or the TracingConfiguration must be specified");
  }
  if (params.publish === true) throw new AwsError("ValidationException", "The sandbox does not keep state machine versions (publish: true)");
  // Everything is checked before anything changes.
  const next = {
    definition: definition === undefined ? m.definition : checkDefinition(definition),
    roleArn: roleArn === undefined ? m.roleArn : await checkRole(roleArn, ctx, m.arn),
    loggingConfiguration: loggingConfiguration === undefined ? m.loggingConfiguration : checkLogging(loggingConfiguration),
    tracingConfiguration: tracingConfiguration === undefined ? m.tracingConfiguration : { enabled: tracingConfiguration.enabled ?? false },
    encryptionConfiguration: encryptionConfiguration === undefined ? m.encryptionConfiguration : checkEncryption(encryptionConfiguration),
  };
  await checkLogDelivery(ctx, { arn: m.arn, roleArn: next.roleArn }, m.loggingConfiguration, next.loggingConfiguration, next.roleArn !== m.roleArn);
  Object.assign(m, next, { revisionId: uuid(ctx.sandbox.random) });
  return { updateDate: new Date(ctx.sandbox.now()), revisionId: m.revisionId };
}

/** API_DeleteStateMachine.html: "This is an asynchronous operation"; deleting an unknown machine succeeds. */
function deleteStateMachine(params: { stateMachineArn?: string }, ctx: CallContext) {
  const arn = required(params.stateMachineArn, () => invalidArn(params.stateMachineArn));
  const match = /^arn:aws:states:([^:]+):(\d{12}):stateMachine:([^:]+)$/.exec(arn);
  if (!match) throw invalidArn(arn);
  if (match[1] === ctx.region && match[2] === ctx.accountId) statesState.of(ctx).machines.delete(match[3]!);
  return {};
}

/** API_ListStateMachines.html: up to 1000 per page (default 100). */
function listStateMachines(params: { maxResults?: number; nextToken?: string }, ctx: CallContext) {
  const all = [...statesState.of(ctx).machines.values()].sort((a, b) => a.name.localeCompare(b.name));
  const page = paginate(all, params.nextToken, params.maxResults || 100, () => new AwsError("InvalidToken", "Invalid Token"));
  return { stateMachines: page.items.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: m.createdAt })), ...(page.next ? { nextToken: page.next } : {}) };
}

/** API_ValidateStateMachineDefinition.html: result OK or FAIL with ERROR diagnostics; never an error for a bad definition. */
function validateStateMachineDefinition(params: { definition?: string; type?: string; maxResults?: number }) {
  const problems = definitionProblems(required(params.definition, () => new AwsError("ValidationException", "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")));
  const max = params.maxResults || 100;
  return {
    result: problems.length === 0 ? "OK" : "FAIL",
    diagnostics: problems.slice(0, max).map((p) => ({ severity: "ERROR", code: p.code, message: p.message })),
    truncated: problems.length > max,
  };
}

/** The tag APIs take the machine's ARN as resourceArn (API_TagResource.html): ResourceNotFound for an unknown one. */
function taggedMachine(ctx: CallContext, arn: string | undefined): StateMachine {
  try {
    return machineOf(ctx, arn);
  } catch (err) {
    if (err instanceof AwsError && err.code !== "InvalidArn") throw new AwsError("ResourceNotFound", `Resource not found: '${String(arn)}'`);
    throw err;
  }
}

/** API_TagResource.html: "An array of key-value pairs … up to 50 tags". */
const MAX_TAGS = 50;

export const stepFunctionsService: ServiceDefinition = {
  name: "states",
  protocol: "json",
  jsonVersion: "1.0",
  actions: {
    CreateStateMachine: createStateMachine,
    DescribeStateMachine: describeStateMachine,
    UpdateStateMachine: updateStateMachine,
    DeleteStateMachine: deleteStateMachine,
    ListStateMachines: listStateMachines,
    ValidateStateMachineDefinition: validateStateMachineDefinition,
    StartExecution: (params: { stateMachineArn?: string; name?: string; input?: string }, ctx: CallContext) => startExecutionHandler(machineOf, params, ctx),
    DescribeExecution: describeExecution,
    GetExecutionHistory: getExecutionHistory,
    ListExecutions: (params: { stateMachineArn?: string; mapRunArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string }, ctx: CallContext) => listExecutions(machineOf, params, ctx),
    StopExecution: stopExecution,
    RedriveExecution: redriveExecution,
    StartSyncExecution: (params: { stateMachineArn?: string; name?: string; input?: string }, ctx: CallContext) => startSyncExecution(machineOf, params, ctx),
    ListMapRuns: listMapRuns,
    DescribeMapRun: describeMapRun,
    // API_ListStateMachineVersions.html: the versions publish would create; the sandbox refuses publish, so there are none.
    ListStateMachineVersions: (params: { stateMachineArn?: string }, ctx: CallContext) => (machineOf(ctx, params.stateMachineArn), { stateMachineVersions: [] }),
    ListTagsForResource: (params: { resourceArn?: string }, ctx: CallContext) => ({
      tags: Object.entries(taggedMachine(ctx, params.resourceArn).tags).map(([key, value]) => ({ key, value })),
    }),
    TagResource: (params: { resourceArn?: string; tags?: { key?: string; value?: string }[] }, ctx: CallContext) => {
      const m = taggedMachine(ctx, params.resourceArn);
      const merged = { ...m.tags, ...Object.fromEntries((params.tags ?? []).map((t) => [t.key ?? "", t.value ?? ""])) };
      if (Object.keys(merged).length > MAX_TAGS) throw new AwsError("TooManyTags", "Too many tags", 400);
      m.tags = merged;
      return {};
    },
    UntagResource: (params: { resourceArn?: string; tagKeys?: string[] }, ctx: CallContext) => {
      const m = taggedMachine(ctx, params.resourceArn);
      for (const key of params.tagKeys ?? []) delete m.tags[key];
      return {};
    },
  },
};
