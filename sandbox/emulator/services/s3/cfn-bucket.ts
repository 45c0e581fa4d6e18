import type { Bucket, BucketEncryptionRule, PublicAccessBlock } from "../../state.js";
import { generatedName } from "../shared/ids.js";
import { NEW_BUCKET_BLOCKED_ENCRYPTION_TYPES, s3Service } from "./service.js";
import { authorizeOnBehalf, callOnBehalf, readOnBehalf, recordOnBehalf } from "../cloudformation/resources/on-behalf.js";
import { writeConfiguration, type WantedConfiguration } from "./cfn-bucket-configuration.js";
import { isPlainObject } from "../cloudformation/template/intrinsics.js";
import {
  bool,
  cloudFormationTags,
  objectList,
  optionalString,
  pick,
  staleTagKeys,
  templateTags,
  userTagList,
} from "../cloudformation/resources/properties.js";
import type { ResourceContext, ResourceProvider } from "../cloudformation/resources/types.js";

type LiveBucket = Bucket & { accountId: string };

/**
 * The template's rules (Template Reference, AWS::S3::Bucket ServerSideEncryptionRule, with
 * BlockedEncryptionTypes since November 2025). A rule that does not set BlockedEncryptionTypes
 * keeps `blockedByDefault`: on create S3's default for new buckets, on update the live value.
 */
function encryptionFromTemplate(value: unknown, blockedByDefault: (i: number) => BucketEncryptionRule["blockedEncryptionTypes"]): BucketEncryptionRule[] | undefined {
  if (!isPlainObject(value)) return undefined;
  return objectList(value.ServerSideEncryptionConfiguration).map((rule, i) => {
    const byDefault = isPlainObject(rule.ServerSideEncryptionByDefault) ? rule.ServerSideEncryptionByDefault : {};
    const kmsKey = optionalString(byDefault.KMSMasterKeyID);
    const blocked = isPlainObject(rule.BlockedEncryptionTypes) ? (rule.BlockedEncryptionTypes.EncryptionType as BucketEncryptionRule["blockedEncryptionTypes"]) : blockedByDefault(i);
    return {
      sseAlgorithm: String(byDefault.SSEAlgorithm ?? "AES256") as BucketEncryptionRule["sseAlgorithm"],
      ...(kmsKey !== undefined ? { kmsMasterKeyId: kmsKey } : {}),
      ...(rule.BucketKeyEnabled !== undefined ? { bucketKeyEnabled: bool(rule.BucketKeyEnabled) } : {}),
      ...(blocked !== undefined ? { blockedEncryptionTypes: [...blocked] } : {}),
    };
  });
}

function encryptionToTemplate(rules: BucketEncryptionRule[]): Record<string, unknown> {
  return {
    ServerSideEncryptionConfiguration: rules.map((rule) => ({
      ServerSideEncryptionByDefault: {
        SSEAlgorithm: rule.sseAlgorithm,
        ...(rule.kmsMasterKeyId !== undefined ? { KMSMasterKeyID: rule.kmsMasterKeyId } : {}),
      },
      // GetBucketEncryption answers BucketKeyEnabled false for a rule that never set it.
      BucketKeyEnabled: rule.bucketKeyEnabled ?? false,
      ...(rule.blockedEncryptionTypes !== undefined ? { BlockedEncryptionTypes: { EncryptionType: [...rule.blockedEncryptionTypes] } } : {}),
    })),
  };
}

function publicAccessBlockFromTemplate(value: unknown): PublicAccessBlock | undefined {
  if (!isPlainObject(value)) return undefined;
  return {
    blockPublicAcls: bool(value.BlockPublicAcls),
    ignorePublicAcls: bool(value.IgnorePublicAcls),
    blockPublicPolicy: bool(value.BlockPublicPolicy),
    restrictPublicBuckets: bool(value.RestrictPublicBuckets),
  };
}

function publicAccessBlockToTemplate(block: PublicAccessBlock): Record<string, unknown> {
  return {
    BlockPublicAcls: block.blockPublicAcls,
    BlockPublicPolicy: block.blockPublicPolicy,
    IgnorePublicAcls: block.ignorePublicAcls,
    RestrictPublicBuckets: block.restrictPublicBuckets,
  };
}

function versioningFromTemplate(value: unknown): Bucket["versioning"] {
  return isPlainObject(value) ? (String(value.Status) as Bucket["versioning"]) : undefined;
}

function ownBucket(name: string, ctx: ResourceContext): LiveBucket | undefined {
  const bucket = ctx.env.world.buckets.get(name);
  return bucket && bucket.accountId === ctx.env.account.id ? bucket : undefined;
}

/** Normalizes the booleans a YAML template may give as strings, so ExpectedProperties reads like AWS's. */
function canonicalBooleans(value: unknown, names: readonly string[]): unknown {
  if (!isPlainObject(value)) return value;
  const out = { ...value };
  for (const name of names) if (out[name] !== undefined) out[name] = bool(out[name]);
  return out;
}

function bucketAttributes(name: string, region: string): Record<string, string> {
  return {
    Arn: `arn:aws:s3:::${name}`,
    DomainName: `${name}.s3.amazonaws.com`,
    RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
    DualStackDomainName: `${name}.s3.dualstack.${region}.amazonaws.com`,
    WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
  };
}

/**
 * What the type's read handler calls for the configuration the sandbox models (drift detection,
 * import): GetBucketEncryption, GetPublicAccessBlock, GetBucketVersioning, GetBucketTagging
 * (authorized as s3:GetEncryptionConfiguration, s3:GetBucketPublicAccessBlock, s3:GetBucketVersioning,
 * s3:GetBucketTagging: "Required permissions for Amazon S3 API operations").
 */
const readBucket = (ctx: ResourceContext, name: string) =>
  readOnBehalf(ctx, s3Service, ["GetBucketEncryption", "GetPublicAccessBlock", "GetBucketVersioning", "GetBucketTagging"].map((action) => [action, { Bucket: name }] as const));

/** AWS::S3::Bucket. The physical id is the bucket name; names are global across accounts. */
export const s3BucketProvider: ResourceProvider = {
  async create(properties, ctx) {
    const { world, region, sandbox } = ctx.env;
    const name =
      optionalString(properties.BucketName) ??
      generatedName(sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 63, lowercase: true });
    // CloudFormation's own wording for a taken name, not S3's BucketAlreadyExists.
    if (world.buckets.has(name)) throw new Error(`${name} already exists`);
    // API_CreateBucket.html: outside us-east-1 the request names its Region as the LocationConstraint.
    await callOnBehalf(ctx, s3Service, "CreateBucket", { Bucket: name, ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region } }) });
    const bucket = world.buckets.get(name)!;
    // The tags CloudFormation itself puts on what it creates (aws:cloudformation:*) and the stack's tags.
    bucket.tags = { ...cloudFormationTags(ctx.stack, ctx.logicalId), ...ctx.stack.tags };
    // S3's defaults for a new bucket, then each configuration the template sets, one call at a time (cfn-bucket-configuration.ts).
    const wanted = wantedConfiguration(bucket, properties, () => NEW_BUCKET_BLOCKED_ENCRYPTION_TYPES);
    try {
      await writeConfiguration(ctx, bucket, wanted, { onlyChanged: false });
    } catch (error) {
      // The calls before the failed one landed; the rollback of a resource that failed to create
      // deletes the bucket, with a DeleteBucket of its own (denied too, the bucket stays, as after
      // a ROLLBACK_FAILED).
      await callOnBehalf(ctx, s3Service, "DeleteBucket", { Bucket: name }).catch(() => undefined);
      throw error;
    }
    return { physicalId: name, attributes: bucketAttributes(name, region) };
  },

  /**
   * UpdateStack: the new template's configuration (drift `update`), and the tags the previous
   * template set that the new one drops taken off. S3 has no call to remove one tag:
   * PutBucketTagging replaces the whole set, so when the new template still has Tags its
   * PutBucketTagging is that removal, and when it has none the remaining set is put.
   */
  async updateInPlace(name, properties, previous, ctx) {
    const bucket = ownBucket(name, ctx);
    if (!bucket) throw new Error(`The specified bucket does not exist: ${name}`);
    const stale = staleTagKeys(bucket.tags, { ...ctx.stack.tags, ...templateTags(properties.Tags) }, previous.Tags);
    const kept = Object.fromEntries(Object.entries(bucket.tags).filter(([key]) => !stale.includes(key)));
    const live = bucket.encryption;
    const wanted = wantedConfiguration({ ...bucket, tags: kept }, properties, (i) => live?.[i]?.blockedEncryptionTypes);
    if (stale.length > 0 && wanted.tags === undefined) wanted.tags = kept;
    await writeConfiguration(ctx, bucket, wanted, { onlyChanged: true });
  },

  import: {
    identifier: "BucketName",
    async find(name, ctx) {
      await readBucket(ctx, name);
      const bucket = ownBucket(name, ctx);
      return bucket && { physicalId: name, attributes: bucketAttributes(name, bucket.region) };
    },
  },

  async delete(name, ctx) {
    const bucket = ownBucket(name, ctx);
    if (!bucket) return;
    await authorizeOnBehalf(ctx, s3Service, "DeleteBucket", { Bucket: name });
    if (bucket.objects.size > 0) throw new Error("The bucket you tried to delete is not empty");
    ctx.env.world.buckets.delete(name);
    recordOnBehalf(ctx, s3Service, "DeleteBucket", { Bucket: name });
  },

  drift: {
    shapes: {
      BucketEncryption: {
        kind: "object",
        fields: { ServerSideEncryptionConfiguration: { kind: "list" } },
      },
      Tags: { kind: "set", key: "Key", onlyExpectedKeys: true },
    },
    replacedBy: ["BucketName"],

    expected(properties) {
      const out = pick(properties, ["BucketName", "BucketEncryption", "PublicAccessBlockConfiguration", "VersioningConfiguration", "Tags"]);
      if (out.PublicAccessBlockConfiguration !== undefined) {
        out.PublicAccessBlockConfiguration = canonicalBooleans(out.PublicAccessBlockConfiguration, [
          "BlockPublicAcls",
          "BlockPublicPolicy",
          "IgnorePublicAcls",
          "RestrictPublicBuckets",
        ]);
      }
      return out;
    },

    async readActual(name, ctx) {
      await readBucket(ctx, name);
      const bucket = ownBucket(name, ctx);
      if (!bucket) return undefined;
      return {
        BucketName: bucket.name,
        ...(bucket.encryption ? { BucketEncryption: encryptionToTemplate(bucket.encryption) } : {}),
        ...(bucket.publicAccessBlock ? { PublicAccessBlockConfiguration: publicAccessBlockToTemplate(bucket.publicAccessBlock) } : {}),
        ...(bucket.versioning ? { VersioningConfiguration: { Status: bucket.versioning } } : {}),
        Tags: userTagList(bucket.tags),
      };
    },

    async update(name, expected, ctx) {
      const bucket = ownBucket(name, ctx);
      if (!bucket) throw new Error(`The specified bucket does not exist: ${name}`);
      const live = bucket.encryption;
      await writeConfiguration(ctx, bucket, wantedConfiguration(bucket, expected, (i) => live?.[i]?.blockedEncryptionTypes), { onlyChanged: true });
    },
  },
};

/**
 * What the template's properties make of the bucket's configuration. Tags: the template's values
 * over the bucket's own (tags the template doesn't mention are left as they are, and a create's
 * aws:cloudformation:* tags stay).
 */
function wantedConfiguration(bucket: LiveBucket, properties: Record<string, unknown>, blockedByDefault: (i: number) => BucketEncryptionRule["blockedEncryptionTypes"]): WantedConfiguration {
  return {
    encryption: encryptionFromTemplate(properties.BucketEncryption, blockedByDefault),
    publicAccessBlock: publicAccessBlockFromTemplate(properties.PublicAccessBlockConfiguration),
    versioning: versioningFromTemplate(properties.VersioningConfiguration),
    tags: properties.Tags === undefined ? undefined : { ...bucket.tags, ...templateTags(properties.Tags) },
  };
}
