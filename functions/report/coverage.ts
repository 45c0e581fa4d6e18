import type { AccountReport, DriftCoverage, StackReport } from "../core/types.js";

/**
 * The report's "what driftguard could not see" section for CloudFormation drift, derived from the
 * stack rows: unchecked resources per type and stack, nested stacks and whether their resources
 * were reached, and every false positive and ignore rule applied.
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
