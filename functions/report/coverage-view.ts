import type { RunReport } from "../core/types.js";
import { accountLabel } from "./view.js";

/** One row of the organization coverage tables: an account, where it sits, and what is not looked at. */
export interface CoverageRow {
  account: string;
  where: string;
  gap: string;
}

const REASONS = {
  "not-onboarded": "not onboarded (add its OU to organizationalUnits, or the account to accounts:)",
  excluded: "excluded in accounts.yaml",
  retired: "retired in accounts.yaml, but still an active member",
} as const;

/** The coverage headline every report and summary carries; undefined for reports without the section. */
export function coverageHeadline(report: RunReport): string | undefined {
  const c = report.coverage.organization;
  if (c === undefined) return undefined;
  if (!c.available) return `Organization coverage unknown: the organization could not be walked (${c.error?.code ?? "Error"}: ${c.error?.message ?? "no detail"})`;
  const regionGaps = c.regionsNotScanned.reduce((n, a) => n + a.regions.length, 0);
  return (
    `Organization coverage ${c.percent}%: ${c.scannedAccounts} of ${c.activeAccounts} active accounts scanned; ` +
    `${c.notOnboarded.length} not onboarded, ${c.onboardedNotActive.length} onboarded but not active, ` +
    `${regionGaps} enabled account-regions not scanned`
  );
}

export function coverageRows(report: RunReport, { onboardedNotActive = true } = {}): CoverageRow[] {
  const c = report.coverage.organization;
  if (c === undefined) return [];
  return [
    ...c.notOnboarded.map((a) => ({ account: accountLabel(a), where: a.organizationalUnit ? `${a.organizationalUnit.path} (${a.organizationalUnit.id})` : "", gap: REASONS[a.reason] })),
    ...(onboardedNotActive ? c.onboardedNotActive : []).map((a) => ({ account: accountLabel(a), where: "", gap: `onboarded but ${a.status}${a.state ? ` (${a.state})` : ""}` })),
    ...c.regionsNotScanned.map((a) => ({ account: accountLabel(a), where: "", gap: `enabled regions not scanned: ${a.regions.join(", ")}` })),
  ];
}
