import { CALLER_CREDENTIALS, type Config } from "./schema.js";
import { matchesGlob } from "../core/glob.js";

/**
 * Roles no repair may ever write to, in any account, whatever a template says: driftguard's own
 * roles, the roles an organization administers its accounts through, and AWS's reserved roles.
 * A stack can claim any of these (resource import does not check a resource's properties against
 * the template), so "restoring" one is exactly how a member-account user would escalate. The
 * same list feeds the spoke role's explicit Deny (modules/spoke-role.ts), so IAM refuses the
 * write even if this check had a bug.
 */

/** driftguard's role names that are not configurable; modules/names.ts uses these. */
export const DRIFTGUARD_ROLE_NAMES = {
  scanner: "driftguard-scanner",
  forwarder: "driftguard-events-forwarder",
} as const;

export interface ProtectedRole {
  /** A role-name glob (accounts.yaml glob dialect). */
  name: string;
  why: string;
}

/**
 * Roles AWS itself creates or reserves:
 * - OrganizationAccountAccessRole: created by AWS Organizations in every account it creates
 *   (Organizations User Guide, "Accessing a member account that has a management account access role").
 * - AWSControlTowerExecution: Control Tower's administration role in enrolled accounts.
 * - AWSCloudFormationStackSetExecutionRole and stacksets-exec-*: StackSets' self-managed and
 *   service-managed execution roles (CloudFormation User Guide, "Grant self-managed permissions").
 */
const AWS_ADMINISTRATION_ROLES: readonly ProtectedRole[] = [
  { name: "OrganizationAccountAccessRole", why: "AWS Organizations' administrator access role" },
  { name: "AWSControlTowerExecution", why: "AWS Control Tower's execution role" },
  { name: "AWSCloudFormationStackSetExecutionRole", why: "CloudFormation StackSets' execution role" },
  { name: "stacksets-exec-*", why: "CloudFormation StackSets' service-managed execution role" },
];

/**
 * Paths IAM reserves: /aws-service-role/ for service-linked roles, /aws-reserved/ for roles
 * AWS SSO (IAM Identity Center) provisions (IAM User Guide, "IAM identifiers").
 */
export const PROTECTED_PATHS: readonly string[] = ["/aws-reserved/", "/aws-service-role/"];

export function protectedRoles(config: Pick<Config, "spoke" | "hub" | "accounts">): ProtectedRole[] {
  const bootstrap = new Set([config.spoke.bootstrapRoleName, config.hub.bootstrapRoleName, config.spoke.stackSet?.bootstrapRoleName]);
  for (const a of config.accounts) bootstrap.add(a.bootstrapRoleName);
  // "none" deploys with the caller's own credentials: no role by that name is involved.
  bootstrap.delete(CALLER_CREDENTIALS);
  bootstrap.delete(undefined);
  const roles: ProtectedRole[] = [
    { name: config.spoke.roleName, why: "driftguard's spoke role" },
    { name: DRIFTGUARD_ROLE_NAMES.forwarder, why: "driftguard's events forwarder role" },
    { name: DRIFTGUARD_ROLE_NAMES.scanner, why: "driftguard's scanner role" },
    // AWS's roles first: OrganizationAccountAccessRole is also the default bootstrap role, and its own reason says more.
    ...AWS_ADMINISTRATION_ROLES,
    ...[...bootstrap]
      .filter((name) => name !== undefined)
      .sort()
      .map((name) => ({ name, why: "a bootstrap role named in accounts.yaml" })),
  ];
  const seen = new Set<string>();
  return roles.filter((r) => !seen.has(r.name) && seen.add(r.name));
}

/** Why the role is protected, or undefined when it is not. */
export function protectionOf(role: { name: string; path?: string }, roles: readonly ProtectedRole[]): string | undefined {
  const path = PROTECTED_PATHS.find((p) => (role.path ?? "/").startsWith(p));
  if (path !== undefined) return `${role.name} is under ${path}, which AWS reserves`;
  const hit = roles.find((r) => matchesGlob(role.name, r.name));
  return hit ? `${role.name} is a protected role (${hit.why})` : undefined;
}
