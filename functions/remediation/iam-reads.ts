import { GetRoleCommand, type IAMClient, type Role } from "@aws-sdk/client-iam";
import type { RoleTarget } from "./safety/effects.js";

/** IAM role reads the role remediator and the IAM attachment remediators share (a module per set of calls: the registry meta-test counts a file's calls). */

export async function getRole(iam: IAMClient, roleName: string): Promise<Role> {
  const out = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  if (!out.Role) throw new Error(`GetRole returned no role for ${roleName}`);
  return out.Role;
}

/** The role a write targets, with its path (protected-role checks look at /aws-reserved/ and /aws-service-role/). */
export async function roleTarget(iam: IAMClient, name: string): Promise<RoleTarget> {
  const role = await getRole(iam, name);
  return { name: role.RoleName ?? name, ...(role.Path ? { path: role.Path } : {}) };
}
