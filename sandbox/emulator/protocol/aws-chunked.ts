import type { WireRequest } from "./codec.js";
import { AwsError } from "./types.js";

/**
 * S3's `aws-chunked` content encoding: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` repeated,
 * a zero-size chunk, then optional trailing headers (flexible checksums). Chunk signatures are
 * not re-verified: the seed signature over the headers already authenticated the request.
 */
export function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", offset);
    if (lineEnd < 0) throw new AwsError("IncompleteBody", "The aws-chunked body ends inside a chunk header");
    const size = parseInt(body.subarray(offset, lineEnd).toString("latin1").split(";")[0]!, 16);
    if (Number.isNaN(size)) throw new AwsError("IncompleteBody", "An aws-chunked chunk header has no size");
    offset = lineEnd + 2;
    if (size === 0) break;
    chunks.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(offset).toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(chunks), trailers };
}

function isAwsChunked(req: WireRequest): boolean {
  return (
    (req.headers["content-encoding"] ?? "").split(",").some((e) => e.trim() === "aws-chunked") ||
    (req.headers["x-amz-content-sha256"] ?? "").startsWith("STREAMING-")
  );
}

/** The request with its body de-chunked and trailing checksum headers folded into the headers. */
export function unwrapAwsChunked(req: WireRequest): WireRequest {
  if (!isAwsChunked(req)) return req;
  const { payload, trailers } = decodeAwsChunked(req.body);
  const encodings = (req.headers["content-encoding"] ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "" && e !== "aws-chunked");
  const headers = { ...req.headers, ...trailers };
  if (encodings.length > 0) headers["content-encoding"] = encodings.join(",");
  else delete headers["content-encoding"];
  return { ...req, headers, body: payload };
}
