import type { CrossFieldIssue } from "./cross-checks.js";

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Onboarding rules that span fields: OUs, `exclude:` and the spoke deployment mode. Like
 * crossFieldIssues it reads the raw YAML data defensively, so these are reported together with
 * per-field problems.
 */
export function onboardingIssues(data: unknown): CrossFieldIssue[] {
  if (!isRecord(data)) return [];
  const issues: CrossFieldIssue[] = [];
  const spoke = isRecord(data.spoke) ? data.spoke : {};
  const deployment = spoke.deployment ?? "terraform";
  const units = list(data.organizationalUnits).map((u) => (isRecord(u) ? u : {}));
  const explicit = new Set(list(data.accounts).flatMap((a) => (isRecord(a) && typeof a.id === "string" ? [a.id] : [])));

  const seenOu = new Map<unknown, number>();
  units.forEach((u, i) => {
    const first = seenOu.get(u.id);
    if (first !== undefined) issues.push({ path: ["organizationalUnits", i, "id"], message: `duplicates organizationalUnits[${first}].id; list each OU once` });
    else if (typeof u.id === "string") seenOu.set(u.id, i);
    // Neither deployment can onboard an OU without its children: a service-managed StackSet
    // deploys to child OUs too (its deployment targets name OUs, and AccountFilterType can only
    // name accounts known at synth, so a new account in a child OU would still get a spoke role),
    // and terraform mode onboards no OU at all. So it is refused here, in both modes, not half-done.
    if (u.recursive === false) {
      issues.push({
        path: ["organizationalUnits", i, "recursive"],
        message:
          "is false, which no spoke deployment supports: a service-managed StackSet always deploys to child OUs too, and spoke.deployment: terraform onboards no OUs; " +
          "remove `recursive: false` (child OUs are then onboarded too), or list the OU's direct member accounts under accounts: instead",
      });
    }
  });
  if (units.length > 0 && deployment === "terraform") {
    issues.push({
      path: ["organizationalUnits"],
      message:
        "needs spoke.deployment: stackset: terraform spoke stacks exist only for accounts listed under accounts:, so a new account in an OU would have no spoke role; " +
        "set `spoke: { deployment: stackset, stackSet: { administratorAccountId: \"<management account>\" } }`, or list the accounts under accounts:",
    });
  }
  if (deployment === "stackset" && spoke.stackSet === undefined) {
    issues.push({
      path: ["spoke", "stackSet"],
      message: 'is required with spoke.deployment: stackset; add `stackSet: { administratorAccountId: "<management or delegated administrator account>" }`',
    });
  }
  if (deployment === "stackset" && units.length === 0) {
    issues.push({ path: ["spoke", "deployment"], message: "is stackset but organizationalUnits is empty; a service-managed StackSet deploys to OUs: add organizationalUnits, or use terraform" });
  }

  const seenExcluded = new Map<unknown, number>();
  list(data.exclude).forEach((id, i) => {
    const first = seenExcluded.get(id);
    if (first !== undefined) {
      issues.push({ path: ["exclude", i], message: `duplicates exclude[${first}]; list each account once` });
      return;
    }
    seenExcluded.set(id, i);
    if (typeof id === "string" && explicit.has(id)) {
      issues.push({ path: ["exclude", i], message: "is also listed under accounts:; remove it from one of them (to stop scanning a listed account, give it `status: retired`)" });
    }
  });
  return issues;
}
