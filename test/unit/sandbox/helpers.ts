import { parseConfig } from "../../../functions/accounts-file/index.js";
import type { ScenarioInput } from "../../../sandbox/harness/scenario.js";
import { startSandbox, type Sandbox, type SandboxCredentials, type SandboxOptions } from "../../../sandbox/harness/server.js";

export const HUB = "111111111111";
export const WORKLOAD = "222222222222";
export const OUTSIDER = "333333333333";
export const MANAGEMENT = "999999999999";
export const ORG_ID = "o-test000001";

/** accounts.yaml for the tests: hub 111…, one onboarded account 222…; 333… is in the org only. */
export const TEST_CONFIG = parseConfig(
  `
version: 1
organization: { id: ${ORG_ID} }
hub: { accountId: "${HUB}", region: us-east-1, notifications: { emails: [ops@example.com] } }
defaults: { regions: [us-east-1, eu-west-1] }
accounts:
  - { id: "${WORKLOAD}", name: workload }
`,
  "test-accounts.yaml",
);

export const BASE_SCENARIO: ScenarioInput = {
  organization: { managementAccount: MANAGEMENT },
  accounts: [
    { id: WORKLOAD, name: "workload" },
    { id: OUTSIDER, name: "outsider" },
  ],
};

export function startTestSandbox(scenario: Partial<ScenarioInput> = {}, options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ scenario: { ...BASE_SCENARIO, ...scenario }, config: TEST_CONFIG, ...options });
}

/** SDK client settings for the sandbox: endpoint and credentials only, and no retries so errors surface. */
export function clientConfig(sandbox: Sandbox, credentials: SandboxCredentials, region = "us-east-1") {
  return { endpoint: sandbox.endpoint, region, credentials, maxAttempts: 1 };
}

/** The error an SDK call fails with (fails the test if it succeeds). */
export async function failure(promise: Promise<unknown>): Promise<Error & { name: string; $metadata: { httpStatusCode?: number; requestId?: string } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { name: string; $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected the call to fail");
}

/**
 * A session of an "Admin" role with AdministratorAccess in the account, created by the account's
 * root on first use: for tests that need a role session allowed to do anything, now that the
 * sandbox evaluates IAM for role sessions (driftguard's own roles may only do what they are granted).
 */
export async function administratorSession(sandbox: Sandbox, accountId: string, sessionName: string): Promise<SandboxCredentials> {
  const roleName = "Admin";
  if (!sandbox.world.accounts.get(accountId)?.roles.has(roleName)) {
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "sts:AssumeRole" }] };
    await sandbox.dispatch(accountId, "us-east-1", "iam", "CreateRole", { RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) });
    await sandbox.dispatch(accountId, "us-east-1", "iam", "AttachRolePolicy", { RoleName: roleName, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
  }
  const { Credentials } = (await sandbox.dispatch(accountId, "us-east-1", "sts", "AssumeRole", { RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: sessionName })) as {
    Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  };
  return { accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey, sessionToken: Credentials.SessionToken };
}
