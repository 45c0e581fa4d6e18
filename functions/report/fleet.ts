import type { DriftedItem } from "./view.js";

/**
 * Fleet grouping (issue 18): the same change — same actor, same API call, same property, same
 * new value — made to many resources is one row with a count ("arn:…/AdministratorAccess added
 * at /ManagedPolicyArns/* on 40 AWS::IAM::Role by …/alice (AttachRolePolicy)"), expandable to
 * the resources. Array positions are ignored (`/ManagedPolicyArns/1` and `/2` are the same
 * change on two roles whose lists differ in length); a resource with several differences can
 * be in several groups. The actor's account id is ignored too: the same SSO session
 * (`assumed-role/AWSReservedSSO_Admin_…/alice`) changing 40 accounts is one person's one change.
 */
export interface FleetGroup {
  actor?: string;
  eventName?: string;
  resourceType: string;
  propertyPath: string;
  differenceType: string;
  value: string;
  /** Indexes into the drifted items the group was built from, in their order. */
  items: number[];
  /** Accounts the resources are in. */
  accounts: number;
}

/** Groups of fewer resources are left to the index. */
export const FLEET_MIN = 2;

const anyIndex = (path: string) => path.replace(/\/\d+(?=\/|$)/g, "/*");
/** `arn:aws:sts::*:assumed-role/Admin/alice`: the same principal name in every account. */
const anyAccount = (arn: string) => arn.replace(/^(arn:aws[\w-]*:(?:sts|iam)::)\d{12}:/, "$1*:");

export function fleetGroups(items: readonly DriftedItem[]): FleetGroup[] {
  const groups = new Map<string, FleetGroup & { accountIds: Set<string> }>();
  items.forEach(({ account, resource }, i) => {
    const arn = resource.changedBy?.arn;
    const actor = arn === undefined ? undefined : anyAccount(arn);
    const eventName = resource.changedBy?.eventName;
    for (const d of resource.differences) {
      const propertyPath = anyIndex(d.propertyPath);
      const value = d.differenceType === "REMOVE" ? d.expectedValue : d.actualValue;
      const key = JSON.stringify([actor, eventName, resource.resourceType, propertyPath, d.differenceType, value]);
      const group = groups.get(key) ?? { ...(actor ? { actor } : {}), ...(eventName ? { eventName } : {}), resourceType: resource.resourceType, propertyPath, differenceType: d.differenceType, value, items: [], accounts: 0, accountIds: new Set<string>() };
      if (group.items[group.items.length - 1] !== i) group.items.push(i);
      group.accountIds.add(account.accountId);
      groups.set(key, group);
    }
  });
  return [...groups.values()]
    .filter((g) => g.items.length >= FLEET_MIN)
    .map(({ accountIds, ...g }) => ({ ...g, accounts: accountIds.size }))
    .sort((a, b) => b.items.length - a.items.length || a.propertyPath.localeCompare(b.propertyPath));
}

const VERBS: Record<string, string> = { ADD: "added at", REMOVE: "removed from", NOT_EQUAL: "set at" };

/** "arn:…:AdministratorAccess added at /ManagedPolicyArns/* on 40 AWS::IAM::Role by <actor> (AttachRolePolicy)". */
export function fleetText(g: FleetGroup): string {
  const by = g.actor ? ` by ${g.actor}${g.eventName ? ` (${g.eventName})` : ""}` : " (actor unknown: turn on cloudTrailLookup)";
  const where = g.accounts > 1 ? ` in ${g.accounts} accounts` : "";
  return `${g.value} ${VERBS[g.differenceType] ?? `${g.differenceType} at`} ${g.propertyPath} on ${g.items.length} ${g.resourceType}${where}${by}`;
}
