import type { EncryptionType, ServerSideEncryption, ServerSideEncryptionRule } from "@aws-sdk/client-s3";

/**
 * Bucket default-encryption rules in the two shapes they come in: the template's
 * (AWS::S3::Bucket ServerSideEncryptionRule: ServerSideEncryptionByDefault, BucketKeyEnabled,
 * BlockedEncryptionTypes) and the S3 API's (ApplyServerSideEncryptionByDefault, ...).
 * BlockedEncryptionTypes is in the S3 API since 2026 (S3 API Reference, BlockedEncryptionTypes:
 * "Valid Values: NONE | SSE-C") and in CloudFormation's rule since November 2025 (Template
 * Reference, "AWS::S3::Bucket BlockedEncryptionTypes": `{ "EncryptionType": [String, ...] }`).
 */

export interface TemplateEncryptionRule {
  ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
  BlockedEncryptionTypes?: { EncryptionType?: string[] };
}

const asBool = (v: unknown): boolean => v === true || v === "true";

export function templateRules(bucketEncryption: unknown): TemplateEncryptionRule[] {
  const rules = (bucketEncryption as { ServerSideEncryptionConfiguration?: unknown } | undefined)?.ServerSideEncryptionConfiguration;
  return (Array.isArray(rules) ? rules : []).map((r) => (r ?? {}) as TemplateEncryptionRule);
}

/**
 * The API rule that puts `rule` on a bucket whose live rule is `live`. PutBucketEncryption
 * replaces the whole configuration, so every field the template does not manage is carried over
 * from the live rule: leaving BlockedEncryptionTypes out would unblock SSE-C.
 */
export function apiRule(rule: TemplateEncryptionRule, live: ServerSideEncryptionRule | undefined): ServerSideEncryptionRule {
  const byDefault = rule.ServerSideEncryptionByDefault ?? {};
  const blocked = rule.BlockedEncryptionTypes?.EncryptionType ?? live?.BlockedEncryptionTypes?.EncryptionType;
  return {
    ApplyServerSideEncryptionByDefault: {
      SSEAlgorithm: byDefault.SSEAlgorithm as ServerSideEncryption,
      ...(byDefault.KMSMasterKeyID ? { KMSMasterKeyID: byDefault.KMSMasterKeyID } : {}),
    },
    BucketKeyEnabled: rule.BucketKeyEnabled !== undefined ? asBool(rule.BucketKeyEnabled) : (live?.BucketKeyEnabled ?? false),
    ...(blocked !== undefined ? { BlockedEncryptionTypes: { EncryptionType: blocked.map((t) => t as EncryptionType) } } : {}),
  };
}

/** A live API rule in template shape, as CloudFormation's ActualProperties would show it. */
export function templateRule(rule: ServerSideEncryptionRule): TemplateEncryptionRule {
  const byDefault = rule.ApplyServerSideEncryptionByDefault;
  return {
    ServerSideEncryptionByDefault: {
      SSEAlgorithm: byDefault?.SSEAlgorithm ?? "",
      ...(byDefault?.KMSMasterKeyID ? { KMSMasterKeyID: byDefault.KMSMasterKeyID } : {}),
    },
    BucketKeyEnabled: asBool(rule.BucketKeyEnabled),
    ...(rule.BlockedEncryptionTypes?.EncryptionType ? { BlockedEncryptionTypes: { EncryptionType: [...rule.BlockedEncryptionTypes.EncryptionType] } } : {}),
  };
}
