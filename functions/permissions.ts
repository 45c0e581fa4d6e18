import { guardrailActions } from "./events/index.js";
import { OWNERSHIP_ACTIONS, REMEDIATORS, RESOURCE_TAG_ACTIONS } from "./remediation/index.js";
import { falsePositiveActions } from "./drift/index.js";
import { ENABLED_REGIONS_ACTIONS } from "./scanner/index.js";
import { sweepActions } from "./sweep/index.js";

/**
 * Read-only actions the scanner and the event path need in every spoke account-region; each is
 * called by code (a meta-test checks every granted action against the source).
 * DescribeStackResources: the event path's owning-stack lookup.
 */
export const SCAN_ACTIONS = [
  "cloudformation:ListStacks",
  "cloudformation:DescribeStacks",
  "cloudformation:DescribeStackResources",
  "cloudformation:DetectStackDrift",
  "cloudformation:DetectStackResourceDrift",
  "cloudformation:DescribeStackDriftDetectionStatus",
  "cloudformation:DescribeStackResourceDrifts",
  "cloudtrail:LookupEvents",
] as const;

/** Whole-stack revert with drift-aware change sets (REVERT_DRIFT). */
export const REVERT_DRIFT_ACTIONS = [
  "cloudformation:CreateChangeSet",
  "cloudformation:DescribeChangeSet",
  "cloudformation:ExecuteChangeSet",
  "cloudformation:DeleteChangeSet",
] as const;

/**
 * Every action the spoke role grants, derived from the code that uses them so the policy in
 * modules/ can never drift from what the Lambda calls.
 */
export function spokeRoleActions(): string[] {
  const all = new Set<string>([
    ...SCAN_ACTIONS,
    ...OWNERSHIP_ACTIONS,
    ...REVERT_DRIFT_ACTIONS,
    ...REMEDIATORS.flatMap((r) => r.actions),
    ...RESOURCE_TAG_ACTIONS,
    ...guardrailActions(),
    ...sweepActions(),
    ...falsePositiveActions(),
    ...ENABLED_REGIONS_ACTIONS,
  ]);
  return [...all].sort();
}

/**
 * IAM write verbs denied on every protected role (config/protected-roles.ts), in every
 * account: wider than what the role is granted, so a grant added later is covered too. Reads
 * stay allowed, so drift detection and the invariants can still see a claimed role.
 */
export const IAM_WRITE_PATTERNS = [
  "iam:Add*",
  "iam:Attach*",
  "iam:Create*",
  "iam:Delete*",
  "iam:Detach*",
  "iam:PassRole",
  "iam:Put*",
  "iam:Remove*",
  "iam:Set*",
  "iam:Tag*",
  "iam:Untag*",
  "iam:Update*",
] as const;

/** Identities and credentials driftguard never creates, and roles it never hands to a service. */
export const IDENTITY_DENY = ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:PassRole"] as const;

/**
 * Data-plane reads ReadOnlyAccess also grants and driftguard never needs. Drift detection reads
 * each resource through its type's read handler, whose permissions the resource schemas list
 * (handlers.read.permissions): none of these is among them for the types CloudFormation detects
 * drift on, except ssm:GetParameters, which AWS::SSM::Parameter's read handler needs
 * (aws-cloudformation/aws-cloudformation-resource-providers-ssm, aws-ssm-parameter.json:
 * "read": { "permissions": ["ssm:GetParameters"] }), so it stays allowed.
 */
export const DATA_READ_DENY = [
  "athena:GetQueryResults",
  "dynamodb:BatchGetItem",
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "kinesis:GetRecords",
  "kms:Decrypt",
  "logs:FilterLogEvents",
  "logs:GetLogEvents",
  "s3:GetObject",
  "s3:GetObjectVersion",
  "secretsmanager:GetSecretValue",
  "sqs:ReceiveMessage",
  "ssm:GetParameter",
  "ssm:GetParameterHistory",
  "ssm:GetParametersByPath",
] as const;
