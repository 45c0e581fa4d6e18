import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { EXPIRING_PREFIXES, RUNS_PREFIX } from "../functions/aws/bucket-layout.js";
import { denyInsecureTransport, policyJson } from "./policy.js";

export interface ReportBucketProps {
  bucketName: string;
  /** Days reports and event records are kept. */
  retentionDays: number;
}

const NONCURRENT_VERSION_DAYS = 30;
/**
 * Fan-out working data (`runs/<runId>/`: plan, items, parts, budget, Map results) is only read
 * while its run lasts; the consolidated report under reports/ is what is kept.
 */
const RUN_DATA_DAYS = 7;

/** The private, encrypted, versioned bucket the scanner writes reports and state into. */
export class ReportBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: ReportBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucketName });
    const bucket = this.bucket.id;

    new S3BucketOwnershipControls(this, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    new S3BucketPolicy(this, "policy", {
      bucket,
      policy: policyJson(this, "policy-document", [
        denyInsecureTransport(["s3:*"], [this.bucket.arn, `${this.bucket.arn}/*`]),
      ]),
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        ...EXPIRING_PREFIXES.map((prefix) => ({
          id: `expire-${prefix.replace("/", "")}`,
          status: "Enabled",
          filter: [{ prefix }],
          expiration: [{ days: props.retentionDays }],
        })),
        { id: "expire-runs", status: "Enabled", filter: [{ prefix: RUNS_PREFIX }], expiration: [{ days: RUN_DATA_DAYS }] },
        {
          id: "tidy-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
          expiration: [{ expiredObjectDeleteMarker: true }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
  }
}
