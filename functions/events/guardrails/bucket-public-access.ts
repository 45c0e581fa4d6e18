import { GetPublicAccessBlockCommand, PutPublicAccessBlockCommand, type PublicAccessBlockConfiguration, type S3Client } from "@aws-sdk/client-s3";
import { isErrorCode } from "../../core/errors.js";
import { bucketTags } from "./bucket-encryption.js";
import { z } from "zod";
import { type Guardrail } from "./types.js";

/**
 * The four Block Public Access settings; "S3 Block Public Access" (S3 User Guide) blocks public
 * ACLs and policies only with all four on. A missing configuration
 * (NoSuchPublicAccessBlockConfiguration) blocks nothing at the bucket level.
 */
export const PUBLIC_ACCESS_FLAGS = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const;

/** The flags that are off; undefined when the bucket is gone. */
async function unblocked(s3: S3Client, bucket: string): Promise<string[] | undefined> {
  let config: PublicAccessBlockConfiguration;
  try {
    config = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration ?? {};
  } catch (error) {
    if (isErrorCode(error, "NoSuchPublicAccessBlockConfiguration")) config = {};
    else if (isErrorCode(error, "NoSuchBucket")) return undefined;
    else throw error;
  }
  return PUBLIC_ACCESS_FLAGS.filter((f) => config[f] !== true);
}

/**
 * Blocks public access on a bucket no stack manages. A bucket meant to be public (a website)
 * carries the exemption tag; account-level Block Public Access is not read (no s3control client
 * here), so a bucket it already covers is still reported.
 */
const settings = {
  /** Turn Block Public Access on (all four settings) for buckets no stack manages. */
  blockBucketPublicAccess: z.boolean({ error: "must be true or false" }).default(true),
};

export const bucketPublicAccess: Guardrail<typeof settings> = {
  name: "bucket-public-access",
  settings,
  eventNames: ["DeleteBucketPublicAccessBlock", "PutBucketPublicAccessBlock"],
  resourceType: "AWS::S3::Bucket",
  actions: ["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetBucketTagging"],
  enabled: (settings) => settings.blockBucketPublicAccess,
  async inspect({ resource, clients }) {
    const bucket = resource.physicalId;
    const off = await unblocked(clients.s3, bucket);
    if (off === undefined) return { state: "gone", reason: `bucket ${bucket} no longer exists` };
    if (off.length === 0) return { state: "compliant", reason: `bucket ${bucket} blocks all public access`, tags: {} };
    const all = Object.fromEntries(PUBLIC_ACCESS_FLAGS.map((f) => [f, true])) as Required<Pick<PublicAccessBlockConfiguration, (typeof PUBLIC_ACCESS_FLAGS)[number]>>;
    return {
      state: "violation",
      reason: `bucket ${bucket} does not block public access (${off.join(", ")} off)`,
      tags: await bucketTags(clients.s3, bucket),
      steps: [
        {
          call: `PutPublicAccessBlock Bucket=${bucket} ${PUBLIC_ACCESS_FLAGS.map((f) => `${f}=true`).join(" ")}`,
          summary: "block all public access",
          effect: { kind: "bucket-setting", bucket, setting: "public-access-block" },
          send: () => clients.s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: all })),
        },
      ],
    };
  },
};
