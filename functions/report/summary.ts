import type { ErrorInfo, RunReport } from "../core/types.js";
import { coverageHeadline, coverageRows } from "./coverage-view.js";
import { actorText, driftedItems, exemptionRows, listedAccounts, problems, unscanned, where } from "./view.js";

/** SNS: a Subject is ASCII, without line breaks or control characters, and under 100 characters. */
export const SUBJECT_MAX_CHARS = 99;
/** SNS accepts 256 KB; staying well under leaves room for the envelope email/HTTPS endpoints add. */
export const MESSAGE_MAX_BYTES = 200 * 1024;
const LIST_LIMIT = 50;

export interface SummaryContext {
  /** Where the full report is, e.g. s3://bucket/reports/…/report.html; absent when S3 failed. */
  reportLocation?: string;
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

export function summarySubject(report: RunReport): string {
  const t = report.totals;
  const parts = [plural(t.stacksDrifted, "drifted stack")];
  if (t.remediated > 0) parts.push(`${t.remediated} remediated`);
  if (t.planned > 0) parts.push(`${t.planned} planned`);
  if (t.manual > 0) parts.push(`${t.manual} manual`);
  if (t.failed > 0) parts.push(`${t.failed} failed`);
  if (t.errors > 0) parts.push(plural(t.errors, "error"));
  // The mode is left to the message: with every count shown the subject must still fit 99 characters.
  return toSnsSubject(`driftguard${report.incomplete ? " INCOMPLETE" : ""}: ${parts.join(", ")}`);
}

function section<T>(title: string, items: T[], line: (item: T) => string): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, LIST_LIMIT);
  const more = items.length - shown.length;
  return ["", `${title} (${items.length})`, ...shown.map((i) => `- ${line(i)}`), ...(more > 0 ? [`- ... and ${more} more in the full report`] : [])];
}

/** The whole summary, before any size limit. */
export function summaryText(report: RunReport, ctx: SummaryContext): string {
  const t = report.totals;
  const header = [
    `driftguard run ${report.runId} (${report.trigger}, mode ${report.mode})`,
    `${report.startedAt} - ${report.finishedAt}`,
    ctx.reportLocation ? `Full report: ${ctx.reportLocation}` : "",
    ctx.s3Failure
      ? `WARNING: the report could NOT be written to S3 (${ctx.s3Failure.code}: ${ctx.s3Failure.message}). This message is the only record of the run.`
      : "",
    report.incomplete ? `WARNING: the run stopped early to meet the Lambda deadline; ${plural(t.stacksNotScanned, "stack")} and the items below were not scanned.` : "",
  ].filter((l) => l !== "");
  const totals = [
    "",
    "Totals",
    `  accounts ${t.accounts} (${t.accountsFailed} failed), account-regions ${t.regions}`,
    `  stacks: ${t.stacksScanned} scanned, ${t.stacksSkipped} skipped, ${t.stacksFailed} failed, ${t.stacksNotScanned} not scanned, ${t.stacksDrifted} drifted`,
    `  drifted resources ${t.resourcesDrifted}: ${t.remediated} remediated, ${t.planned} planned, ${t.skipped} skipped, ${t.manual} manual, ${t.failed} failed`,
    `  exempt ${t.exempt}, invalid exemptions ${t.invalidExemptions}, errors ${t.errors}`,
    `  guard trips ${t.guardTrips}, contested ${t.contested}, run errors ${t.runErrors}, retried ${t.retried}`,
    ...[coverageHeadline(report)].filter((l) => l !== undefined).map((l) => `  ${l}`),
  ];
  const drifted = section("Drifted resources", driftedItems(report), ({ account, region, stack, resource }) => {
    const who = actorText(resource.changedBy);
    return (
      `${where(account, region, stack.stackName)}: ${resource.logicalResourceId} (${resource.resourceType}) ${resource.status}` +
      ` -> ${resource.action.outcome}: ${resource.action.reason}${who ? `; changed by ${who}` : ""}`
    );
  });
  const errors = section("Errors", problems(report), (p) => `${p.where}: ${p.error.code}: ${p.error.message}`);
  const exemptions = section("Active exemptions", exemptionRows(report), (e) => `${e.where}: ${e.reason} (until ${e.until})${e.setBy ? `; set by ${e.setBy}` : ""}`);
  const notScanned = section("Not scanned", unscanned(report), (u) => `${u.where}: ${u.reason}`);
  const listed = section("Accounts not scanned (organization state)", listedAccounts(report), (u) => `${u.where}: ${u.reason}`);
  const coverage = section("Organization coverage gaps", coverageRows(report), (r) => `${r.account}${r.where ? ` in ${r.where}` : ""}: ${r.gap}`);
  return [...header, ...totals, ...drifted, ...errors, ...exemptions, ...notScanned, ...listed, ...coverage].join("\n");
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

export function summaryMessage(report: RunReport, ctx: SummaryContext): string {
  const pointer = ctx.reportLocation ? `The full report is at ${ctx.reportLocation}` : "The full report could not be stored; see the Lambda logs for run " + report.runId;
  return fitMessage(summaryText(report, ctx), MESSAGE_MAX_BYTES, pointer);
}
