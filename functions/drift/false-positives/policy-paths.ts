import { matchesPattern, type Segment } from "../pointer.js";
import { pattern } from "./types.js";

/**
 * Where resource types keep policy documents, from the CloudFormation Template Reference of each
 * type (AWS::IAM::Role AssumeRolePolicyDocument and Policies[].PolicyDocument; the resource-policy
 * types' PolicyDocument/Policy/KeyPolicy). Shared by the policy classes so they agree on what a
 * policy document is.
 */
const POLICY_DOCUMENTS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  "AWS::IAM::Role": [pattern("AssumeRolePolicyDocument"), pattern("Policies/*/PolicyDocument")],
  "AWS::IAM::User": [pattern("Policies/*/PolicyDocument")],
  "AWS::IAM::Group": [pattern("Policies/*/PolicyDocument")],
  "AWS::IAM::Policy": [pattern("PolicyDocument")],
  "AWS::IAM::ManagedPolicy": [pattern("PolicyDocument")],
  "AWS::IAM::RolePolicy": [pattern("PolicyDocument")],
  "AWS::S3::BucketPolicy": [pattern("PolicyDocument")],
  "AWS::SNS::TopicPolicy": [pattern("PolicyDocument")],
  "AWS::SQS::QueuePolicy": [pattern("PolicyDocument")],
  "AWS::Logs::ResourcePolicy": [pattern("PolicyDocument")],
  "AWS::KMS::Key": [pattern("KeyPolicy")],
  "AWS::ApiGateway::RestApi": [pattern("Policy")],
  "AWS::Events::EventBus": [pattern("Policy")],
};

/** True when `path` is exactly a policy document of the type. */
export function isPolicyDocumentPath(resourceType: string, path: readonly Segment[]): boolean {
  return (POLICY_DOCUMENTS[resourceType] ?? []).some((p) => matchesPattern(p, path));
}

/** The length of the policy document path `path` lies in, or undefined. */
function documentDepth(resourceType: string, path: readonly Segment[]): number | undefined {
  return (POLICY_DOCUMENTS[resourceType] ?? []).find((p) => matchesPattern(p, path, true))?.length;
}

/** The path inside the policy document, when `path` lies in one: ["Statement", 0, "Principal", "AWS", 1]. */
export function pathInPolicy(resourceType: string, path: readonly Segment[]): readonly Segment[] | undefined {
  const depth = documentDepth(resourceType, path);
  return depth === undefined ? undefined : path.slice(depth);
}

/** An AWS principal value inside a policy: Statement/<i>/(Not)Principal/AWS[/<j>]. */
export function isPolicyPrincipalPath(resourceType: string, path: readonly Segment[]): boolean {
  const inner = pathInPolicy(resourceType, path);
  if (inner === undefined) return false;
  const at = inner.findIndex((s) => s === "Principal" || s === "NotPrincipal");
  return at >= 0 && inner[at + 1] === "AWS" && inner.length <= at + 3;
}
