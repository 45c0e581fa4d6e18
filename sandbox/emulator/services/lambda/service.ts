import { unzipSync } from "fflate";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import type { Tags } from "../../state.js";
import { invalidPrincipal } from "../iam/principal-existence.js";
import { uuid } from "../shared/ids.js";
import { required } from "../shared/params.js";
import { authorizePassRole } from "../shared/pass-role.js";
import { serviceMayAssume } from "../shared/service-trust.js";
import {
  functionArn,
  functionNotFound,
  functionOf,
  lambdaState,
  lastModifiedOf,
  parseFunctionName,
  sha256Base64,
  type FunctionPolicyStatement,
  type LambdaFunction,
} from "./functions.js";
import { invoke } from "./invoke.js";

/**
 * AWS Lambda (restJson1, signing name lambda): functions created from a zip (Code.ZipFile), their
 * configuration, resource policies, asynchronous-invocation configuration and tags — what the
 * hashicorp/aws 5.100.0 provider calls for aws_lambda_function, aws_lambda_permission and
 * aws_lambda_function_event_invoke_config through create, read, update and delete. Source:
 * AWS Lambda API Reference (docs.aws.amazon.com/lambda/latest/api/), one page per action, cited
 * at each handler. Invoking (Invoke, and the sandbox's own deliveries) is in invoke.ts.
 */

const invalid = (message: string) => new AwsError("InvalidParameterValueException", message);
const conflict = (message: string) => new AwsError("ResourceConflictException", message, 409);
/** GetPolicy, RemovePermission and GetFunctionEventInvokeConfig answer a missing sub-resource this way (404). */
const noSuchResource = () => new AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404);

/** API_CreateFunction.html, FunctionName: 1-64 of [a-zA-Z0-9-_] (as a name). */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** API_CreateFunction.html: Timeout 1-900 seconds (default 3), MemorySize 128-10240 MB (default 128). */
const TIMEOUT: [number, number] = [1, 900];
const MEMORY: [number, number] = [128, 10240];
/**
 * "Lambda quotas" (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): a zip
 * uploaded directly is at most 50 MB; environment variables at most 4 KB in total.
 */
const MAX_DIRECT_ZIP = 50 * 1024 * 1024;
const MAX_ENVIRONMENT_BYTES = 4 * 1024;
/** API_PutFunctionEventInvokeConfig.html: MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds 60-21600. */
const RETRIES: [number, number] = [0, 2];
const EVENT_AGE: [number, number] = [60, 21600];
/** Runtimes Lambda accepts for new functions that the sandbox can run in-process (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). */
const NODE_RUNTIMES = new Set(["nodejs18.x", "nodejs20.x", "nodejs22.x"]);

function inRange(name: string, value: number | undefined, [min, max]: [number, number]): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${value}' at '${name}' failed to satisfy constraint: Member must have value ${value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`);
  }
}

function checkZip(zip: Buffer): void {
  if (zip.length > MAX_DIRECT_ZIP) throw new AwsError("RequestEntityTooLargeException", "Request must be smaller than 69905067 bytes for the CreateFunction operation", 413);
  try {
    unzipSync(new Uint8Array(zip), { filter: () => false });
  } catch {
    // What Lambda answers a package that is not a zip (CreateFunction, InvalidParameterValueException).
    throw invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
  }
}

function checkEnvironment(variables: Record<string, string> | undefined): void {
  if (!variables) return;
  const size = Object.entries(variables).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > MAX_ENVIRONMENT_BYTES) throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${JSON.stringify(variables)}`);
  // "Lambda reserves some environment variable keys" (configuration-envvars.html#configuration-envvars-runtime): AWS_REGION, AWS_ACCESS_KEY_ID, … cannot be set.
  for (const key of Object.keys(variables)) {
    if (RESERVED_ENV.has(key)) throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${key}`);
  }
}

const RESERVED_ENV = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);

/**
 * The execution role CreateFunction and UpdateFunctionConfiguration are given. The caller must be
 * allowed iam:PassRole on it, passed to lambda.amazonaws.com (Lambda Developer Guide,
 * security_iam_troubleshoot.html, "I am not authorized to perform iam:PassRole": the policies
 * "must be updated to allow you to pass a role to Lambda"; services/shared/pass-role.ts). Then "The role defined for the
 * function cannot be assumed by Lambda." when the role does not exist or does not trust
 * lambda.amazonaws.com (InvalidParameterValueException; the terraform provider retries it for IAM
 * propagation, internal/service/lambda/function.go).
 */
async function checkRole(ctx: CallContext, roleArn: string): Promise<void> {
  const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  if (!m) throw new AwsError("ValidationException", `1 validation error detected: Value '${roleArn}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`);
  await authorizePassRole(ctx, roleArn, "lambda.amazonaws.com", lambdaService);
  const role = ctx.world.accounts.get(m[1]!)?.roles.get(m[2]!);
  if (!role || role.arn !== roleArn || !serviceMayAssume(role, { service: "lambda.amazonaws.com", sourceAccount: ctx.accountId })) {
    throw invalid("The role defined for the function cannot be assumed by Lambda.");
  }
}

/** API_FunctionConfiguration.html: what GetFunctionConfiguration, CreateFunction and the Update* calls return. */
export function configurationOf(fn: LambdaFunction) {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    ...(fn.runtime !== undefined ? { Runtime: fn.runtime } : {}),
    Role: fn.role,
    ...(fn.handler !== undefined ? { Handler: fn.handler } : {}),
    CodeSize: fn.zip.length,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: "$LATEST",
    ...(fn.environment !== undefined ? { Environment: { Variables: fn.environment } } : {}),
    ...(fn.kmsKeyArn !== undefined ? { KMSKeyArn: fn.kmsKeyArn } : {}),
    ...(fn.deadLetterTarget !== undefined ? { DeadLetterConfig: { TargetArn: fn.deadLetterTarget } } : {}),
    TracingConfig: { Mode: fn.tracingMode },
    RevisionId: fn.revisionId,
    ...(fn.layers.length > 0 ? { Layers: fn.layers.map((Arn) => ({ Arn, CodeSize: 0 })) } : {}),
    // The sandbox creates synchronously, so a function is Active and its last update Successful at once
    // (functions-states.html: Pending → Active; LastUpdateStatus InProgress → Successful).
    State: "Active",
    LastUpdateStatus: "Successful",
    PackageType: "Zip",
    Architectures: fn.architectures,
    EphemeralStorage: { Size: fn.ephemeralStorage },
    SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
    LoggingConfig: fn.loggingConfig,
  };
}

interface FunctionInput {
  FunctionName?: string;
  Role?: string;
  Runtime?: string;
  Handler?: string;
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, string> };
  KMSKeyArn?: string;
  TracingConfig?: { Mode?: string };
  DeadLetterConfig?: { TargetArn?: string };
  Layers?: string[];
  EphemeralStorage?: { Size?: number };
  LoggingConfig?: { LogFormat?: string; LogGroup?: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  Architectures?: string[];
  RevisionId?: string;
}

function checkConfiguration(params: FunctionInput): void {
  inRange("timeout", params.Timeout, TIMEOUT);
  inRange("memorySize", params.MemorySize, MEMORY);
  inRange("ephemeralStorage.size", params.EphemeralStorage?.Size, [512, 10240]);
  if (params.Runtime !== undefined && !NODE_RUNTIMES.has(params.Runtime)) {
    throw invalid(`The runtime parameter of ${params.Runtime} is either deprecated or not emulated by the sandbox, which runs Node.js functions in-process (${[...NODE_RUNTIMES].join(", ")}).`);
  }
  if (params.Architectures && (params.Architectures.length !== 1 || !["x86_64", "arm64"].includes(params.Architectures[0]!))) {
    throw new AwsError("ValidationException", "1 validation error detected: Value at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1, Member must satisfy enum value set: [x86_64, arm64]");
  }
  checkEnvironment(params.Environment?.Variables);
}

/** Each update gets a new RevisionId; RevisionId in a request must match the current one (API_UpdateFunctionConfiguration.html, RevisionId). */
function checkRevision(fn: LambdaFunction, revisionId: string | undefined): void {
  if (revisionId !== undefined && revisionId !== fn.revisionId) {
    throw new AwsError("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412);
  }
}

function touch(fn: LambdaFunction, ctx: CallContext): void {
  fn.lastModified = lastModifiedOf(ctx.sandbox.now());
  fn.revisionId = uuid(ctx.sandbox.random);
}

function applyConfiguration(fn: LambdaFunction, params: FunctionInput): void {
  if (params.Role !== undefined) fn.role = params.Role;
  if (params.Runtime !== undefined) fn.runtime = params.Runtime;
  if (params.Handler !== undefined) fn.handler = params.Handler;
  if (params.Description !== undefined) fn.description = params.Description;
  if (params.Timeout !== undefined) fn.timeout = params.Timeout;
  if (params.MemorySize !== undefined) fn.memorySize = params.MemorySize;
  if (params.Environment !== undefined) fn.environment = { ...params.Environment.Variables };
  if (params.KMSKeyArn !== undefined) {
    if (params.KMSKeyArn === "") delete fn.kmsKeyArn;
    else fn.kmsKeyArn = params.KMSKeyArn;
  }
  if (params.TracingConfig?.Mode !== undefined) fn.tracingMode = params.TracingConfig.Mode;
  if (params.DeadLetterConfig !== undefined) {
    if (params.DeadLetterConfig.TargetArn) fn.deadLetterTarget = params.DeadLetterConfig.TargetArn;
    else delete fn.deadLetterTarget;
  }
  if (params.Layers !== undefined) fn.layers = [...params.Layers];
  if (params.EphemeralStorage?.Size !== undefined) fn.ephemeralStorage = params.EphemeralStorage.Size;
  if (params.LoggingConfig !== undefined) fn.loggingConfig = { ...fn.loggingConfig, ...params.LoggingConfig } as LambdaFunction["loggingConfig"];
}

/** API_CreateFunction.html: 201 with the configuration; ResourceConflictException for an existing name. */
async function createFunction(params: FunctionInput & { Code?: { ZipFile?: Buffer; S3Bucket?: string; ImageUri?: string }; Tags?: Tags; Publish?: boolean; PackageType?: string }, ctx: CallContext) {
  const name = required(params.FunctionName, () => invalid("FunctionName is required"));
  if (!FUNCTION_NAME.test(name)) throw new AwsError("ValidationException", `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+`);
  const role = required(params.Role, () => invalid("Role is required"));
  if (params.PackageType === "Image" || params.Code?.ImageUri) throw invalid("The sandbox runs zip packages only (PackageType Zip).");
  if (params.Code?.S3Bucket !== undefined) throw invalid("The sandbox takes the deployment package as Code.ZipFile; Code.S3Bucket is not emulated.");
  const zip = required(params.Code?.ZipFile, () => invalid("Please provide a source for function code."));
  if (params.Runtime === undefined || params.Handler === undefined) throw invalid("Runtime and Handler are mandatory parameters for functions created with Zip packages.");
  checkConfiguration(params);
  checkZip(zip);
  await checkRole(ctx, role);
  const { functions } = lambdaState.of(ctx);
  const arn = functionArn(ctx.region, ctx.accountId, name);
  if (functions.has(name)) throw conflict(`Function already exist: ${name}`);
  const fn: LambdaFunction = {
    name,
    arn,
    role,
    description: "",
    timeout: 3,
    memorySize: 128,
    architectures: ["x86_64"],
    // Defaults of LoggingConfig (API_LoggingConfig.html): Text, to /aws/lambda/<function name>.
    loggingConfig: { LogFormat: "Text", LogGroup: `/aws/lambda/${name}` },
    tracingMode: "PassThrough",
    ephemeralStorage: 512,
    layers: [],
    zip,
    codeSha256: sha256Base64(zip),
    lastModified: "",
    revisionId: "",
    tags: { ...params.Tags },
    policy: [],
    versions: [],
  };
  applyConfiguration(fn, params);
  if (params.Architectures) fn.architectures = [...params.Architectures];
  touch(fn, ctx);
  functions.set(name, fn);
  if (params.Publish) publish(fn, ctx, "");
  return configurationOf(fn);
}

function publish(fn: LambdaFunction, ctx: CallContext, description: string) {
  const last = fn.versions.at(-1);
  if (last?.codeSha256 === fn.codeSha256) return last;
  const version = { version: String(fn.versions.length + 1), codeSha256: fn.codeSha256, description, lastModified: lastModifiedOf(ctx.sandbox.now()), revisionId: uuid(ctx.sandbox.random) };
  fn.versions.push(version);
  return version;
}

/**
 * API_GetFunction.html: Configuration, Code (a pre-signed URL to the package, valid ten minutes;
 * the sandbox's points at the function, as the package never leaves it), Tags, and Concurrency
 * only when reserved concurrency is set.
 */
function getFunction(params: { FunctionName?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  return {
    Configuration: configurationOf(fn),
    Code: { RepositoryType: "S3", Location: `https://awslambda-${ctx.region}-tasks.s3.${ctx.region}.amazonaws.com/snapshots/${ctx.accountId}/${fn.name}-${fn.revisionId}` },
    ...(Object.keys(fn.tags).length > 0 ? { Tags: fn.tags } : {}),
    ...(fn.reservedConcurrency !== undefined ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } } : {}),
  };
}

/** API_GetFunctionConfiguration.html. */
function getFunctionConfiguration(params: { FunctionName?: string }, ctx: CallContext) {
  return configurationOf(functionOf(ctx, params.FunctionName));
}

/** API_UpdateFunctionCode.html: a new package (ZipFile), optionally published; DryRun validates only. */
function updateFunctionCode(params: { FunctionName?: string; ZipFile?: Buffer; S3Bucket?: string; Publish?: boolean; DryRun?: boolean; RevisionId?: string; Architectures?: string[] }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  checkRevision(fn, params.RevisionId);
  if (params.S3Bucket !== undefined) throw invalid("The sandbox takes the deployment package as ZipFile; S3Bucket is not emulated.");
  const zip = required(params.ZipFile, () => invalid("Please provide a source for function code."));
  checkZip(zip);
  if (params.DryRun) return configurationOf(fn);
  fn.zip = zip;
  fn.codeSha256 = sha256Base64(zip);
  if (params.Architectures) fn.architectures = [...params.Architectures];
  touch(fn, ctx);
  if (params.Publish) publish(fn, ctx, "");
  return configurationOf(fn);
}

/** API_UpdateFunctionConfiguration.html: only the settings given change. */
async function updateFunctionConfiguration(params: FunctionInput, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  checkRevision(fn, params.RevisionId);
  checkConfiguration(params);
  if (params.Role !== undefined && params.Role !== fn.role) await checkRole(ctx, params.Role);
  applyConfiguration(fn, params);
  touch(fn, ctx);
  return configurationOf(fn);
}

/** API_DeleteFunction.html: the function, its versions, policy and event-invoke configuration go together. */
function deleteFunction(params: { FunctionName?: string; Qualifier?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  if (params.Qualifier !== undefined && params.Qualifier !== "$LATEST") {
    fn.versions = fn.versions.filter((v) => v.version !== params.Qualifier);
    return { StatusCode: 204 };
  }
  lambdaState.of(ctx).functions.delete(fn.name);
  // "If the action is successful, the service sends back an HTTP 204 response" (API_DeleteFunction.html).
  return { StatusCode: 204 };
}

/** API_PublishVersion.html: a version of the current code, or the latest one when the code has not changed. */
function publishVersion(params: { FunctionName?: string; Description?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  const version = publish(fn, ctx, params.Description ?? "");
  return { ...configurationOf(fn), FunctionArn: `${fn.arn}:${version.version}`, Version: version.version, Description: version.description, RevisionId: version.revisionId };
}

/** API_ListVersionsByFunction.html: $LATEST first, then the published versions; MaxItems 1-10000 (default 50). */
function listVersionsByFunction(params: { FunctionName?: string; Marker?: string; MaxItems?: number }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  const all = [configurationOf(fn), ...fn.versions.map((v) => ({ ...configurationOf(fn), FunctionArn: `${fn.arn}:${v.version}`, Version: v.version, CodeSha256: v.codeSha256, Description: v.description, RevisionId: v.revisionId }))];
  const start = params.Marker ? Number(params.Marker) : 0;
  if (!Number.isInteger(start) || start < 0 || start > all.length) throw invalid("Invalid Marker");
  const size = params.MaxItems ?? 50;
  const items = all.slice(start, start + size);
  return { Versions: items, ...(start + size < all.length ? { NextMarker: String(start + size) } : {}) };
}

/**
 * API_AddPermission.html: one statement of the function's resource policy, as Lambda writes it
 * (lambda/latest/dg/access-control-resource-based.html): a service principal becomes
 * {"Service": …}, an account id {"AWS": "arn:aws:iam::<id>:root"}; SourceArn becomes an ArnLike
 * condition on AWS:SourceArn, SourceAccount a StringEquals on AWS:SourceAccount, PrincipalOrgID
 * a StringEquals on aws:PrincipalOrgID. A repeated Sid is ResourceConflictException (409). A
 * principal that does not exist, in the new statement or one already there, is
 * InvalidParameterValueException "The provided principal was invalid. …" (iam/principal-existence.ts).
 */
function addPermission(params: { FunctionName?: string; StatementId?: string; Action?: string; Principal?: string; SourceArn?: string; SourceAccount?: string; PrincipalOrgID?: string; EventSourceToken?: string; FunctionUrlAuthType?: string; Qualifier?: string; RevisionId?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  checkRevision(fn, params.RevisionId);
  const sid = required(params.StatementId, () => invalid("StatementId is required"));
  if (!/^[a-zA-Z0-9-_]{1,100}$/.test(sid)) throw new AwsError("ValidationException", `1 validation error detected: Value '${sid}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)`);
  const action = required(params.Action, () => invalid("Action is required"));
  if (!/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(action)) throw new AwsError("ValidationException", `1 validation error detected: Value '${action}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])`);
  const principalText = required(params.Principal, () => invalid("Principal is required"));
  if (fn.policy.some((s) => s.Sid === sid)) throw conflict(`The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
  const principal: FunctionPolicyStatement["Principal"] =
    principalText === "*" ? "*" : /^\d{12}$/.test(principalText) ? { AWS: `arn:aws:iam::${principalText}:root` } : principalText.startsWith("arn:") ? { AWS: principalText } : { Service: principalText };
  const condition: Record<string, Record<string, string>> = {};
  if (params.SourceAccount !== undefined) condition.StringEquals = { ...condition.StringEquals, "AWS:SourceAccount": params.SourceAccount };
  if (params.PrincipalOrgID !== undefined) condition.StringEquals = { ...condition.StringEquals, "aws:PrincipalOrgID": params.PrincipalOrgID };
  if (params.EventSourceToken !== undefined) condition.StringEquals = { ...condition.StringEquals, "lambda:EventSourceToken": params.EventSourceToken };
  if (params.FunctionUrlAuthType !== undefined) condition.StringEquals = { ...condition.StringEquals, "lambda:FunctionUrlAuthType": params.FunctionUrlAuthType };
  if (params.SourceArn !== undefined) condition.ArnLike = { "AWS:SourceArn": params.SourceArn };
  const statement: FunctionPolicyStatement = {
    Sid: sid,
    Effect: "Allow",
    Principal: principal,
    Action: action,
    Resource: params.Qualifier ? `${fn.arn}:${params.Qualifier}` : fn.arn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
  if (invalidPrincipal(ctx.world, { Statement: [...fn.policy, statement] })) throw invalid("The provided principal was invalid. Please check the principal and try again.");
  fn.policy.push(statement);
  fn.revisionId = uuid(ctx.sandbox.random);
  return { Statement: JSON.stringify(statement) };
}

/** API_RemovePermission.html: 204; an unknown Sid is ResourceNotFoundException. */
function removePermission(params: { FunctionName?: string; StatementId?: string; RevisionId?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  checkRevision(fn, params.RevisionId);
  const sid = required(params.StatementId, () => invalid("StatementId is required"));
  if (!fn.policy.some((s) => s.Sid === sid)) throw new AwsError("ResourceNotFoundException", `Statement ${sid} is not found in resource policy.`, 404);
  fn.policy = fn.policy.filter((s) => s.Sid !== sid);
  fn.revisionId = uuid(ctx.sandbox.random);
  return {};
}

/** API_GetPolicy.html: the whole document {"Version","Id":"default","Statement"}; no statements is ResourceNotFoundException. */
function getPolicy(params: { FunctionName?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  if (fn.policy.length === 0) throw noSuchResource();
  return { Policy: JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: fn.policy }), RevisionId: fn.revisionId };
}

interface EventInvokeInput {
  FunctionName?: string;
  Qualifier?: string;
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } };
}

/** FunctionArn of an event-invoke configuration is qualified: …:function:name:$LATEST (API_GetFunctionEventInvokeConfig.html). */
function eventInvokeOutput(fn: LambdaFunction, qualifier: string | undefined) {
  const config = fn.eventInvokeConfig;
  if (!config) throw noSuchResource();
  return {
    LastModified: new Date(config.lastModified),
    FunctionArn: `${fn.arn}:${qualifier ?? "$LATEST"}`,
    ...(config.maximumRetryAttempts !== undefined ? { MaximumRetryAttempts: config.maximumRetryAttempts } : {}),
    ...(config.maximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: config.maximumEventAgeInSeconds } : {}),
    DestinationConfig: { OnSuccess: { ...config.destinationConfig?.OnSuccess }, OnFailure: { ...config.destinationConfig?.OnFailure } },
  };
}

/** API_PutFunctionEventInvokeConfig.html replaces the whole configuration; UpdateFunctionEventInvokeConfig only what is given. */
function putEventInvokeConfig(merge: boolean) {
  return (params: EventInvokeInput, ctx: CallContext) => {
    const fn = functionOf(ctx, params.FunctionName);
    inRange("maximumRetryAttempts", params.MaximumRetryAttempts, RETRIES);
    inRange("maximumEventAgeInSeconds", params.MaximumEventAgeInSeconds, EVENT_AGE);
    for (const d of [params.DestinationConfig?.OnSuccess?.Destination, params.DestinationConfig?.OnFailure?.Destination]) {
      // Destinations: an SQS queue, SNS topic, Lambda function, EventBridge bus or S3 bucket ARN (API_OnFailure.html).
      if (d !== undefined && d !== "" && !/^arn:aws[\w-]*:(sqs|sns|lambda|events|s3):/.test(d)) throw invalid(`The destination ARN ${d} is invalid.`);
    }
    if (merge && !fn.eventInvokeConfig) throw noSuchResource();
    const previous = merge ? fn.eventInvokeConfig : undefined;
    fn.eventInvokeConfig = {
      lastModified: ctx.sandbox.now(),
      ...(params.MaximumRetryAttempts !== undefined ? { maximumRetryAttempts: params.MaximumRetryAttempts } : previous?.maximumRetryAttempts !== undefined ? { maximumRetryAttempts: previous.maximumRetryAttempts } : {}),
      ...(params.MaximumEventAgeInSeconds !== undefined ? { maximumEventAgeInSeconds: params.MaximumEventAgeInSeconds } : previous?.maximumEventAgeInSeconds !== undefined ? { maximumEventAgeInSeconds: previous.maximumEventAgeInSeconds } : {}),
      ...(params.DestinationConfig !== undefined ? { destinationConfig: params.DestinationConfig } : previous?.destinationConfig ? { destinationConfig: previous.destinationConfig } : {}),
    };
    return eventInvokeOutput(fn, params.Qualifier);
  };
}

function getEventInvokeConfig(params: { FunctionName?: string; Qualifier?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  if (!fn.eventInvokeConfig) throw new AwsError("ResourceNotFoundException", `The function ${fn.arn}:${params.Qualifier ?? "$LATEST"} doesn't have an EventInvokeConfig`, 404);
  return eventInvokeOutput(fn, params.Qualifier);
}

function deleteEventInvokeConfig(params: { FunctionName?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  if (!fn.eventInvokeConfig) throw new AwsError("ResourceNotFoundException", `The function ${fn.arn}:$LATEST doesn't have an EventInvokeConfig`, 404);
  delete fn.eventInvokeConfig;
  return {};
}

/** API_GetFunctionCodeSigningConfig.html: FunctionName and CodeSigningConfigArn, empty when none is attached. */
function getFunctionCodeSigningConfig(params: { FunctionName?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  return { FunctionName: fn.name, CodeSigningConfigArn: "" };
}

/** API_GetFunctionConcurrency.html / API_PutFunctionConcurrency.html / API_DeleteFunctionConcurrency.html. */
function getFunctionConcurrency(params: { FunctionName?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  return fn.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: fn.reservedConcurrency } : {};
}

function putFunctionConcurrency(params: { FunctionName?: string; ReservedConcurrentExecutions?: number }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  const n = required(params.ReservedConcurrentExecutions, () => invalid("ReservedConcurrentExecutions is required"));
  inRange("reservedConcurrentExecutions", n, [0, 1000]);
  fn.reservedConcurrency = n;
  return { ReservedConcurrentExecutions: n };
}

function deleteFunctionConcurrency(params: { FunctionName?: string }, ctx: CallContext) {
  delete functionOf(ctx, params.FunctionName).reservedConcurrency;
  return {};
}

/** Tags take the function's ARN (API_TagResource.html, Resource: "The resource's Amazon Resource Name (ARN)"). */
function taggedFunction(ctx: CallContext, resource: string | undefined): LambdaFunction {
  const arn = required(resource, () => invalid("Resource is required"));
  const ref = parseFunctionName(arn);
  if (!arn.startsWith("arn:")) throw invalid(`${arn} is not a valid ARN.`);
  if ((ref.accountId ?? ctx.accountId) !== ctx.accountId) throw functionNotFound(arn);
  return functionOf(ctx, arn);
}

function listTags(params: { Resource?: string }, ctx: CallContext) {
  return { Tags: { ...taggedFunction(ctx, params.Resource).tags } };
}

function tagResource(params: { Resource?: string; Tags?: Tags }, ctx: CallContext) {
  Object.assign(taggedFunction(ctx, params.Resource).tags, params.Tags);
  return {};
}

function untagResource(params: { Resource?: string; TagKeys?: string[] }, ctx: CallContext) {
  const fn = taggedFunction(ctx, params.Resource);
  for (const key of params.TagKeys ?? []) delete fn.tags[key];
  return {};
}

export const lambdaActions = {
  CreateFunction: createFunction,
  GetFunction: getFunction,
  GetFunctionConfiguration: getFunctionConfiguration,
  UpdateFunctionCode: updateFunctionCode,
  UpdateFunctionConfiguration: updateFunctionConfiguration,
  DeleteFunction: deleteFunction,
  PublishVersion: publishVersion,
  ListVersionsByFunction: listVersionsByFunction,
  AddPermission: addPermission,
  RemovePermission: removePermission,
  GetPolicy: getPolicy,
  PutFunctionEventInvokeConfig: putEventInvokeConfig(false),
  UpdateFunctionEventInvokeConfig: putEventInvokeConfig(true),
  GetFunctionEventInvokeConfig: getEventInvokeConfig,
  DeleteFunctionEventInvokeConfig: deleteEventInvokeConfig,
  GetFunctionCodeSigningConfig: getFunctionCodeSigningConfig,
  GetFunctionConcurrency: getFunctionConcurrency,
  PutFunctionConcurrency: putFunctionConcurrency,
  DeleteFunctionConcurrency: deleteFunctionConcurrency,
  Invoke: invoke,
  ListTags: listTags,
  TagResource: tagResource,
  UntagResource: untagResource,
};

export const lambdaService: ServiceDefinition = {
  name: "lambda",
  protocol: "rest-json",
  actions: lambdaActions,
};
