import type { PropertyDifference, RunReport } from "../core/types.js";
import { coverageHeadline, coverageRows } from "./coverage-view.js";
import {
  accountLabel,
  actorText,
  driftedItems,
  exemptionText,
  exemptionRows,
  listedAccounts,
  notableStacks,
  problems,
  regionsText,
  unscanned,
  where,
  type DriftedItem,
} from "./view.js";

/** Table cells: pipes would end the cell and newlines the row. */
function cell(value: unknown): string {
  return String(value).replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return "None.";
  return [`| ${headers.join(" | ")} |`, `|${headers.map(() => " --- |").join("")}`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

/** A fence longer than any backtick run inside, so JSON containing ``` cannot break out. */
function codeBlock(lang: string, text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${lang}\n${text}\n${fence}`;
}

function differences(diffs: PropertyDifference[]): string {
  return table(["Property", "Expected", "Actual", "Difference"], diffs.map((d) => [d.propertyPath, d.expectedValue, d.actualValue, d.differenceType]));
}

function driftedResource({ account, region, stack, resource: r }: DriftedItem): string {
  const who = actorText(r.changedBy);
  const lines = [
    `### ${r.logicalResourceId} (${r.resourceType})`,
    "",
    `- Stack: ${where(account, region, stack.stackName)}`,
    `- Physical id: \`${r.physicalResourceId}\``,
    `- Drift: ${r.status}${r.detectedAt ? ` (detected ${r.detectedAt})` : ""}`,
    `- Action: **${r.action.outcome}**: ${r.action.reason}`,
    `- Exemption: ${exemptionText(r.exemption.kind === "none" ? stack.exemption : r.exemption)}`,
    ...(who ? [`- Changed by: ${who}`] : []),
    ...(stack.detectionStatusReason ? [`- Detection partial: ${stack.detectionStatusReason}`] : []),
    ...(r.action.steps.length > 0 ? ["- Steps:", ...r.action.steps.map((s, i) => `  ${i + 1}. \`${s}\``)] : []),
    "",
    differences(r.differences),
    ...(r.action.remaining?.length ? ["", "Still different after the repair:", "", differences(r.action.remaining)] : []),
    "",
    "<details><summary>Expected and actual properties</summary>",
    "",
    codeBlock("json", JSON.stringify({ expected: r.expected ?? null, actual: r.actual ?? null }, null, 2)),
    "",
    "</details>",
  ];
  return lines.join("\n");
}

function coverageSection(report: RunReport): string[] {
  const headline = coverageHeadline(report);
  if (headline === undefined) return [];
  return ["## Organization coverage", "", headline, "", table(["Account", "Organizational unit", "Gap"], coverageRows(report).map((r) => [r.account, r.where, r.gap])), ""];
}

export function renderMarkdown(report: RunReport): string {
  const t = report.totals;
  const out = [
    `# driftguard report ${report.runId}`,
    "",
    `Trigger ${report.trigger}, mode **${report.mode}**, ${report.startedAt} to ${report.finishedAt}, config ${report.configHash}.`,
    ...(report.incomplete ? ["", `> **Incomplete:** the run stopped early to meet the Lambda deadline; see "Not scanned".`] : []),
    "",
    "## Summary",
    "",
    table(
      ["Accounts", "Failed", "Account-regions", "Stacks scanned", "Skipped", "Failed", "Not scanned", "Drifted"],
      [[t.accounts, t.accountsFailed, t.regions, t.stacksScanned, t.stacksSkipped, t.stacksFailed, t.stacksNotScanned, t.stacksDrifted]],
    ),
    "",
    table(
      ["Resources drifted", "Remediated", "Planned", "Skipped", "Manual", "Failed", "Exempt", "Invalid exemptions", "Guard trips", "Contested", "Run errors", "Retried", "Errors"],
      [[t.resourcesDrifted, t.remediated, t.planned, t.skipped, t.manual, t.failed, t.exempt, t.invalidExemptions, t.guardTrips, t.contested, t.runErrors, t.retried, t.errors]],
    ),
    "",
    "## Drifted resources",
    "",
    t.resourcesDrifted === 0 ? "None." : driftedItems(report).map(driftedResource).join("\n\n"),
    "",
    "## Errors",
    "",
    table(["Where", "Code", "Message"], problems(report).map((p) => [p.where, p.error.code, p.error.message])),
    "",
    "## Active exemptions",
    "",
    table(["Where", "On", "Reason", "Until", "Set by"], exemptionRows(report).map((e) => [e.where, e.on, e.reason, e.until, e.setBy])),
    "",
    "## Not scanned",
    "",
    table(["Where", "Why"], [...unscanned(report), ...listedAccounts(report)].map((u) => [u.where, u.reason])),
    "",
    "## Skipped, failed and partial stacks",
    "",
    table(["Stack", "Scan", "Why"], notableStacks(report).map((n) => [n.where, n.scan, n.why])),
    "",
    "## Accounts",
    "",
    table(["Account", "Status", "Mode", "Regions"], report.accounts.map((a) => [accountLabel(a), a.status, a.mode, regionsText(a)])),
    "",
    ...coverageSection(report),
  ];
  return out.join("\n");
}
