import { partitionOf } from "../config/regions.js";
import type { Config } from "../config/schema.js";
import type { CloudTrailDetail } from "./cloudtrail-record.js";

/**
 * Who may change a resource without it being drift. Shared by the event path (to drop such
 * events) and the CloudTrail actor lookup (to look past them).
 */

const CLOUDFORMATION = "cloudformation.amazonaws.com";

/** The exact ARN of driftguard's spoke role in an onboarded account; undefined for any other account. */
export type OwnRoleArns = (accountId: string) => string | undefined;

/**
 * True for calls made with a session of driftguard's own spoke role: its repairs must not
 * trigger further repairs. Matched by the exact role ARN of the session's issuer
 * (userIdentity.sessionContext.sessionIssuer.arn, which keeps the role's path) in an onboarded
 * account, the account the change was made in: a role merely named like the spoke role — with
 * another path, in an account that is not onboarded, or outside the organization — is anyone
 * else, and its changes are handled as drift (issue 12). The assumed-role session ARN omits the
 * path, so it alone cannot tell. Source: CloudTrail User Guide, "CloudTrail userIdentity
 * element" (sessionContext.sessionIssuer for AssumedRole identities).
 */
export function isOwnRoleCall(detail: CloudTrailDetail, ownRoleArn: OwnRoleArns): boolean {
  const identity = detail.userIdentity;
  if (identity.type !== "AssumedRole") return false;
  const account = identity.accountId ?? /^arn:[\w-]+:sts::(\d{12}):/.exec(identity.arn ?? "")?.[1];
  if (account === undefined || (detail.recipientAccountId !== undefined && account !== detail.recipientAccountId)) return false;
  const expected = ownRoleArn(account);
  return expected !== undefined && identity.sessionContext?.sessionIssuer?.arn === expected;
}

/**
 * True for calls CloudFormation made while provisioning a stack (with the caller's credentials
 * or a service role): a stack update is the source of truth, not drift.
 */
export function isCloudFormationCall(detail: CloudTrailDetail): boolean {
  return detail.userIdentity.invokedBy === CLOUDFORMATION || detail.sourceIPAddress === CLOUDFORMATION;
}

export function spokeRoleArn(accountId: string, roleName: string, hubRegion: string): string {
  return `arn:${partitionOf(hubRegion)}:iam::${accountId}:role/${roleName}`;
}

/**
 * driftguard's spoke role, by exact ARN, in the accounts accounts.yaml onboards (and no other).
 * With organizationalUnits any member may be onboarded through its OU, where a StackSet deployed
 * that role; every caller acts only on onboarded accounts, and a call counts only in the account
 * it was made in (cloudtrail-origin.ts), so the role at that exact ARN is driftguard's.
 */
export function ownRoleArns(config: Pick<Config, "accounts" | "spoke" | "hub" | "organizationalUnits">): OwnRoleArns {
  const onboarded = new Set(config.accounts.map((a) => a.id));
  const byUnit = config.organizationalUnits.length > 0;
  return (accountId) => (byUnit || onboarded.has(accountId) ? spokeRoleArn(accountId, config.spoke.roleName, config.hub.region) : undefined);
}
