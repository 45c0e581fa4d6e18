import {
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryptionRule,
} from "@aws-sdk/client-s3";
import type { SpokeClients } from "../../aws/clients.js";
import type { ResourceDrift } from "../../core/types.js";
import { equivalentAt, resourceContext, type ResourceContext } from "../../drift/index.js";
import { isErrorCode } from "../../core/errors.js";
import { type PlannedStep, restoreTagsStep } from "../plan.js";
import { tagList, tagMap, tagsToRestore, type TagMap } from "../../core/tags.js";
import type { Remediator } from "../types.js";
import { apiRule, templateRule, templateRules } from "../../aws/s3-encryption.js";

/**
 * AWS::S3::Bucket: default encryption (with BlockedEncryptionTypes), public access block,
 * versioning and tags, each only when the template sets it. PutBucketTagging replaces the whole tag set, so the write carries every
 * live tag (including the aws:cloudformation:* ones S3 refuses to drop) with the managed values
 * laid over them.
 */

const BUCKET_PROPERTIES = ["BucketEncryption", "PublicAccessBlockConfiguration", "VersioningConfiguration", "Tags"] as const;
const PAB_FLAGS = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] as const;

const asBool = (v: unknown): boolean => v === true || v === "true";

/** Absent settings answer with these errors rather than an empty configuration. */
async function orWhenMissing<T>(read: () => Promise<T>, missingCode: string, fallback: T): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isErrorCode(err, missingCode)) return fallback;
    throw err;
  }
}

/** A BucketEncryption property in template shape, as CloudFormation's ActualProperties would show these rules. */
const bucketEncryption = (rules: readonly ServerSideEncryptionRule[]) => ({ ServerSideEncryptionConfiguration: rules.map(templateRule) });

/**
 * Default encryption, including BlockedEncryptionTypes: a template that blocks SSE-C gets it
 * blocked again after an unblock. PutBucketEncryption replaces the configuration, so each rule
 * written keeps the live fields the template does not set (apiRule). Whether a write is needed
 * is judged under the false-positive normalisers, as the decision was: a key id in the template
 * and the same key's ARN live (kms-key-id), an SSE algorithm in another case, a set in another
 * order are not drift, and re-putting them would write on every run.
 */
async function encryptionSteps(s3: S3Client, bucket: string, expected: unknown, ctx: ResourceContext): Promise<PlannedStep[]> {
  const live = await orWhenMissing(
    async () => (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules ?? [],
    "ServerSideEncryptionConfigurationNotFoundError",
    [],
  );
  const want = templateRules(expected).map((rule, i) => apiRule(rule, live[i]));
  if (equivalentAt(bucketEncryption(want), bucketEncryption(live), ["BucketEncryption"], ctx)) return [];
  const algorithms = want.map((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).join(", ");
  const blocked = [...new Set(want.flatMap((r) => r.BlockedEncryptionTypes?.EncryptionType ?? []))];
  const blockedText = blocked.length > 0 ? ` BlockedEncryptionTypes=${blocked.join(",")}` : "";
  return [
    {
      call: `PutBucketEncryption Bucket=${bucket} SSEAlgorithm=${algorithms}${blockedText}`,
      summary: `restore default encryption (${algorithms}${blocked.length > 0 ? `; blocked: ${blocked.join(", ")}` : ""})`,
      effects: [{ path: "/BucketEncryption", value: bucketEncryption(want) }],
      effect: { kind: "bucket-setting", bucket, setting: "encryption" },
      send: () => s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: want } })),
    },
  ];
}

async function publicAccessBlockSteps(s3: S3Client, bucket: string, expected: unknown): Promise<PlannedStep[]> {
  const wantRaw = (expected ?? {}) as Record<string, unknown>;
  const want = Object.fromEntries(PAB_FLAGS.map((f) => [f, asBool(wantRaw[f])])) as Required<Pick<PublicAccessBlockConfiguration, (typeof PAB_FLAGS)[number]>>;
  const live = await orWhenMissing(
    async () => (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration ?? {},
    "NoSuchPublicAccessBlockConfiguration",
    {} as PublicAccessBlockConfiguration,
  );
  const changed = PAB_FLAGS.filter((f) => want[f] !== asBool(live[f]));
  if (changed.length === 0) return [];
  return [
    {
      call: `PutPublicAccessBlock Bucket=${bucket} ${PAB_FLAGS.map((f) => `${f}=${want[f]}`).join(" ")}`,
      summary: `restore public access block (${changed.join(", ")})`,
      effect: { kind: "bucket-setting", bucket, setting: "public-access-block" },
      effects: [{ path: "/PublicAccessBlockConfiguration", value: want }],
      send: () => s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: want })),
    },
  ];
}

async function versioningSteps(s3: S3Client, bucket: string, expected: unknown): Promise<PlannedStep[]> {
  const want = String((expected as { Status?: unknown } | undefined)?.Status ?? "");
  const live = (await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status ?? "";
  if (want === "" || want === live) return [];
  const status = want as "Enabled" | "Suspended";
  return [
    {
      call: `PutBucketVersioning Bucket=${bucket} Status=${status}`,
      summary: `set versioning to ${status} (was ${live || "never enabled"})`,
      effect: { kind: "bucket-setting", bucket, setting: "versioning" },
      effects: [{ path: "/VersioningConfiguration", value: { Status: status } }],
      send: () => s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } })),
    },
  ];
}

async function liveTags(s3: S3Client, bucket: string): Promise<TagMap> {
  return orWhenMissing(
    async () => tagMap((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet),
    "NoSuchTagSet",
    {},
  );
}

async function tagSteps(s3: S3Client, bucket: string, expected: unknown): Promise<PlannedStep[]> {
  const live = await liveTags(s3, bucket);
  return restoreTagsStep(tagsToRestore(expected, live), `PutBucketTagging Bucket=${bucket}`, { kind: "tag-resource", resource: `bucket ${bucket}` }, (restore) =>
    s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tagList({ ...live, ...restore }) } })),
    expected,
  );
}

async function plan(drift: ResourceDrift, clients: SpokeClients): Promise<PlannedStep[]> {
  const { s3 } = clients;
  const bucket = drift.physicalResourceId;
  const expected = drift.expected ?? {};
  const ctx = resourceContext({ accountId: clients.accountId, region: clients.region }, drift.resourceType);
  return [
    ...("BucketEncryption" in expected ? await encryptionSteps(s3, bucket, expected.BucketEncryption, ctx) : []),
    ...("PublicAccessBlockConfiguration" in expected ? await publicAccessBlockSteps(s3, bucket, expected.PublicAccessBlockConfiguration) : []),
    ...("VersioningConfiguration" in expected ? await versioningSteps(s3, bucket, expected.VersioningConfiguration) : []),
    ...("Tags" in expected ? await tagSteps(s3, bucket, expected.Tags) : []),
  ];
}

export const s3BucketRemediator: Remediator = {
  resourceType: "AWS::S3::Bucket",
  actions: [
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
  ],
  properties: BUCKET_PROPERTIES,
  async plan({ drift, clients }) {
    return { steps: await plan(drift, clients) };
  },
  async readTags(drift, clients) {
    return liveTags(clients.s3, drift.physicalResourceId);
  },
};
