import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./auth.js";
import { unwrapAwsChunked } from "./aws-chunked.js";
import type { Codec, WireRequest, WireResponse } from "./codec.js";
import type { Dispatcher } from "./dispatcher.js";
import { protocolError, type Protocol } from "./errors.js";
import { jsonCodec } from "./json.js";
import { checkPayloadDigests, declaredPayloadHashMismatch } from "./payload-checks.js";
import { ec2Codec, queryCodec } from "./query.js";
import { restJsonCodec } from "./rest-json.js";
import { restXmlCodec } from "./rest-xml.js";
import { parsePresigned } from "./presigned.js";
import { parseAuthorization } from "./sigv4.js";
import { AwsError, type ServiceDefinition } from "./types.js";

/**
 * HTTP in, HTTP out: reads the request, routes it by its SigV4 credential scope, authenticates,
 * decodes it with the service's protocol codec, dispatches, and encodes the result or the error
 * in that protocol's real envelope.
 */

const CODECS: Record<Protocol, Codec> = { query: queryCodec, ec2: ec2Codec, json: jsonCodec, "rest-xml": restXmlCodec, "rest-json": restJsonCodec };

function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const pair of search.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
    const prev = query[key];
    query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return query;
}

async function readWire(req: IncomingMessage): Promise<WireRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  return {
    method: req.method ?? "GET",
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? {} : parseQuery(url.slice(q + 1)),
    headers,
    body: Buffer.concat(chunks),
  };
}

/** Unsigned requests carry no scope; answer them in the envelope their shape suggests. */
function guessService(req: WireRequest): ServiceDefinition {
  const protocol: Protocol = req.headers["x-amz-target"] ? "json" : req.method === "POST" ? "query" : "rest-xml";
  return { name: "unknown", protocol, actions: {} };
}

/** Signed in the Authorization header, or presigned in the query string (S3 presigned URLs). */
function authorizationOf(req: WireRequest) {
  return parseAuthorization(req.headers.authorization) ?? (req.headers.authorization === undefined ? parsePresigned(req.query) : undefined);
}

async function respond(dispatcher: Dispatcher, req: WireRequest, requestId: string, sourceIp: string, secureTransport: boolean): Promise<WireResponse> {
  let auth: ReturnType<typeof authorizationOf>;
  try {
    auth = authorizationOf(req);
  } catch (err) {
    return restXmlCodec.encodeError(guessService(req), err as AwsError, requestId, req);
  }
  const registered = auth ? dispatcher.service(auth.service) : undefined;
  // The same service over its other protocol, when the client chose awsJson (ServiceDefinition.alsoJson).
  const service = registered?.alsoJson && req.headers["x-amz-target"] ? { ...registered, protocol: "json" as const, jsonVersion: registered.alsoJson } : registered;
  const target = service ?? guessService(req);
  const codec = CODECS[target.protocol];
  try {
    if (!auth) throw protocolError(target, "missingAuth");
    if (!service) throw new AwsError("UnknownService", `The sandbox does not emulate the ${auth.service} service`);
    const principal = await authenticate(req, auth, service, dispatcher.world, dispatcher.runtime.now());
    if (declaredPayloadHashMismatch(req)) {
      throw service.protocol === "rest-xml"
        ? new AwsError("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
        : protocolError(service, "badSignature");
    }
    let wire = req;
    if (service.protocol === "rest-xml") {
      wire = unwrapAwsChunked(req);
      checkPayloadDigests(wire);
    }
    const { action, params } = codec.decode(wire, service);
    const result = await dispatcher.invoke({
      service: service.name,
      action,
      accountId: principal.accountId,
      region: auth.region,
      params,
      principal,
      requestId,
      sourceIp,
      userAgent: req.headers["user-agent"],
      secureTransport,
    });
    return codec.encode(service, action, result, requestId);
  } catch (err) {
    const error = err instanceof AwsError ? err : new AwsError("InternalFailure", `sandbox error: ${(err as Error).stack ?? String(err)}`, 500, false);
    return codec.encodeError(target, error, requestId, req);
  }
}

/**
 * `secureTransport` says whether requests on this listener count as TLS for IAM (aws:SecureTransport):
 * the sandbox's main endpoint stands in for AWS's HTTPS endpoints, its second one for plain HTTP.
 */
export function createRequestHandler(dispatcher: Dispatcher, newRequestId: () => string, secureTransport = true) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = newRequestId();
    readWire(req)
      .then((wire) => respond(dispatcher, wire, requestId, req.socket.remoteAddress ?? "127.0.0.1", secureTransport).then((out) => ({ wire, out })))
      .then(({ wire, out }) => {
        const body = typeof out.body === "string" ? Buffer.from(out.body, "utf8") : out.body;
        const headers = { "content-length": String(body.length), ...out.headers };
        res.writeHead(out.status, headers);
        res.end(wire.method === "HEAD" ? undefined : body);
      })
      .catch((err: unknown) => {
        res.writeHead(500, { "content-type": "text/plain", "x-amzn-requestid": requestId });
        res.end(`sandbox error: ${String(err)}`);
      });
  };
}
