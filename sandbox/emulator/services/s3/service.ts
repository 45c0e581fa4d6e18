import { createHash } from "node:crypto";
import type { BucketEncryptionRule, S3Object, World } from "../../state.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import { optionalNumber } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { fromTagList, toTagList, type TagEntry } from "../shared/tags.js";
import { bucketOf, type OwnedBucket } from "./bucket-access.js";
import { bucketSubresourceActions, withObjectTagging } from "./bucket-subresources.js";

/**
 * S3 buckets (global names, owned by one account) with the configuration driftguard checks and
 * repairs, plus objects for the report bucket. Handlers take and return the SDK's shapes; the
 * REST-XML codec maps them to paths, headers and XML.
 */

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"] as const;
/** S3 API Reference, BlockedEncryptionTypes.EncryptionType: "Valid Values: NONE | SSE-C". */
const ENCRYPTION_TYPES = ["NONE", "SSE-C"] as const;

/**
 * New general purpose buckets block SSE-C uploads since 2026 (S3 User Guide, "Blocking or
 * unblocking SSE-C for a general purpose bucket"); cloudformation-coverage-roadmap#2554 shows a
 * bucket created from a template that never mentions it reading back `"EncryptionType": ["SSE-C"]`.
 */
export const NEW_BUCKET_BLOCKED_ENCRYPTION_TYPES: BucketEncryptionRule["blockedEncryptionTypes"] = ["SSE-C"];

/** Creates a bucket with today's S3 defaults: SSE-S3 encryption and all public access blocked. */
export function putBucket(world: World, accountId: string, name: string, region: string, now: number): OwnedBucket {
  if (!BUCKET_NAME.test(name)) throw new AwsError("InvalidBucketName", "The specified bucket is not valid.");
  const existing = world.buckets.get(name);
  if (existing) {
    if (existing.accountId === accountId) {
      throw new AwsError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409);
    }
    throw new AwsError("BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", 409);
  }
  const bucket: OwnedBucket = {
    name,
    region,
    accountId,
    createdAt: new Date(now).toISOString(),
    encryption: [{ sseAlgorithm: "AES256", bucketKeyEnabled: false, blockedEncryptionTypes: [...NEW_BUCKET_BLOCKED_ENCRYPTION_TYPES!] }],
    publicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true },
    tags: {},
    objects: new Map(),
  };
  world.buckets.set(name, bucket);
  return bucket;
}

interface BucketInput {
  Bucket?: string;
}

function createBucket(params: BucketInput & { CreateBucketConfiguration?: { LocationConstraint?: string } }, ctx: CallContext) {
  const constraint = params.CreateBucketConfiguration?.LocationConstraint;
  if (!constraint && ctx.region !== "us-east-1") {
    throw new AwsError("IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.");
  }
  const bucket = putBucket(ctx.world, ctx.accountId, params.Bucket ?? "", constraint ?? "us-east-1", ctx.sandbox.now());
  return { Location: `/${bucket.name}` };
}

function listBuckets(_params: unknown, ctx: CallContext) {
  const buckets = [...ctx.world.buckets.values()].filter((b) => b.accountId === ctx.accountId).sort((a, b) => a.name.localeCompare(b.name));
  return {
    Buckets: buckets.map((b) => ({ Name: b.name, CreationDate: b.createdAt, BucketRegion: b.region })),
    Owner: { ID: createHash("sha256").update(ctx.accountId).digest("hex"), DisplayName: `account-${ctx.accountId}` },
  };
}

interface EncryptionRuleInput {
  ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
  BlockedEncryptionTypes?: { EncryptionType?: string[] };
}

function toEncryptionRule(rule: EncryptionRuleInput): BucketEncryptionRule {
  const algorithm = rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  if (!SSE_ALGORITHMS.includes(algorithm as BucketEncryptionRule["sseAlgorithm"])) {
    throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
  }
  const blocked = rule.BlockedEncryptionTypes?.EncryptionType;
  if (blocked !== undefined && !blocked.every((t) => (ENCRYPTION_TYPES as readonly string[]).includes(t))) {
    throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
  }
  // PutBucketEncryption replaces the configuration: a rule without BlockedEncryptionTypes blocks nothing.
  return {
    sseAlgorithm: algorithm as BucketEncryptionRule["sseAlgorithm"],
    kmsMasterKeyId: rule.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID,
    bucketKeyEnabled: rule.BucketKeyEnabled,
    ...(blocked !== undefined ? { blockedEncryptionTypes: blocked as ("NONE" | "SSE-C")[] } : {}),
  };
}

function getBucketEncryption(params: BucketInput, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  if (!bucket.encryption) {
    throw new AwsError("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", 404);
  }
  return {
    ServerSideEncryptionConfiguration: {
      Rules: bucket.encryption.map((r) => ({
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: r.sseAlgorithm, KMSMasterKeyID: r.kmsMasterKeyId },
        BucketKeyEnabled: r.bucketKeyEnabled ?? false,
        ...(r.blockedEncryptionTypes ? { BlockedEncryptionTypes: { EncryptionType: [...r.blockedEncryptionTypes] } } : {}),
      })),
    },
  };
}

function putBucketEncryption(params: BucketInput & { ServerSideEncryptionConfiguration?: { Rules?: EncryptionRuleInput[] } }, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  const rules = params.ServerSideEncryptionConfiguration?.Rules ?? [];
  if (rules.length === 0) throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
  bucket.encryption = rules.map(toEncryptionRule);
  return {};
}

function deleteBucketEncryption(params: BucketInput, ctx: CallContext) {
  bucketOf(ctx, params.Bucket).encryption = undefined;
  return {};
}

interface PublicAccessBlockInput {
  BlockPublicAcls?: boolean;
  IgnorePublicAcls?: boolean;
  BlockPublicPolicy?: boolean;
  RestrictPublicBuckets?: boolean;
}

function getPublicAccessBlock(params: BucketInput, ctx: CallContext) {
  const pab = bucketOf(ctx, params.Bucket).publicAccessBlock;
  if (!pab) throw new AwsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404);
  return {
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: pab.blockPublicAcls,
      IgnorePublicAcls: pab.ignorePublicAcls,
      BlockPublicPolicy: pab.blockPublicPolicy,
      RestrictPublicBuckets: pab.restrictPublicBuckets,
    },
  };
}

function putPublicAccessBlock(params: BucketInput & { PublicAccessBlockConfiguration?: PublicAccessBlockInput }, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  const c = params.PublicAccessBlockConfiguration ?? {};
  bucket.publicAccessBlock = {
    blockPublicAcls: c.BlockPublicAcls === true,
    ignorePublicAcls: c.IgnorePublicAcls === true,
    blockPublicPolicy: c.BlockPublicPolicy === true,
    restrictPublicBuckets: c.RestrictPublicBuckets === true,
  };
  return {};
}

function deletePublicAccessBlock(params: BucketInput, ctx: CallContext) {
  bucketOf(ctx, params.Bucket).publicAccessBlock = undefined;
  return {};
}

function putBucketVersioning(params: BucketInput & { VersioningConfiguration?: { Status?: string } }, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  const status = params.VersioningConfiguration?.Status;
  if (status !== "Enabled" && status !== "Suspended") {
    throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
  }
  bucket.versioning = status;
  return {};
}

function getBucketTagging(params: BucketInput, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  if (Object.keys(bucket.tags).length === 0) throw new AwsError("NoSuchTagSet", "The TagSet does not exist", 404);
  return { TagSet: toTagList(bucket.tags) };
}

function putBucketTagging(params: BucketInput & { Tagging?: { TagSet?: TagEntry[] } }, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  const tags = params.Tagging?.TagSet ?? [];
  if (new Set(tags.map((t) => t.Key)).size !== tags.length) throw new AwsError("InvalidTag", "Cannot provide multiple Tags with the same key");
  bucket.tags = fromTagList(tags);
  return {};
}

function deleteBucketTagging(params: BucketInput, ctx: CallContext) {
  bucketOf(ctx, params.Bucket).tags = {};
  return {};
}

interface ObjectInput extends BucketInput {
  Key?: string;
}

function noSuchKey(): AwsError {
  return new AwsError("NoSuchKey", "The specified key does not exist.", 404);
}

function objectOf(ctx: CallContext, params: ObjectInput): S3Object {
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
function checkWriteConditions(existing: S3Object | undefined, params: { IfMatch?: string; IfNoneMatch?: string }): void {
  if (params.IfNoneMatch !== undefined && existing && etagMatches(params.IfNoneMatch, existing.etag)) throw preconditionFailed();
  if (params.IfMatch !== undefined) {
    if (!existing) throw noSuchKey();
    if (!etagMatches(params.IfMatch, existing.etag)) throw preconditionFailed();
  }
}

function putObject(params: ObjectInput & { Body?: Uint8Array | string; ContentType?: string; IfMatch?: string; IfNoneMatch?: string }, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  if (!params.Key) throw new AwsError("InvalidArgument", "A key must be specified");
  checkWriteConditions(bucket.objects.get(params.Key), params);
  const body = Buffer.from(params.Body ?? "");
  const etag = `"${createHash("md5").update(body).digest("hex")}"`;
  bucket.objects.set(params.Key, { body, contentType: params.ContentType, lastModified: new Date(ctx.sandbox.now()).toISOString(), etag });
  return { ETag: etag };
}

function objectHeaders(object: S3Object) {
  return {
    ContentType: object.contentType ?? "binary/octet-stream",
    ContentLength: object.body.length,
    ETag: object.etag,
    LastModified: new Date(object.lastModified),
  };
}

function listObjectsV2(
  params: BucketInput & { Prefix?: string; Delimiter?: string; MaxKeys?: number; ContinuationToken?: string; StartAfter?: string },
  ctx: CallContext,
) {
  const bucket = bucketOf(ctx, params.Bucket);
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
    Prefix: prefix,
    Delimiter: params.Delimiter,
    MaxKeys: maxKeys,
    KeyCount: page.items.length,
    IsTruncated: page.next !== undefined,
    ContinuationToken: params.ContinuationToken,
    NextContinuationToken: page.next,
    StartAfter: params.StartAfter,
    Contents: contents.map((key) => {
      const o = bucket.objects.get(key)!;
      return { Key: key, LastModified: o.lastModified, ETag: o.etag, Size: o.body.length, StorageClass: "STANDARD" };
    }),
    CommonPrefixes: page.items.flatMap((e) => (e.commonPrefix === undefined ? [] : [{ Prefix: e.commonPrefix }])),
  };
}

export const s3Service: ServiceDefinition = {
  name: "s3",
  protocol: "rest-xml",
  actions: {
    CreateBucket: createBucket,
    HeadBucket: (params: BucketInput, ctx: CallContext) => ({ BucketRegion: bucketOf(ctx, params.Bucket).region }),
    ListBuckets: listBuckets,
    GetBucketEncryption: getBucketEncryption,
    PutBucketEncryption: putBucketEncryption,
    DeleteBucketEncryption: deleteBucketEncryption,
    GetPublicAccessBlock: getPublicAccessBlock,
    PutPublicAccessBlock: putPublicAccessBlock,
    DeletePublicAccessBlock: deletePublicAccessBlock,
    GetBucketVersioning: (params: BucketInput, ctx: CallContext) => ({ Status: bucketOf(ctx, params.Bucket).versioning }),
    PutBucketVersioning: putBucketVersioning,
    GetBucketTagging: getBucketTagging,
    PutBucketTagging: putBucketTagging,
    DeleteBucketTagging: deleteBucketTagging,
    PutObject: withObjectTagging(putObject),
    GetObject: (params: ObjectInput, ctx: CallContext) => {
      const object = objectOf(ctx, params);
      return { Body: object.body, ...objectHeaders(object) };
    },
    HeadObject: (params: ObjectInput, ctx: CallContext) => objectHeaders(objectOf(ctx, params)),
    ListObjectsV2: listObjectsV2,
    DeleteObject: (params: ObjectInput, ctx: CallContext) => {
      bucketOf(ctx, params.Bucket).objects.delete(params.Key ?? "");
      return {};
    },
    ...bucketSubresourceActions,
  },
};
