import type { PropertyDifference, ResourceDrift } from "../../../functions/core/types.js";

/**
 * Drift records in the shape DescribeStackResourceDrifts returns (after toResourceDrift), built
 * from the payloads quoted in public issue threads; each names its source.
 */
export function drift(resourceType: string, expected: Record<string, unknown>, actual: Record<string, unknown>, differences: PropertyDifference[]): ResourceDrift {
  return { logicalResourceId: "Res", physicalResourceId: "res-1", resourceType, status: "MODIFIED", expected, actual, differences };
}

export const notEqual = (propertyPath: string, expectedValue: unknown, actualValue: unknown): PropertyDifference => ({
  propertyPath,
  expectedValue: typeof expectedValue === "string" ? expectedValue : JSON.stringify(expectedValue),
  actualValue: typeof actualValue === "string" ? actualValue : JSON.stringify(actualValue),
  differenceType: "NOT_EQUAL",
});

/**
 * cloudformation-coverage-roadmap#2554: "Property: /BucketEncryption Deployed: "null" Expected:
 * {"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}".
 */
export const BUCKET_ENCRYPTION_2554 = { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] };
/** The same thread's `aws s3api get-bucket-encryption` output. */
export const GET_BUCKET_ENCRYPTION_2554 = {
  ServerSideEncryptionConfiguration: {
    Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }],
  },
};
export const bucketEncryptionRemove2554 = (): ResourceDrift =>
  drift("AWS::S3::Bucket", { BucketEncryption: BUCKET_ENCRYPTION_2554 }, {}, [
    { propertyPath: "/BucketEncryption", expectedValue: JSON.stringify(BUCKET_ENCRYPTION_2554), actualValue: "null", differenceType: "REMOVE" },
  ]);
