import { channel } from "node:diagnostics_channel";
import {
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { AwsSdkSigV4Signer } from "@aws-sdk/core/httpAuthSchemes";
import { getEndpointFromInstructions, toEndpointV1 } from "@smithy/core/endpoints";
import type { HttpRequest, HttpResponse } from "@smithy/core/protocols";
import { getRetryAfterHint, isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import { operation } from "@smithy/core/schema";
import type {
  Endpoint,
  HandlerExecutionContext,
  MiddlewareStack,
  OperationSchema,
  ResponseMetadata,
  RetryErrorInfo,
  RetryErrorType,
  RetryStrategyV2,
  SdkError,
  StaticOperationSchema,
} from "@smithy/types";
import { isReadOnly } from "./write-gate.js";

/**
 * The lean request path for the CloudFormation reads every scanned stack makes (issue 19: hub CPU
 * ≤ 2 ms per stack). The SDK's request path costs 1.6–1.9 ms of CPU per request on this machine
 * (bench/request-cost.ts), a bare http.request 0.23 ms; a hub profile put 34 % of the CPU in the
 * middleware stack and schema serde, 6.6 % in SigV4. With ≈ 2.3 CloudFormation requests per
 * stack, 2 ms per stack needs a request path well under 1 ms.
 *
 * These commands still go through `client.send` and the client's own middleware up to the
 * initialize step — the write gate, the SDK's logger, the event-loop turns (loop-turns.ts) — and
 * then this middleware answers them without the rest of the stack (endpoint rules per request,
 * user agent, host header, content length, the retry middleware, the auth-scheme selection, a
 * copy of the whole client config per request for serde). What it keeps, from the client itself:
 *
 * - the wire format: the client's own protocol object (AwsQueryProtocol) serializes the input and
 *   deserializes the answer, errors included, from the SDK's operation schemas, so outputs and
 *   exceptions (modeled classes, CloudFormationServiceException, `$fault`, `$metadata`,
 *   `$response`) are the SDK's own;
 * - the endpoint: resolved once per client by the SDK's endpoint rules and configured-endpoint
 *   lookup (AWS_ENDPOINT_URL*), the same for every CloudFormation operation (its rule set reads
 *   Region, UseFIPS, UseDualStack and Endpoint only);
 * - signing: the SDK's AwsSdkSigV4Signer with the client's signer (clients.ts reuseSigner: its
 *   kept keys), which reads the client's memoized credential provider on every signature (so
 *   expiring credentials are refreshed as on the SDK path) and samples and corrects clock skew;
 * - sending: the client's request handler (its agent: the run's shared sockets, its timeouts;
 *   bypassing it measured no difference in bench/request-cost.ts);
 * - retries: the client's retry strategy — for CloudFormation the adaptive strategy on the
 *   account-region's bucket (rate-limit.ts), so a token and a slot per attempt as before — with
 *   the SDK's error classification (throttling, transient, server, client) and Retry-After hints,
 *   and `$metadata.attempts` / `totalRetryDelay` as the retry middleware sets them.
 *
 * Anything else (a send with options, an operation not listed) takes the SDK's path unchanged.
 */

/** The hot reads: what a scanned stack costs (detect, status, drifts; listing; tags, verify's DescribeStacks). */
export const LEAN_COMMANDS = [
  ListStacksCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  ListStackResourcesCommand,
] as const;

/** `DetectStackDriftCommand` → "DetectStackDrift". */
export const leanOperationName = (command: (typeof LEAN_COMMANDS)[number]): string => command.name.replace(/Command$/, "");

const LEAN_OPERATIONS: ReadonlySet<string> = new Set(LEAN_COMMANDS.map(leanOperationName));

// The lean path skips no guard: the write gate runs before it, and it only ever serves reads.
for (const name of LEAN_OPERATIONS) if (!isReadOnly(name)) throw new Error(`lean-query.ts: ${name} is not a read; only read-only operations may take the lean path`);

/** What the lean path reads from the client: its resolved config (SDK v3, `client.config`). */
interface LeanClientConfig {
  protocol: {
    setSerdeContext(context: object): void;
    serializeRequest(schema: OperationSchema, input: object, context: object): Promise<HttpRequest>;
    deserializeResponse(schema: OperationSchema, context: object, response: HttpResponse): Promise<{ $metadata: ResponseMetadata }>;
  };
  retryStrategy(): Promise<RetryStrategyV2 | object>;
  signer(scheme?: unknown): Promise<unknown>;
  requestHandler: { handle(request: HttpRequest): Promise<unknown> };
  streamCollector(stream: unknown): Promise<Uint8Array>;
  signingName?: string;
  defaultSigningName?: string;
  region(): Promise<string>;
  systemClockOffset: number;
}

export interface LeanClient {
  config: object;
  middlewareStack: Pick<MiddlewareStack<object, object>, "add" | "identify">;
}

const NAME = "driftguardLeanQuery";

/** One HTTP attempt of the lean path, as SDK deserialize-step middleware would see it (inside the retry loop). */
export interface LeanAttempt {
  /** The client's config object: which client sent it. */
  clientConfig: object;
  /** The operation, e.g. "DescribeStacks". */
  operation: string;
  input: object;
  request: HttpRequest;
  startedAt: number;
  endedAt: number;
  /** The answer as received (body read into bytes); absent when no answer came (a socket error). */
  response?: HttpResponse;
  output?: object;
  error?: Error;
}

/**
 * Every lean attempt is published here (Node's diagnostics_channel: free while nobody subscribes).
 * Instrumentation that sits in the SDK's deserialize step — the bench's call counter, the tests'
 * permission recorder — subscribes here too, since the lean path never reaches that step.
 */
export const leanAttempts = channel("driftguard.lean-query.attempt");

/** The SDK's retry classification (@smithy/core/retry getRetryErrorType; not exported), from its exported predicates. */
function retryErrorType(thrown: Error): RetryErrorType {
  const error = thrown as SdkError;
  if (isThrottlingError(error)) return "THROTTLING";
  if (isTransientError(error)) return "TRANSIENT";
  if (isServerError(error)) return "SERVER_ERROR";
  return "CLIENT_ERROR";
}

function retryErrorInfo(error: Error): RetryErrorInfo {
  const hint = getRetryAfterHint((error as { $response?: unknown }).$response);
  return { error: error as RetryErrorInfo["error"], errorType: retryErrorType(error), ...(hint ? { retryAfterHint: hint } : {}) };
}

/** Like the retry middleware's asSdkError: whatever was thrown, an Error to classify and rethrow. */
function asError(thrown: unknown): Error & { $metadata?: Partial<ResponseMetadata> } {
  if (thrown instanceof Error) return thrown;
  if (thrown instanceof Object) return Object.assign(new Error(), thrown);
  return new Error(typeof thrown === "string" ? thrown : `AWS SDK error wrapper for ${String(thrown)}`);
}

function isRetryStrategyV2(strategy: object): strategy is RetryStrategyV2 {
  const s = strategy as Partial<RetryStrategyV2>;
  return typeof s.acquireInitialRetryToken === "function" && typeof s.refreshRetryTokenForRetry === "function" && typeof s.recordSuccess === "function";
}

const USER_AGENT = "driftguard-lean-query (aws-sdk-js schemas)";

class LeanQuery {
  private readonly config: LeanClientConfig;
  private readonly signer = new AwsSdkSigV4Signer();
  private endpoint?: Promise<Endpoint>;
  /** The serde context: the client's config, with the endpoint the SDK's serializer asks for. */
  private serdeContext?: Promise<object>;
  private readonly schemas = new Map<string, OperationSchema>();

  constructor(config: object) {
    this.config = config as LeanClientConfig;
  }

  /** One SDK endpoint resolution per client, retried after a failure. */
  private resolveEndpoint(): Promise<Endpoint> {
    this.endpoint ??= getEndpointFromInstructions({}, DescribeStacksCommand, this.config as never).then((e) => toEndpointV1(e));
    this.endpoint.catch(() => (this.endpoint = undefined));
    return this.endpoint;
  }

  private context(): Promise<object> {
    this.serdeContext ??= this.resolveEndpoint().then((endpoint) => {
      const context = Object.assign(Object.create(this.config) as object, { endpoint: () => Promise.resolve(endpoint) });
      this.config.protocol.setSerdeContext(this.config);
      return context;
    });
    this.serdeContext.catch(() => (this.serdeContext = undefined));
    return this.serdeContext;
  }

  private schemaOf(name: string, staticSchema: StaticOperationSchema): OperationSchema {
    let schema = this.schemas.get(name);
    if (!schema) {
      const [, ns, n, traits, input, output] = staticSchema;
      schema = operation(ns, n, traits, input, output) as OperationSchema;
      this.schemas.set(name, schema);
    }
    return schema;
  }

  /**
   * The SDK's serializer, then the headers its build step adds that the signature covers or the
   * server needs: host (SigV4 signs it: AWS General Reference, "Elements of an AWS API request
   * signature"), content-length, and a user agent naming this path.
   */
  private async serialize(schema: OperationSchema, input: object, context: object): Promise<HttpRequest> {
    const request = await this.config.protocol.serializeRequest(schema, input, context);
    request.headers.host = request.port == null ? request.hostname : `${request.hostname}:${request.port}`;
    request.headers["content-length"] = String(Buffer.byteLength(request.body as string));
    request.headers["user-agent"] = USER_AGENT;
    return request;
  }

  /** One attempt: sign, send, read the answer; errors carry `$response`, as on the SDK path. */
  private async attempt(operation: string, request: HttpRequest, schema: OperationSchema, input: object, context: object): Promise<{ response: HttpResponse; output: { $metadata: ResponseMetadata } }> {
    const signingProperties: Record<string, unknown> = {
      context: {},
      config: this.config,
      signingName: this.config.signingName ?? this.config.defaultSigningName,
      signingRegion: await this.config.region(),
    };
    const signed = (await this.signer.sign(request, {} as never, signingProperties)) as HttpRequest;
    if (!leanAttempts.hasSubscribers) return this.exchange(signed, schema, context, signingProperties);
    const seen = { clientConfig: this.config, operation, input, request: signed, startedAt: performance.now() };
    try {
      const result = await this.exchange(signed, schema, context, signingProperties);
      leanAttempts.publish({ ...seen, endedAt: performance.now(), response: result.response, output: result.output } satisfies LeanAttempt);
      return result;
    } catch (err) {
      const error = asError(err);
      const response = (error as { $response?: HttpResponse }).$response;
      leanAttempts.publish({ ...seen, endedAt: performance.now(), ...(response ? { response } : {}), error } satisfies LeanAttempt);
      throw err;
    }
  }

  private async exchange(signed: HttpRequest, schema: OperationSchema, context: object, signingProperties: Record<string, unknown>): Promise<{ response: HttpResponse; output: { $metadata: ResponseMetadata } }> {
    const response = await this.exchangeBytes(signed);
    try {
      const output = await this.config.protocol.deserializeResponse(schema, context, response);
      this.signer.successHandler(response, signingProperties);
      return { response, output };
    } catch (err) {
      if (err instanceof Object) Object.defineProperty(err, "$response", { value: response, enumerable: false, writable: false, configurable: false });
      // Clock skew: the SDK's signer corrects the client's offset from the server's Date and
      // marks the error clockSkewCorrected, which makes it retryable (isTransientError).
      this.signer.errorHandler(signingProperties)(err as Error);
      throw err;
    }
  }

  /** The client's own request handler (its agent, timeouts and socket warnings), the answer read into bytes. */
  private async exchangeBytes(request: HttpRequest): Promise<HttpResponse> {
    const { response } = (await this.config.requestHandler.handle(request)) as { response: HttpResponse };
    response.body = await this.config.streamCollector(response.body);
    return response;
  }

  async send(name: string, staticSchema: StaticOperationSchema, input: object): Promise<{ response: HttpResponse; output: { $metadata: ResponseMetadata } }> {
    const schema = this.schemaOf(name, staticSchema);
    const context = await this.context();
    const request = await this.serialize(schema, input, context);
    const strategy = await this.config.retryStrategy();
    if (!isRetryStrategyV2(strategy)) throw new Error(`lean-query.ts: the client's retry strategy is not a RetryStrategyV2 (${name})`);
    let token = await strategy.acquireInitialRetryToken("");
    let totalRetryDelay = 0;
    for (;;) {
      try {
        const result = await this.attempt(name, request, schema, input, context);
        strategy.recordSuccess(token);
        result.output.$metadata.attempts = token.getRetryCount() + 1;
        result.output.$metadata.totalRetryDelay = totalRetryDelay;
        return result;
      } catch (thrown) {
        const error = asError(thrown);
        try {
          token = await strategy.refreshRetryTokenForRetry(token, retryErrorInfo(error));
        } catch {
          error.$metadata ??= {};
          error.$metadata.attempts = token.getRetryCount() + 1;
          error.$metadata.totalRetryDelay = totalRetryDelay;
          throw error;
        }
        const delay = token.getRetryDelay();
        totalRetryDelay += ((token as { $retryLog?: { acquisitionDelay?: number } }).$retryLog?.acquisitionDelay ?? 0) + delay;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/**
 * Adds the lean path to a CloudFormation client, after the write gate and the event-loop turns
 * (clients.ts adds those first; same step and priority run in the order added).
 */
export function leanQueryReads<C extends LeanClient>(client: C): C {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(NAME))) return client;
  const lean = new LeanQuery(client.config);
  client.middlewareStack.add(
    (next, context: HandlerExecutionContext) => async (args) => {
      const name = (context.commandName ?? "").replace(/Command$/, "");
      const staticSchema = (context as { __smithy_context?: { operationSchema?: StaticOperationSchema } }).__smithy_context?.operationSchema;
      if (!LEAN_OPERATIONS.has(name) || !staticSchema) return next(args);
      return lean.send(name, staticSchema, (args as { input: object }).input) as never;
    },
    { step: "initialize", name: NAME, priority: "low" },
  );
  return client;
}

