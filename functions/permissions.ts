import { guardrailActions } from "./events/index.js";
import { REMEDIATORS, RESOURCE_TAG_ACTIONS } from "./remediation/index.js";
import { ENABLED_REGIONS_ACTIONS } from "./scanner/index.js";

/** Read-only actions the scanner needs in every spoke account-region. */
export const SCAN_ACTIONS = [
  "cloudformation:ListStacks",
  "cloudformation:DescribeStacks",
  "cloudformation:DescribeStackResources",
  "cloudformation:DescribeStackResource",
  "cloudformation:ListStackResources",
  "cloudformation:DetectStackDrift",
  "cloudformation:DetectStackResourceDrift",
  "cloudformation:DescribeStackDriftDetectionStatus",
  "cloudformation:DescribeStackResourceDrifts",
  "cloudformation:GetTemplate",
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
  const all = new Set<string>([...SCAN_ACTIONS, ...REVERT_DRIFT_ACTIONS, ...REMEDIATORS.flatMap((r) => r.actions), ...RESOURCE_TAG_ACTIONS, ...guardrailActions(), ...ENABLED_REGIONS_ACTIONS]);
  return [...all].sort();
}
