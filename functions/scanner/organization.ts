import { DescribeOrganizationCommand, paginateListAccounts, type Account, type OrganizationsClient } from "@aws-sdk/client-organizations";
import type { AccountReport, ErrorInfo } from "../core/types.js";
import type { EffectiveAccount } from "../config/resolve.js";
import { toErrorInfo } from "../core/errors.js";

/** The outcome of joining accounts.yaml with the organization: who is scanned, who is only listed. */
export interface AccountSelection {
  toScan: EffectiveAccount[];
  /** Suspended / closed / not-in-organization accounts, and all accounts when the org cannot be listed. */
  listedOnly: AccountReport[];
}

export async function listOrganizationAccounts(org: OrganizationsClient): Promise<Account[]> {
  const accounts: Account[] = [];
  for await (const page of paginateListAccounts({ client: org }, {})) accounts.push(...(page.Accounts ?? []));
  return accounts;
}

/** `State` superseded `Status` (it adds CLOSED and PENDING_ACTIVATION); older responses only carry Status. */
function stateOf(account: Account): string {
  return account.State ?? account.Status ?? "UNKNOWN";
}

function listed(account: EffectiveAccount, status: AccountReport["status"], error: ErrorInfo): AccountReport {
  return { accountId: account.id, name: account.name, status, error, mode: account.mode, regions: [] };
}

/**
 * Only onboarded accounts that Organizations reports ACTIVE are scanned. An onboarded account
 * missing from the organization is a config error worth reporting, not a reason to fail the run.
 */
export function joinWithOrganization(configured: EffectiveAccount[], orgAccounts: Account[]): AccountSelection {
  const byId = new Map(orgAccounts.map((a) => [a.Id, a]));
  const plan: AccountSelection = { toScan: [], listedOnly: [] };
  for (const account of configured) {
    const member = byId.get(account.id);
    if (!member) {
      plan.listedOnly.push(
        listed(account, "not-in-organization", {
          code: "AccountNotInOrganization",
          message: `account ${account.id} (${account.name}) is in accounts.yaml but not in the organization; remove it or invite it`,
        }),
      );
    } else if (stateOf(member) !== "ACTIVE") {
      plan.listedOnly.push(
        listed(account, "suspended", {
          code: "AccountNotActive",
          message: `Organizations reports account ${account.id} as ${stateOf(member)}; it is not scanned`,
        }),
      );
    } else {
      plan.toScan.push(account);
    }
  }
  return plan;
}

/** Without the member list nothing can be scanned safely; every account says why. */
export function organizationUnavailable(configured: EffectiveAccount[], error: ErrorInfo, prefix = "cannot list the organization's accounts: "): AccountSelection {
  return {
    toScan: [],
    listedOnly: configured.map((a) => listed(a, "failed", { code: error.code, message: `${prefix}${error.message}` })),
  };
}

/** Where accounts.yaml's organization.id was written, for the mismatch message; the bundled config has no lines. */
export interface OrganizationIdSource {
  file: string;
  line?: number;
}

export const ORGANIZATION_ID_FIX = "aws organizations describe-organization --query Organization.Id";

/**
 * The organization the credentials are in, checked against accounts.yaml before anything else:
 * with a wrong `organization.id` every spoke trust (aws:PrincipalOrgID) refuses the scanner and
 * every account would fail with an AccessDenied that blames the spoke role. DescribeOrganization
 * can be called from any member account (Organizations API Reference, DescribeOrganization).
 * Returns the one error to report, or undefined when the ids agree.
 */
export async function checkOrganization(org: OrganizationsClient, expectedId: string, source: OrganizationIdSource): Promise<ErrorInfo | undefined> {
  const where = `${source.file}${source.line !== undefined ? `:${source.line}` : ""} organization.id`;
  let actual: string | undefined;
  try {
    actual = (await org.send(new DescribeOrganizationCommand({}))).Organization?.Id;
  } catch (err) {
    const info = toErrorInfo(err);
    const why =
      info.code === "AWSOrganizationsNotInUseException"
        ? "these credentials' account is not in an organization"
        : `DescribeOrganization failed (${info.code}: ${info.message})`;
    return { code: "OrganizationUnconfirmed", message: `cannot confirm the organization ${expectedId} named by ${where}: ${why}; nothing is scanned` };
  }
  if (actual === expectedId) return undefined;
  return {
    code: "OrganizationMismatch",
    message: `these credentials are in organization ${actual ?? "(none returned)"}, but ${where} is ${expectedId}; set it to ${actual ?? "the id"} (${ORGANIZATION_ID_FIX}); nothing is scanned`,
  };
}
