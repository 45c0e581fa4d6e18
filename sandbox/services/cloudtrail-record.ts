import type { NormalizedSchema } from "@smithy/core/schema";
import type { Call } from "../protocol/dispatcher.js";
import { operationSchema } from "../protocol/sdk-schemas.js";
import type { TrailEvent, World } from "../state.js";
import { regionOf } from "../state.js";
import { uuid } from "./ids.js";
import { principalUserId } from "./principals.js";

/**
 * Turns each mutating call into the CloudTrail record AWS would write, and into the EventBridge
 * "AWS API Call via CloudTrail" event built from it. requestParameters follow CloudTrail's
 * conventions: lowerCamel member names, and for EC2 the wire names with lists as `{ items: [...] }`.
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

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function trailShape(schema: NormalizedSchema, value: unknown, ec2: boolean): unknown {
  if (value === undefined || value === null) return undefined;
  if (schema.getMergedTraits().sensitive) return "HIDDEN_DUE_TO_SECURITY_REASONS";
  if (schema.isStructSchema()) {
    const out: Record<string, unknown> = {};
    for (const [name, member] of schema.structIterator()) {
      const v = trailShape(member, (value as Record<string, unknown>)[name], ec2);
      if (v === undefined) continue;
      const key = name === "Bucket" ? "bucketName" : ((ec2 ? member.getMergedTraits().xmlName : undefined) ?? lowerFirst(name));
      out[key] = v;
    }
    return out;
  }
  if (schema.isListSchema()) {
    const items = (value as unknown[]).map((v) => trailShape(schema.getValueSchema(), v, ec2));
    return ec2 ? { items } : items;
  }
  if (schema.isMapSchema()) return value;
  if (schema.isBlobSchema() || schema.isStreaming()) return undefined;
  if (value instanceof Date) return value.toISOString();
  return value;
}

function userIdentity(world: World, call: Call) {
  const p = call.principal;
  const base = { principalId: principalUserId(world, p), arn: p.arn, accountId: p.accountId, accessKeyId: p.accessKeyId };
  if (!p.roleArn) return { type: p.arn.endsWith(":root") ? "Root" : "IAMUser", ...base };
  const roleName = p.roleArn.split("/").pop()!;
  return {
    type: "AssumedRole",
    ...base,
    sessionContext: {
      sessionIssuer: { type: "Role", principalId: base.principalId.split(":")[0], arn: p.roleArn, accountId: p.accountId, userName: roleName },
      attributes: { mfaAuthenticated: "false" },
    },
  };
}

function usernameOf(call: Call): string {
  const p = call.principal;
  if (p.roleArn) return p.arn.split("/").pop()!;
  return p.arn.endsWith(":root") ? "root" : p.arn.split("/").pop()!;
}

function secondsPrecision(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Records a successful mutating call in the account-region's trail and returns its EventBridge event. */
export function recordCall(world: World, call: Call, result: unknown, now: number, random: () => number): CloudTrailBridgeEvent {
  const schema = operationSchema(call.service, call.action);
  const ec2 = call.service === "ec2";
  // IAM is global: CloudTrail delivers its events in us-east-1.
  const region = call.service === "iam" ? "us-east-1" : call.region;
  const eventId = uuid(random);
  const eventTime = secondsPrecision(now);
  const eventSource = `${call.service}.amazonaws.com`;
  const record: Record<string, unknown> = {
    eventVersion: "1.08",
    userIdentity: userIdentity(world, call),
    eventTime,
    eventSource,
    eventName: call.action,
    awsRegion: region,
    sourceIPAddress: call.sourceIp ?? "127.0.0.1",
    userAgent: call.userAgent ?? "driftguard-sandbox",
    requestParameters: schema ? (trailShape(schema.input, call.params, ec2) ?? null) : null,
    responseElements: schema && schema.output.isStructSchema() ? (trailShape(schema.output, result, ec2) ?? null) : null,
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
    eventName: call.action,
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
