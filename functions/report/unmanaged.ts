import type { AccountReport, ActionOutcome, UnmanagedSection } from "../core/types.js";

/**
 * The report's "unmanaged resources" section (issue 21): what the scheduled sweep found on
 * resources no stack manages, counted per guardrail and account, each action with who acted and
 * when, and what was not swept. Pure: built from the account reports, so the fan-out's merged
 * report gets it too.
 */
export function unmanagedSection(accounts: readonly AccountReport[]): UnmanagedSection {
  const section: UnmanagedSection = { counts: [], actions: [], notSwept: [] };
  const counts = new Map<string, UnmanagedSection["counts"][number]>();
  for (const account of accounts) {
    for (const region of account.regions) {
      const where = { accountId: account.accountId, region: region.region };
      if (region.unmanaged === undefined) {
        // Only regions driftguard reached have a sweep; the others are "Not scanned" already, said here too.
        const reason =
          region.status === "not-scanned" ? "region not scanned (the run's time budget)" : region.status === "failed" ? `region failed (${region.error?.code ?? "error"})` : "no sweep recorded for this region";
        if (account.status === "scanned" || account.status === "not-scanned") section.notSwept.push({ ...where, resourceType: "*", reason });
        continue;
      }
      for (const n of region.unmanaged.notSwept) section.notSwept.push({ ...where, ...n });
      for (const f of region.unmanaged.findings) {
        section.actions.push({ ...where, ...f });
        const key = `${f.guardrail}\u0000${account.accountId}`;
        let row = counts.get(key);
        if (!row) counts.set(key, (row = { guardrail: f.guardrail, accountId: account.accountId, findings: 0, exempt: 0, outcomes: {} }));
        row.findings++;
        if (f.exemption.kind === "exempt") row.exempt++;
        row.outcomes[f.action.outcome] = (row.outcomes[f.action.outcome] ?? 0) + 1;
      }
    }
  }
  section.counts = [...counts.values()].sort((a, b) => (a.guardrail === b.guardrail ? a.accountId.localeCompare(b.accountId) : a.guardrail.localeCompare(b.guardrail)));
  return section;
}

/** The outcomes in the order a reader acts on them. */
const OUTCOMES: readonly ActionOutcome[] = ["refused", "failed", "manual", "planned", "remediated", "skipped"];

/** The section as plain-text tables; markdown.ts and html.ts escape and lay them out. */
export function unmanagedTables(section: UnmanagedSection): { title: string; headers: string[]; rows: string[][] }[] {
  return [
    {
      title: "Unmanaged resources: guardrail findings per account",
      headers: ["Guardrail", "Account", "Findings", "Exempt", ...OUTCOMES.map((o) => o[0]!.toUpperCase() + o.slice(1))],
      rows: section.counts.map((c) => [c.guardrail, c.accountId, String(c.findings), String(c.exempt), ...OUTCOMES.map((o) => String(c.outcomes[o] ?? 0))]),
    },
    {
      title: "Unmanaged resources: actions",
      headers: ["Resource", "Where", "Guardrail", "Outcome", "Why", "By", "When", "Created by"],
      rows: section.actions.map((a) => [
        `${a.physicalId} (${a.resourceType})`,
        `${a.accountId} ${a.region}`,
        a.guardrail,
        a.action.outcome,
        a.action.reason,
        `driftguard ${a.action.by ?? `guardrail:${a.guardrail}`}`,
        a.at,
        a.createdBy?.arn ? `${a.createdBy.arn}${a.createdBy.eventTime ? ` at ${a.createdBy.eventTime}` : ""}` : "unknown",
      ]),
    },
    {
      title: "Unmanaged resources: not swept",
      headers: ["Where", "Type", "Why"],
      rows: section.notSwept.map((n) => [`${n.accountId} ${n.region}`, n.resourceType, n.error ? `${n.reason} (${n.error.code}: ${n.error.message})` : n.reason]),
    },
  ];
}
