import type { NormalizedSchema } from "@smithy/core/schema";
import type { Call } from "../../protocol/dispatcher.js";
import { S3_NAMESPACE } from "../../protocol/rest-xml.js";
import { lowerFirst, type OperationSchema, operationSchema, presentMembers, uriLiterals } from "../../protocol/sdk-schemas.js";
import type { ServiceDefinition } from "../../protocol/types.js";
import { ec2RequestParameters, ec2ResponseElements } from "./ec2.js";

/**
 * requestParameters and responseElements of a CloudTrail record, per protocol family, read off
 * the SDK schemas of the call:
 * - query and JSON services (IAM, STS, SNS, CloudFormation, Organizations …): the members with
 *   lowerCamel names, lists as arrays, secrets hidden; an empty response is null;
 * - EC2: see cloudtrail-ec2.ts;
 * - S3: `bucketName`, the `Host` the request went to, the sub-resource (`encryption: ""`) and the
 *   XML body as JSON under its root element name; S3 bucket calls have no responseElements.
 */

export interface TrailParameters {
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
}

const HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value);
}

function timestamp(value: unknown): string {
  return (value instanceof Date ? value : new Date(typeof value === "number" ? value * 1000 : String(value))).toISOString();
}

function camelShape(schema: NormalizedSchema, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (schema.getMergedTraits().sensitive) return HIDDEN;
  if (schema.isStructSchema()) {
    if (!isRecord(value)) return undefined;
    const members = presentMembers(schema, value).map(([name, member, v]) => [lowerFirst(name), camelShape(member, v)] as const);
    return Object.fromEntries(members.filter(([, v]) => v !== undefined));
  }
  if (schema.isListSchema()) return Array.isArray(value) ? value.map((v) => camelShape(schema.getValueSchema(), v)) : undefined;
  if (schema.isMapSchema()) return value;
  if (schema.isBlobSchema() || schema.isStreaming()) return undefined;
  if (schema.isTimestampSchema()) return timestamp(value);
  return value;
}

function nullIfEmpty(value: unknown): Record<string, unknown> | null {
  return isRecord(value) && Object.keys(value).length > 0 ? value : null;
}

/** The XML body S3 received, as CloudTrail writes it: element names, a repeated element as an array. */
function s3XmlShape(schema: NormalizedSchema, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (schema.isStructSchema()) {
    if (!isRecord(value)) return undefined;
    return Object.fromEntries(
      presentMembers(schema, value).map(([name, member, v]) => {
        const element = member.getMergedTraits().xmlName ?? name;
        if (!member.isListSchema() || !Array.isArray(v)) return [element, s3XmlShape(member, v)];
        const itemSchema = member.getValueSchema();
        const entries = v.map((item) => s3XmlShape(itemSchema, item));
        // A flattened list repeats its own element, so one entry reads as a lone element.
        if (member.getMergedTraits().xmlFlattened) return [element, entries.length === 1 ? entries[0] : entries];
        return [element, { [itemSchema.getMergedTraits().xmlName ?? "member"]: entries }];
      }),
    );
  }
  if (schema.isTimestampSchema()) return timestamp(value);
  return value;
}

function s3RequestParameters(schema: OperationSchema, params: Record<string, unknown>, region: string): Record<string, unknown> {
  const bucket = String(params.Bucket ?? "");
  const out: Record<string, unknown> = { bucketName: bucket, Host: `${bucket}.s3.${region}.amazonaws.com` };
  for (const [key] of uriLiterals(schema.http?.[1] ?? "")) if (key !== "x-id") out[key] = "";
  for (const [name, member] of schema.input.structIterator()) {
    const traits = member.getMergedTraits();
    if (!traits.httpPayload || !member.isStructSchema() || params[name] === undefined) continue;
    out[traits.xmlName ?? name] = { xmlns: S3_NAMESPACE, ...(s3XmlShape(member, params[name]) as Record<string, unknown>) };
  }
  return out;
}

export function trailParameters(service: ServiceDefinition, call: Call, result: unknown): TrailParameters {
  const schema = operationSchema(call.service, call.action);
  if (!schema) return { requestParameters: null, responseElements: null };
  const params = isRecord(call.params) ? call.params : {};
  const output = isRecord(result) ? result : {};
  switch (service.protocol) {
    case "ec2":
      return {
        requestParameters: nullIfEmpty(ec2RequestParameters(call.action, schema, params)),
        responseElements: ec2ResponseElements(call.action, schema, output, call.requestId, service.xmlNamespace ?? ""),
      };
    case "rest-xml":
      return { requestParameters: s3RequestParameters(schema, params, call.region), responseElements: null };
    default:
      return { requestParameters: nullIfEmpty(camelShape(schema.input, params)), responseElements: nullIfEmpty(camelShape(schema.output, output)) };
  }
}
