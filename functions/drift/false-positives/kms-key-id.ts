import type { FalsePositiveClass } from "./types.js";

/**
 * A KMS key given by id in the template and returned by the service as the key's ARN (or the
 * other way round). CloudFormation's own documentation says it does not check KmsKeyId, yet it
 * reports it (the User Guide's drift considerations, quoted in
 * aws-cloudformation/cloudformation-coverage-roadmap#1203). An ARN is folded to the key id only
 * when it names a key in the resource's own account and region, where the bare id resolves to
 * the same key; aliases cannot be resolved without KMS and are left as they are.
 * Sources: #2233 and #2362 (AWS::EC2::Instance Ebs.KmsKeyId), #1203 (Redshift), #2530 (ECR).
 */
const KEY_PROPERTY = /^(kms.*key.*|.*kmskeyid|kmsmasterkeyid|.*kmskeyarn)$/i;
const KEY_ARN = /^arn:([\w-]+):kms:([\w-]+):(\d{12}):key\/([\w-]+)$/;

export const kmsKeyId: FalsePositiveClass = {
  id: "kms-key-id",
  summary: "a KMS key id in the template against the key's ARN from the service",
  roadmapIssues: [2233, 2362, 1203, 2530],
  normalise(node, at) {
    if (typeof node !== "string" || !KEY_PROPERTY.test(String(at.path.at(-1) ?? ""))) return node;
    const arn = KEY_ARN.exec(node);
    if (!arn) return node;
    const [, partition, region, account, keyId] = arn;
    return partition === at.partition && region === at.region && account === at.accountId ? (keyId as string) : node;
  },
};
