import { paginateListAccounts, type Account, type OrganizationsClient } from "@aws-sdk/client-organizations";
import type { AccountReport, ErrorInfo } from "../core/types.js";
import type { EffectiveAccount } from "../config/resolve.js";

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
export function organizationUnavailable(configured: EffectiveAccount[], error: ErrorInfo): AccountSelection {
  return {
    toScan: [],
    listedOnly: configured.map((a) =>
      listed(a, "failed", { code: error.code, message: `cannot list the organization's accounts: ${error.message}` }),
    ),
  };
}
