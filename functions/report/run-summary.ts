import type { ErrorInfo, ReportTotals, RunReport } from "../core/types.js";
import { needsAttention as runNeedsAttention, runCounts } from "./attention.js";
import { resourceUrl, stackDriftUrl } from "./console-links.js";
import { summarySubject } from "./summary.js";
import { driftedItems, needsAttention, type DriftedItem } from "./view.js";

/**
 * The run as a compact JSON document for machine subscribers of the SNS topic (SQS queues,
 * Lambda functions, HTTP/S endpoints that are not a chat client): counts, what needs a person
 * with ids and console links, history, and where the full report is. A consumer that needs more
 * reads report.json from `report.bucket` / `report.json`. Versioned on its own
 * (`schemaVersion`, semver: a new optional field is a minor bump, a removed or retyped one a
 * major); its JSON Schema is run-summary.schema.json and its changes are in CHANGELOG.md.
 */
export const RUN_SUMMARY_SCHEMA = "driftguard.run-summary";
export const RUN_SUMMARY_VERSION = "1.0.0";
/** Items listed per array: a consumer acting on more reads report.json (the `*Total` counts say when it must). */
export const RUN_SUMMARY_ITEMS = 20;
/**
 * Reasons and error messages are cut here, so the summary stays bounded (20 resources of at most
 * ~0.8 KB with ids and URLs, 20 accounts of ~0.4 KB: ~24 KB) and its five copies (sqs, lambda,
 * http, https, email-json) leave the email at least ~60 KB of SNS's budget (sns-message.ts).
 */
export const RUN_SUMMARY_TEXT_MAX = 300;

const cut = (s: string) => (s.length <= RUN_SUMMARY_TEXT_MAX ? s : `${s.slice(0, RUN_SUMMARY_TEXT_MAX - 1)}…`);

export interface SummaryItem {
  accountId: string;
  accountName: string;
  region: string;
  stackName: string;
  stackId?: string;
  logicalResourceId: string;
  resourceType: string;
  physicalResourceId: string;
  outcome: string;
  guard?: string;
  contested?: boolean;
  reason: string;
  /** The resource's console page, else the stack's drift view. */
  url?: string;
  /** From history: new or still drifted since firstSeen. */
  seen?: { status: "new" | "still"; firstSeen: string };
}

export interface RunSummary {
  schema: typeof RUN_SUMMARY_SCHEMA;
  schemaVersion: typeof RUN_SUMMARY_VERSION;
  runId: string;
  trigger: string;
  mode: "report" | "remediate";
  startedAt: string;
  finishedAt: string;
  incomplete: boolean;
  /** The SNS subject: what needs a person first, then what happened. */
  subject: string;
  /** Something broke, was refused, contested, held by a broken guard, or waits for a hand repair. */
  needsAttention: boolean;
  totals: ReportTotals;
  failedAccounts: { accountId: string; accountName: string; code: string; message: string }[];
  failedAccountsTotal: number;
  needsYou: SummaryItem[];
  needsYouTotal: number;
  history?: { previousRunId?: string; new: number; still: number; resolved: number; notChecked: number } | { error: ErrorInfo };
  /** Where the full report is; absent when it could not be stored (`reportError` says why). */
  report?: { bucket: string; region: string; json: string; html: string; markdown: string; htmlUrl: string; historyUrl: string };
  reportError?: ErrorInfo;
}

export interface RunSummaryContext {
  stored?: { bucket: string; region: string; keys: { json: string; html: string; markdown: string }; htmlUrl: string; historyUrl: string };
  s3Failure?: ErrorInfo;
}

function item({ account, region, stack, resource }: DriftedItem): SummaryItem {
  const url = resourceUrl(resource.resourceType, resource.physicalResourceId, region, stack.stackId) ?? (stack.stackId ? stackDriftUrl(region, stack.stackId) : undefined);
  return {
    accountId: account.accountId,
    accountName: account.name,
    region,
    stackName: stack.stackName,
    ...(stack.stackId ? { stackId: stack.stackId } : {}),
    logicalResourceId: resource.logicalResourceId,
    resourceType: resource.resourceType,
    physicalResourceId: resource.physicalResourceId,
    outcome: resource.action.outcome,
    ...(resource.action.guard ? { guard: resource.action.guard } : {}),
    ...(resource.action.contested ? { contested: true } : {}),
    reason: cut(resource.action.reason),
    ...(url ? { url } : {}),
    ...(resource.seen ? { seen: { status: resource.seen.status, firstSeen: resource.seen.firstSeen } } : {}),
  };
}

export function runSummary(report: RunReport, ctx: RunSummaryContext): RunSummary {
  const attention = driftedItems(report).filter(needsAttention);
  // The accounts totals.accountsFailed counts (an account missing from the organization is a config error: totals.errors).
  const failed = report.accounts.filter((a) => a.status === "failed" && a.error);
  const h = report.history;
  return {
    schema: RUN_SUMMARY_SCHEMA,
    schemaVersion: RUN_SUMMARY_VERSION,
    runId: report.runId,
    trigger: report.trigger,
    mode: report.mode,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    incomplete: report.incomplete,
    subject: summarySubject(report),
    needsAttention: runNeedsAttention(runCounts(report)),
    totals: report.totals,
    failedAccounts: failed.slice(0, RUN_SUMMARY_ITEMS).map((a) => ({ accountId: a.accountId, accountName: a.name, code: a.error!.code, message: cut(a.error!.message) })),
    failedAccountsTotal: failed.length,
    needsYou: attention.slice(0, RUN_SUMMARY_ITEMS).map(item),
    needsYouTotal: attention.length,
    ...(h ? { history: h.error ? { error: h.error } : { ...(h.previousRunId ? { previousRunId: h.previousRunId } : {}), new: h.new, still: h.still, resolved: h.resolved.length, notChecked: h.notChecked } } : {}),
    ...(ctx.stored
      ? { report: { bucket: ctx.stored.bucket, region: ctx.stored.region, json: ctx.stored.keys.json, html: ctx.stored.keys.html, markdown: ctx.stored.keys.markdown, htmlUrl: ctx.stored.htmlUrl, historyUrl: ctx.stored.historyUrl } }
      : {}),
    ...(ctx.s3Failure ? { reportError: ctx.s3Failure } : {}),
  };
}
