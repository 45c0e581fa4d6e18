import type { Construct } from "constructs";
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";

export { serviceTrust } from "./spoke-policy.js";

export type PolicyStatement = DataAwsIamPolicyDocumentStatement;

/**
 * Every IAM policy in driftguard (identity, trust, resource) is rendered by terraform's
 * aws_iam_policy_document, so statements stay structured in the synthesized JSON (readable,
 * testable) and terraform normalizes the output.
 */
export function policyJson(scope: Construct, id: string, statements: PolicyStatement[]): string {
  return new DataAwsIamPolicyDocument(scope, id, { statement: statements }).json;
}

/** Denies any request that did not arrive over TLS. */
export function denyInsecureTransport(actions: string[], resources: string[]): PolicyStatement {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    actions,
    resources,
    principals: [{ type: "*", identifiers: ["*"] }],
    condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}
