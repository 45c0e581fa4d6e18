import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Checksum, SourceData } from "@smithy/types";
import type { WireRequest } from "./codec.js";

/**
 * SigV4 on the receiving side: the credential scope routes the request (service, region) and the
 * access key id names the principal; the signature is checked by re-signing the request with the
 * SDK's own signer and the secret the sandbox issued.
 */

export interface SigV4Authorization {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256\s+Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/;

export function parseAuthorization(value: string | undefined): SigV4Authorization | undefined {
  const m = value === undefined ? null : AUTHORIZATION.exec(value.trim());
  if (!m) return undefined;
  return { accessKeyId: m[1]!, shortDate: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(";"), signature: m[6]! };
}

function bytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** SHA-256 and HMAC-SHA256 over node:crypto, in the shape the SDK signer expects. */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function signingDate(amzDate: string | undefined): Date | undefined {
  const m = amzDate ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/** True when the request's signature is the one the given secret produces. */
export async function signatureMatches(req: WireRequest, auth: SigV4Authorization, secretAccessKey: string): Promise<boolean> {
  const date = signingDate(req.headers["x-amz-date"]);
  if (!date) return false;
  const signed = new Set(auth.signedHeaders);
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => signed.has(name)));
  // The signer re-adds x-amz-date and the token header itself; only pass the token if it was signed.
  const sessionToken = signed.has("x-amz-security-token") ? req.headers["x-amz-security-token"] : undefined;
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey, sessionToken },
    region: auth.region,
    service: auth.service,
    sha256: NodeSha256,
    // S3 signs the path as sent; every other service signs it URI-encoded once more.
    uriEscapePath: auth.service !== "s3",
    applyChecksum: false,
  });
  const query = Object.fromEntries(Object.entries(req.query).filter(([k]) => k !== "X-Amz-Signature"));
  const request = new HttpRequest({ method: req.method, protocol: "http:", hostname: "", path: req.path, query, headers, body: req.body });
  const result = await signer.sign(request, { signingDate: date, signableHeaders: signed });
  const expected = parseAuthorization(result.headers.authorization ?? result.headers.Authorization)?.signature;
  return expected === auth.signature;
}
