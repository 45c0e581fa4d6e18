import { XmlShapeDeserializer } from "@aws-sdk/core/protocols";
import type { NormalizedSchema } from "@smithy/core/schema";
import { header, type Codec, type WireRequest, type WireResponse } from "./codec.js";
import { operationNames, operationSchema, type OperationSchema, uriLiterals } from "./sdk-schemas.js";
import { AwsError, type ServiceDefinition } from "./types.js";
import { element, escapeXml, isoTimestamp, structMembersXml } from "./xml.js";

/**
 * REST-XML as S3 speaks it, path style: `/<bucket>/<key>?<subresource>`. The operation is found
 * from the HTTP bindings in the SDK's schemas (method, key present or not, literal query keys such
 * as `?encryption` or `?list-type=2`), and headers, query and payload are bound the same way.
 */

export const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

interface Route {
  action: string;
  schema: OperationSchema;
  method: string;
  withKey: boolean;
  literals: [string, string | undefined][];
  /** Required query members (uploadId): PUT /b/k?partNumber=1&uploadId=… is UploadPart, not PutObject. */
  requiredQuery: string[];
  xId?: string;
}

/**
 * Query members that name what an operation acts on, required wherever they appear (the S3 model
 * marks uploadId required in UploadPart, ListParts, CompleteMultipartUpload and
 * AbortMultipartUpload; the SDK's schemas drop the required trait, so it is listed here).
 */
const IDENTIFYING_QUERY = ["uploadId"];

/**
 * Routes of every operation in the SDK's model, implemented or not, so a request for one the
 * sandbox lacks is recognised and refused by name ("the sandbox does not implement S3.X").
 */
function routesOf(service: ServiceDefinition): Route[] {
  return operationNames(service.name).flatMap((action) => {
    const schema = operationSchema(service.name, action);
    if (!schema?.http) return [];
    const [method, uri] = schema.http;
    const path = uri.split("?")[0]!;
    const literals = uriLiterals(uri);
    const xId = literals.find(([k]) => k === "x-id")?.[1];
    const requiredQuery = [...schema.input.structIterator()].flatMap(([, m]) => {
      const query = m.getMergedTraits().httpQuery;
      return typeof query === "string" && IDENTIFYING_QUERY.includes(query) ? [query] : [];
    });
    return [{ action, schema, method, withKey: path.includes("{Key+}"), literals: literals.filter(([k]) => k !== "x-id"), requiredQuery, xId }];
  });
}

const routeCache = new WeakMap<ServiceDefinition, Route[]>();

function splitPath(rawPath: string): { bucket: string; key: string } {
  const [, bucket = "", ...rest] = rawPath.split("/");
  return { bucket: decodeURIComponent(bucket), key: rest.map(decodeURIComponent).join("/") };
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function findRoute(req: WireRequest, service: ServiceDefinition): Route {
  let routes = routeCache.get(service);
  if (!routes) routeCache.set(service, (routes = routesOf(service)));
  const { bucket, key } = splitPath(req.path);
  const xId = firstValue(req.query["x-id"]);
  const sameResource = (r: Route) =>
    r.withKey === (key !== "") && (r.schema.input.isStructSchema() && r.schema.input.getMemberSchemas().Bucket ? bucket !== "" : bucket === "");
  if (!routes.some((r) => r.method === req.method && sameResource(r))) {
    // No S3 operation uses this method on this kind of resource: S3's own answer, with the Method and
    // ResourceType elements it adds (a real one: <Code>MethodNotAllowed</Code><Message>The specified method
    // is not allowed against this resource.</Message><Method>POST</Method><ResourceType>SERVICE</ResourceType>,
    // github.com/versity/versitygw/issues/1487; OBJECT for a key, github.com/mhart/aws4fetch/issues/14).
    const resourceType = key !== "" ? "OBJECT" : bucket !== "" ? "BUCKET" : "SERVICE";
    throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, true, { Method: req.method, ResourceType: resourceType });
  }
  const candidates = routes.filter(
    (r) =>
      r.method === req.method &&
      sameResource(r) &&
      (xId === undefined || r.xId === undefined || r.xId === xId) &&
      r.literals.every(([k, v]) => k in req.query && (v === undefined || firstValue(req.query[k]) === v)) &&
      r.requiredQuery.every((k) => k in req.query),
  );
  // The most specific binding wins: GET /b?encryption over GET /b?list-type=2 over GET /b, and
  // GET /b/k?uploadId (ListParts) over GET /b/k; between equally specific ones, an operation the
  // sandbox implements.
  const implemented = (r: Route) => (r.action in service.actions ? 1 : 0);
  const specificity = (r: Route) => r.literals.length + r.requiredQuery.length;
  candidates.sort((a, b) => specificity(b) - specificity(a) || implemented(b) - implemented(a));
  const route = candidates[0];
  if (!route) throw new AwsError("NotImplemented", `The sandbox does not implement ${req.method} ${req.path} with this query`, 501);
  return route;
}

function fromText(schema: NormalizedSchema, text: string): unknown {
  if (schema.isBooleanSchema()) return text === "true";
  if (schema.isNumericSchema()) return Number(text);
  if (schema.isTimestampSchema()) return new Date(/^\d+$/.test(text) ? Number(text) * 1000 : text);
  if (schema.isListSchema()) return text.split(",").map((s) => s.trim());
  return text;
}

const xmlReader = new XmlShapeDeserializer({
  timestampFormat: { useTrait: true, default: 5 },
  httpBindings: true,
  xmlNamespace: S3_NAMESPACE,
  serviceNamespace: "com.amazonaws.s3",
});

function bindInput(req: WireRequest, route: Route): Record<string, unknown> {
  const { bucket, key } = splitPath(req.path);
  const params: Record<string, unknown> = {};
  for (const [name, member] of route.schema.input.structIterator()) {
    const traits = member.getMergedTraits();
    if (name === "Bucket" && bucket) params.Bucket = bucket;
    else if (name === "Key" && traits.httpLabel) params.Key = key;
    else if (typeof traits.httpQuery === "string") {
      const v = firstValue(req.query[traits.httpQuery]);
      if (v !== undefined) params[name] = fromText(member, v);
    } else if (typeof traits.httpHeader === "string") {
      const v = header(req, traits.httpHeader);
      if (v !== undefined) params[name] = fromText(member, v);
    } else if (typeof traits.httpPrefixHeaders === "string") {
      const prefix = traits.httpPrefixHeaders.toLowerCase();
      const entries = Object.entries(req.headers).filter(([h]) => h.startsWith(prefix));
      if (entries.length > 0) params[name] = Object.fromEntries(entries.map(([h, v]) => [h.slice(prefix.length), v]));
    } else if (traits.httpPayload) {
      if (member.isBlobSchema() || member.isStreaming()) params[name] = req.body;
      // A string payload (PutBucketPolicy's Policy) is the body as is, JSON rather than XML.
      else if (member.isStringSchema()) params[name] = req.body.toString("utf8");
      else if (req.body.length > 0) {
        try {
          params[name] = xmlReader.read(member, req.body);
        } catch {
          throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
        }
      }
    }
  }
  return params;
}

function headerText(schema: NormalizedSchema, value: unknown): string {
  if (schema.isTimestampSchema()) return (value instanceof Date ? value : new Date(isoTimestamp(value))).toUTCString();
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

function s3Headers(requestId: string): Record<string, string> {
  return { "x-amz-request-id": requestId, "x-amzn-requestid": requestId, "x-amz-id-2": Buffer.from(requestId).toString("base64") };
}

function encodeOutput(schema: OperationSchema, result: Record<string, unknown>, requestId: string): WireResponse {
  const headers = s3Headers(requestId);
  let status = schema.http?.[2] ?? 200;
  let body: string | Buffer = "";
  let hasBodyMembers = false;
  for (const [name, member] of schema.output.structIterator()) {
    const traits = member.getMergedTraits();
    const v = result[name];
    const bound = traits.httpHeader || traits.httpPrefixHeaders || traits.httpPayload || traits.httpResponseCode;
    if (!bound) hasBodyMembers = true;
    if (v === undefined || v === null) continue;
    if (typeof traits.httpHeader === "string") headers[traits.httpHeader.toLowerCase()] = headerText(member, v);
    else if (typeof traits.httpPrefixHeaders === "string") {
      for (const [k, hv] of Object.entries(v as Record<string, string>)) headers[`${traits.httpPrefixHeaders.toLowerCase()}${k}`] = hv;
    } else if (traits.httpResponseCode) status = Number(v);
    // A ranged GetObject/HeadObject answers 206 Partial Content with its Content-Range (RFC 9110 §15.3.7).
    if (name === "ContentRange" && status === 200) status = 206;
    else if (traits.httpPayload) {
      if (member.isBlobSchema() || member.isStreaming() || member.isStringSchema()) body = Buffer.isBuffer(v) ? v : Buffer.from(v as string);
      else {
        body = element(traits.xmlName ?? member.getName()!, structMembersXml(member, v as Record<string, unknown>), ` xmlns="${S3_NAMESPACE}"`);
        headers["content-type"] = "application/xml";
      }
    }
  }
  if (hasBodyMembers) {
    const root = schema.output.getMergedTraits().xmlName ?? schema.output.getName()!;
    body = element(root, structMembersXml(schema.output, result), ` xmlns="${S3_NAMESPACE}"`);
    headers["content-type"] = "application/xml";
  }
  return { status, headers, body };
}

export const restXmlCodec: Codec = {
  decode(req, service) {
    const route = findRoute(req, service);
    return { action: route.action, params: bindInput(req, route) };
  },
  encode(service, action, result, requestId) {
    const schema = operationSchema(service.name, action);
    if (!schema) return { status: 200, headers: s3Headers(requestId), body: "" };
    return encodeOutput(schema, (result ?? {}) as Record<string, unknown>, requestId);
  },
  encodeError(_service, error, requestId, req) {
    const headers = s3Headers(requestId);
    // HEAD responses have no body; the SDK then names the error after the status (NotFound, Forbidden).
    if (req.method === "HEAD") return { status: error.status, headers, body: "" };
    const inner =
      element("Code", escapeXml(error.code)) +
      element("Message", escapeXml(error.message)) +
      Object.entries(error.details ?? {})
        .map(([name, value]) => element(name, escapeXml(value)))
        .join("") +
      element("RequestId", requestId) +
      element("HostId", headers["x-amz-id-2"]!);
    return {
      status: error.status,
      headers: { ...headers, "content-type": "application/xml" },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n${element("Error", inner)}`,
    };
  },
};
