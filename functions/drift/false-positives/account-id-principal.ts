import { isPolicyPrincipalPath } from "./policy-paths.js";
import type { FalsePositiveClass } from "./types.js";

/**
 * A principal written as a bare account id ("123456789012") is stored by IAM, CloudWatch Logs,
 * S3 and the other resource-policy services as the account's root ARN
 * ("arn:aws:iam::123456789012:root"), and drift detection compares the two texts.
 * Source: aws-cloudformation/cloudformation-coverage-roadmap#2557 (AWS::Logs::ResourcePolicy,
 * "CloudWatch Logs stores it as arn:aws:iam::123456789012:root"); aws/aws-cdk#37797; the IAM
 * User Guide, "AWS JSON policy elements: Principal" (an account id is shorthand for its root).
 */
const ACCOUNT_ID = /^\d{12}$/;

export const accountIdPrincipal: FalsePositiveClass = {
  id: "account-id-principal",
  summary: "a principal written as an account id is stored as arn:<partition>:iam::<id>:root",
  roadmapIssues: [2557],
  normalise(node, at) {
    if (typeof node !== "string" || !ACCOUNT_ID.test(node) || !isPolicyPrincipalPath(at.resourceType, at.path)) return node;
    return `arn:${at.partition}:iam::${node}:root`;
  },
};
