import { GetBucketEncryptionCommand, GetBucketTaggingCommand, PutBucketEncryptionCommand, type S3Client } from "@aws-sdk/client-s3";
import { tagMap } from "../../core/tags.js";
import { isErrorCode } from "../../core/errors.js";
import { z } from "zod";
import { type Guardrail } from "./types.js";

/** The bucket's default encryption algorithm, "none" when it has none, undefined when the bucket is gone. */
async function defaultEncryption(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const rule = out.ServerSideEncryptionConfiguration?.Rules?.find((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm);
    return rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? "none";
  } catch (error) {
    if (isErrorCode(error, "ServerSideEncryptionConfigurationNotFoundError")) return "none";
    if (isErrorCode(error, "NoSuchBucket")) return undefined;
    throw error;
  }
}

export async function bucketTags(s3: S3Client, bucket: string): Promise<Record<string, string>> {
  try {
    return tagMap((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet);
  } catch (error) {
    if (isErrorCode(error, "NoSuchTagSet")) return {};
    throw error;
  }
}

const settings = {
  /** Put default encryption back on a bucket no stack manages when someone deletes it. */
  restoreBucketEncryption: z.boolean({ error: "must be true or false" }).default(true),
};

export const bucketEncryption: Guardrail<typeof settings> = {
  name: "bucket-encryption",
  settings,
  eventNames: ["DeleteBucketEncryption"],
  resourceType: "AWS::S3::Bucket",
  actions: ["s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:GetBucketTagging"],
  enabled: (settings) => settings.restoreBucketEncryption,
  async inspect({ resource, clients }) {
    const bucket = resource.physicalId;
    const algorithm = await defaultEncryption(clients.s3, bucket);
    if (algorithm === undefined) return { state: "gone", reason: `bucket ${bucket} no longer exists` };
    // Since 2023 S3 answers SSE-S3 after a deletion, so there this finds the bucket compliant and
    // changes nothing; the repair matters wherever the configuration can really be absent.
    if (algorithm !== "none") return { state: "compliant", reason: `bucket ${bucket} has default encryption ${algorithm}`, tags: {} };
    return {
      state: "violation",
      reason: `bucket ${bucket} had its default encryption removed`,
      tags: await bucketTags(clients.s3, bucket),
      steps: [
        {
          call: `PutBucketEncryption Bucket=${bucket} SSEAlgorithm=AES256`,
          summary: "restore default encryption SSE-S3 (AES256)",
          effect: { kind: "bucket-setting", bucket, setting: "encryption" },
          send: () =>
            clients.s3.send(
              new PutBucketEncryptionCommand({
                Bucket: bucket,
                ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
              }),
            ),
        },
      ],
    };
  },
};
