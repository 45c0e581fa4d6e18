import type { Principal, World } from "../state.js";

/** Knobs of the emulated cloud shared by every service. */
export interface SandboxRuntime {
  latency: {
    /** Added to every API call. */
    apiMs: number;
    /** A drift detection takes a uniformly random time in this range. */
    detectionMs: [number, number];
    /** A change set takes a uniformly random time in this range to compute; [0, 0] when absent. */
    changeSetMs?: [number, number];
  };
  now(): number;
  /**
   * Where the sandbox serves HTTP once it listens, e.g. http://127.0.0.1:43123: what a function
   * the sandbox invokes points its SDK at (AWS_ENDPOINT_URL).
   */
  endpoint?: string;
  /** Seeded, so runs are repeatable. */
  random(): number;
  /**
   * Runs every asynchronous EXPRESS execution twice (the scenario's duplicateExpressExecutions):
   * "Asynchronous Express Workflows: at-least-once" (concepts-standard-vs-express.html).
   */
  duplicateExpressExecutions?: boolean;
}

export interface CallContext {
  world: World;
  principal: Principal;
  accountId: string;
  region: string;
  /** SigV4 signing name: sts, iam, cloudformation, sns, ec2, s3, organizations, tagging, cloudtrail. */
  service: string;
  action: string;
  requestId: string;
  sandbox: SandboxRuntime;
  /**
   * Records a call a service makes on the caller's behalf while serving this one (CloudFormation
   * provisioning a stack's resources), so it reaches CloudTrail and EventBridge as API calls do.
   * Set by the dispatcher; absent when a handler runs outside it (unit tests of one service).
   */
  onBehalf?: OnBehalfRecorder;
}

/** A call made by an AWS service for a principal: `invokedBy` is the service's principal, e.g. cloudformation.amazonaws.com. */
export interface OnBehalfCall {
  service: ServiceDefinition;
  action: string;
  params: unknown;
  result: unknown;
  principal: Principal;
  region: string;
  invokedBy: string;
}

export type OnBehalfRecorder = (call: OnBehalfCall) => void;

/**
 * What a handler returns for an operation: the SDK's output shape without the response metadata
 * the client adds. Handlers take the SDK's `<Op>CommandInput` and return `SdkOutput<<Op>CommandOutput>`,
 * so the compiler checks the sandbox's request and response shapes against the SDK's model.
 */
export type SdkOutput<T> = Omit<T, "$metadata">;

export type ActionHandler = (params: any, ctx: CallContext) => unknown | Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ServiceDefinition {
  /** SigV4 signing name. */
  name: string;
  protocol: "query" | "ec2" | "json" | "rest-xml" | "rest-json";
  /** XML namespace of query/EC2 responses, e.g. https://cloudformation.amazonaws.com/doc/2010-05-15/ */
  xmlNamespace?: string;
  /** awsJson1_0 (SQS, Step Functions) or awsJson1_1 (the default): only the content type differs. */
  jsonVersion?: "1.0" | "1.1";
  /**
   * awsQueryCompatible JSON services (SQS) also send each error's old query-protocol code in an
   * `x-amzn-query-error: <code>;Sender` header, which SDKs report as the error code.
   */
  queryErrorCodes?: Readonly<Record<string, string>>;
  /**
   * A service that also speaks awsJson (CloudWatch: awsQuery and awsJson1_0, both in its service
   * model's `protocols`): a request with X-Amz-Target is served by the JSON codec with this version.
   * botocore 1.43 picks JSON for CloudWatch (its PRIORITY_ORDERED_SUPPORTED_PROTOCOLS puts json first).
   */
  alsoJson?: "1.0" | "1.1";
  /** When the service throttles with another code than its protocol's usual one (e.g. Organizations: TooManyRequestsException). */
  throttling?: { code: string; status: number };
  actions: Record<string, ActionHandler>;
}

/** An error in AWS's own terms; the protocol layer renders the service's real error envelope. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly senderFault = true,
    /** Further elements of an S3 error document (an expired presigned URL's Expires and ServerTime). */
    readonly details?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = code;
  }
}
