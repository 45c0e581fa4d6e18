import { AccountNotFoundException, DescribeAccountCommand, ListParentsCommand, type OrganizationsClient } from "@aws-sdk/client-organizations";
import type { PlacedMember } from "../config/resolve.js";
import { stateOf } from "./organization.js";

/**
 * One member's place in the organization, for the event path: an event from an account that is
 * onboarded only through its OU must be admitted with the OU's settings, as the scheduled scan
 * would scan it, without walking the whole tree per event. DescribeAccount gives its name and
 * state; ListParents, repeated, the chain of OUs up to the root ("In the current release, a child
 * can have only a single parent", Organizations API Reference, ListParents). Both can be called
 * only from the management account or a delegated administrator, like the walk.
 */

/** What the lookup calls; the hub scanner role's policy is derived from this list. */
export const PLACEMENT_ACTIONS = ["organizations:DescribeAccount", "organizations:ListParents"] as const;

/** OUs nest at most five levels below the root (Organizations User Guide, "Quotas for AWS Organizations"). */
const MAX_DEPTH = 6;

export type { PlacedMember };

/** The member and its parents from its own OU up to the root; undefined when it is not in the organization. */
export async function lookupPlacement(org: OrganizationsClient, accountId: string): Promise<PlacedMember | undefined> {
  let account;
  try {
    account = (await org.send(new DescribeAccountCommand({ AccountId: accountId }))).Account;
  } catch (err) {
    if (err instanceof AccountNotFoundException) return undefined;
    throw err;
  }
  if (account === undefined) return undefined;
  const parents: string[] = [];
  let child = accountId;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const parent = (await org.send(new ListParentsCommand({ ChildId: child }))).Parents?.[0];
    if (parent?.Id === undefined) break;
    parents.push(parent.Id);
    if (parent.Type === "ROOT") break;
    child = parent.Id;
  }
  return { id: accountId, name: account.Name ?? accountId, state: stateOf(account), parents };
}
