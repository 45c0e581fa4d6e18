import type { CloudTrailDetail } from "./cloudtrail-record.js";

/**
 * Who may change a resource without it being drift. Shared by the event path (to drop such
 * events) and the CloudTrail actor lookup (to look past them).
 */

const CLOUDFORMATION = "cloudformation.amazonaws.com";

/**
 * True for calls made with a session of driftguard's own spoke role: its repairs must not
 * trigger further repairs. The session ARN omits the role's path, so the name is enough.
 */
export function isOwnRoleCall(detail: CloudTrailDetail, spokeRoleName: string): boolean {
  const arn = detail.userIdentity.arn ?? "";
  const match = /^arn:[\w-]+:sts::\d{12}:assumed-role\/([^/]+)\//.exec(arn);
  return match?.[1] === spokeRoleName;
}

/**
 * True for calls CloudFormation made while provisioning a stack (with the caller's credentials
 * or a service role): a stack update is the source of truth, not drift.
 */
export function isCloudFormationCall(detail: CloudTrailDetail): boolean {
  return detail.userIdentity.invokedBy === CLOUDFORMATION || detail.sourceIPAddress === CLOUDFORMATION;
}
