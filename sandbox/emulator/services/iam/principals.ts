import type { IamRole, Principal, World } from "../../state.js";
import { accessKeyId, secretKey, sessionToken } from "../shared/ids.js";

/**
 * Who a request runs as. Every account has a static "admin" (its root user) with predictable keys,
 * for tests, the AWS CLI and scenario drift; role sessions get temporary ASIA keys bound to the
 * role's account.
 */

function adminAccessKeyId(accountId: string): string {
  return `AKIA${accountId}ADMN`;
}

export function adminPrincipal(world: World, accountId: string): Principal {
  const key = adminAccessKeyId(accountId);
  let principal = world.credentials.get(key);
  if (!principal) {
    principal = { accessKeyId: key, secretAccessKey: `sandbox-admin-secret-${accountId}`, accountId, arn: `arn:aws:iam::${accountId}:root` };
    world.credentials.set(key, principal);
  }
  return principal;
}

export function roleArnOf(accountId: string, roleName: string, path = "/"): string {
  return `arn:aws:iam::${accountId}:role${path}${roleName}`;
}

function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

/** Mints temporary credentials for a session of `role` and registers them in the world. */
export function mintRoleSession(
  world: World,
  random: () => number,
  accountId: string,
  role: IamRole,
  sessionName: string,
  times: { issuedAt: number; expiresAt?: number },
): Principal {
  const principal: Principal = {
    accessKeyId: accessKeyId(random, "ASIA"),
    secretAccessKey: secretKey(random),
    sessionToken: sessionToken(random),
    accountId,
    arn: assumedRoleArn(accountId, role.roleName, sessionName),
    roleArn: role.arn,
    ...times,
  };
  world.credentials.set(principal.accessKeyId, principal);
  return principal;
}

/** A principal that acts without keys (scenario drift `as:`): an ARN in one of the two shapes sessions and users have. */
export function principalFromArn(world: World, arn: string): Principal {
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  const user = /^arn:aws:iam::(\d{12}):(user\/.+|root)$/.exec(arn);
  const accountId = session?.[1] ?? user?.[1];
  if (!accountId) throw new Error(`${arn} is not an IAM user, root or assumed-role ARN`);
  const admin = adminPrincipal(world, accountId);
  return { ...admin, arn, roleArn: session ? roleArnOf(accountId, session[2]!) : undefined };
}

/** The IAM unique id CloudTrail and GetCallerIdentity show: AROA…:session for sessions, the account id for root. */
export function principalUserId(world: World, principal: Principal): string {
  if (!principal.roleArn) return principal.arn.endsWith(":root") ? principal.accountId : `AIDA${principal.accountId}`;
  const roleName = principal.roleArn.split("/").pop()!;
  const roleId = world.accounts.get(principal.accountId)?.roles.get(roleName)?.roleId ?? `AROA${principal.accountId}`;
  return `${roleId}:${principal.arn.split("/").pop()}`;
}
