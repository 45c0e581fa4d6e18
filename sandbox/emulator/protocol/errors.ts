import { AwsError, type ServiceDefinition } from "./types.js";

/**
 * The error codes each AWS protocol family uses for the failures the sandbox itself raises
 * (authentication, throttling, unknown actions). Services differ here in real AWS, and SDK retry
 * and credential-refresh logic keys off these exact codes.
 */

export type Protocol = ServiceDefinition["protocol"];

export type ProtocolFailure = "missingAuth" | "unknownKey" | "badSignature" | "badToken" | "expired" | "skewed" | "throttling" | "unknownAction";

type Table = Record<ProtocolFailure, { code: string; status: number; message: string }>;

const SIGNATURE_MESSAGE =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN = "The security token included in the request is invalid.";
const EXPIRED_TOKEN = "The security token included in the request is expired";

/** `table` with the HTTP status of `failures` replaced. */
function withStatus(table: Table, status: number, failures: ProtocolFailure[]): Table {
  return { ...table, ...Object.fromEntries(failures.map((f) => [f, { ...table[f], status }])) };
}

const BASE_TABLES: Record<Exclude<Protocol, "rest-json">, Table> = {
  query: {
    missingAuth: { code: "MissingAuthenticationToken", status: 403, message: "Request is missing Authentication Token" },
    unknownKey: { code: "InvalidClientTokenId", status: 403, message: INVALID_TOKEN },
    badSignature: { code: "SignatureDoesNotMatch", status: 403, message: SIGNATURE_MESSAGE },
    badToken: { code: "InvalidClientTokenId", status: 403, message: INVALID_TOKEN },
    expired: { code: "ExpiredToken", status: 403, message: EXPIRED_TOKEN },
    skewed: { code: "SignatureDoesNotMatch", status: 403, message: "%s" },
    throttling: { code: "Throttling", status: 400, message: "Rate exceeded" },
    unknownAction: { code: "InvalidAction", status: 400, message: "The sandbox does not implement %s" },
  },
  ec2: {
    missingAuth: { code: "MissingParameter", status: 400, message: "The request must contain the parameter AWSAccessKeyId" },
    unknownKey: { code: "AuthFailure", status: 401, message: "AWS was not able to validate the provided access credentials" },
    badSignature: { code: "AuthFailure", status: 401, message: "AWS was not able to validate the provided access credentials" },
    badToken: { code: "AuthFailure", status: 401, message: "AWS was not able to validate the provided access credentials" },
    expired: { code: "RequestExpired", status: 400, message: "Request has expired." },
    skewed: { code: "RequestExpired", status: 400, message: "Request has expired." },
    throttling: { code: "RequestLimitExceeded", status: 503, message: "Request limit exceeded." },
    unknownAction: { code: "InvalidAction", status: 400, message: "The sandbox does not implement %s" },
  },
  // The awsJson1_0/1_1 services. An operation the service does not have is UnknownOperationException,
  // 400 (a real answer: {"__type":"UnknownOperationException"} with status BadRequest,
  // github.com/aws/aws-sdk-net/issues/1536; "com.amazon.coral.service#UnknownOperationException",
  // github.com/aws/aws-sdk-go/issues/3689).
  json: {
    missingAuth: { code: "MissingAuthenticationTokenException", status: 403, message: "Missing Authentication Token" },
    unknownKey: { code: "UnrecognizedClientException", status: 400, message: INVALID_TOKEN },
    badSignature: { code: "InvalidSignatureException", status: 400, message: SIGNATURE_MESSAGE },
    badToken: { code: "UnrecognizedClientException", status: 400, message: INVALID_TOKEN },
    expired: { code: "ExpiredTokenException", status: 400, message: EXPIRED_TOKEN },
    skewed: { code: "InvalidSignatureException", status: 400, message: "%s" },
    throttling: { code: "ThrottlingException", status: 400, message: "Rate exceeded" },
    unknownAction: { code: "UnknownOperationException", status: 400, message: "The sandbox does not implement %s" },
  },
  "rest-xml": {
    missingAuth: { code: "AccessDenied", status: 403, message: "Access Denied" },
    unknownKey: { code: "InvalidAccessKeyId", status: 403, message: "The AWS Access Key Id you provided does not exist in our records." },
    badSignature: { code: "SignatureDoesNotMatch", status: 403, message: SIGNATURE_MESSAGE },
    badToken: { code: "InvalidToken", status: 400, message: "The provided token is malformed or otherwise invalid." },
    expired: { code: "ExpiredToken", status: 400, message: "The provided token has expired." },
    skewed: { code: "RequestTimeTooSkewed", status: 403, message: "The difference between the request time and the current time is too large." },
    throttling: { code: "SlowDown", status: 503, message: "Please reduce your request rate." },
    unknownAction: { code: "NotImplemented", status: 501, message: "The sandbox does not implement %s" },
  },
};

const TABLES: Record<Protocol, Table> = {
  ...BASE_TABLES,
  // Lambda (restJson1): the JSON codes, but 403 for authentication failures, 429
  // TooManyRequestsException for throttling (docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
  // and each action's Errors section) and 404 for an operation it does not have.
  "rest-json": {
    ...withStatus(BASE_TABLES.json, 403, ["missingAuth", "unknownKey", "badSignature", "badToken", "expired", "skewed"]),
    throttling: { code: "TooManyRequestsException", status: 429, message: "Rate exceeded" },
    unknownAction: { ...BASE_TABLES.json.unknownAction, status: 404 },
  },
};

/** The service names AWS's own docs and SDKs use, for messages that name an operation (Service.Action). */
const DISPLAY_NAMES: Record<string, string> = {
  sts: "STS",
  iam: "IAM",
  s3: "S3",
  sns: "SNS",
  ec2: "EC2",
  organizations: "Organizations",
  tagging: "ResourceGroupsTaggingAPI",
  cloudtrail: "CloudTrail",
  cloudformation: "CloudFormation",
  lambda: "Lambda",
  logs: "CloudWatchLogs",
  events: "EventBridge",
  kms: "KMS",
  sqs: "SQS",
  ssm: "SSM",
  secretsmanager: "SecretsManager",
  monitoring: "CloudWatch",
  states: "SFN",
};

/**
 * A service's name in messages: as its SDK names it ("IAM", for "IAM.ListUsers"), or as an AWS
 * SDK for Java v2 error names it ("Iam", "Ec2", "S3": the "(Service: Iam, Status Code: 403, …)"
 * suffix CloudFormation's resource handlers quote).
 */
export function serviceDisplayName(signingName: string, style: "sdk" | "handler" = "sdk"): string {
  const name = DISPLAY_NAMES[signingName] ?? signingName;
  return style === "sdk" ? name : name[0]!.toUpperCase() + name.slice(1).toLowerCase();
}

/**
 * The protocol's error for a failure the sandbox raises itself. `detail` fills the message's %s:
 * for unknownAction the operation, so the message reads "the sandbox does not implement
 * SNS.ListSubscriptions" in every protocol instead of AWS's "Could not find operation", which
 * reads like a typo in the caller (the code stays the protocol's real one). For skewed, the
 * "Signature expired: … is now earlier than …" sentence the query and JSON services answer.
 */
export function protocolError(service: Pick<ServiceDefinition, "protocol" | "throttling"> & { name?: string }, failure: ProtocolFailure, detail?: string): AwsError {
  const entry = failure === "throttling" && service.throttling ? { message: "Rate exceeded", ...service.throttling } : TABLES[service.protocol][failure];
  const operation = failure === "unknownAction" ? `${serviceDisplayName(service.name ?? "")}.${detail}` : detail;
  return new AwsError(entry.code, entry.message.replace("%s", operation ?? ""), entry.status, entry.status < 500);
}

/** HTTP status of an error code named in a scenario fault, when the scenario does not give one. */
export function statusOfCode(code: string): number {
  if (/^(AccessDenied|UnauthorizedOperation|InvalidClientTokenId|SignatureDoesNotMatch|InvalidAccessKeyId)$/.test(code)) return 403;
  if (/^(InternalFailure|InternalError|InternalErrorException|ServiceException)$/.test(code)) return 500;
  if (/^(ServiceUnavailable|ServiceUnavailableException|SlowDown|RequestLimitExceeded)$/.test(code)) return 503;
  if (/^NoSuch/.test(code)) return 404;
  return 400;
}
