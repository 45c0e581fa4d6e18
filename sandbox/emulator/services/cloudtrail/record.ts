import type { Call } from "../../protocol/dispatcher.js";
import { operationSchema } from "../../protocol/sdk-schemas.js";
import type { ServiceDefinition } from "../../protocol/types.js";
import type { Principal, TrailEvent, World } from "../../state.js";
import { regionOf } from "../../state.js";
import { trailParameters } from "./parameters.js";
import { uuid } from "../shared/ids.js";
import { principalUserId } from "../iam/principals.js";

/**
 * Turns each mutating call into the CloudTrail record AWS would write (event name, identity,
 * source, requestParameters and responseElements in CloudTrail's own shapes, see
 * cloudtrail-parameters.ts), and into the EventBridge "AWS API Call via CloudTrail" event built
 * from it.
 */

export interface CloudTrailBridgeEvent {
  version: "0";
  id: string;
  "detail-type": "AWS API Call via CloudTrail";
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

const RESOURCE_KEYS: Record<string, string> = {
  RoleName: "AWS::IAM::Role",
  PolicyArn: "AWS::IAM::Policy",
  Bucket: "AWS::S3::Bucket",
  TopicArn: "AWS::SNS::Topic",
  StackName: "AWS::CloudFormation::Stack",
  GroupId: "AWS::EC2::SecurityGroup",
  VpcId: "AWS::EC2::VPC",
  InstanceId: "AWS::EC2::Instance",
};

function ec2TypeOf(id: string): string | undefined {
  if (id.startsWith("sg-")) return "AWS::EC2::SecurityGroup";
  if (id.startsWith("vpc-")) return "AWS::EC2::VPC";
  if (id.startsWith("i-")) return "AWS::EC2::Instance";
  return undefined;
}

/** The resources a call touched, from its parameters and (for creations) its result. */
function resourcesOf(params: unknown, result: unknown): { type: string; name: string }[] {
  const found = new Map<string, string>();
  const visit = (value: unknown, key?: string): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v, key === "Resources" || key === "InstanceIds" ? "EC2Id" : key);
    } else if (value && typeof value === "object" && !(value instanceof Date) && !Buffer.isBuffer(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    } else if (typeof value === "string" && key) {
      const type = key === "EC2Id" ? ec2TypeOf(value) : RESOURCE_KEYS[key];
      if (type) found.set(value, type);
    }
  };
  visit(params);
  visit(result);
  return [...found].map(([name, type]) => ({ type, name }));
}

/** S3's CloudTrail event names follow its REST operations, which the SDK renamed for a few. */
const S3_EVENT_NAMES: Readonly<Record<string, string>> = {
  PutPublicAccessBlock: "PutBucketPublicAccessBlock",
  DeletePublicAccessBlock: "DeleteBucketPublicAccessBlock",
  GetPublicAccessBlock: "GetBucketPublicAccessBlock",
  ListObjectsV2: "ListObjects",
};

function eventNameOf(call: Call): string {
  return (call.service === "s3" ? S3_EVENT_NAMES[call.action] : undefined) ?? call.action;
}

/**
 * Data events (S3 object operations, SNS Publish) are not in event history and reach EventBridge
 * only through a trail that logs data events; the sandbox models the default: management events.
 */
function isDataEvent(service: string, action: string): boolean {
  if (service === "sns") return action === "Publish" || action === "PublishBatch";
  return service === "s3" && (operationSchema(service, action)?.http?.[1].includes("{Key+}") ?? false);
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The userIdentity block: Root, IAMUser, or AssumedRole with its session issuer. */
function userIdentity(world: World, p: Principal, invokedBy: string | undefined) {
  const base = {
    principalId: principalUserId(world, p),
    arn: p.arn,
    accountId: p.accountId,
    accessKeyId: p.accessKeyId,
    // A call an AWS service made with these credentials names the service (dispatcher.ts onBehalfCall).
    ...(invokedBy !== undefined ? { invokedBy } : {}),
  };
  if (!p.roleArn) {
    return p.arn.endsWith(":root") ? { type: "Root", ...base } : { type: "IAMUser", ...base, userName: p.arn.split("/").pop()! };
  }
  return {
    type: "AssumedRole",
    ...base,
    sessionContext: {
      sessionIssuer: { type: "Role", principalId: base.principalId.split(":")[0], arn: p.roleArn, accountId: p.accountId, userName: p.roleArn.split("/").pop()! },
      attributes: { ...(p.issuedAt !== undefined ? { creationDate: isoSeconds(p.issuedAt) } : {}), mfaAuthenticated: "false" },
    },
  };
}

function usernameOf(call: Call): string {
  const p = call.principal;
  if (p.roleArn) return p.arn.split("/").pop()!;
  return p.arn.endsWith(":root") ? "root" : p.arn.split("/").pop()!;
}

/** Records a successful mutating call in the account-region's trail and returns its EventBridge event; data events are not recorded. */
export function recordCall(world: World, service: ServiceDefinition, call: Call, result: unknown, now: number, random: () => number): CloudTrailBridgeEvent | undefined {
  if (isDataEvent(call.service, call.action)) return undefined;
  // IAM is global: CloudTrail delivers its events in us-east-1.
  const region = call.service === "iam" ? "us-east-1" : call.region;
  const eventId = uuid(random);
  const eventTime = isoSeconds(now);
  const eventSource = `${call.service}.amazonaws.com`;
  const eventName = eventNameOf(call);
  const record: Record<string, unknown> = {
    eventVersion: "1.09",
    userIdentity: userIdentity(world, call.principal, call.invokedBy),
    eventTime,
    eventSource,
    eventName,
    awsRegion: region,
    // Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d.
    sourceIPAddress: (call.sourceIp ?? "127.0.0.1").replace(/^::ffff:/, ""),
    userAgent: call.userAgent ?? "driftguard-sandbox",
    ...trailParameters(service, call, result),
    requestID: call.requestId,
    eventID: eventId,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: call.accountId,
    eventCategory: "Management",
  };
  const event: TrailEvent = {
    eventId,
    eventName,
    eventSource,
    eventTime,
    readOnly: false,
    accessKeyId: call.principal.accessKeyId,
    username: usernameOf(call),
    resources: resourcesOf(call.params, result),
    record,
  };
  const account = world.accounts.get(call.accountId);
  if (account) {
    const state = regionOf(account, region);
    (state.cloudTrail ??= []).push(event);
  }
  return {
    version: "0",
    id: uuid(random),
    "detail-type": "AWS API Call via CloudTrail",
    source: `aws.${call.service}`,
    account: call.accountId,
    time: eventTime,
    region,
    resources: [],
    detail: record,
  };
}
