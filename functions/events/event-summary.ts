import type { ErrorInfo } from "../core/types.js";
import { cloudTrailUrl, resourceUrl, stackDriftUrl } from "../report/index.js";
import type { ChatbotNotification } from "../report/index.js";
import type { EventLinks } from "./summary.js";
import type { EventActionReport } from "./types.js";

/**
 * An event-driven repair as compact JSON for machine subscribers of the SNS topic (sqs, lambda,
 * http, https without the chat card, email-json): the run summary's counterpart
 * (report/run-summary.ts), sent the same way (report/sns-message.ts, protocolMessages). Versioned
 * on its own (semver, as the run summary); its JSON Schema is event-summary.schema.json. A
 * consumer that needs more reads the event report from `report.bucket` / `report.key`.
 */
export const EVENT_SUMMARY_SCHEMA = "driftguard.event-summary";
export const EVENT_SUMMARY_VERSION = "1.0.0";
/** Reasons are cut here, as in the run summary. */
export const EVENT_SUMMARY_TEXT_MAX = 300;
export const EVENT_SUMMARY_ITEMS = 20;

const cut = (s: string) => (s.length <= EVENT_SUMMARY_TEXT_MAX ? s : `${s.slice(0, EVENT_SUMMARY_TEXT_MAX - 1)}…`);

export interface EventSummaryResult {
  resourceType: string;
  physicalId: string;
  region: string;
  stackName?: string;
  stackId?: string;
  logicalResourceId?: string;
  outcome: string;
  reason: string;
  finding: boolean;
  /** The resource's console page, else the stack's drift view. */
  url?: string;
}

export interface EventSummary {
  schema: typeof EVENT_SUMMARY_SCHEMA;
  schemaVersion: typeof EVENT_SUMMARY_VERSION;
  eventId: string;
  changeId: string;
  accountId: string;
  accountName: string;
  region: string;
  eventName: string;
  eventTime: string;
  finishedAt: string;
  latencyMs: number;
  subject: string;
  actor: { arn?: string; type?: string; sourceIp?: string; cloudTrailUrl?: string };
  results: EventSummaryResult[];
  resultsTotal: number;
  /** Where the event report is; absent when S3 refused it (`reportError` says why). */
  report?: { bucket: string; key: string; url?: string };
  reportError?: ErrorInfo;
}

export interface EventSummaryContext {
  subject: string;
  record: { ok: true; bucket: string; key: string; url?: string } | { ok: false; error: ErrorInfo };
}

export function eventSummary(report: EventActionReport, ctx: EventSummaryContext): EventSummary {
  const a = report.actor;
  const first = report.results[0];
  const trail = first ? cloudTrailUrl({ ...a, eventId: report.changeId }, first.resource.resourceType, report.region) : undefined;
  return {
    schema: EVENT_SUMMARY_SCHEMA,
    schemaVersion: EVENT_SUMMARY_VERSION,
    eventId: report.eventId,
    changeId: report.changeId,
    accountId: report.account,
    accountName: report.accountName,
    region: report.region,
    eventName: report.eventName,
    eventTime: report.eventTime,
    finishedAt: report.finishedAt,
    latencyMs: report.latencyMs,
    subject: ctx.subject,
    actor: { ...(a.arn ? { arn: a.arn } : {}), ...(a.type ? { type: a.type } : {}), ...(a.sourceIp ? { sourceIp: a.sourceIp } : {}), ...(trail ? { cloudTrailUrl: trail } : {}) },
    results: report.results.slice(0, EVENT_SUMMARY_ITEMS).map((r) => {
      const url = resourceUrl(r.resource.resourceType, r.resource.physicalId, r.region, r.stack?.stackId) ?? (r.stack ? stackDriftUrl(r.region, r.stack.stackId) : undefined);
      return {
        resourceType: r.resource.resourceType,
        physicalId: r.resource.physicalId,
        region: r.region,
        ...(r.stack ? { stackName: r.stack.stackName, stackId: r.stack.stackId } : {}),
        ...(r.logicalId ? { logicalResourceId: r.logicalId } : {}),
        outcome: r.action.outcome,
        reason: cut(r.action.reason),
        finding: r.finding,
        ...(url ? { url } : {}),
      };
    }),
    resultsTotal: report.results.length,
    ...(ctx.record.ok
      ? { report: { bucket: ctx.record.bucket, key: ctx.record.key, ...(ctx.record.url ? { url: ctx.record.url } : {}) } }
      : { reportError: ctx.record.error }),
  };
}

/** The Amazon Q Developer custom notification for an event (the run's is report/chatbot.ts). */
export function eventChatbotNotification(report: EventActionReport, subject: string, links: EventLinks): ChatbotNotification {
  const lines = report.results.slice(0, 10).map((r) => `• ${r.resource.resourceType} \`${r.resource.physicalId}\`: *${r.action.outcome}*: ${cut(r.action.reason)}`);
  return {
    version: "1.0",
    source: "custom",
    id: report.changeId,
    content: {
      textType: "client-markdown",
      title: subject,
      description: [`${report.eventName} by ${report.actor.arn ?? "unknown"} in ${report.accountName} (${report.account}) ${report.region}`, ...lines].join("\n").slice(0, 3_500),
      nextSteps: [links.url ? `Report: ${links.url}` : `Report: ${links.where}`],
    },
    metadata: { summary: subject, eventType: report.eventName, relatedResources: report.results.map((r) => r.resource.arn ?? r.resource.physicalId) },
  };
}
