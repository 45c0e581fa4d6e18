import type { Config } from "../config/schema.js";
import type { AccountReport, OrganizationCoverage, OrganizationSnapshot } from "../core/types.js";

const percentOf = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

function notOnboardedReason(config: Config, accountId: string): OrganizationCoverage["notOnboarded"][number]["reason"] {
  if (config.exclude.includes(accountId)) return "excluded";
  if (config.accounts.some((a) => a.id === accountId && a.status === "retired")) return "retired";
  return "not-onboarded";
}

/**
 * Who in the organization this run did not look at: active members nobody onboarded (with their
 * OU, so the owner can be found), onboarded accounts that are no longer active, and regions
 * enabled in a scanned account that its `regions` leave out.
 */
export function organizationCoverage(snapshot: OrganizationSnapshot, accounts: AccountReport[], config: Config): OrganizationCoverage {
  const onboardedNotActive = accounts.flatMap((a) =>
    a.status === "suspended" || a.status === "not-in-organization" ? [{ accountId: a.accountId, name: a.name, status: a.status }] : [],
  );
  const regionsNotScanned = accounts.flatMap((a) => {
    if (a.status !== "scanned" || a.enabledRegions === undefined) return [];
    const scanned = new Set(a.regions.map((r) => r.region));
    const missing = a.enabledRegions.filter((r) => !scanned.has(r)).sort();
    return missing.length > 0 ? [{ accountId: a.accountId, name: a.name, regions: missing }] : [];
  });
  if (!snapshot.available) {
    return { available: false, error: snapshot.error, activeAccounts: 0, scannedAccounts: 0, percent: 0, notOnboarded: [], onboardedNotActive, regionsNotScanned };
  }
  const onboarded = new Map(accounts.map((a) => [a.accountId, a]));
  const states = new Map(snapshot.members.map((m) => [m.accountId, m.state]));
  const active = snapshot.members.filter((m) => m.state === "ACTIVE");
  const scannedAccounts = active.filter((m) => onboarded.get(m.accountId)?.status === "scanned").length;
  return {
    available: true,
    activeAccounts: active.length,
    scannedAccounts,
    percent: percentOf(scannedAccounts, active.length),
    notOnboarded: active
      .filter((m) => !onboarded.has(m.accountId))
      .map((m) => ({
        accountId: m.accountId,
        name: m.name,
        ...(m.organizationalUnit ? { organizationalUnit: m.organizationalUnit } : {}),
        reason: notOnboardedReason(config, m.accountId),
      })),
    onboardedNotActive: onboardedNotActive.map((a) => {
      const state = states.get(a.accountId);
      return state === undefined ? a : { ...a, state };
    }),
    regionsNotScanned,
  };
}
