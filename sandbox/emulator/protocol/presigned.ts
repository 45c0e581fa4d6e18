import { createHash, createHmac } from "node:crypto";
import type { WireRequest } from "./codec.js";
import type { SigV4Authorization } from "./sigv4.js";
import { AwsError } from "./types.js";

/**
 * SigV4 in the query string (presigned URLs): "Authenticating Requests: Using Query Parameters
 * (AWS Signature Version 4)", docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html.
 * The signature covers the canonical request with every query parameter but X-Amz-Signature and
 * the payload hash UNSIGNED-PAYLOAD; X-Amz-Expires (1 to 604,800 seconds) counts from X-Amz-Date.
 */

export interface PresignedAuthorization extends SigV4Authorization {
  amzDate: string;
  expiresSeconds: number;
  sessionToken?: string;
}

const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;

function single(query: WireRequest["query"], key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[0] : v;
}

function queryError(message: string): AwsError {
  return new AwsError("AuthorizationQueryParametersError", message);
}

/** The query-string authorization of a presigned request, or undefined when the request is not presigned. */
export function parsePresigned(query: WireRequest["query"]): PresignedAuthorization | undefined {
  // Signature Version 2 (AWSAccessKeyId/Signature/Expires, what botocore presigns by default) is
  // refused for buckets created after June 24, 2020 (S3 User Guide, UsingAWSSDK.html#UsingAWSSDK-sig2-deprecation),
  // with the answer S3 gives wherever only SigV4 is accepted.
  if (single(query, "AWSAccessKeyId") !== undefined && single(query, "Signature") !== undefined) {
    throw new AwsError("InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  }
  if (single(query, "X-Amz-Algorithm") === undefined) return undefined;
  if (single(query, "X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") throw queryError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  const credential = CREDENTIAL.exec(single(query, "X-Amz-Credential") ?? "");
  const amzDate = single(query, "X-Amz-Date");
  const signature = single(query, "X-Amz-Signature");
  const signedHeaders = single(query, "X-Amz-SignedHeaders");
  const expires = Number(single(query, "X-Amz-Expires") ?? NaN);
  if (!credential || !amzDate || !signature || !signedHeaders || !Number.isInteger(expires)) {
    throw queryError(
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    );
  }
  if (expires > MAX_EXPIRES_SECONDS) throw queryError("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  if (expires < 0) throw queryError("X-Amz-Expires must be non-negative");
  return {
    accessKeyId: credential[1]!,
    shortDate: credential[2]!,
    region: credential[3]!,
    service: credential[4]!,
    signedHeaders: signedHeaders.split(";"),
    signature,
    amzDate,
    expiresSeconds: expires,
    sessionToken: single(query, "X-Amz-Security-Token"),
  };
}

function amzDateMs(amzDate: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

/**
 * "Request has expired" (403 AccessDenied) once X-Amz-Date + X-Amz-Expires has passed, the answer
 * S3 gives (e.g. aws/aws-sdk-js#3493, aws/aws-sdk-php#1333 quote it with its X-Amz-Expires,
 * Expires and ServerTime elements).
 */
export function checkPresignedExpiry(auth: PresignedAuthorization, now: number): void {
  const signed = amzDateMs(auth.amzDate);
  if (signed === undefined) throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  const expiresAt = signed + auth.expiresSeconds * 1000;
  if (now > expiresAt) {
    throw new AwsError("AccessDenied", "Request has expired", 403, true, {
      "X-Amz-Expires": String(auth.expiresSeconds),
      Expires: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
      ServerTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
  }
}

/** RFC 3986 percent-encoding as SigV4 canonicalises query keys and values. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** True when X-Amz-Signature is the one the secret produces for this request (S3 signs the path as sent). */
export function presignedSignatureMatches(req: WireRequest, auth: PresignedAuthorization, secretAccessKey: string): boolean {
  const query = Object.entries(req.query)
    .filter(([k]) => k !== "X-Amz-Signature")
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one): [string, string] => [uriEncode(k), uriEncode(one)]))
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headers = auth.signedHeaders.map((h) => `${h}:${(req.headers[h] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const canonical = [req.method, req.path, query, headers, auth.signedHeaders.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
  const scope = `${auth.shortDate}/${auth.region}/${auth.service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", auth.amzDate, scope, createHash("sha256").update(canonical, "utf8").digest("hex")].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, auth.shortDate), auth.region), auth.service), "aws4_request");
  return createHmac("sha256", key).update(toSign, "utf8").digest("hex") === auth.signature;
}
