/**
 * report.md, written to be pasted into a GitHub issue or a ticket. Two constraints shape it:
 * - GitHub rejects an issue body over 65,536 characters ("Body is too long (maximum is 65536
 *   characters)", GitHub REST API, Create an issue), so the document is capped at
 *   MARKDOWN_MAX_CHARS, cutting whole resource sections and pointing to the full report.
 * - Names, descriptions, tag values, reasons and property values come from member accounts: a
 *   member could otherwise inject a heading, a masked link, a tracking image or raw HTML into a
 *   ticket. Every such value goes through `text` (or `code`) below.
 */
import type { PropertyDifference, RunReport } from "../core/types.js";
import { coverageHeadline, coverageRows } from "./coverage-view.js";
import {
  accountLabel,
  actorText,
  coverageLines,
  driftedItems,
  describeExemption,
  exemptionRows,
  listedAccounts,
  notableStacks,
  notDriftItems,
  problems,
  regionsText,
  unscanned,
  where,
  type DriftedItem,
} from "./view.js";
import { unmanagedTables } from "./unmanaged.js";
import { fleetGroups, fleetText } from "./fleet.js";
import { ageText } from "./history.js";

/** 65,536 minus room for a person's own words above and below the pasted report. */
export const MARKDOWN_MAX_CHARS = 60_000;

/**
 * Plain text: the characters that mean something in GitHub-flavoured Markdown anywhere in a
 * line are backslash-escaped (CommonMark 0.31 §2.4 allows it for every ASCII punctuation):
 * emphasis, code spans, links and images, HTML and entities, headings, table cells,
 * strikethrough, GitHub math (`$`), @-mentions, and GFM's extended autolinks (`https:`, `www.`:
 * a member's URL stays visible text, never a link a reader clicks from a trusted ticket).
 * Line-start markers (`-`, `+`, `1.`) need no escape because no value starts a line: line
 * breaks become `<br>` (our own tag, not the member's).
 */
export function text(value: unknown): string {
  return String(value)
    .replace(/[\\`*_{}[\]()<>#!|~&$@:]/g, (c) => `\\${c}`)
    .replace(/\b(www)\./gi, "$1\\.")
    .replace(/\r?\n|\r/g, "<br>");
}

/**
 * A code span: nothing inside is parsed, except that GitHub still splits table cells on `|`
 * (GFM spec, Tables, example 200), hence `\|`. The fence is longer than any backtick run inside.
 */
function code(value: unknown): string {
  const s = String(value).replace(/\r?\n|\r/g, " ").replace(/\|/g, "\\|");
  const fence = "`".repeat(Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Cells are already-escaped Markdown; headers are ours. */
function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return "None.";
  return [`| ${headers.join(" | ")} |`, `|${headers.map(() => " --- |").join("")}`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** A fence longer than any backtick run inside, so JSON containing ``` cannot break out. */
function codeBlock(lang: string, body: string): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${lang}\n${body}\n${fence}`;
}

function differences(diffs: PropertyDifference[]): string {
  return table(["Property", "Expected", "Actual", "Difference"], diffs.map((d) => [code(d.propertyPath), code(d.expectedValue), code(d.actualValue), text(d.differenceType)]));
}

/** "new (first seen …)" or "still drifted, first seen … (3 d)"; absent without history. */
function seenText(report: RunReport, r: DriftedItem["resource"]): string | undefined {
  if (!r.seen) return undefined;
  return r.seen.status === "new" ? `new since the previous run (first seen ${text(r.seen.firstSeen)})` : `still drifted, first seen ${text(r.seen.firstSeen)} (${text(ageText(r.seen.firstSeen, report.startedAt))})`;
}

function driftedResource(report: RunReport, { account, region, stack, resource: r }: DriftedItem): string {
  const who = actorText(r.changedBy);
  const seen = seenText(report, r);
  const lines = [
    `### ${text(r.logicalResourceId)} (${text(r.resourceType)})`,
    "",
    `- Stack: ${text(where(account, region, stack.stackName))}`,
    `- Physical id: ${code(r.physicalResourceId)}`,
    `- Drift: ${text(r.status)}${r.detectedAt ? ` (detected ${text(r.detectedAt)})` : ""}`,
    `- Action: **${text(r.action.outcome)}**: ${text(r.action.reason)}`,
    `- Exemption: ${text(describeExemption(r.exemption.kind === "none" ? stack.exemption : r.exemption))}`,
    ...(who ? [`- Changed by: ${text(who)}`] : []),
    ...(seen ? [`- Seen: ${seen}`] : []),
    ...(stack.detectionStatusReason ? [`- Detection partial: ${text(stack.detectionStatusReason)}`] : []),
    ...(r.action.steps.length > 0 ? ["- Steps:", ...r.action.steps.map((s, i) => `  ${i + 1}. ${code(s)}`)] : []),
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

export interface MarkdownOptions {
  /** Where the complete report lives (the HTML report's URL), named when the document is cut. */
  fullReport?: string;
  /** Defaults to MARKDOWN_MAX_CHARS; tests lower it. */
  maxChars?: number;
}

/**
 * Appends sections while they fit. The summary and the tail sections are small and fixed; the
 * drifted resources (most urgent first, see view.ts) and the long tables are what gets cut.
 */
class Budget {
  readonly parts: string[] = [];
  private used = 0;
  omitted = 0;
  constructor(private readonly max: number) {}
  /** Adds `part` if it fits; returns whether it did. */
  add(part: string): boolean {
    if (this.used + part.length + 1 > this.max) {
      this.omitted++;
      return false;
    }
    this.parts.push(part);
    this.used += part.length + 1;
    return true;
  }
}

/** Room kept for the closing pointer ("N section(s) left out…"), whatever the URL's length. */
const POINTER_RESERVE = 600;

function rowsSection(budget: Budget, title: string, headers: string[], rows: string[][]): void {
  budget.add(`## ${title}\n`);
  if (rows.length === 0) {
    budget.add("None.\n");
    return;
  }
  const head = table(headers, [rows[0]!]).split("\n").slice(0, 2).join("\n");
  if (!budget.add(head)) return;
  for (const r of rows) if (!budget.add(`| ${r.join(" | ")} |`)) break;
  budget.add("");
}

/** Fleet rows a ticket shows; the HTML report lists every group. */
const FLEET_ROWS = 20;

/** New / still / resolved since the previous run (report.history), then the resolved rows. */
function historySection(budget: Budget, report: RunReport): void {
  const h = report.history;
  budget.add("## Since the previous run\n");
  if (!h) {
    budget.add("No history: history is kept in the report bucket (Lambda runs) or under the CLI's --out directory.\n");
    return;
  }
  if (h.error) {
    budget.add(`> **History unavailable:** ${code(h.error.code)}: ${text(h.error.message)}\n`);
    return;
  }
  const since = h.previousRunId ? `since run ${text(h.previousRunId)} (${text(h.previousStartedAt ?? "")})` : "(first run with history)";
  const notChecked = h.notChecked > 0 ? `; ${h.notChecked} earlier finding(s) not checked this run (kept open)` : "";
  budget.add(`**${h.new} new**, ${h.still} still drifted, ${h.resolved.length} resolved ${since}${notChecked}.\n`);
  if (h.resolved.length === 0) return;
  const rows = h.resolved.map((r) => [text(`${r.logicalResourceId} (${r.resourceType})`), text(`${r.accountId} / ${r.region} / ${r.stackName}`), text(r.firstSeen), text(ageText(r.firstSeen, report.startedAt))]);
  const head = table(["Resolved", "Where", "First seen", "Drifted for"], [rows[0]!]).split("\n").slice(0, 2).join("\n");
  if (!budget.add(head)) return;
  for (const r of rows) if (!budget.add(`| ${r.join(" | ")} |`)) break;
  budget.add("");
}

export function renderMarkdown(report: RunReport, options: MarkdownOptions = {}): string {
  const t = report.totals;
  const max = options.maxChars ?? MARKDOWN_MAX_CHARS;
  const budget = new Budget(max - POINTER_RESERVE);
  const n = (v: number) => String(v);
  const organizationHeadline = coverageHeadline(report);
  const head = [
    `# driftguard report ${text(report.runId)}`,
    "",
    `Trigger ${text(report.trigger)}, mode **${text(report.mode)}**, ${text(report.startedAt)} to ${text(report.finishedAt)}, config ${text(report.configHash)}.`,
    ...(options.fullReport ? ["", `Full report: ${options.fullReport}`] : []),
    ...(report.incomplete ? ["", `> **Incomplete:** the run stopped early to meet the Lambda deadline; see "Not scanned".`] : []),
    "",
    "## Summary",
    "",
    table(
      ["Accounts", "Failed", "Account-regions", "Stacks scanned", "Skipped", "Failed", "Not scanned", "Drifted"],
      [[t.accounts, t.accountsFailed, t.regions, t.stacksScanned, t.stacksSkipped, t.stacksFailed, t.stacksNotScanned, t.stacksDrifted].map(n)],
    ),
    "",
    table(
      ["Resources drifted", "Remediated", "Planned", "Skipped", "Manual", "Failed", "Exempt", "Invalid exemptions", "Guard trips", "Contested", "Run errors", "Retried", "Errors"],
      [[t.resourcesDrifted, t.remediated, t.planned, t.skipped, t.manual, t.failed, t.exempt, t.invalidExemptions, t.guardTrips, t.contested, t.runErrors, t.retried, t.errors].map(n)],
    ),
    "",
    table(
      ["False positives", "Ignored", "Not checked", "Unknown", "Nested stacks not reached"],
      [[t.falsePositives, t.ignored, t.resourcesNotChecked, t.resourcesUnknown, t.nestedStacksNotReached].map(n)],
    ),
    "",
    ...(organizationHeadline === undefined ? [] : [text(organizationHeadline), ""]),
  ].join("\n");
  budget.add(head);
  // Errors and what was not scanned are what a ticket reader acts on first; they go before the
  // (long) resource detail so a cut never hides them.
  rowsSection(budget, "Errors", ["Where", "Code", "Message"], problems(report).map((p) => [text(p.where), code(p.error.code), text(p.error.message)]));
  rowsSection(budget, "Not scanned", ["Where", "Why"], [...unscanned(report), ...listedAccounts(report)].map((u) => [text(u.where), text(u.reason)]));
  rowsSection(budget, "Active exemptions", ["Where", "On", "Reason", "Until", "Set by"], exemptionRows(report).map((x) => [text(x.where), text(x.on), text(x.reason), text(x.until), text(x.setBy)]));
  historySection(budget, report);
  const items = driftedItems(report);
  // The same change on many resources (report/fleet.ts), one row each with its count.
  const groups = fleetGroups(items);
  rowsSection(budget, "Same change on many resources", ["Change", "Resources", "Accounts"], groups.slice(0, FLEET_ROWS).map((g) => [text(fleetText(g)), String(g.items.length), String(g.accounts)]));
  if (groups.length > FLEET_ROWS) budget.add(`${groups.length - FLEET_ROWS} more group(s) in the full report.\n`);
  budget.add("## Drifted resources\n");
  if (t.resourcesDrifted === 0) budget.add("None.\n");
  for (const item of items) budget.add(`${driftedResource(report, item)}\n`);
  rowsSection(
    budget,
    "Not drift: CloudFormation false positives and ignore rules",
    ["Resource", "Where", "Outcome", "Why"],
    notDriftItems(report).map((i) => [text(`${i.resource.logicalResourceId} (${i.resource.resourceType})`), text(where(i.account, i.region, i.stack.stackName)), text(i.resource.action.outcome), text(i.resource.action.reason)]),
  );
  rowsSection(budget, "Coverage: what driftguard could not see", ["What", "Where", "Detail"], coverageLines(report).map((l) => [text(l.what), text(l.where), text(l.detail)]));
  if (organizationHeadline !== undefined) {
    rowsSection(budget, "Coverage: organization members and regions not scanned", ["Account", "Organizational unit", "Gap"], coverageRows(report).map((r) => [text(r.account), text(r.where), text(r.gap)]));
  }
  for (const u of unmanagedTables(report.unmanaged)) rowsSection(budget, u.title, u.headers, u.rows.map((r) => r.map(text)));
  rowsSection(budget, "Skipped, failed and partial stacks", ["Stack", "Scan", "Why"], notableStacks(report).map((s) => [text(s.where), text(s.scan), text(s.why)]));
  rowsSection(budget, "Accounts", ["Account", "Status", "Mode", "Regions"], report.accounts.map((a) => [text(accountLabel(a)), text(a.status), text(a.mode), text(regionsText(a))]));
  if (budget.omitted > 0) {
    const where = options.fullReport ? `the full report: ${options.fullReport}` : "the full report (report.html and report.json next to this file)";
    budget.parts.push(`> **Cut to ${max.toLocaleString("en-US")} characters:** ${budget.omitted} section(s) or row(s) left out; see ${where}.`, "");
  }
  return budget.parts.join("\n");
}
