import type { NormalizedSchema } from "@smithy/core/schema";
import { header, type Codec, type WireRequest, type WireResponse } from "./codec.js";
import { serviceDisplayName } from "./errors.js";
import { operationNames, operationSchema, type OperationSchema } from "./sdk-schemas.js";
import { AwsError, type ServiceDefinition } from "./types.js";

/**
 * restJson1 as Lambda speaks it: the operation is found from the HTTP bindings of the SDK's model
 * (method and URI template, e.g. `DELETE /2015-03-31/functions/{FunctionName}/policy/{StatementId}`),
 * labels, query and headers are bound by their traits, and the rest of the input is the JSON body.
 * Blobs travel base64 inside JSON (CreateFunction's Code.ZipFile) and raw as an httpPayload
 * (Invoke's Payload). Errors name their code in `X-Amzn-ErrorType` and carry `Type` and `message`
 * in the body (Smithy "restJson1 protocol", Error shape serialization:
 * smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization).
 */

interface Route {
  action: string;
  schema: OperationSchema;
  method: string;
  pattern: RegExp;
  labels: string[];
  /** Query literals of the URI template (`GET /2018-10-31/layers?find=LayerVersion` is GetLayerVersionByArn, not ListLayers). */
  literals: [string, string | undefined][];
}

function routeOf(action: string, schema: OperationSchema): Route | undefined {
  if (!schema.http) return undefined;
  const [method, uri] = schema.http;
  const labels: string[] = [];
  const [path = "", query = ""] = uri.split("?");
  const literals = query
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair): [string, string | undefined] => {
      const [k = "", v] = pair.split("=");
      return [k, v];
    });
  const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&");
  let source = "";
  let last = 0;
  for (const m of path.matchAll(/\{(\w+)(\+?)\}/g)) {
    source += escape(path.slice(last, m.index)) + (m[2] ? "(.+)" : "([^/]+)");
    labels.push(m[1]!);
    last = m.index + m[0].length;
  }
  source += escape(path.slice(last));
  return { action, schema, method, pattern: new RegExp(`^${source}$`), labels, literals };
}

const routeCache = new WeakMap<ServiceDefinition, Route[]>();

function routes(service: ServiceDefinition): Route[] {
  let found = routeCache.get(service);
  if (!found) {
    found = operationNames(service.name).flatMap((action) => {
      const schema = operationSchema(service.name, action);
      const route = schema && routeOf(action, schema);
      return route ? [route] : [];
    });
    routeCache.set(service, found);
  }
  return found;
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function fromText(schema: NormalizedSchema, text: string): unknown {
  if (schema.isBooleanSchema()) return text === "true";
  if (schema.isNumericSchema()) return Number(text);
  if (schema.isTimestampSchema()) return new Date(/^\d+$/.test(text) ? Number(text) * 1000 : text);
  return text;
}

function jsonNameOf(member: NormalizedSchema, name: string): string {
  const traits = member.getMergedTraits();
  return typeof traits.jsonName === "string" ? traits.jsonName : name;
}

/** JSON → SDK shape: base64 blobs become Buffers, epoch-second timestamps Dates. */
function readJson(schema: NormalizedSchema, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (schema.isBlobSchema() && typeof value === "string") return Buffer.from(value, "base64");
  if (schema.isTimestampSchema() && typeof value === "number") return new Date(value * 1000);
  if (schema.isListSchema() && Array.isArray(value)) return value.map((v) => readJson(schema.getValueSchema(), v));
  if (schema.isMapSchema() && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, readJson(schema.getValueSchema(), v)]));
  }
  if (schema.isStructSchema() && typeof value === "object") {
    const raw = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, member] of schema.structIterator()) {
      const v = raw[jsonNameOf(member, name)];
      if (v !== undefined) out[name] = readJson(member, v);
    }
    return out;
  }
  return value;
}

/** SDK shape → JSON: Buffers as base64, Dates as epoch seconds (restJson1's default timestamp format). */
function writeJson(schema: NormalizedSchema, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value.toString("base64");
  if (value instanceof Date) return value.getTime() / 1000;
  if (schema.isListSchema() && Array.isArray(value)) return value.map((v) => writeJson(schema.getValueSchema(), v));
  if (schema.isMapSchema() && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, writeJson(schema.getValueSchema(), v)]));
  }
  if (schema.isStructSchema() && typeof value === "object") {
    const raw = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, member] of schema.structIterator()) {
      const v = writeJson(member, raw[name]);
      if (v !== undefined) out[jsonNameOf(member, name)] = v;
    }
    return out;
  }
  return value;
}

function findRoute(req: WireRequest, service: ServiceDefinition): { route: Route; labels: Record<string, string> } {
  // The most specific binding wins: the one whose query literals the request carries.
  const candidates = routes(service)
    .filter((route) => route.method === req.method && route.literals.every(([k, v]) => k in req.query && (v === undefined || firstValue(req.query[k]) === v)))
    .sort((a, b) => b.literals.length - a.literals.length);
  for (const route of candidates) {
    const m = route.pattern.exec(req.path);
    if (!m) continue;
    const labels = Object.fromEntries(route.labels.map((name, i) => [name, decodeURIComponent(m[i + 1]!)]));
    return { route, labels };
  }
  // A path no operation of the service's model has: UnknownOperationException, 404, the answer of
  // AWS's REST front ends for an unrecognized operation (the AWS Common Errors page, as quoted in
  // github.com/floci-io/floci/pull/3925); the message names the service, method and path.
  throw new AwsError("UnknownOperationException", `The sandbox does not implement ${serviceDisplayName(service.name)} ${req.method} ${req.path}`, 404);
}

function bindInput(req: WireRequest, route: Route, labels: Record<string, string>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  let body: Record<string, unknown> | undefined;
  const bodyJson = (): Record<string, unknown> => {
    if (body) return body;
    const text = req.body.toString("utf8");
    try {
      body = text.trim() === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      throw new AwsError("SerializationException", "Request body is not valid JSON");
    }
    return body;
  };
  for (const [name, member] of route.schema.input.structIterator()) {
    const traits = member.getMergedTraits();
    if (traits.httpLabel) {
      if (labels[name] !== undefined) params[name] = labels[name];
    } else if (typeof traits.httpQuery === "string") {
      const raw = req.query[traits.httpQuery];
      if (raw !== undefined) params[name] = member.isListSchema() ? (Array.isArray(raw) ? raw : [raw]) : fromText(member, firstValue(raw)!);
    } else if (typeof traits.httpHeader === "string") {
      const v = header(req, traits.httpHeader);
      if (v !== undefined) params[name] = fromText(member, v);
    } else if (traits.httpPayload) {
      if (member.isBlobSchema() || member.isStreaming()) params[name] = req.body;
      else if (member.isStringSchema()) params[name] = req.body.toString("utf8");
      else if (req.body.length > 0) params[name] = readJson(member, bodyJson());
    } else if (!traits.httpQueryParams && !traits.httpPrefixHeaders) {
      const v = bodyJson()[jsonNameOf(member, name)];
      if (v !== undefined) params[name] = readJson(member, v);
    }
  }
  return params;
}

function encodeOutput(schema: OperationSchema, result: Record<string, unknown>, requestId: string): WireResponse {
  const headers: Record<string, string> = { "x-amzn-requestid": requestId, "content-type": "application/json" };
  let status = schema.http?.[2] ?? 200;
  let payload: string | Buffer | undefined;
  const body: Record<string, unknown> = {};
  for (const [name, member] of schema.output.structIterator()) {
    const traits = member.getMergedTraits();
    const v = result[name];
    if (v === undefined || v === null) continue;
    if (typeof traits.httpHeader === "string") headers[traits.httpHeader.toLowerCase()] = v instanceof Date ? v.toUTCString() : String(v);
    else if (traits.httpResponseCode) status = Number(v);
    else if (traits.httpPayload) {
      if (Buffer.isBuffer(v) || typeof v === "string") payload = v;
      else if (v instanceof Uint8Array) payload = Buffer.from(v);
      else payload = JSON.stringify(writeJson(member, v));
    } else {
      const w = writeJson(member, v);
      if (w !== undefined) body[jsonNameOf(member, name)] = w;
    }
  }
  // 204 responses (RemovePermission, DeleteFunctionEventInvokeConfig) have no body.
  if (status === 204) return { status, headers: { "x-amzn-requestid": requestId }, body: "" };
  return { status, headers, body: payload ?? JSON.stringify(body) };
}

export const restJsonCodec: Codec = {
  decode(req, service) {
    const { route, labels } = findRoute(req, service);
    return { action: route.action, params: bindInput(req, route, labels) };
  },
  encode(service, action, result, requestId) {
    const schema = operationSchema(service.name, action);
    if (!schema) return { status: 200, headers: { "x-amzn-requestid": requestId }, body: "{}" };
    return encodeOutput(schema, (result ?? {}) as Record<string, unknown>, requestId);
  },
  encodeError(_service, error, requestId) {
    return {
      status: error.status,
      headers: { "content-type": "application/json", "x-amzn-requestid": requestId, "x-amzn-errortype": error.code },
      // Lambda's error bodies: {"Type":"User","message":"Function not found: arn:…"} (Type "Service" for server faults).
      body: JSON.stringify({ Type: error.senderFault ? "User" : "Service", message: error.message }),
    };
  },
};
