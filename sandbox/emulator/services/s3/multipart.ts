import { createHash, randomBytes } from "node:crypto";
import type { MultipartUpload } from "../../state.js";
import { AwsError, type CallContext } from "../../protocol/types.js";
import { optionalNumber } from "../shared/params.js";
import { bucketOf, type OwnedBucket } from "./bucket-access.js";
import { checkWriteConditions, encryptionHeaders, type ObjectInput, type UploadInput, uploadMetadata } from "./objects.js";

/**
 * Multipart upload, as the AWS CLI and SDK transfer managers use it above their threshold (8 MiB
 * for `aws s3 cp`): CreateMultipartUpload, UploadPart, ListParts, CompleteMultipartUpload,
 * AbortMultipartUpload. Limits and errors follow "Amazon S3 multipart upload limits"
 * (qfacts.html: part numbers 1 to 10,000, every part but the last at least 5 MiB) and the API
 * reference pages of each action (API_CompleteMultipartUpload.html: InvalidPart, InvalidPartOrder,
 * EntityTooSmall, NoSuchUpload).
 */

const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;

interface UploadRef extends ObjectInput {
  UploadId?: string;
}

function noSuchUpload(): AwsError {
  return new AwsError("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", 404);
}

function uploadsOf(bucket: OwnedBucket): Map<string, MultipartUpload> {
  return (bucket.uploads ??= new Map());
}

function uploadOf(ctx: CallContext, params: UploadRef): { bucket: OwnedBucket; upload: MultipartUpload } {
  const bucket = bucketOf(ctx, params.Bucket);
  const upload = params.UploadId ? uploadsOf(bucket).get(params.UploadId) : undefined;
  if (!upload || upload.key !== params.Key) throw noSuchUpload();
  return { bucket, upload };
}

function createMultipartUpload(params: UploadInput, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  if (!params.Key) throw new AwsError("InvalidArgument", "A key must be specified");
  const metadata = uploadMetadata(bucket, params);
  // Upload ids are opaque; S3's are long URL-safe strings. Not drawn from the seeded random: they never appear in reports.
  const uploadId = randomBytes(48).toString("base64url");
  uploadsOf(bucket).set(uploadId, { uploadId, key: params.Key, initiated: new Date(ctx.sandbox.now()).toISOString(), metadata, parts: new Map() });
  return { Bucket: bucket.name, Key: params.Key, UploadId: uploadId, ...encryptionHeaders(metadata.encryption) };
}

function uploadPart(params: UploadRef & { PartNumber?: number; Body?: Uint8Array | string }, ctx: CallContext) {
  const { upload } = uploadOf(ctx, params);
  const partNumber = optionalNumber(params.PartNumber);
  if (partNumber === undefined || !Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new AwsError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
  }
  const body = Buffer.from(params.Body ?? "");
  const etag = `"${createHash("md5").update(body).digest("hex")}"`;
  upload.parts.set(partNumber, { body, etag, lastModified: new Date(ctx.sandbox.now()).toISOString() });
  return { ETag: etag, ...encryptionHeaders(upload.metadata.encryption) };
}

function listParts(params: UploadRef & { MaxParts?: number; PartNumberMarker?: string }, ctx: CallContext) {
  const { bucket, upload } = uploadOf(ctx, params);
  const maxParts = optionalNumber(params.MaxParts) ?? 1000;
  const marker = Number(params.PartNumberMarker ?? 0);
  const numbers = [...upload.parts.keys()].filter((n) => n > marker).sort((a, b) => a - b);
  const page = numbers.slice(0, maxParts);
  const truncated = numbers.length > page.length;
  return {
    Bucket: bucket.name,
    Key: upload.key,
    UploadId: upload.uploadId,
    PartNumberMarker: String(marker),
    NextPartNumberMarker: truncated ? String(page[page.length - 1]) : undefined,
    MaxParts: maxParts,
    IsTruncated: truncated,
    StorageClass: "STANDARD",
    Parts: page.map((n) => {
      const part = upload.parts.get(n)!;
      return { PartNumber: n, LastModified: part.lastModified, ETag: part.etag, Size: part.body.length };
    }),
  };
}

const bareEtag = (etag: string | undefined) => (etag ?? "").replace(/^"|"$/g, "");

/**
 * Assembles the listed parts in order. The object's ETag is the MD5 of the parts' binary MD5s
 * followed by "-" and the number of parts (S3 User Guide, checking-object-integrity.html:
 * "the ETag … is not an MD5 digest of the object … it is a calculation of the MD5 digests of each
 * part, followed by a dash and the number of parts").
 */
function completeMultipartUpload(
  params: UploadRef & { MultipartUpload?: { Parts?: { ETag?: string; PartNumber?: number }[] }; IfMatch?: string; IfNoneMatch?: string },
  ctx: CallContext,
) {
  const { bucket, upload } = uploadOf(ctx, params);
  const listed = params.MultipartUpload?.Parts ?? [];
  if (listed.length === 0) throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
  const numbers = listed.map((p) => optionalNumber(p.PartNumber) ?? 0);
  if (numbers.some((n, i) => i > 0 && n <= numbers[i - 1]!)) {
    throw new AwsError("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.");
  }
  const parts = listed.map((p, i) => {
    const part = upload.parts.get(numbers[i]!);
    if (!part || bareEtag(part.etag) !== bareEtag(p.ETag)) {
      throw new AwsError("InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.");
    }
    return part;
  });
  if (parts.slice(0, -1).some((p) => p.body.length < MIN_PART_BYTES)) {
    throw new AwsError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
  }
  checkWriteConditions(bucket.objects.get(upload.key), params);
  const digests = Buffer.concat(parts.map((p) => Buffer.from(bareEtag(p.etag), "hex")));
  const etag = `"${createHash("md5").update(digests).digest("hex")}-${parts.length}"`;
  bucket.objects.set(upload.key, {
    ...upload.metadata,
    body: Buffer.concat(parts.map((p) => p.body)),
    lastModified: new Date(ctx.sandbox.now()).toISOString(),
    etag,
    partsCount: parts.length,
  });
  uploadsOf(bucket).delete(upload.uploadId);
  return {
    Location: `/${bucket.name}/${encodeURIComponent(upload.key).replace(/%2F/g, "/")}`,
    Bucket: bucket.name,
    Key: upload.key,
    ETag: etag,
    ...encryptionHeaders(upload.metadata.encryption),
  };
}

function abortMultipartUpload(params: UploadRef, ctx: CallContext) {
  const { bucket, upload } = uploadOf(ctx, params);
  uploadsOf(bucket).delete(upload.uploadId);
  return {};
}

export const multipartActions = {
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  ListParts: listParts,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
};
