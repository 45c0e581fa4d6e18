import type { NormalizedSchema } from "@smithy/core/schema";
import type { Codec, WireRequest, WireResponse } from "./codec.js";
import { operationSchema, upperFirst } from "./sdk-schemas.js";
import { AwsError, type ServiceDefinition } from "./types.js";
import { element, escapeXml, structMembersXml } from "./xml.js";

/**
 * The awsQuery protocol (STS, IAM, SNS, CloudFormation) and its EC2 variant. Requests are
 * form-encoded `Action=…&Version=…&X.member.1.Y=…` (EC2: `X.1.Y`, with EC2 query names);
 * responses are XML, errors use `<ErrorResponse>` (EC2: `<Response><Errors>`).
 */

interface FormNode {
  value?: string;
  children: Map<string, FormNode>;
}

function formTree(fields: Iterable<[string, string]>): FormNode {
  const root: FormNode = { children: new Map() };
  for (const [key, value] of fields) {
    let node = root;
    for (const part of key.split(".")) {
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = { children: new Map() }));
      node = next;
    }
    node.value = value;
  }
  return root;
}

function numbered(node: FormNode | undefined): FormNode[] {
  if (!node) return [];
  return [...node.children.entries()]
    .filter(([k]) => /^\d+$/.test(k))
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, v]) => v);
}

/** A member's name in an EC2 query string (`IpPermissions.1.Groups.1.GroupId`), as the SDK writes it. */
export function ec2QueryName(member: NormalizedSchema, memberName: string): string {
  const traits = member.getMergedTraits() as { ec2QueryName?: string; xmlName?: string };
  return traits.ec2QueryName ?? upperFirst(traits.xmlName ?? memberName);
}

/** The inverse of the SDK's QueryShapeSerializer.getKey. */
function memberKey(member: NormalizedSchema, memberName: string, ec2: boolean): string {
  return ec2 ? ec2QueryName(member, memberName) : (member.getMergedTraits().xmlName ?? memberName);
}

function readScalar(schema: NormalizedSchema, text: string): unknown {
  if (schema.isBooleanSchema()) return text === "true";
  if (schema.isNumericSchema()) return Number(text);
  if (schema.isTimestampSchema()) return /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (schema.isBlobSchema()) return Buffer.from(text, "base64");
  return text;
}

function readShape(schema: NormalizedSchema, node: FormNode, ec2: boolean): unknown {
  if (schema.isStructSchema()) {
    const out: Record<string, unknown> = {};
    for (const [memberName, member] of schema.structIterator()) {
      const child = node.children.get(memberKey(member, memberName, ec2));
      if (child) out[memberName] = readShape(member, child, ec2);
    }
    return out;
  }
  if (schema.isListSchema()) {
    const item = schema.getValueSchema();
    const flat = ec2 || schema.getMergedTraits().xmlFlattened;
    const items = flat ? numbered(node) : numbered(node.children.get(item.getMergedTraits().xmlName ?? "member"));
    return items.map((n) => readShape(item, n, ec2));
  }
  if (schema.isMapSchema()) {
    const keyName = schema.getKeySchema().getMergedTraits().xmlName ?? "key";
    const valueSchema = schema.getValueSchema();
    const valueName = valueSchema.getMergedTraits().xmlName ?? "value";
    const entries = schema.getMergedTraits().xmlFlattened ? numbered(node) : numbered(node.children.get("entry"));
    const out: Record<string, unknown> = {};
    for (const entry of entries) {
      const key = entry.children.get(keyName)?.value;
      const value = entry.children.get(valueName);
      if (key !== undefined && value) out[key] = readShape(valueSchema, value, ec2);
    }
    return out;
  }
  return readScalar(schema, node.value ?? "");
}

function formFields(req: WireRequest): [string, string][] {
  const fields: [string, string][] = [];
  for (const [k, v] of Object.entries(req.query)) for (const one of Array.isArray(v) ? v : [v]) fields.push([k, one]);
  if (req.body.length > 0) fields.push(...new URLSearchParams(req.body.toString("utf8")));
  return fields;
}

/** Decodes a query/EC2 request into the SDK's input shape for its action. */
export function decodeQueryRequest(req: WireRequest, service: ServiceDefinition): { action: string; params: unknown } {
  const fields = formFields(req);
  const action = fields.find(([k]) => k === "Action")?.[1];
  if (!action) throw new AwsError("MissingAction", "Missing Action");
  const schema = operationSchema(service.name, action);
  if (!schema) return { action, params: {} };
  return { action, params: readShape(schema.input, formTree(fields), service.protocol === "ec2") };
}

function xmlResponse(status: number, body: string, requestId: string): WireResponse {
  return {
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

function namespace(service: ServiceDefinition): string {
  return service.xmlNamespace ? ` xmlns="${service.xmlNamespace}"` : "";
}

function resultXml(service: ServiceDefinition, action: string, result: unknown): string {
  const output = operationSchema(service.name, action)?.output;
  if (!output || !output.isStructSchema()) return "";
  return structMembersXml(output, (result ?? {}) as Record<string, unknown>);
}

export const queryCodec: Codec = {
  decode: decodeQueryRequest,
  encode(service, action, result, requestId) {
    const output = operationSchema(service.name, action)?.output;
    const body = output?.isStructSchema() ? element(`${action}Result`, resultXml(service, action, result)) : "";
    const metadata = element("ResponseMetadata", element("RequestId", requestId));
    return xmlResponse(200, element(`${action}Response`, body + metadata, namespace(service)), requestId);
  },
  encodeError(service, error, requestId) {
    const inner =
      element("Type", error.senderFault ? "Sender" : "Receiver") +
      element("Code", escapeXml(error.code)) +
      element("Message", escapeXml(error.message));
    return xmlResponse(error.status, element("ErrorResponse", element("Error", inner) + element("RequestId", requestId), namespace(service)), requestId);
  },
};

export const ec2Codec: Codec = {
  decode: decodeQueryRequest,
  encode(service, action, result, requestId) {
    const body = element("requestId", requestId) + resultXml(service, action, result);
    return xmlResponse(200, element(`${action}Response`, body, namespace(service)), requestId);
  },
  encodeError(_service, error, requestId) {
    const inner = element("Code", escapeXml(error.code)) + element("Message", escapeXml(error.message));
    return xmlResponse(error.status, element("Response", element("Errors", element("Error", inner)) + element("RequestID", requestId)), requestId);
  },
};
