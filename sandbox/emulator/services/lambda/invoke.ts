import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { unzipSync } from "fflate";
import { AwsError, type CallContext, type SandboxRuntime } from "../../protocol/types.js";
import type { World } from "../../state.js";
import { mintRoleSession } from "../iam/principals.js";
import { appendLogEvents } from "../logs/service.js";
import { afterResponse } from "../shared/background.js";
import { queueByArn } from "../sqs/service.js";
import { invocationContext } from "./context.js";
import { acquireEnvironment } from "./environments.js";
import { functionOf, type LambdaFunction } from "./functions.js";

/**
 * Runs a deployed function the way Lambda's Node.js runtime does, in this process: the function's
 * own deployment package (the zip CreateFunction received) unpacked and imported, its configured
 * Handler called with the event and a Lambda context, under its Environment plus the variables
 * the runtime defines (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, …) and the credentials of a session
 * of its execution role, with AWS_ENDPOINT_URL pointing the SDK at the sandbox. Source: "Defined
 * runtime environment variables" (docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
 * and "Lambda execution role" (lambda-intro-execution-role.html: "Lambda … obtains temporary
 * security credentials by assuming the role").
 *
 * process.env is one object for the whole process, and the sandbox serves several invocations
 * (and its own harness) at once, so each invocation sees its own environment through an
 * AsyncLocalStorage scope: code running inside a handler, and every promise it starts, reads the
 * function's variables and nothing of the host's; code outside reads the host's as before.
 */

export interface InvokeResult {
  statusCode: number;
  payload: Buffer;
  /** "Unhandled" when the function failed, as X-Amz-Function-Error carries it (API_Invoke.html). */
  functionError?: string;
  executedVersion: string;
}

/** The wider sandbox an invocation needs: where its SDK clients should send calls. */
export interface LambdaHost {
  world: World;
  runtime: SandboxRuntime;
}

const scopedEnv = new AsyncLocalStorage<Record<string, string>>();
let scopedProcessEnv: NodeJS.ProcessEnv | undefined;
/** Where the current invocation's stdout and stderr go: its log stream. */
const scopedOutput = new AsyncLocalStorage<(text: string) => void>();
let outputCaptured = false;

/**
 * "Lambda sends all output to CloudWatch Logs" (nodejs-logging.html): inside an invocation,
 * whatever the function writes to stdout or stderr (console, the Powertools logger, the runtime's
 * own warnings) goes to its log stream, not to the terminal of the process hosting the sandbox.
 */
function installOutputCapture(): void {
  if (outputCaptured) return;
  outputCaptured = true;
  // The global console first: a host (a test runner) may have replaced it with one that does not
  // write to process.stdout, and the function's console.log must reach its log stream all the same.
  const methods = ["log", "info", "warn", "error", "debug", "trace"] as const;
  for (const method of methods) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const sink = scopedOutput.getStore();
      if (sink) sink(format(...args));
      else original(...args);
    };
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const sink = scopedOutput.getStore();
      if (!sink) return write(chunk, ...rest);
      sink(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
}

/**
 * Makes process.env read the current invocation's variables inside an invocation, the host's
 * outside. Installed again when something replaced process.env since (run-local restores a copy).
 */
function installScopedEnv(): void {
  if (scopedProcessEnv !== undefined && process.env === scopedProcessEnv) return;
  const host = process.env;
  const target = () => scopedEnv.getStore() ?? host;
  process.env = scopedProcessEnv = new Proxy(host, {
    get: (_t, key) => (typeof key === "string" ? target()[key] : undefined),
    set: (_t, key, value) => {
      if (typeof key === "string") target()[key] = String(value);
      return true;
    },
    has: (_t, key) => typeof key === "string" && key in target(),
    deleteProperty: (_t, key) => (typeof key === "string" ? delete target()[key] : true),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_t, key) => {
      const store = target();
      return typeof key === "string" && key in store ? { value: store[key], writable: true, enumerable: true, configurable: true } : undefined;
    },
  });
}

/** The package unpacked once per CodeSha256, so an updated function loads fresh modules and an unchanged one reuses them (a warm container). */
function unpacked(fn: LambdaFunction): string {
  const hex = Buffer.from(fn.codeSha256, "base64").toString("hex");
  const dir = join(tmpdir(), "driftguard-sandbox-lambda", hex);
  if (existsSync(join(dir, ".complete"))) return dir;
  const staging = `${dir}.${process.pid}.${randomUUID()}`;
  for (const [path, data] of Object.entries(unzipSync(new Uint8Array(fn.zip)))) {
    if (path.endsWith("/")) continue;
    const file = join(staging, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  writeFileSync(join(staging, ".complete"), "");
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(staging, dir);
  } catch {
    // Another invocation unpacked the same package first; its copy is identical.
  }
  return dir;
}

interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

class InvocationFailure extends Error {
  constructor(readonly payload: FunctionErrorPayload) {
    super(payload.errorMessage);
  }
}

/**
 * Handler "index.handler" is the export `handler` of the module index.mjs, index.js or index.cjs
 * ("Define Lambda function handler in Node.js", nodejs-handler.html); a module that cannot be
 * loaded is Runtime.ImportModuleError, a missing export Runtime.HandlerNotFound, as the runtime reports them.
 */
async function loadHandler(fn: LambdaFunction): Promise<(event: unknown, context: unknown) => unknown> {
  const handler = fn.handler ?? "";
  const dot = handler.lastIndexOf(".");
  const modulePath = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const dir = unpacked(fn);
  const file = [".mjs", ".js", ".cjs"].map((ext) => join(dir, modulePath + ext)).find((f) => existsSync(f));
  if (dot <= 0 || !file) {
    throw new InvocationFailure({ errorType: "Runtime.ImportModuleError", errorMessage: `Error: Cannot find module '${modulePath}'\nRequire stack:\n- /var/runtime/index.mjs` });
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const e = error as Error;
    throw new InvocationFailure({ errorType: "Runtime.ImportModuleError", errorMessage: `${e.name}: ${e.message}`, trace: e.stack?.split("\n") });
  }
  const fnExport = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof fnExport !== "function") throw new InvocationFailure({ errorType: "Runtime.HandlerNotFound", errorMessage: `${handler} is undefined or not exported` });
  return fnExport as (event: unknown, context: unknown) => unknown;
}

/** The variables the runtime defines, then the function's own (configuration-envvars.html#configuration-envvars-runtime). */
function environmentOf(fn: LambdaFunction, host: LambdaHost, region: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, logStream: string): Record<string, string> {
  const endpoint = host.runtime.endpoint;
  if (!endpoint) throw new Error("the sandbox cannot invoke functions before it serves HTTP: its endpoint is unknown");
  return {
    PATH: "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    LAMBDA_TASK_ROOT: "/var/task",
    LAMBDA_RUNTIME_DIR: "/var/runtime",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime ?? "nodejs"}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: fn.loggingConfig.LogGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    _HANDLER: fn.handler ?? "",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    // Not a Lambda variable: how the function's SDK clients find the sandbox instead of AWS.
    AWS_ENDPOINT_URL: endpoint,
    ...fn.environment,
  };
}

/** The role session Lambda assumes for the function: arn:aws:sts::<acct>:assumed-role/<role>/<function name>. */
function executionSession(fn: LambdaFunction, host: LambdaHost) {
  const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(fn.role);
  const role = m ? host.world.accounts.get(m[1]!)?.roles.get(m[2]!) : undefined;
  // Lambda answers an execution role that is gone or no longer trusts it this way (API_Invoke.html, Errors).
  if (!m || !role) throw new AwsError("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.", 400);
  const now = host.runtime.now();
  return mintRoleSession(host.world, host.runtime.random, m[1]!, role, fn.name, { issuedAt: now, expiresAt: now + 3600_000 });
}

function errorPayload(error: unknown): FunctionErrorPayload {
  if (error instanceof InvocationFailure) return error.payload;
  const e = error instanceof Error ? error : new Error(String(error));
  return { errorType: e.name || "Error", errorMessage: e.message, trace: e.stack?.split("\n") };
}

/**
 * One synchronous invocation. A function error is not an API error: the call succeeds (200) with
 * X-Amz-Function-Error: Unhandled and {errorType, errorMessage, trace} as the payload, and a
 * timeout reads "Task timed out after N.00 seconds" ("Invoke", API_Invoke.html; "Troubleshoot
 * invocation issues", troubleshooting-invocation.html).
 */
export async function runFunction(fn: LambdaFunction, region: string, event: unknown, host: LambdaHost): Promise<InvokeResult> {
  installScopedEnv();
  const requestId = randomUUID();
  const now = host.runtime.now();
  const session = executionSession(fn, host);
  // A warm environment's log stream, or a new environment's (environments.ts).
  const { environment, release } = acquireEnvironment(fn, now);
  const logStream = environment.logStream;
  let env: Record<string, string>;
  try {
    env = environmentOf(fn, host, region, session, logStream);
  } catch (error) {
    release();
    throw error;
  }
  const context = invocationContext({
    functionName: fn.name,
    functionArn: fn.arn,
    memoryMb: fn.memorySize,
    requestId,
    deadline: now + fn.timeout * 1000,
    logGroupName: fn.loggingConfig.LogGroup,
    logStreamName: logStream,
    now: host.runtime.now,
  });
  let timer: NodeJS.Timeout | undefined;
  installOutputCapture();
  const account = host.world.accounts.get(fn.arn.split(":")[4]!);
  const toLog = (text: string) => {
    const lines = text.split("\n").filter((l) => l !== "");
    if (account && lines.length > 0) appendLogEvents(account, region, fn.loggingConfig.LogGroup, logStream, lines, host.runtime.now());
  };
  try {
    const result = await scopedOutput.run(toLog, () => scopedEnv.run(env, async () => {
      const handler = await loadHandler(fn);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new InvocationFailure({ errorType: "Sandbox.Timedout", errorMessage: `${new Date(host.runtime.now()).toISOString()} ${requestId} Task timed out after ${fn.timeout.toFixed(2)} seconds` })), fn.timeout * 1000);
      });
      return Promise.race([Promise.resolve(handler(event, context)), timeout]);
    }));
    return { statusCode: 200, payload: Buffer.from(JSON.stringify(result ?? null)), executedVersion: "$LATEST" };
  } catch (error) {
    return { statusCode: 200, payload: Buffer.from(JSON.stringify(errorPayload(error))), functionError: "Unhandled", executedVersion: "$LATEST" };
  } finally {
    clearTimeout(timer);
    release();
  }
}

function parseEvent(payload: Buffer | undefined): unknown {
  const text = payload?.toString("utf8") ?? "";
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    // API_Invoke.html, Errors: InvalidRequestContentException "The request body could not be parsed as JSON".
    throw new AwsError("InvalidRequestContentException", "Could not parse request body into json: Unrecognized token", 400);
  }
}

/**
 * API_Invoke.html: RequestResponse (200, the function's result), Event (202, queued; the
 * function runs after the call returns, failures follow the event-invoke configuration), DryRun
 * (204, permission and parameters checked only).
 */
export async function invoke(params: { FunctionName?: string; InvocationType?: string; Payload?: Buffer; Qualifier?: string }, ctx: CallContext) {
  const fn = functionOf(ctx, params.FunctionName);
  const type = params.InvocationType ?? "RequestResponse";
  if (!["RequestResponse", "Event", "DryRun"].includes(type)) throw new AwsError("InvalidParameterValueException", `Unsupported invocation type ${type}`);
  const event = parseEvent(params.Payload);
  if (type === "DryRun") return { StatusCode: 204 };
  const host = { world: ctx.world, runtime: ctx.sandbox };
  if (type === "Event") {
    afterResponse(() => runAsync(fn, ctx.region, event, host));
    return { StatusCode: 202 };
  }
  const result = await runFunction(fn, ctx.region, event, host);
  return { StatusCode: result.statusCode, Payload: result.payload, ExecutedVersion: result.executedVersion, ...(result.functionError ? { FunctionError: result.functionError } : {}) };
}

/** Outcomes of asynchronous invocations, newest last, for tests and the harness to see what ran. */
export interface AsyncInvocation {
  functionArn: string;
  requestId: string;
  attempts: number;
  functionError?: string;
  /** The event the function was invoked with. */
  event: unknown;
  payload: unknown;
}

export const asyncInvocations: AsyncInvocation[] = [];
type AsyncObserver = (outcome: AsyncInvocation) => void;
const asyncObservers = new Set<AsyncObserver>();

export function onAsyncInvocation(observer: AsyncObserver): () => void {
  asyncObservers.add(observer);
  return () => asyncObservers.delete(observer);
}

/**
 * Asynchronous invocation ("Asynchronous invocation", invocation-async.html): the event is run,
 * and a failed run is retried MaximumRetryAttempts times (default 2); the sandbox retries at once
 * instead of after Lambda's one and two minutes. A run that still fails goes to the OnFailure
 * destination when one is configured (an SQS queue here, what driftguard's stack uses).
 */
export async function runAsync(fn: LambdaFunction, region: string, event: unknown, host: LambdaHost): Promise<AsyncInvocation> {
  const retries = fn.eventInvokeConfig?.maximumRetryAttempts ?? 2;
  let result: InvokeResult | undefined;
  let attempts = 0;
  let setupError: unknown;
  do {
    attempts++;
    try {
      result = await runFunction(fn, region, event, host);
    } catch (error) {
      setupError = error;
      result = undefined;
    }
  } while ((result?.functionError || setupError) && attempts <= retries);
  const payload = result ? (JSON.parse(result.payload.toString("utf8")) as unknown) : { errorType: "Sandbox.InvocationError", errorMessage: String((setupError as Error)?.message ?? setupError) };
  const outcome: AsyncInvocation = { functionArn: fn.arn, requestId: randomUUID(), attempts, event, payload, ...(result?.functionError || setupError ? { functionError: result?.functionError ?? "Unhandled" } : {}) };
  asyncInvocations.push(outcome);
  const destination = outcome.functionError ? fn.eventInvokeConfig?.destinationConfig?.OnFailure?.Destination : fn.eventInvokeConfig?.destinationConfig?.OnSuccess?.Destination;
  const queue = destination ? queueByArn(host, destination) : undefined;
  if (queue) {
    // The invocation record Lambda sends to a destination (invocation-async-retain-records.html#invocation-async-destinations).
    const record = {
      version: "1.0",
      timestamp: new Date(host.runtime.now()).toISOString(),
      requestContext: { requestId: outcome.requestId, functionArn: `${fn.arn}:$LATEST`, condition: outcome.functionError ? "RetriesExhausted" : "Success", approximateInvokeCount: attempts },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", ...(outcome.functionError ? { functionError: outcome.functionError } : {}) },
      responsePayload: payload,
    };
    queue.messages.push({ messageId: randomUUID(), body: JSON.stringify(record), sentAt: host.runtime.now() });
  }
  for (const observe of asyncObservers) observe(outcome);
  return outcome;
}
