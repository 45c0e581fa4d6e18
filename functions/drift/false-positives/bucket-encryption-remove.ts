import { GetBucketEncryptionCommand } from "@aws-sdk/client-s3";
import { templateRule } from "../../aws/s3-encryption.js";
import { isErrorCode } from "../../core/errors.js";
import type { FalsePositiveClass } from "./types.js";

/**
 * CloudFormation reports `/BucketEncryption` REMOVE (actual "null") on buckets that are
 * encrypted exactly as the template says; GetBucketEncryption shows the rule, with the
 * BlockedEncryptionTypes field S3 added in 2026. Source:
 * aws-cloudformation/cloudformation-coverage-roadmap#2554 (payload: expected
 * {"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]},
 * deployed "null"; get-bucket-encryption returns the AES256 rule with BucketKeyEnabled false and
 * BlockedEncryptionTypes ["SSE-C"]). driftguard reads the rule itself and compares it with the
 * template, over the fields the template sets.
 */
export const bucketEncryptionRemove: FalsePositiveClass = {
  id: "bucket-encryption-remove",
  summary: "/BucketEncryption reported REMOVE on a bucket whose encryption matches the template",
  roadmapIssues: [2554],
  normalise: (node) => node,
  evidence: {
    resourceType: "AWS::S3::Bucket",
    property: "BucketEncryption",
    actions: ["s3:GetEncryptionConfiguration"],
    async read(bucket, clients) {
      try {
        const out = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
        const rules = out.ServerSideEncryptionConfiguration?.Rules ?? [];
        return rules.length > 0 ? { ServerSideEncryptionConfiguration: rules.map(templateRule) } : undefined;
      } catch (err) {
        if (isErrorCode(err, "ServerSideEncryptionConfigurationNotFoundError")) return undefined;
        throw err;
      }
    },
  },
};
