import { randomUUID } from "node:crypto";
import { authorize } from "../../authorization/evaluate.js";
import { AwsError, type CallContext, type SandboxRuntime, type ServiceDefinition } from "../../protocol/types.js";
import type { Principal, World } from "../../state.js";
import { functionOf } from "../lambda/functions.js";
import { runAsync, runFunction } from "../lambda/invoke.js";
import { lambdaService } from "../lambda/service.js";
import { s3Service } from "../s3/service.js";
import { afterResponse } from "../shared/background.js";
import { snsService } from "../sns/service.js";
import { runtimeError, StatesError } from "./paths.js";

/**
 * What a Task state's Resource does, as the state machine's role: every call is authorized with
 * the role session's policies (and the resource's policy) exactly as a call over HTTP would be,
 * then served by the service's own handler. These are data events (Lambda Invoke, S3 object
 * calls, SNS Publish), which a trail does not record by default, so they do not reach CloudTrail.
 * Sources: "Invoke an AWS Lambda function with Step Functions" (connect-lambda.html), "Publish
 * messages to an Amazon SNS topic with Step Functions" (connect-sns.html), "Integrating services
 * with Step Functions — AWS SDK integrations" (supported-services-awssdk.html).
 */

type Json = unknown;

export interface StatesHost {
  world: World;
  runtime: SandboxRuntime;
}

/** One call as `principal`: IAM (and resource policy) evaluation, then the service's handler. */
export async function callAs(host: StatesHost, principal: Principal, region: string, service: ServiceDefinition, action: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  await authorize(host.world, { service, action, params, principal, accountId: principal.accountId, region }, { secureTransport: true, now: host.runtime.now() });
  const ctx: CallContext = { world: host.world, principal, accountId: principal.accountId, region, service: service.name, action, requestId: randomUUID(), sandbox: host.runtime };
  return (await service.actions[action]!(params, ctx)) as Record<string, unknown>;
}

/** The SDK metadata the optimized integrations add to a response (connect-lambda.html, connect-sns.html examples). */
function sdkMetadata(requestId: string, headers: Record<string, string>) {
  const all = { "x-amzn-RequestId": requestId, ...headers };
  return { SdkHttpMetadata: { AllHttpHeaders: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, [v]])), HttpHeaders: all, HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: requestId } };
}

/**
 * A service's error as the task sees it: "<Service>.<Exception>" (the SDK's exception class),
 * the service's message with the SDK's suffix as Cause; an error the SDK does not model is the
 * service's base exception (Lambda.AWSLambdaException, S3.S3Exception, SNS.AmazonSNSException).
 */
function serviceError(prefix: string, base: string, modeled: ReadonlySet<string>, err: unknown, requestId: string): StatesError {
  if (!(err instanceof AwsError)) return new StatesError("States.TaskFailed", (err as Error).message);
  const name = modeled.has(err.code) ? `${prefix}.${err.code.endsWith("Exception") ? err.code : `${err.code}Exception`}` : `${prefix}.${base}`;
  return new StatesError(name, `${err.message} (Service: ${prefix === "Lambda" ? "AWSLambda" : prefix}; Status Code: ${err.status}; Error Code: ${err.code}; Request ID: ${requestId}; Proxy: null)`);
}

/** Lambda API errors the SDK models (API_Invoke.html, Errors); AccessDeniedException is not one of them. */
const LAMBDA_MODELED = new Set(["ResourceNotFoundException", "TooManyRequestsException", "ServiceException", "InvalidParameterValueException", "InvalidRequestContentException", "RequestTooLargeException", "ResourceNotReadyException", "ResourceConflictException"]);
const S3_MODELED = new Set(["NoSuchBucket", "NoSuchKey", "NoSuchUpload", "InvalidObjectState", "EncryptionTypeMismatch", "InvalidRequest", "TooManyParts"]);
const SNS_MODELED = new Set(["NotFound", "InvalidParameter", "AuthorizationError", "KMSAccessDenied", "KMSDisabled", "Throttled", "EndpointDisabled"]);

/**
 * lambda:invoke (connect-lambda.html): "The Payload field of the response is parsed from escaped
 * Json to Json"; "If an exception is raised within the Lambda function, the Task will fail" with
 * the function's errorType as Error and its error payload as Cause (a timeout is Sandbox.Timedout).
 * A function ARN as the Resource is the older form: its result is the payload itself.
 */
async function invokeLambda(host: StatesHost, principal: Principal, region: string, params: Record<string, unknown>, optimized: boolean): Promise<Json> {
  const requestId = randomUUID();
  const invocation = { FunctionName: params.FunctionName, ...(params.Qualifier ? { Qualifier: params.Qualifier } : {}) };
  let fn;
  try {
    await authorize(host.world, { service: lambdaService, action: "Invoke", params: invocation, principal, accountId: principal.accountId, region }, { secureTransport: true, now: host.runtime.now() });
    fn = functionOf({ world: host.world, accountId: principal.accountId, region }, params.FunctionName);
  } catch (err) {
    throw serviceError("Lambda", "AWSLambdaException", LAMBDA_MODELED, err, requestId);
  }
  if (params.InvocationType === "Event") {
    // An asynchronous invocation, as Invoke with InvocationType Event makes it: retried, then to its on-failure destination (invoke.ts).
    afterResponse(() => runAsync(fn, region, params.Payload ?? {}, host));
    return { Payload: "", StatusCode: 202, ...sdkMetadata(requestId, {}) };
  }
  if (params.InvocationType !== undefined && params.InvocationType !== "RequestResponse") throw runtimeError(`InvocationType ${String(params.InvocationType)} is not emulated by the sandbox`);
  const result = await runFunction(fn, region, params.Payload ?? {}, host);
  const text = result.payload.toString("utf8");
  if (result.functionError) {
    const payload = JSON.parse(text) as { errorType?: string };
    throw new StatesError(payload.errorType ?? "Lambda.Unknown", text);
  }
  const payload = text === "" ? null : (JSON.parse(text) as Json);
  if (!optimized) return payload;
  return { ExecutedVersion: result.executedVersion, Payload: payload, ...sdkMetadata(requestId, { "Content-Type": "application/json", "X-Amz-Executed-Version": result.executedVersion }), StatusCode: 200 };
}

/** sns:publish (connect-sns.html): Message may be JSON, which is sent as its text. */
async function publish(host: StatesHost, principal: Principal, region: string, params: Record<string, unknown>): Promise<Json> {
  const requestId = randomUUID();
  const message = typeof params.Message === "string" ? params.Message : JSON.stringify(params.Message);
  try {
    const out = await callAs(host, principal, region, snsService, "Publish", { ...params, Message: message });
    return { MessageId: out.MessageId, ...sdkMetadata(requestId, { "Content-Type": "text/xml" }) };
  } catch (err) {
    throw serviceError("SNS", "AmazonSNSException", SNS_MODELED, err, requestId);
  }
}

/**
 * An AWS SDK integration, arn:aws:states:::aws-sdk:<service>:<apiAction> (supported-services-awssdk.html):
 * "parameter names are in Pascal case", the action in camel case, the response the API's own.
 * The sandbox serves the S3 object calls driftguard's state machine makes; S3 PutObject's Body
 * may be JSON, which is written as its text.
 */
async function sdkIntegration(host: StatesHost, principal: Principal, region: string, service: string, apiAction: string, params: Record<string, unknown>): Promise<Json> {
  if (service !== "s3") throw runtimeError(`The AWS SDK integration aws-sdk:${service}:${apiAction} is not emulated by the sandbox (it serves aws-sdk:s3)`);
  const action = apiAction.charAt(0).toUpperCase() + apiAction.slice(1);
  if (!s3Service.actions[action]) throw runtimeError(`The sandbox's S3 does not serve ${action} (aws-sdk:s3:${apiAction})`);
  const requestId = randomUUID();
  const body = params.Body === undefined || typeof params.Body === "string" ? params.Body : JSON.stringify(params.Body);
  try {
    const out = await callAs(host, principal, region, s3Service, action, { ...params, ...(body === undefined ? {} : { Body: body }) });
    // A body comes back as its text (the SDK integration returns GetObject's Body as a string).
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : v instanceof Date ? v.toISOString() : v]));
  } catch (err) {
    throw serviceError("S3", "S3Exception", S3_MODELED, err, requestId);
  }
}

/** A Task state's Resource, run as the state machine's role session. */
export async function runTask(host: StatesHost, principal: Principal, region: string, resource: string, parameters: Json): Promise<Json> {
  const params = (parameters ?? {}) as Record<string, unknown>;
  if (/^arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:/.test(resource)) return invokeLambda(host, principal, region, { FunctionName: resource, Payload: parameters }, false);
  const m = /^arn:aws[\w-]*:states:::(.+)$/.exec(resource);
  if (m?.[1] === "lambda:invoke") return invokeLambda(host, principal, region, params, true);
  if (m?.[1] === "sns:publish") return publish(host, principal, region, params);
  const sdk = /^aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(m?.[1] ?? "");
  if (sdk) return sdkIntegration(host, principal, region, sdk[1]!, sdk[2]!, params);
  throw runtimeError(`The Task Resource ${resource} is not emulated by the sandbox (it runs lambda:invoke, sns:publish, aws-sdk:s3:* and Lambda function ARNs)`);
}

/**
 * ItemReader (input-output-itemreader.html) with Resource arn:aws:states:::s3:getObject and
 * ReaderConfig.InputType JSON: the object is a JSON array, one item per element. A read that
 * fails is States.ItemReaderFailed ("the Map state failed because it couldn't read from the item
 * source", concepts-error-handling.html).
 */
export async function readItems(host: StatesHost, principal: Principal, region: string, reader: Record<string, unknown>, parameters: Json, where: string): Promise<Json[]> {
  const type = (reader.ReaderConfig as { InputType?: string } | undefined)?.InputType;
  if (!/:states:::s3:getObject$/.test(String(reader.Resource)) || type !== "JSON") {
    throw runtimeError(`Map state '${where}': the sandbox reads items with s3:getObject and InputType JSON only (got ${String(reader.Resource)}, ${String(type)})`);
  }
  const { Bucket, Key } = (parameters ?? {}) as { Bucket?: string; Key?: string };
  let text: string;
  try {
    const out = await callAs(host, principal, region, s3Service, "GetObject", { Bucket, Key });
    text = Buffer.from(out.Body as Uint8Array).toString("utf8");
  } catch (err) {
    throw new StatesError("States.ItemReaderFailed", `Attempting to map over non-iterable node. s3://${Bucket}/${Key}: ${(err as Error).message}`);
  }
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch (err) {
    throw new StatesError("States.ItemReaderFailed", `s3://${Bucket}/${Key} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(items)) throw new StatesError("States.ItemReaderFailed", `Attempting to map over non-iterable node: s3://${Bucket}/${Key} is not a JSON array`);
  return items;
}

export interface ChildRecord {
  ExecutionArn: string;
  Name: string;
  StateMachineArn: string;
  Status: string;
  StartDate: string;
  StopDate: string;
  Input: string;
  InputDetails: { Included: boolean };
  Output?: string;
  OutputDetails?: { Included: boolean };
  Error?: string;
  Cause?: string;
  RedriveCount: number;
}

/**
 * ResultWriter (input-output-resultwriter.html): the child executions' records, one file per
 * status under <Prefix>/<map run id>/ (SUCCEEDED_0.json, FAILED_0.json, …) and a manifest.json
 * naming them; the state's result is {MapRunArn, ResultWriterDetails: {Bucket, Key of the manifest}}.
 * "Make sure that the Amazon S3 bucket … is under the same AWS account and AWS Region as your
 * state machine. Otherwise, your state machine execution will fail with the States.ResultWriterFailed error."
 */
export async function writeResults(host: StatesHost, principal: Principal, region: string, mapRunArn: string, parameters: Json, records: ChildRecord[]): Promise<Json> {
  const { Bucket, Prefix } = (parameters ?? {}) as { Bucket?: string; Prefix?: string };
  const dir = `${Prefix ? Prefix.replace(/\/$/, "") + "/" : ""}${mapRunArn.split(":").pop()}`;
  const files: Record<string, { Key: string; Size: number }[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  try {
    const bucket = host.world.buckets.get(String(Bucket));
    if (bucket && (bucket.accountId !== principal.accountId || bucket.region !== region)) throw new Error(`the bucket ${Bucket} is not in the state machine's account and region`);
    for (const status of ["SUCCEEDED", "FAILED"] as const) {
      const mine = records.filter((r) => (status === "SUCCEEDED" ? r.Status === "SUCCEEDED" : r.Status !== "SUCCEEDED"));
      if (mine.length === 0) continue;
      const body = JSON.stringify(mine);
      const Key = `${dir}/${status}_0.json`;
      await callAs(host, principal, region, s3Service, "PutObject", { Bucket, Key, Body: body, ContentType: "application/json" });
      files[status]!.push({ Key, Size: Buffer.byteLength(body) });
    }
    const Key = `${dir}/manifest.json`;
    await callAs(host, principal, region, s3Service, "PutObject", { Bucket, Key, Body: JSON.stringify({ DestinationBucket: Bucket, MapRunArn: mapRunArn, ResultFiles: files }), ContentType: "application/json" });
    return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket, Key } };
  } catch (err) {
    throw new StatesError("States.ResultWriterFailed", `Failed to write the Map Run results to s3://${Bucket}/${dir}/: ${(err as Error).message}`);
  }
}
