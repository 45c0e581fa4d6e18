import { onboardingIssues } from "./onboarding-checks.js";
import { isKnownRegion, partitionOf } from "./regions.js";

/** A rule that spans several fields, so no single field schema can express it. */
export interface CrossFieldIssue {
  path: (string | number)[];
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Checks that relate entries to each other: unique ids and names, the hub's own entry, one
 * partition. It reads the raw YAML data defensively (any field may be missing or mistyped) so
 * that parseConfig can report these together with per-field errors in a single pass: zod skips
 * object-level refinements once a field inside has failed.
 */
export function crossFieldIssues(data: unknown): CrossFieldIssue[] {
  if (!isRecord(data) || !Array.isArray(data.accounts)) return [];
  const issues: CrossFieldIssue[] = [];
  const hub = isRecord(data.hub) ? data.hub : {};
  const hubId = typeof hub.accountId === "string" ? hub.accountId : undefined;
  const accounts = data.accounts.map((a) => (isRecord(a) ? a : {}));

  // Returns, for each value, the index where it was first seen (undefined the first time).
  const firstSeenTracker = () => {
    const seen = new Map<string, number>();
    return (value: unknown, i: number): number | undefined => {
      if (typeof value !== "string") return undefined;
      const first = seen.get(value);
      if (first === undefined) seen.set(value, i);
      return first;
    };
  };
  const idSeen = firstSeenTracker();
  const nameSeen = firstSeenTracker();

  accounts.forEach((a, i) => {
    const dupId = idSeen(a.id, i);
    if (dupId !== undefined) {
      issues.push({ path: ["accounts", i, "id"], message: `duplicates accounts[${dupId}].id; each account may be listed once` });
    }
    const dupName = nameSeen(a.name, i);
    if (dupName !== undefined) {
      issues.push({
        path: ["accounts", i, "name"],
        message: `duplicates accounts[${dupName}].name; names identify terraform stacks and must be unique`,
      });
    }
    if (hubId !== undefined && a.id === hubId && a.isHub !== true) {
      issues.push({
        path: ["accounts", i, "id"],
        message: "is the hub account (hub.accountId); to scan the hub too, add `isHub: true` to this entry, otherwise remove the entry",
      });
    }
    if (a.isHub === true && hubId !== undefined && a.id !== hubId) {
      issues.push({
        path: ["accounts", i, "isHub"],
        message: `is true but this account is not hub.accountId ("${hubId}"); remove \`isHub\` from this entry`,
      });
    }
  });

  issues.push(...partitionIssues(data, hub, accounts));
  issues.push(...onboardingIssues(data));
  return issues;
}

/** Roles and event buses cannot span partitions, so every region must share the hub's. */
function partitionIssues(
  data: Record<string, unknown>,
  hub: Record<string, unknown>,
  accounts: Record<string, unknown>[],
): CrossFieldIssue[] {
  if (typeof hub.region !== "string" || !isKnownRegion(hub.region)) return [];
  const partition = partitionOf(hub.region);
  const lists: { path: (string | number)[]; regions: unknown }[] = [
    { path: ["defaults", "regions"], regions: isRecord(data.defaults) ? data.defaults.regions : undefined },
    ...accounts.map((a, i) => ({ path: ["accounts", i, "regions"], regions: a.regions })),
    ...(Array.isArray(data.organizationalUnits) ? data.organizationalUnits : []).map((u: unknown, i) => ({
      path: ["organizationalUnits", i, "regions"],
      regions: isRecord(u) ? u.regions : undefined,
    })),
  ];
  const issues: CrossFieldIssue[] = [];
  for (const { path, regions } of lists) {
    if (!Array.isArray(regions)) continue;
    regions.forEach((r, j) => {
      if (typeof r === "string" && isKnownRegion(r) && partitionOf(r) !== partition) {
        issues.push({
          path: [...path, j],
          message: `is in partition ${partitionOf(r)} but the hub (${hub.region}) is in ${partition}; driftguard works within one partition`,
        });
      }
    });
  }
  return issues;
}
