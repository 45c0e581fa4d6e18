import { ownRoleArns, spokeRoleArn } from "../aws/cloudtrail-origin.js";
import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { ErrorInfo } from "../core/types.js";
import { toErrorInfo } from "../core/errors.js";

/** The Lambda's own credentials are a role session, so this is role chaining: STS caps it at 1 h. */
export const SESSION_SECONDS = 3600;

/** Refresh this long before expiry so that a request signed just before it is not rejected. */
export const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * `driftguard-<runId>`: CloudTrail in the spoke shows it as the session name, so every call a run
 * makes can be traced back to its report. STS allows 2-64 characters of [\w+=,.@-].
 */
export function roleSessionName(runId: string): string {
  return `driftguard-${runId}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
}

export interface AssumeRoleParams {
  roleArn: string;
  sessionName: string;
  durationSeconds?: number;
}

/**
 * A provider shared by every client of one spoke account: one AssumeRole serves all its
 * regions, and a scan that outlives the session re-assumes shortly before expiry instead of
 * failing with ExpiredToken. Failures are not cached, so a later call tries again.
 */
export function assumeRoleCredentials(sts: STSClient, params: AssumeRoleParams, now: () => number): AwsCredentialIdentityProvider {
  const durationSeconds = params.durationSeconds ?? SESSION_SECONDS;
  let cached: { identity: Promise<AwsCredentialIdentity>; refreshAt: number } | undefined;

  const assume = async (): Promise<AwsCredentialIdentity> => {
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({ RoleArn: params.roleArn, RoleSessionName: params.sessionName, DurationSeconds: durationSeconds }),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`STS returned no credentials for ${params.roleArn}`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };

  return () => {
    if (cached && now() < cached.refreshAt) return cached.identity;
    // While the call is in flight every caller shares it (refreshAt stays infinite until it settles).
    const entry = { identity: assume(), refreshAt: Number.POSITIVE_INFINITY };
    cached = entry;
    entry.identity.then(
      (id) => {
        entry.refreshAt = (id.expiration?.getTime() ?? now() + durationSeconds * 1000) - REFRESH_BEFORE_MS;
      },
      () => {
        if (cached === entry) cached = undefined;
      },
    );
    return entry.identity;
  };
}

/**
 * The account row's error when its spoke role cannot be assumed. STS answers AccessDenied for a
 * missing role and for a trust policy that does not admit the caller alike, so the message lists
 * the likely causes in the order they occur in practice: a spoke not deployed (yet), a trust
 * naming another scanner role (hub redeployed under another name, or a laptop's own credentials),
 * then a wrong organization id (the trust's aws:PrincipalOrgID condition; checked at run start).
 */
export function assumeRoleError(err: unknown, roleArn: string): ErrorInfo {
  const info = toErrorInfo(err);
  if (info.code !== "AccessDenied") return { code: info.code, message: `cannot assume ${roleArn}: ${info.message}` };
  const account = roleArn.split(":")[4] ?? "the account";
  const role = roleArn.slice(roleArn.indexOf(":role/") + 6);
  const causes = [
    `the spoke role ${role} is not deployed in ${account} (deploy its driftguard-spoke-<name> stack, after the hub)`,
    `its trust policy names another scanner role than the caller (redeploy the spoke stack after the hub; from a laptop, use credentials of the role it trusts, --assume <role>, or --current-credentials)`,
    `organization.id in accounts.yaml is not this organization's (the trust admits only principals of that organization)`,
  ];
  return { code: info.code, message: `cannot assume ${roleArn}: ${info.message}. Likely causes, in order: ${causes.map((c, i) => `(${i + 1}) ${c}`).join("; ")}` };
}

// Kernel facts (aws/cloudtrail-origin.ts) the scanner's callers have always reached through it.
export { ownRoleArns, spokeRoleArn };
