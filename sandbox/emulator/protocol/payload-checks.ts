import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import type { WireRequest } from "./codec.js";
import { AwsError } from "./types.js";

/**
 * Request body integrity: the signed x-amz-content-sha256 (every service), and for S3 Content-MD5
 * and the flexible CRC32 checksum the SDK sends by default (as a header or an aws-chunked trailer).
 */

/**
 * A signature covers the payload only through the hash it declares in x-amz-content-sha256, so a
 * literal hash must match the body as sent (before any de-chunking).
 */
export function declaredPayloadHashMismatch(req: WireRequest): boolean {
  const declared = req.headers["x-amz-content-sha256"];
  return declared !== undefined && /^[0-9a-f]{64}$/.test(declared) && createHash("sha256").update(req.body).digest("hex") !== declared;
}

/** After de-chunking: checksums describe the decoded payload. */
export function checkPayloadDigests(req: WireRequest): void {
  const md5 = req.headers["content-md5"];
  if (md5 && createHash("md5").update(req.body).digest("base64") !== md5) {
    throw new AwsError("BadDigest", "The Content-MD5 you specified did not match what we received.");
  }
  const crc = req.headers["x-amz-checksum-crc32"];
  if (crc) {
    const actual = Buffer.alloc(4);
    actual.writeUInt32BE(crc32(req.body));
    if (actual.toString("base64") !== crc) throw new AwsError("BadDigest", "The CRC32 you specified did not match the calculated checksum.");
  }
}
