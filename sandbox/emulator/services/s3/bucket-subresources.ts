import { createHash } from "node:crypto";
import { AwsError, type CallContext } from "../../protocol/types.js";
import type { AccountState, S3Object, Tags } from "../../state.js";
import type { ActionHandler } from "../../protocol/types.js";
import { regionalState } from "../shared/regional.js";
import { fromTagList, toTagList, type TagEntry } from "../shared/tags.js";
import { bucketOf, type OwnedBucket } from "./bucket-access.js";
import { invalidPrincipal } from "../iam/principal-existence.js";

/**
 * The bucket sub-resources terraform's aws_s3_bucket_* resources manage on the hub's report
 * bucket (lifecycle, ownership controls, bucket policy), DeleteBucket, and the configuration
 * reads the provider's aws_s3_bucket makes after every create and on every refresh (ACL, CORS,
 * website, logging, accelerate, request payment, replication, object lock, object tagging).
 * Each answers what a new general purpose bucket answers; the S3 API Reference page of each
 * operation (docs.aws.amazon.com/AmazonS3/latest/API/API_<Operation>.html) is cited at its handler.
 */

interface BucketInput {
  Bucket?: string;
}

interface LifecycleRule {
  ID?: string;
  Status?: string;
  Filter?: unknown;
  Prefix?: string;
  Expiration?: { Days?: number; Date?: Date; ExpiredObjectDeleteMarker?: boolean };
  Transitions?: { Days?: number; Date?: Date; StorageClass?: string }[];
  NoncurrentVersionExpiration?: { NoncurrentDays?: number; NewerNoncurrentVersions?: number };
  NoncurrentVersionTransitions?: unknown[];
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number };
}

interface Subresources {
  lifecycle?: { rules: LifecycleRule[]; transitionDefaultMinimumObjectSize: string };
  /**
   * Undefined = the default every new bucket gets, BucketOwnerEnforced: "By default, Amazon S3
   * sets OwnershipControls for all newly created buckets" (API_GetBucketOwnershipControls.html;
   * S3 User Guide, "Controlling ownership of objects": "Bucket owner enforced (default)").
   * null = deleted with DeleteBucketOwnershipControls.
   */
  objectOwnership?: string | null;
}

/** Kept in the owner's account and the bucket's region, so the bucket's shared type stays as it is. */
const subresourceState = regionalState("s3-bucket-subresources", () => ({ buckets: new Map<string, Subresources>() }));

function ownerAccount(ctx: CallContext, bucket: OwnedBucket): AccountState {
  const account = ctx.world.accounts.get(bucket.accountId);
  if (!account) throw new Error(`bucket ${bucket.name} belongs to no account of the world`);
  return account;
}

function subresourcesOf(ctx: CallContext, params: BucketInput): { bucket: OwnedBucket; sub: Subresources } {
  const bucket = bucketOf(ctx, params.Bucket);
  const { buckets } = subresourceState.at(ownerAccount(ctx, bucket), bucket.region);
  let sub = buckets.get(bucket.name);
  if (!sub) buckets.set(bucket.name, (sub = {}));
  return { bucket, sub };
}

const malformedXml = () => new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");

/** API_PutBucketLifecycleConfiguration.html: "A lifecycle configuration can have up to 1,000 rules." */
const MAX_LIFECYCLE_RULES = 1000;
/** API_LifecycleRule.html, ID: "The value cannot be longer than 255 characters." */
const MAX_RULE_ID = 255;
/** API_PutBucketLifecycleConfiguration.html, x-amz-transition-default-minimum-object-size: "Valid Values: varies_by_storage_class | all_storage_classes_128K". */
const TRANSITION_DEFAULTS = new Set(["varies_by_storage_class", "all_storage_classes_128K"]);
/** The default since September 2024: "all_storage_classes_128K - Objects smaller than 128 KB will not transition to any storage class by default" (same page). */
const DEFAULT_TRANSITION_MINIMUM = "all_storage_classes_128K";

function invalidArgument(message: string): AwsError {
  return new AwsError("InvalidArgument", message);
}

/** The checks S3 makes of each rule (API_LifecycleRule.html; "Lifecycle configuration elements", S3 User Guide). */
function checkRule(rule: LifecycleRule): void {
  if (rule.Status !== "Enabled" && rule.Status !== "Disabled") throw malformedXml();
  if (rule.ID !== undefined && rule.ID.length > MAX_RULE_ID) throw invalidArgument("ID length should not exceed allowed limit of 255");
  const hasAction =
    rule.Expiration !== undefined ||
    (rule.Transitions?.length ?? 0) > 0 ||
    rule.NoncurrentVersionExpiration !== undefined ||
    (rule.NoncurrentVersionTransitions?.length ?? 0) > 0 ||
    rule.AbortIncompleteMultipartUpload !== undefined;
  // S3's answer to a rule without an action, as reported in crossplane-contrib/provider-aws#1337.
  if (!hasAction) throw new AwsError("InvalidRequest", "At least one action needs to be specified in a rule");
  const days = [rule.Expiration?.Days, rule.NoncurrentVersionExpiration?.NoncurrentDays, rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation];
  if (days.some((d) => d !== undefined && (!Number.isInteger(d) || d <= 0))) throw invalidArgument("'Days' for Expiration action must be a positive integer");
}

/** API_PutBucketLifecycleConfiguration.html: replaces the whole configuration; rule IDs are unique. */
function putBucketLifecycleConfiguration(
  params: BucketInput & { LifecycleConfiguration?: { Rules?: LifecycleRule[] }; TransitionDefaultMinimumObjectSize?: string },
  ctx: CallContext,
) {
  const { sub } = subresourcesOf(ctx, params);
  const rules = params.LifecycleConfiguration?.Rules ?? [];
  if (rules.length === 0 || rules.length > MAX_LIFECYCLE_RULES) throw malformedXml();
  rules.forEach(checkRule);
  const ids = rules.flatMap((r) => (r.ID === undefined ? [] : [r.ID]));
  if (new Set(ids).size !== ids.length) throw invalidArgument("RuleId must be unique. Found same ID for more than one rule");
  const minimum = params.TransitionDefaultMinimumObjectSize ?? DEFAULT_TRANSITION_MINIMUM;
  if (!TRANSITION_DEFAULTS.has(minimum)) throw invalidArgument(`Invalid value for x-amz-transition-default-minimum-object-size: ${minimum}`);
  sub.lifecycle = { rules: structuredClone(rules), transitionDefaultMinimumObjectSize: minimum };
  return { TransitionDefaultMinimumObjectSize: minimum };
}

/** API_GetBucketLifecycleConfiguration.html: NoSuchLifecycleConfiguration (404) when the bucket has none. */
function getBucketLifecycleConfiguration(params: BucketInput, ctx: CallContext) {
  const { lifecycle } = subresourcesOf(ctx, params).sub;
  if (!lifecycle) throw new AwsError("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", 404);
  return { Rules: structuredClone(lifecycle.rules), TransitionDefaultMinimumObjectSize: lifecycle.transitionDefaultMinimumObjectSize };
}

/** API_DeleteBucketLifecycle.html: 204, also when there was none. */
function deleteBucketLifecycle(params: BucketInput, ctx: CallContext) {
  delete subresourcesOf(ctx, params).sub.lifecycle;
  return {};
}

/** API_OwnershipControlsRule.html, ObjectOwnership: "Valid Values: BucketOwnerPreferred | ObjectWriter | BucketOwnerEnforced". */
const OBJECT_OWNERSHIPS = new Set(["BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"]);

/** API_PutBucketOwnershipControls.html: exactly one rule. */
function putBucketOwnershipControls(params: BucketInput & { OwnershipControls?: { Rules?: { ObjectOwnership?: string }[] } }, ctx: CallContext) {
  const { sub } = subresourcesOf(ctx, params);
  const rules = params.OwnershipControls?.Rules ?? [];
  const ownership = rules[0]?.ObjectOwnership;
  if (rules.length !== 1 || ownership === undefined || !OBJECT_OWNERSHIPS.has(ownership)) throw malformedXml();
  sub.objectOwnership = ownership;
  return {};
}

/** API_GetBucketOwnershipControls.html: OwnershipControlsNotFoundError (404) once deleted. */
function getBucketOwnershipControls(params: BucketInput, ctx: CallContext) {
  const { objectOwnership } = subresourcesOf(ctx, params).sub;
  if (objectOwnership === null) throw new AwsError("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404);
  return { OwnershipControls: { Rules: [{ ObjectOwnership: objectOwnership ?? "BucketOwnerEnforced" }] } };
}

function deleteBucketOwnershipControls(params: BucketInput, ctx: CallContext) {
  subresourcesOf(ctx, params).sub.objectOwnership = null;
  return {};
}

/** A policy statement grants public access when its principal is everyone and no condition narrows it ("The meaning of 'public'", S3 User Guide, access-control-block-public-access.html). */
function grantsPublicAccess(policy: { Statement?: unknown }): boolean {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return statements.some((s: { Effect?: string; Principal?: unknown; Condition?: unknown } | undefined) => {
    if (s?.Effect !== "Allow" || s.Condition !== undefined) return false;
    const p = s.Principal as string | { AWS?: unknown } | undefined;
    const aws = typeof p === "string" ? p : p?.AWS;
    return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
  });
}

/**
 * API_PutBucketPolicy.html. "Policies must be valid JSON and the first byte must be '{'"
 * (MalformedPolicy, the message S3 returns: aws/aws-cli#2779, aws/aws-sdk-js-v3#1349); a public policy on a bucket
 * whose public access block has BlockPublicPolicy is refused with AccessDenied
 * (access-control-block-public-access.html: "PUT Bucket policy calls fail if the specified bucket
 * policy allows public access"). A principal that does not exist is MalformedPolicy "Invalid
 * principal in policy" (the sources: iam/principal-existence.ts).
 */
function putBucketPolicy(params: BucketInput & { Policy?: string }, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  const text = (params.Policy ?? "").trimStart();
  let policy: { Version?: unknown; Statement?: unknown };
  try {
    if (!text.startsWith("{")) throw new Error("not an object");
    policy = JSON.parse(text) as typeof policy;
  } catch {
    throw new AwsError("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'");
  }
  if (policy.Statement === undefined) throw new AwsError("MalformedPolicy", "Missing required field Statement");
  if (invalidPrincipal(ctx.world, policy)) throw new AwsError("MalformedPolicy", "Invalid principal in policy");
  if (bucket.publicAccessBlock?.blockPublicPolicy && grantsPublicAccess(policy)) throw new AwsError("AccessDenied", "Access Denied", 403);
  bucket.policy = policy;
  return {};
}

/** API_GetBucketPolicy.html: the policy JSON as the payload; NoSuchBucketPolicy (404) when there is none. */
function getBucketPolicy(params: BucketInput, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  if (bucket.policy === undefined) throw new AwsError("NoSuchBucketPolicy", "The bucket policy does not exist", 404);
  return { Policy: JSON.stringify(bucket.policy) };
}

function deleteBucketPolicy(params: BucketInput, ctx: CallContext) {
  bucketOf(ctx, params.Bucket).policy = undefined;
  return {};
}

/** API_DeleteBucket.html: "All objects (including all object versions and delete markers) in the bucket must be deleted before the bucket itself can be deleted" — BucketNotEmpty (409). */
function deleteBucket(params: BucketInput, ctx: CallContext) {
  const bucket = bucketOf(ctx, params.Bucket);
  if (bucket.objects.size > 0) throw new AwsError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409);
  ctx.world.buckets.delete(bucket.name);
  subresourceState.at(ownerAccount(ctx, bucket), bucket.region).buckets.delete(bucket.name);
  return {};
}

/** The canonical user id S3 shows for an account; ListBuckets' Owner uses the same derivation. */
function owner(accountId: string) {
  return { ID: createHash("sha256").update(accountId).digest("hex"), DisplayName: `account-${accountId}` };
}

/**
 * The reads of configurations the hub's bucket never sets, answered as for a new bucket: each
 * page's "not found" error where S3 has one, the empty or default configuration otherwise.
 */
const readsOfNewBucket = {
  /** API_GetBucketAcl.html: with BucketOwnerEnforced, the ACL is the owner's FULL_CONTROL only. */
  GetBucketAcl: (params: BucketInput, ctx: CallContext) => {
    const o = owner(bucketOf(ctx, params.Bucket).accountId);
    return { Owner: o, Grants: [{ Grantee: { Type: "CanonicalUser", ...o }, Permission: "FULL_CONTROL" }] };
  },
  /** API_GetBucketCors.html: NoSuchCORSConfiguration. */
  GetBucketCors: (params: BucketInput, ctx: CallContext) => {
    bucketOf(ctx, params.Bucket);
    throw new AwsError("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404);
  },
  /** API_GetBucketWebsite.html: NoSuchWebsiteConfiguration. */
  GetBucketWebsite: (params: BucketInput, ctx: CallContext) => {
    bucketOf(ctx, params.Bucket);
    throw new AwsError("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", 404);
  },
  /** API_GetBucketLogging.html: an empty BucketLoggingStatus when logging is off. */
  GetBucketLogging: (params: BucketInput, ctx: CallContext) => (bucketOf(ctx, params.Bucket), {}),
  /** API_GetBucketAccelerateConfiguration.html: no Status until acceleration was ever set. */
  GetBucketAccelerateConfiguration: (params: BucketInput, ctx: CallContext) => (bucketOf(ctx, params.Bucket), {}),
  /** API_GetBucketRequestPayment.html: "BucketOwner" unless requester pays was enabled. */
  GetBucketRequestPayment: (params: BucketInput, ctx: CallContext) => (bucketOf(ctx, params.Bucket), { Payer: "BucketOwner" }),
  /** API_GetBucketReplication.html: ReplicationConfigurationNotFoundError. */
  GetBucketReplication: (params: BucketInput, ctx: CallContext) => {
    bucketOf(ctx, params.Bucket);
    throw new AwsError("ReplicationConfigurationNotFoundError", "The replication configuration was not found", 404);
  },
  /** API_GetObjectLockConfiguration.html: ObjectLockConfigurationNotFoundError for a bucket created without object lock. */
  GetObjectLockConfiguration: (params: BucketInput, ctx: CallContext) => {
    bucketOf(ctx, params.Bucket);
    throw new AwsError("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", 404);
  },
};

/**
 * Object tags belong to one version of an object: a new PutObject replaces the object and its
 * tags with what that request's x-amz-tagging header says. Kept per object instance, so an
 * overwritten or deleted object's tags go with it.
 */
const objectTags = new WeakMap<S3Object, Tags>();

/** "You can associate up to 10 tags with an object … A tag key can be up to 128 Unicode characters … values up to 256" (S3 User Guide, "Categorizing your objects using tags"). */
const MAX_OBJECT_TAGS = 10;

function checkObjectTags(tags: Tags): Tags {
  if (Object.keys(tags).length > MAX_OBJECT_TAGS) throw new AwsError("BadRequest", "Object tags cannot be greater than 10");
  for (const [k, v] of Object.entries(tags)) if (k.length > 128 || v.length > 256) throw new AwsError("InvalidTag", "The TagKey you have provided is too long, max 128");
  return tags;
}

function objectOf(ctx: CallContext, params: BucketInput & { Key?: string }): S3Object {
  const object = bucketOf(ctx, params.Bucket).objects.get(params.Key ?? "");
  if (!object) throw new AwsError("NoSuchKey", "The specified key does not exist.", 404);
  return object;
}

/** API_PutObject.html, x-amz-tagging: "The tag-set for the object. The tag-set must be encoded as URL Query parameters. (For example, "Key1=Value1")". */
export function withObjectTagging(putObject: ActionHandler): ActionHandler {
  return async (params: BucketInput & { Key?: string; Tagging?: string }, ctx: CallContext) => {
    const tags = params.Tagging === undefined ? {} : checkObjectTags(Object.fromEntries(new URLSearchParams(params.Tagging)));
    const result = await putObject(params, ctx);
    objectTags.set(objectOf(ctx, params), tags);
    return result;
  };
}

const objectTaggingActions = {
  /** API_GetObjectTagging.html: the object's TagSet, empty when it has none. */
  GetObjectTagging: (params: BucketInput & { Key?: string }, ctx: CallContext) => ({ TagSet: toTagList(objectTags.get(objectOf(ctx, params)) ?? {}) }),
  /** API_PutObjectTagging.html: replaces the object's whole tag set. */
  PutObjectTagging: (params: BucketInput & { Key?: string; Tagging?: { TagSet?: TagEntry[] } }, ctx: CallContext) => {
    objectTags.set(objectOf(ctx, params), checkObjectTags(fromTagList(params.Tagging?.TagSet)));
    return {};
  },
  /** API_DeleteObjectTagging.html: 204. */
  DeleteObjectTagging: (params: BucketInput & { Key?: string }, ctx: CallContext) => {
    objectTags.delete(objectOf(ctx, params));
    return {};
  },
};

export const bucketSubresourceActions = {
  PutBucketLifecycleConfiguration: putBucketLifecycleConfiguration,
  GetBucketLifecycleConfiguration: getBucketLifecycleConfiguration,
  DeleteBucketLifecycle: deleteBucketLifecycle,
  PutBucketOwnershipControls: putBucketOwnershipControls,
  GetBucketOwnershipControls: getBucketOwnershipControls,
  DeleteBucketOwnershipControls: deleteBucketOwnershipControls,
  PutBucketPolicy: putBucketPolicy,
  GetBucketPolicy: getBucketPolicy,
  DeleteBucketPolicy: deleteBucketPolicy,
  DeleteBucket: deleteBucket,
  ...readsOfNewBucket,
  ...objectTaggingActions,
};
