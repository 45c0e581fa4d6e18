import type { Bucket, BucketEncryptionRule, PublicAccessBlock, Tags } from "../../state.js";
import { callOnBehalf } from "../cloudformation/resources/on-behalf.js";
import type { ResourceContext } from "../cloudformation/resources/types.js";
import { toTagList } from "../shared/tags.js";
import { s3Service } from "./service.js";

/**
 * How AWS::S3::Bucket's configuration reaches the bucket: one S3 API call per configuration
 * (PutBucketEncryption, PutPublicAccessBlock, PutBucketVersioning, PutBucketTagging), each made
 * through S3's own handler on the stack's behalf (on-behalf.ts callOnBehalf: authorized as the
 * stack's service role or the caller, applied, recorded in CloudTrail) as it lands. S3 has no call
 * that sets several configurations at once, so a call that fails leaves the ones before it in
 * place — CloudTrail shows each call with its own outcome — and it is CloudFormation's rollback
 * that writes the earlier ones back (update.ts rollBackUpdate) or deletes the new bucket
 * (cfn-bucket.ts create). Before, the sandbox authorized every call first and then wrote all the
 * settings together, so a denied third call left nothing applied, which AWS never does.
 */

/** A bucket configuration in the world's shapes; an absent member is one the template does not set. */
export interface WantedConfiguration {
  encryption?: BucketEncryptionRule[];
  publicAccessBlock?: PublicAccessBlock;
  versioning?: Bucket["versioning"];
  tags?: Tags;
}

type Call = { action: string; params: Record<string, unknown>; live: unknown; wanted: unknown };

/** API_PutBucketEncryption.html, ServerSideEncryptionRule: ApplyServerSideEncryptionByDefault, BucketKeyEnabled, BlockedEncryptionTypes. */
function encryptionRequest(rules: BucketEncryptionRule[]) {
  return {
    Rules: rules.map((rule) => ({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: rule.sseAlgorithm, ...(rule.kmsMasterKeyId !== undefined ? { KMSMasterKeyID: rule.kmsMasterKeyId } : {}) },
      ...(rule.bucketKeyEnabled !== undefined ? { BucketKeyEnabled: rule.bucketKeyEnabled } : {}),
      ...(rule.blockedEncryptionTypes !== undefined ? { BlockedEncryptionTypes: { EncryptionType: [...rule.blockedEncryptionTypes] } } : {}),
    })),
  };
}

/** API_PutPublicAccessBlock.html, PublicAccessBlockConfiguration. */
function publicAccessBlockRequest(block: PublicAccessBlock) {
  return {
    BlockPublicAcls: block.blockPublicAcls,
    IgnorePublicAcls: block.ignorePublicAcls,
    BlockPublicPolicy: block.blockPublicPolicy,
    RestrictPublicBuckets: block.restrictPublicBuckets,
  };
}

/** The calls, in the order the configurations are written, with the live and wanted values each compares. */
function calls(bucket: Bucket, wanted: WantedConfiguration): Call[] {
  const out: Call[] = [];
  const Bucket = bucket.name;
  if (wanted.encryption !== undefined) {
    out.push({ action: "PutBucketEncryption", params: { Bucket, ServerSideEncryptionConfiguration: encryptionRequest(wanted.encryption) }, live: bucket.encryption, wanted: wanted.encryption });
  }
  if (wanted.publicAccessBlock !== undefined) {
    out.push({ action: "PutPublicAccessBlock", params: { Bucket, PublicAccessBlockConfiguration: publicAccessBlockRequest(wanted.publicAccessBlock) }, live: bucket.publicAccessBlock, wanted: wanted.publicAccessBlock });
  }
  if (wanted.versioning !== undefined) {
    out.push({ action: "PutBucketVersioning", params: { Bucket, VersioningConfiguration: { Status: wanted.versioning } }, live: bucket.versioning, wanted: wanted.versioning });
  }
  if (wanted.tags !== undefined) {
    // PutBucketTagging replaces the whole set (API_PutBucketTagging.html), so the request carries every tag the bucket keeps.
    out.push({ action: "PutBucketTagging", params: { Bucket, Tagging: { TagSet: toTagList(wanted.tags) } }, live: bucket.tags, wanted: wanted.tags });
  }
  return out;
}

/** The same configuration, ignoring members the API leaves undefined (a rule without a KMS key). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Makes the configuration calls one by one; each lands before the next is authorized. With
 * `onlyChanged` (updates, REVERT_DRIFT and rollbacks), a configuration the bucket already holds is
 * not written again: a REVERT_DRIFT's Details name only the drifted properties (revert-drift.ts),
 * and a rollback has nothing to put back for a call that never landed. A create writes every
 * configuration the template sets, S3's defaults included.
 */
export async function writeConfiguration(ctx: ResourceContext, bucket: Bucket, wanted: WantedConfiguration, opts: { onlyChanged: boolean }): Promise<void> {
  for (const call of calls(bucket, wanted)) {
    if (opts.onlyChanged && same(call.live, call.wanted)) continue;
    await callOnBehalf(ctx, s3Service, call.action, call.params);
  }
}
