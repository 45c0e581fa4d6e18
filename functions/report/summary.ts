import type { ErrorInfo, RunReport } from "../core/types.js";
import { runCounts, type RunCounts } from "./attention.js";
import { coverageHeadline, coverageRows } from "./coverage-view.js";
import { accountProblems, actorText, coverageLines, driftedItems, exemptionRows, listedAccounts, needsAttention, notDriftItems, problems, refusals, unscanned, where, type DriftedItem } from "./view.js";
import { resourceUrl, stackDriftUrl } from "./console-links.js";
import { fleetGroups, fleetText } from "./fleet.js";

/** SNS: a Subject is ASCII, without line breaks or control characters, and under 100 characters. */
export const SUBJECT_MAX_CHARS = 99;
/** SNS accepts 256 KB; staying well under leaves room for the envelope email/HTTPS endpoints add. */
export const MESSAGE_MAX_BYTES = 200 * 1024;
const LIST_LIMIT = 50;

export interface SummaryContext {
  /** Where the full report is: its https S3 console URL; absent when S3 failed. */
  reportLocation?: string;
  /** The https S3 console URL of reports/index.html. */
  historyLocation?: string;
  /** Why the report could not be written to S3. */
  s3Failure?: ErrorInfo;
}

export function toSnsSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7E]+/g, " ").replace(/ {2,}/g, " ").trim();
  return ascii.length <= SUBJECT_MAX_CHARS ? ascii : `${ascii.slice(0, SUBJECT_MAX_CHARS - 3).trimEnd()}...`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * What needs a person first, then what happened:
 * "driftguard: 2 accounts FAILED, 1 refused | 5 drifted, 4 remediated, 50 held by blast radius".
 * A subject is cut at 99 characters, so the cut falls on the informational half. SNS subjects
 * are ASCII only, hence "|" where a mail client would show a middle dot.
 */
export function summarySubject(report: RunReport): string {
  return toSnsSubject(subjectText(runCounts(report)));
}

export function subjectText(c: RunCounts): string {
  const count = (n: number, text: string) => (n > 0 ? [text] : []);
  const urgent = [
    ...count(c.accountsFailed, `${plural(c.accountsFailed, "account")} FAILED`),
    ...(c.incomplete ? ["INCOMPLETE"] : []),
    // Refusals lead, with the first reason: each is a repair that would have granted privilege.
    ...count(c.refused, `${c.refused} REFUSED${c.firstRefusal ? ` (${c.firstRefusal})` : ""}`),
    ...count(c.contested, `${c.contested} contested`),
    ...count(c.guardTrips, `${c.guardTrips} held by a broken guard`),
    ...count(c.failed, `${c.failed} failed`),
    ...count(c.manual, `${c.manual} manual`),
  ];
  // Shown in this order; when the subject is too long the first to go are the last listed here.
  const byPriority = [
    { at: 0, text: `${c.resourcesDrifted} drifted` },
    { at: 3, text: c.heldByBlastRadius > 0 ? `${c.heldByBlastRadius} held by blast radius` : "" },
    { at: 4, text: c.heldByFlapping > 0 ? `${c.heldByFlapping} flapping` : "" },
    { at: 1, text: c.remediated > 0 ? `${c.remediated} remediated` : "" },
    { at: 2, text: c.planned > 0 ? `${c.planned} planned` : "" },
  ].filter((i) => i.text !== "");
  const shown = () => [...byPriority].sort((a, b) => a.at - b.at).map((i) => i.text);
  // Failed regions and stacks, accounts missing from the organization: the message lists them.
  if (c.otherErrors > 0) urgent.push(plural(c.otherErrors, "error"));
  const text = () => `driftguard: ${urgent.length > 0 ? `${urgent.join(", ")} | ` : "OK | "}${shown().join(", ")}`;
  // Over the limit, whole informational items go (the message has them all), never the urgent ones.
  while (text().length > SUBJECT_MAX_CHARS && byPriority.length > 1) byPriority.pop();
  return text();
}

function section<T>(title: string, items: T[], line: (item: T) => string): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, LIST_LIMIT);
  const more = items.length - shown.length;
  return ["", `${title} (${items.length})`, ...shown.map((i) => `- ${line(i)}`), ...(more > 0 ? [`- ... and ${more} more in the full report`] : [])];
}

/** Repairs the guards held back: skipped, but not quietly (334 of 384 in one 300-account run). */
function guardLine(c: RunCounts): string[] {
  const parts = [
    ...(c.heldByBlastRadius > 0 ? [`${c.heldByBlastRadius} by blast radius (raise defaults.remediation.maxPerRun / maxPerAccount, or let the next run continue)`] : []),
    ...(c.heldByFlapping > 0 ? [`${c.heldByFlapping} flapping`] : []),
    ...(c.guardTrips > 0 ? [`${c.guardTrips} because a guard could not be evaluated`] : []),
  ];
  return parts.length > 0 ? [`  held by guards: ${parts.join(", ")}`] : [];
}

/** How many fleet groups the message names (the HTML report has them all). */
const FLEET_LIMIT = 5;

/** A needs-you item with the console link a person opens first: the resource's page, else the stack's drift view. */
function attentionLine({ account, region, stack, resource }: DriftedItem): string {
  const url = resourceUrl(resource.resourceType, resource.physicalResourceId, region, stack.stackId) ?? (stack.stackId ? stackDriftUrl(region, stack.stackId) : undefined);
  const label = resource.action.guard ? `held by ${resource.action.guard}` : resource.action.contested ? "contested" : resource.action.outcome;
  return `${label}: ${resource.logicalResourceId} (${resource.resourceType}) in ${where(account, region, stack.stackName)}: ${resource.action.reason}${url ? ` ${url}` : ""}`;
}

/** "Since the previous run: 3 new, 40 still drifted, 5 resolved". */
function historyLines(report: RunReport): string[] {
  const h = report.history;
  if (!h) return [];
  if (h.error) return ["", `History unavailable (${h.error.code}): ${h.error.message}`];
  return ["", `Since the previous run: ${h.new} new, ${h.still} still drifted, ${h.resolved.length} resolved${h.notChecked > 0 ? `, ${h.notChecked} not checked` : ""}`];
}

/** The whole summary, before any size limit. */
export function summaryText(report: RunReport, ctx: SummaryContext): string {
  const t = report.totals;
  const header = [
    `driftguard run ${report.runId} (${report.trigger}, mode ${report.mode})`,
    `${report.startedAt} - ${report.finishedAt}`,
    // Each link alone at the end of its line: a mail client links a bare URL, not one inside brackets.
    ctx.reportLocation ? `Full report: ${ctx.reportLocation}` : "",
    ctx.historyLocation ? `All runs: ${ctx.historyLocation}` : "",
    ctx.s3Failure
      ? `WARNING: the report could NOT be written to S3 (${ctx.s3Failure.code}: ${ctx.s3Failure.message}). This message is the only record of the run.`
      : "",
    report.incomplete ? `WARNING: the run stopped early to meet the Lambda deadline; ${plural(t.stacksNotScanned, "stack")} and the items below were not scanned.` : "",
    "Console links open in the account you are signed in to: switch to the account named first.",
  ].filter((l) => l !== "");
  const totals = [
    "",
    "Totals",
    `  accounts ${t.accounts} (${t.accountsFailed} failed), account-regions ${t.regions}`,
    `  stacks: ${t.stacksScanned} scanned, ${t.stacksSkipped} skipped, ${t.stacksFailed} failed, ${t.stacksNotScanned} not scanned, ${t.stacksDrifted} drifted`,
    `  drifted resources ${t.resourcesDrifted}: ${t.refused} refused, ${t.remediated} remediated, ${t.planned} planned, ${t.skipped} skipped, ${t.manual} manual, ${t.failed} failed`,
    `  exempt ${t.exempt}, invalid exemptions ${t.invalidExemptions}, errors ${t.errors}`,
    `  not drift: ${t.falsePositives} CloudFormation false positives, ${t.ignored} ignored; not seen: ${t.resourcesNotChecked} not checked, ${t.resourcesUnknown} unknown, ${t.nestedStacksNotReached} nested stacks not reached`,
    `  guard trips ${t.guardTrips}, contested ${t.contested}, run errors ${t.runErrors}, retried ${t.retried}`,
    ...guardLine(runCounts(report)),
    ...[coverageHeadline(report)].filter((l) => l !== undefined).map((l) => `  ${l}`),
  ];
  const refused = section("REFUSED: repairs that would have granted privilege (nothing was changed)", refusals(report), (r) => `${r.where}: ${r.what}: ${r.reason}`);
  const accountErrors = accountProblems(report).map((p) => p.where);
  const failedAccounts = section("ACCOUNTS with errors (not scanned)", accountProblems(report), (p) => `${p.where}: ${p.error.code}: ${p.error.message}`);
  const items = driftedItems(report);
  const needsYou = section("NEEDS YOU: drift a person must look at", items.filter(needsAttention).filter((i) => i.resource.action.outcome !== "refused"), attentionLine);
  const fleet = section("Same change on many resources", fleetGroups(items).slice(0, FLEET_LIMIT), fleetText);
  const drifted = section("Drifted resources", items, ({ account, region, stack, resource }) => {
    const who = actorText(resource.changedBy);
    return (
      `${where(account, region, stack.stackName)}: ${resource.logicalResourceId} (${resource.resourceType}) ${resource.status}` +
      ` -> ${resource.action.outcome}: ${resource.action.reason}${who ? `; changed by ${who}` : ""}`
    );
  });
  const notDrift = section("Not drift (false positives, ignore rules)", notDriftItems(report), ({ account, region, stack, resource }) =>
    `${where(account, region, stack.stackName)}: ${resource.logicalResourceId} (${resource.resourceType}) -> ${resource.action.outcome}: ${resource.action.reason}`,
  );
  const coverage = section("Coverage: what driftguard could not see", coverageLines(report), (l) => `${l.what}: ${l.where}: ${l.detail}`);
  // Account errors lead the message; the rest of totals.errors is listed here.
  const errors = section("Errors", problems(report).filter((p) => !accountErrors.includes(p.where)), (p) => `${p.where}: ${p.error.code}: ${p.error.message}`);
  const exemptions = section("Active exemptions", exemptionRows(report), (e) => `${e.where}: ${e.reason} (until ${e.until})${e.setBy ? `; set by ${e.setBy}` : ""}`);
  const notScanned = section("Not scanned", unscanned(report), (u) => `${u.where}: ${u.reason}`);
  // A member missing from the organization is a config error, already under Errors: not listed twice.
  const listed = section("Accounts not scanned (organization state)", listedAccounts(report, ["suspended"]), (u) => `${u.where}: ${u.reason}`);
  // Onboarded accounts that are not active are already listed above (Errors, or not scanned).
  const organization = section("Coverage: organization members and regions not scanned", coverageRows(report, { onboardedNotActive: false }), (r) => `${r.account}${r.where ? ` in ${r.where}` : ""}: ${r.gap}`);
  return [...header, ...failedAccounts, ...refused, ...needsYou, ...historyLines(report), ...fleet, ...totals, ...drifted, ...notDrift, ...errors, ...exemptions, ...notScanned, ...listed, ...coverage, ...organization].join("\n");
}

/**
 * Cuts `text` at a line boundary so that it and the pointer fit in `maxBytes` of UTF-8.
 * A single line longer than the budget is cut mid-line, never mid-character.
 */
export function fitMessage(text: string, maxBytes: number, pointer: string): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const tail = `\n... truncated. ${pointer}`;
  const budget = maxBytes - Buffer.byteLength(tail, "utf8");
  let kept = Buffer.from(text, "utf8").subarray(0, Math.max(0, budget)).toString("utf8");
  // A cut inside a multi-byte character decodes to U+FFFD; drop it.
  kept = kept.replace(/\uFFFD+$/, "");
  const lastNewline = kept.lastIndexOf("\n");
  if (lastNewline > 0) kept = kept.slice(0, lastNewline);
  return `${kept}${tail}`;
}
