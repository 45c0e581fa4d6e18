import { createHash } from "node:crypto";
import type { ObjectEncryption, ObjectMetadata, S3Object } from "../../state.js";
import { AwsError, type CallContext } from "../../protocol/types.js";
import { optionalNumber } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { bucketOf, type OwnedBucket } from "./bucket-access.js";

/**
 * S3 objects as today's S3 keeps them: encrypted at rest by the bucket's default (every object,
 * since January 2023), with the system and user metadata of their upload, read whole or by a byte
 * range, and listed with keys URL-encoded on request. Handlers take and return the SDK's shapes.
 */

export interface ObjectInput {
  Bucket?: string;
  Key?: string;
}

/** The upload headers PutObject and CreateMultipartUpload share (the SDK's member names). */
export interface UploadInput extends ObjectInput {
  ContentType?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  Metadata?: Record<string, string>;
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  BucketKeyEnabled?: boolean;
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
  SSECustomerKeyMD5?: string;
}

const SSE_ALGORITHMS: readonly string[] = ["AES256", "aws:kms", "aws:kms:dsse"];

export function noSuchKey(): AwsError {
  return new AwsError("NoSuchKey", "The specified key does not exist.", 404);
}

function sseBlocked(bucket: OwnedBucket): boolean {
  return (bucket.encryption ?? []).some((r) => r.blockedEncryptionTypes?.includes("SSE-C"));
}

/**
 * How the object is encrypted: SSE-C when the request brings a key, else the requested SSE-S3 or
 * SSE-KMS, else the bucket's default ("Amazon S3 now applies server-side encryption with Amazon S3
 * managed keys (SSE-S3) as the base level of encryption for every bucket", S3 User Guide,
 * default-encryption-faq.html). "When SSE-C is blocked for a bucket, any PutObject, CopyObject,
 * PostObject, or Multipart Upload … that specify SSE-C encryption will be rejected with an HTTP 403
 * AccessDenied error" (S3 User Guide, blocking-unblocking-s3-c-encryption-gpb.html; also
 * hashicorp/terraform-provider-aws#45105, "will now fail with HTTP 403 AccessDenied", and
 * velero-io/velero-plugin-for-aws#318, "a generic AccessDenied 403 with no indication of the root
 * cause"). The message itself is unconfirmed (searched: AWS docs, botocore/moto/LocalStack code,
 * issue threads): S3's generic "Access Denied" is used.
 */
function encryptionOf(bucket: OwnedBucket, params: UploadInput): ObjectEncryption {
  if (params.SSECustomerAlgorithm !== undefined) {
    if (sseBlocked(bucket)) throw new AwsError("AccessDenied", "Access Denied", 403);
    if (params.SSECustomerAlgorithm !== "AES256" || !params.SSECustomerKey) {
      throw new AwsError("InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.");
    }
    const md5 = createHash("md5").update(Buffer.from(params.SSECustomerKey, "base64")).digest("base64");
    if (params.SSECustomerKeyMD5 !== undefined && params.SSECustomerKeyMD5 !== md5) {
      throw new AwsError("InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided.");
    }
    return { algorithm: "SSE-C", customerKeyMd5: md5 };
  }
  if (params.ServerSideEncryption !== undefined) {
    if (!SSE_ALGORITHMS.includes(params.ServerSideEncryption)) {
      throw new AwsError("InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms");
    }
    return {
      algorithm: params.ServerSideEncryption as ObjectEncryption["algorithm"],
      kmsKeyId: params.SSEKMSKeyId,
      bucketKeyEnabled: params.ServerSideEncryption === "AES256" ? undefined : params.BucketKeyEnabled,
    };
  }
  const rule = bucket.encryption?.[0];
  if (!rule) return { algorithm: "AES256" };
  return { algorithm: rule.sseAlgorithm, kmsKeyId: rule.kmsMasterKeyId, bucketKeyEnabled: rule.sseAlgorithm === "AES256" ? undefined : rule.bucketKeyEnabled };
}

/** What an upload keeps: its system metadata, its x-amz-meta-* pairs and its encryption. */
export function uploadMetadata(bucket: OwnedBucket, params: UploadInput): ObjectMetadata {
  return {
    contentType: params.ContentType,
    cacheControl: params.CacheControl,
    contentDisposition: params.ContentDisposition,
    contentEncoding: params.ContentEncoding,
    contentLanguage: params.ContentLanguage,
    userMetadata: params.Metadata && Object.keys(params.Metadata).length > 0 ? Object.fromEntries(Object.entries(params.Metadata).map(([k, v]) => [k.toLowerCase(), v])) : undefined,
    encryption: encryptionOf(bucket, params),
  };
}

/** The x-amz-server-side-encryption* response headers of an object (PutObject, GetObject, HeadObject, UploadPart, …). */
export function encryptionHeaders(encryption: ObjectEncryption | undefined) {
  if (!encryption) return {};
  if (encryption.algorithm === "SSE-C") return { SSECustomerAlgorithm: "AES256", SSECustomerKeyMD5: encryption.customerKeyMd5 };
  return {
    ServerSideEncryption: encryption.algorithm,
    SSEKMSKeyId: encryption.algorithm === "AES256" ? undefined : encryption.kmsKeyId,
    BucketKeyEnabled: encryption.bucketKeyEnabled === true ? true : undefined,
  };
}

export function objectOf(ctx: CallContext, params: ObjectInput): S3Object {
  const object = bucketOf(ctx, params.Bucket).objects.get(params.Key ?? "");
  if (!object) throw noSuchKey();
  return object;
}

/** ETags compare without their quotes (clients send them either way); "*" matches any object. */
function etagMatches(condition: string, etag: string): boolean {
  const bare = (e: string) => e.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
  return condition.trim() === "*" || bare(condition) === bare(etag);
}

function preconditionFailed(): AwsError {
  return new AwsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
}

/**
 * Conditional writes: `If-None-Match: *` only creates (412 when the key exists); `If-Match` only
 * replaces the object with that ETag (412 when it differs, 404 NoSuchKey when there is none).
 */
export function checkWriteConditions(existing: S3Object | undefined, params: { IfMatch?: string; IfNoneMatch?: string }): void {
  if (params.IfNoneMatch !== undefined && existing && etagMatches(params.IfNoneMatch, existing.etag)) throw preconditionFailed();
  if (params.IfMatch !== undefined) {
    if (!existing) throw noSuchKey();
    if (!etagMatches(params.IfMatch, existing.etag)) throw preconditionFailed();
  }
}

function putObject(params: UploadInput & { Body?: Uint8Array | string; IfMatch?: string; IfNoneMatch?: string }, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  if (!params.Key) throw new AwsError("InvalidArgument", "A key must be specified");
  checkWriteConditions(bucket.objects.get(params.Key), params);
  const metadata = uploadMetadata(bucket, params);
  const body = Buffer.from(params.Body ?? "");
  const etag = `"${createHash("md5").update(body).digest("hex")}"`;
  bucket.objects.set(params.Key, { ...metadata, body, lastModified: new Date(ctx.sandbox.now()).toISOString(), etag });
  return { ETag: etag, ...encryptionHeaders(metadata.encryption) };
}

/**
 * An object encrypted with a customer key is read with that key again: "If you encrypt an object
 * by using server-side encryption with customer-provided encryption keys (SSE-C) when you store
 * the object in Amazon S3, then when you GET the object, you must use the following headers"
 * (API_GetObject.html); without them S3 answers 400 InvalidRequest.
 */
function checkReadKey(object: S3Object, params: { SSECustomerKey?: string }): void {
  if (object.encryption?.algorithm !== "SSE-C") return;
  const md5 = params.SSECustomerKey ? createHash("md5").update(Buffer.from(params.SSECustomerKey, "base64")).digest("base64") : undefined;
  if (md5 === undefined) {
    throw new AwsError("InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.");
  }
  if (md5 !== object.encryption.customerKeyMd5) throw new AwsError("AccessDenied", "Access Denied", 403);
}

/**
 * One byte range of `size` bytes, as RFC 9110 §14.1.2 defines `bytes=first-last`, `bytes=first-`
 * and `bytes=-suffix`; undefined when the header is absent or not a single byte range (S3 then
 * answers the whole object: "Amazon S3 doesn't support retrieving multiple ranges of data per GET
 * request", API_GetObject.html). A range that starts past the end is 416 InvalidRange.
 */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
    if (suffix === 0) start = size;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw new AwsError("InvalidRange", "The requested range is not satisfiable", 416);
  return { start, end };
}

/**
 * GetObject and HeadObject: the whole object (200) or one range of it (206 Partial Content with
 * Content-Range: bytes first-last/size), with its system metadata, x-amz-meta-* and SSE headers.
 */
function readObject(params: ObjectInput & { Range?: string; SSECustomerKey?: string; PartNumber?: number }, ctx: CallContext) {
  const object = objectOf(ctx, params);
  checkReadKey(object, params);
  const range = byteRange(params.Range, object.body.length);
  const body = range ? object.body.subarray(range.start, range.end + 1) : object.body;
  return {
    Body: body,
    AcceptRanges: "bytes",
    ContentLength: body.length,
    ContentRange: range ? `bytes ${range.start}-${range.end}/${object.body.length}` : undefined,
    ContentType: object.contentType ?? "binary/octet-stream",
    CacheControl: object.cacheControl,
    ContentDisposition: object.contentDisposition,
    ContentEncoding: object.contentEncoding,
    ContentLanguage: object.contentLanguage,
    Metadata: object.userMetadata,
    ETag: object.etag,
    LastModified: new Date(object.lastModified),
    PartsCount: params.PartNumber !== undefined ? object.partsCount : undefined,
    ...encryptionHeaders(object.encryption),
  };
}

/**
 * EncodingType=url: "Encoding type used by Amazon S3 to encode object keys in the response. …
 * If using url, non-ASCII characters used in an object's key name will be URL encoded"
 * (API_ListObjectsV2.html); the Delimiter, Prefix, Key and StartAfter elements are encoded. Keys
 * with characters XML 1.0 cannot carry (most control characters) only survive a listing this way,
 * which is why botocore asks for it on every list. "/" stays as is, as in a URL path: LocalStack
 * patched moto for exactly this ("fixes an issue where upstream also encodes "/", which should not
 * be the case": quote(name, safe="/"), localstack/localstack localstack/services/s3/legacy/s3_starter.py).
 * botocore decodes these elements with unquote_plus (botocore/handlers.py decode_list_object), so
 * a space sent as %20 or + reads back the same. No AWS page states the "/" rule itself.
 */
function encoder(encodingType: string | undefined): (value: string | undefined) => string | undefined {
  if (encodingType === undefined) return (v) => v;
  if (encodingType !== "url") throw new AwsError("InvalidArgument", "Invalid Encoding Method specified in Request");
  return (v) => (v === undefined ? undefined : encodeURIComponent(v).replace(/%2F/g, "/"));
}

function listObjectsV2(
  params: ObjectInput & { Prefix?: string; Delimiter?: string; MaxKeys?: number; ContinuationToken?: string; StartAfter?: string; EncodingType?: string },
  ctx: CallContext,
) {
  const bucket = bucketOf(ctx, params.Bucket);
  const encode = encoder(params.EncodingType);
  const prefix = params.Prefix ?? "";
  const maxKeys = optionalNumber(params.MaxKeys) ?? 1000;
  const keys = [...bucket.objects.keys()].filter((k) => k.startsWith(prefix) && (!params.StartAfter || k > params.StartAfter)).sort();
  // With a delimiter, keys sharing the next path segment collapse into one common prefix.
  const entries: { key?: string; commonPrefix?: string }[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const cut = params.Delimiter ? key.indexOf(params.Delimiter, prefix.length) : -1;
    if (cut < 0) entries.push({ key });
    else {
      const commonPrefix = key.slice(0, cut + params.Delimiter!.length);
      if (!seen.has(commonPrefix)) entries.push({ commonPrefix });
      seen.add(commonPrefix);
    }
  }
  const page = paginate(entries, params.ContinuationToken, maxKeys, () => new AwsError("InvalidArgument", "The continuation token provided is incorrect"));
  const contents = page.items.flatMap((e) => (e.key === undefined ? [] : [e.key]));
  return {
    Name: bucket.name,
    Prefix: encode(prefix),
    Delimiter: encode(params.Delimiter),
    MaxKeys: maxKeys,
    EncodingType: params.EncodingType,
    KeyCount: page.items.length,
    IsTruncated: page.next !== undefined,
    ContinuationToken: params.ContinuationToken,
    NextContinuationToken: page.next,
    StartAfter: encode(params.StartAfter),
    Contents: contents.map((key) => {
      const o = bucket.objects.get(key)!;
      return { Key: encode(key), LastModified: o.lastModified, ETag: o.etag, Size: o.body.length, StorageClass: "STANDARD" };
    }),
    CommonPrefixes: page.items.flatMap((e) => (e.commonPrefix === undefined ? [] : [{ Prefix: encode(e.commonPrefix) }])),
  };
}

export const objectActions = {
  PutObject: putObject,
  GetObject: readObject,
  HeadObject: (params: ObjectInput & { Range?: string; SSECustomerKey?: string; PartNumber?: number }, ctx: CallContext) => {
    const { Body: _body, ...headers } = readObject(params, ctx);
    return headers;
  },
  ListObjectsV2: listObjectsV2,
  DeleteObject: (params: ObjectInput, ctx: CallContext) => {
    bucketOf(ctx, params.Bucket).objects.delete(params.Key ?? "");
    return {};
  },
};
