import { createHash } from "node:crypto";
import type { BucketEncryptionRule, World } from "../../state.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import { fromTagList, toTagList, type TagEntry } from "../shared/tags.js";
import { bucketOf, type OwnedBucket } from "./bucket-access.js";
import { multipartActions } from "./multipart.js";
import { objectActions } from "./objects.js";
import { bucketSubresourceActions, withObjectTagging } from "./bucket-subresources.js";

export { bucketOf } from "./bucket-access.js";

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

/** Today's default encryption of a general purpose bucket: SSE-S3, no bucket key, SSE-C blocked. */
function defaultEncryption(): BucketEncryptionRule[] {
  return [{ sseAlgorithm: "AES256", bucketKeyEnabled: false, blockedEncryptionTypes: [...NEW_BUCKET_BLOCKED_ENCRYPTION_TYPES!] }];
}

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
    encryption: defaultEncryption(),
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

/**
 * "Amazon S3 returns this error [BucketAlreadyOwnedByYou] in all AWS Regions except in the North
 * Virginia Region. For legacy compatibility, if you re-create an existing bucket that you already
 * own in the North Virginia Region, Amazon S3 returns 200 OK and resets the bucket access control
 * lists (ACLs)" (API_CreateBucket.html, Errors). The sandbox keeps no ACLs, so nothing else changes.
 */
function createBucket(params: BucketInput & { CreateBucketConfiguration?: { LocationConstraint?: string } }, ctx: CallContext) {
  const constraint = params.CreateBucketConfiguration?.LocationConstraint;
  if (!constraint && ctx.region !== "us-east-1") {
    throw new AwsError("IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.");
  }
  const existing = ctx.world.buckets.get(params.Bucket ?? "");
  if (existing && existing.accountId === ctx.accountId && existing.region === "us-east-1" && ctx.region === "us-east-1") {
    return { Location: `/${existing.name}` };
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

/**
 * "This implementation of the DELETE action resets the default encryption for the bucket as
 * server-side encryption with Amazon S3 managed keys (SSE-S3)" (API_DeleteBucketEncryption.html):
 * a bucket is never left without default encryption. The reset configuration is the one a new
 * bucket gets, SSE-C blocked included. Whether the reset keeps or clears BlockedEncryptionTypes is
 * unconfirmed (searched once more: AWS docs, botocore/boto3 tests, moto, LocalStack, issue
 * threads; nothing states it): the new-bucket default is assumed.
 */
function deleteBucketEncryption(params: BucketInput, ctx: CallContext) {
  bucketOf(ctx, params.Bucket).encryption = defaultEncryption();
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
    ...objectActions,
    PutObject: withObjectTagging(objectActions.PutObject!),
    ...multipartActions,
    ...bucketSubresourceActions,
  },
};
