import type { Config } from "../config/schema.js";
import type { AccountReport, DriftCoverage, OrganizationCoverage, OrganizationSnapshot, StackReport } from "../core/types.js";

/**
 * The report's "what driftguard could not see" section, one part per concern: `drift`, derived
 * from the stack rows (unchecked resources per type and stack, nested stacks and whether their
 * resources were reached, every false positive and ignore rule applied); and `organization`,
 * derived from the organization as the run walked it joined with the account rows.
 */

interface Located {
  account: AccountReport;
  region: string;
  stack: StackReport;
}

function located(accounts: readonly AccountReport[]): Located[] {
  return accounts.flatMap((account) => account.regions.flatMap((r) => r.stacks.map((stack) => ({ account, region: r.region, stack }))));
}

export function driftCoverage(accounts: readonly AccountReport[]): DriftCoverage {
  const all = located(accounts);
  const coverage: DriftCoverage = { unchecked: [], unlisted: [], nestedStacks: [], falsePositives: [], ignored: [] };
  for (const { account, region, stack } of all) {
    const where = { accountId: account.accountId, region, stackName: stack.stackName };
    const groups = new Map<string, DriftCoverage["unchecked"][number]>();
    for (const r of stack.unchecked ?? []) {
      const key = `${r.resourceType}|${r.status}`;
      const group = groups.get(key) ?? { ...where, resourceType: r.resourceType, status: r.status, count: 0, logicalResourceIds: [] };
      group.count++;
      group.logicalResourceIds.push(r.logicalResourceId);
      groups.set(key, group);
    }
    coverage.unchecked.push(...[...groups.values()].sort((a, b) => a.resourceType.localeCompare(b.resourceType) || a.status.localeCompare(b.status)));
    if (stack.uncheckedError) coverage.unlisted.push({ ...where, error: stack.uncheckedError });
    if (stack.parentStackId) {
      const reached = stack.scan === "scanned";
      coverage.nestedStacks.push({
        ...where,
        parentStackId: stack.parentStackId,
        reached,
        ...(reached ? {} : { reason: stack.scanReason ?? stack.error?.message ?? `stack ${stack.scan}` }),
      });
    }
    for (const resource of stack.resources) {
      const at = { ...where, logicalResourceId: resource.logicalResourceId, resourceType: resource.resourceType };
      for (const f of resource.falsePositives ?? []) coverage.falsePositives.push({ ...at, ...f });
      for (const i of resource.ignored ?? []) coverage.ignored.push({ ...at, ...i });
    }
  }
  return coverage;
}

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
