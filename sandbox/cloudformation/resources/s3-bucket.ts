import type { Bucket, BucketEncryptionRule, PublicAccessBlock } from "../../state.js";
import { isoNow } from "../env.js";
import { generatedName } from "../../services/ids.js";
import { isPlainObject } from "../template/intrinsics.js";
import {
  bool,
  cloudFormationTags,
  objectList,
  optionalString,
  pick,
  restoreTags,
  templateTags,
  userTagList,
} from "./properties.js";
import type { ResourceContext, ResourceProvider } from "./types.js";

type LiveBucket = Bucket & { accountId: string };

function encryptionFromTemplate(value: unknown): BucketEncryptionRule[] | undefined {
  if (!isPlainObject(value)) return undefined;
  return objectList(value.ServerSideEncryptionConfiguration).map((rule) => {
    const byDefault = isPlainObject(rule.ServerSideEncryptionByDefault) ? rule.ServerSideEncryptionByDefault : {};
    const kmsKey = optionalString(byDefault.KMSMasterKeyID);
    return {
      sseAlgorithm: String(byDefault.SSEAlgorithm ?? "AES256") as BucketEncryptionRule["sseAlgorithm"],
      ...(kmsKey !== undefined ? { kmsMasterKeyId: kmsKey } : {}),
      ...(rule.BucketKeyEnabled !== undefined ? { bucketKeyEnabled: bool(rule.BucketKeyEnabled) } : {}),
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
      ...(rule.bucketKeyEnabled !== undefined ? { BucketKeyEnabled: rule.bucketKeyEnabled } : {}),
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

/** New buckets get SSE-S3 default encryption and a full public access block, as S3 does since 2023. */
const DEFAULT_ENCRYPTION: BucketEncryptionRule[] = [{ sseAlgorithm: "AES256", bucketKeyEnabled: false }];
const DEFAULT_PUBLIC_ACCESS_BLOCK: PublicAccessBlock = {
  blockPublicAcls: true,
  ignorePublicAcls: true,
  blockPublicPolicy: true,
  restrictPublicBuckets: true,
};

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

/** AWS::S3::Bucket. The physical id is the bucket name; names are global across accounts. */
export const s3BucketProvider: ResourceProvider = {
  create(properties, ctx) {
    const { world, account, region, sandbox } = ctx.env;
    const name =
      optionalString(properties.BucketName) ??
      generatedName(sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 63, lowercase: true });
    if (world.buckets.has(name)) throw new Error(`${name} already exists`);
    const versioning = versioningFromTemplate(properties.VersioningConfiguration);
    world.buckets.set(name, {
      name,
      region,
      accountId: account.id,
      createdAt: isoNow(ctx.env),
      encryption: encryptionFromTemplate(properties.BucketEncryption) ?? DEFAULT_ENCRYPTION.map((rule) => ({ ...rule })),
      publicAccessBlock: publicAccessBlockFromTemplate(properties.PublicAccessBlockConfiguration) ?? { ...DEFAULT_PUBLIC_ACCESS_BLOCK },
      ...(versioning ? { versioning } : {}),
      tags: { ...cloudFormationTags(ctx.stack, ctx.logicalId), ...ctx.stack.tags, ...templateTags(properties.Tags) },
      objects: new Map(),
    });
    return {
      physicalId: name,
      attributes: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
        DualStackDomainName: `${name}.s3.dualstack.${region}.amazonaws.com`,
        WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
      },
    };
  },

  delete(name, ctx) {
    const bucket = ownBucket(name, ctx);
    if (!bucket) return;
    if (bucket.objects.size > 0) throw new Error("The bucket you tried to delete is not empty");
    ctx.env.world.buckets.delete(name);
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

    readActual(name, ctx) {
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

    update(name, expected, ctx) {
      const bucket = ownBucket(name, ctx);
      if (!bucket) throw new Error(`The specified bucket does not exist: ${name}`);
      if (expected.BucketEncryption !== undefined) bucket.encryption = encryptionFromTemplate(expected.BucketEncryption);
      if (expected.PublicAccessBlockConfiguration !== undefined) {
        bucket.publicAccessBlock = publicAccessBlockFromTemplate(expected.PublicAccessBlockConfiguration);
      }
      if (expected.VersioningConfiguration !== undefined) bucket.versioning = versioningFromTemplate(expected.VersioningConfiguration);
      if (expected.Tags !== undefined) restoreTags(bucket.tags, expected.Tags);
    },
  },
};
