import { createHash } from "node:crypto";
import { AwsError, type CallContext } from "../../protocol/types.js";
import type { AccountState, Tags, World } from "../../state.js";
import { regionalState } from "../shared/regional.js";
import type { ExecutionEnvironment } from "./environments.js";

/**
 * What the sandbox keeps of a Lambda function: its $LATEST configuration, its deployment package
 * (the zip itself, which invoking loads), its resource policy and its asynchronous-invocation
 * configuration. Shapes follow the Lambda API Reference's FunctionConfiguration
 * (docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html).
 */

export interface FunctionPolicyStatement {
  Sid: string;
  Effect: "Allow";
  Principal: { Service: string } | { AWS: string } | "*";
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface EventInvokeConfig {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  destinationConfig?: { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } };
  lastModified: number;
}

export interface LambdaFunction {
  name: string;
  arn: string;
  runtime?: string;
  role: string;
  handler?: string;
  description: string;
  timeout: number;
  memorySize: number;
  architectures: string[];
  environment?: Record<string, string>;
  loggingConfig: { LogFormat: string; LogGroup: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  tracingMode: string;
  ephemeralStorage: number;
  kmsKeyArn?: string;
  deadLetterTarget?: string;
  layers: string[];
  zip: Buffer;
  codeSha256: string;
  lastModified: string;
  revisionId: string;
  tags: Tags;
  policy: FunctionPolicyStatement[];
  eventInvokeConfig?: EventInvokeConfig;
  reservedConcurrency?: number;
  /** Its execution environments, warm or busy, each with its log stream (environments.ts). */
  environments?: ExecutionEnvironment[];
  /** Published versions, "1", "2", … (PublishVersion); $LATEST is the function itself. */
  versions: { version: string; codeSha256: string; description: string; lastModified: string; revisionId: string }[];
}

export const lambdaState = regionalState("lambda", () => ({ functions: new Map<string, LambdaFunction>() }));

/** Lambda's LastModified: ISO 8601 with milliseconds and a +0000 offset, e.g. 2019-08-14T22:26:11.234+0000 (API_FunctionConfiguration.html). */
export function lastModifiedOf(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

/** CodeSha256: "The SHA256 hash of the function's deployment package", base64 (what filebase64sha256 computes). */
export function sha256Base64(zip: Buffer): string {
  return createHash("sha256").update(zip).digest("base64");
}

export function functionArn(region: string, accountId: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

/**
 * FunctionName accepts a name (my-function), a full ARN (arn:aws:lambda:us-west-2:123456789012:function:my-function)
 * or a partial ARN (123456789012:function:my-function), each optionally with a :qualifier
 * (API_GetFunction.html, FunctionName). Returns the name, the account named (if any) and the qualifier.
 */
export function parseFunctionName(value: string): { name: string; accountId?: string; region?: string; qualifier?: string } {
  const full = /^arn:aws[\w-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/.exec(value);
  if (full) return { region: full[1], accountId: full[2], name: full[3]!, ...(full[4] ? { qualifier: full[4] } : {}) };
  const partial = /^(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/.exec(value);
  if (partial) return { accountId: partial[1], name: partial[2]!, ...(partial[3] ? { qualifier: partial[3] } : {}) };
  const short = /^([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9$_-]+))?$/.exec(value);
  if (short) return { name: short[1]!, ...(short[2] ? { qualifier: short[2] } : {}) };
  throw new AwsError(
    "ValidationException",
    `1 validation error detected: Value '${value}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`,
  );
}

/** "Function not found: arn:aws:lambda:…:function:name" (404), as GetFunction answers an unknown function. */
export function functionNotFound(arn: string): AwsError {
  return new AwsError("ResourceNotFoundException", `Function not found: ${arn}`, 404);
}

/** The function a call names, in the caller's account and region; another account's ARN is refused as Lambda does for cross-account management calls. */
export function functionOf(ctx: Pick<CallContext, "world" | "accountId" | "region">, nameOrArn: unknown): LambdaFunction {
  if (typeof nameOrArn !== "string" || nameOrArn === "") throw new AwsError("ValidationException", "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null");
  const ref = parseFunctionName(nameOrArn);
  const accountId = ref.accountId ?? ctx.accountId;
  const region = ref.region ?? ctx.region;
  const fn = lambdaState.of({ world: ctx.world, accountId, region }).functions.get(ref.name);
  if (!fn) throw functionNotFound(functionArn(region, accountId, ref.name) + (ref.qualifier && ref.qualifier !== "$LATEST" ? `:${ref.qualifier}` : ""));
  return fn;
}

/** The function an ARN names anywhere in the world (EventBridge targets, Step Functions tasks), or undefined. */
export function functionByArn(world: World, arn: string): { fn: LambdaFunction; account: AccountState; region: string } | undefined {
  const ref = /^arn:aws[\w-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/.exec(arn);
  if (!ref) return undefined;
  const account = world.accounts.get(ref[2]!);
  const fn = account ? lambdaState.at(account, ref[1]!).functions.get(ref[3]!) : undefined;
  return fn && account ? { fn, account, region: ref[1]! } : undefined;
}
