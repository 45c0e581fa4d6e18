import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { HISTORY_INDEX_KEY, HISTORY_PAGE_KEY, reportKeys, type ReportKeys } from "../aws/bucket-layout.js";
import { getJson, putJson } from "../aws/s3-json.js";
import type { ErrorInfo, RunReport } from "../core/types.js";
import type { Logger } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import { s3ObjectUrl } from "./console-links.js";
import { EMPTY_INDEX, parseHistoryIndex, withHistory, withoutHistory, type HistoryIndex } from "./history.js";
import { renderHistoryPage } from "./history-html.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { summarySubject } from "./summary.js";
import { snsMessage } from "./sns-message.js";
import type { WebhookConfig } from "../config/schema.js";
import { deliverWebhooks, type WebhookOutcome, type WebhookPorts } from "./webhooks.js";

export interface PublishTarget {
  bucket: string;
  topicArn: string;
  /** The bucket's region, for https console links; defaults to the S3 client's region (the hub's). */
  region?: string;
  /**
   * hub.notifications.chatbot: https subscribers (Amazon Q Developer in chat applications
   * subscribes over https) get the custom-notification JSON (report/chatbot.ts) instead of the
   * JSON run summary. Every protocol gets its own message (report/sns-message.ts).
   */
  chatbot?: boolean;
  /** hub.notifications.webhooks: Slack / Teams incoming webhooks (report/webhooks.ts), posted to after the report is stored. */
  webhooks?: readonly WebhookConfig[];
}

export interface PublishPorts {
  s3: S3Client;
  sns: SNSClient;
  logger: Logger;
  /** The hub role's SSM and Secrets Manager clients; without them a configured webhook is reported as not delivered. */
  chat?: WebhookPorts;
}

export type Outcome<T = object> = ({ ok: true } & T) | { ok: false; error: ErrorInfo };

export interface PublishOutcome {
  keys: ReportKeys;
  /** The report as stored: the run's report with its history marks (report/history.ts). */
  report: RunReport;
  s3: Outcome;
  /** reports/index.json and index.html: not written when the index could not be read (history kept as it was). */
  history: Outcome;
  sns: Outcome<{ messageId?: string; subject: string; bytes: number }>;
  /** One per configured webhook. */
  webhooks: WebhookOutcome[];
}

interface ReadIndex {
  index: HistoryIndex;
  etag?: string;
}

/** The stored index, an empty one on the first run, or why it cannot be used. */
async function readIndex(ports: PublishPorts, bucket: string): Promise<ReadIndex | ErrorInfo> {
  try {
    const stored = await getJson<unknown>(ports.s3, bucket, HISTORY_INDEX_KEY);
    if (!stored) return { index: EMPTY_INDEX };
    const parsed = parseHistoryIndex(stored.value, `s3://${bucket}/${HISTORY_INDEX_KEY}`);
    return "code" in parsed ? parsed : { index: parsed, ...(stored.etag ? { etag: stored.etag } : {}) };
  } catch (err) {
    const error = toErrorInfo(err);
    return { code: "HistoryIndexUnreadable", message: `s3://${bucket}/${HISTORY_INDEX_KEY} could not be read (${error.code}: ${error.message}); this report has no new/resolved marks and the index is left as it was` };
  }
}

/** report.json, .html and .md, then latest.json, which only moves once the dated report it mirrors is in place. */
async function storeReport(ports: PublishPorts, bucket: string, keys: ReportKeys, report: RunReport, htmlUrl: string): Promise<void> {
  const json = JSON.stringify(report, null, 2);
  const objects: [string, string, string][] = [
    [keys.json, json, "application/json"],
    [keys.html, renderHtml(report), "text/html; charset=utf-8"],
    [keys.markdown, renderMarkdown(report, { fullReport: htmlUrl }), "text/markdown; charset=utf-8"],
  ];
  await Promise.all(objects.map(([Key, Body, ContentType]) => ports.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType }))));
  await ports.s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.latest, Body: json, ContentType: "application/json" }));
}

/**
 * History first (read reports/index.json, mark the report), then S3, then SNS: the notification
 * links to the stored report, and when storing failed it says so and carries the summary
 * instead. The index is written last, only once the report it points to is stored, and only
 * over the version it was read from (If-Match), so a concurrent writer is never overwritten.
 * Never throws: a publishing failure is logged and returned, it must not turn a finished scan
 * into a Lambda error (and a retried scan).
 */
export async function publishReport(ports: PublishPorts, built: RunReport, target: PublishTarget): Promise<PublishOutcome> {
  const keys = reportKeys(built);
  const read = await readIndex(ports, target.bucket);
  const marked = "code" in read ? { report: withoutHistory(built, read), index: undefined } : withHistory(built, read.index, keys.html);
  if ("code" in read) ports.logger.error("run history not read", { bucket: target.bucket, key: HISTORY_INDEX_KEY, error: read });
  const report = marked.report;
  const region = target.region ?? (await ports.s3.config.region());
  const htmlUrl = s3ObjectUrl(target.bucket, region, keys.html);

  let s3: Outcome;
  try {
    await storeReport(ports, target.bucket, keys, report, htmlUrl);
    s3 = { ok: true };
  } catch (err) {
    s3 = { ok: false, error: toErrorInfo(err) };
    ports.logger.error("report could not be written to S3", { bucket: target.bucket, key: keys.json, error: s3.error });
  }

  let history: Outcome;
  if (!s3.ok) history = { ok: false, error: { code: "ReportNotStored", message: "the index is not moved to a report that was not stored" } };
  else if ("code" in read || !marked.index) history = { ok: false, error: "code" in read ? read : { code: "HistoryIndexUnreadable", message: "no index" } };
  else {
    try {
      const condition = "etag" in read && read.etag ? { ifMatch: read.etag } : { ifNoneMatch: "*" as const };
      await putJson(ports.s3, target.bucket, HISTORY_INDEX_KEY, marked.index, { condition });
      await ports.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: HISTORY_PAGE_KEY, Body: renderHistoryPage(marked.index), ContentType: "text/html; charset=utf-8" }));
      history = { ok: true };
    } catch (err) {
      history = { ok: false, error: toErrorInfo(err) };
      ports.logger.error("run history not written", { bucket: target.bucket, key: HISTORY_INDEX_KEY, error: history.error });
    }
  }

  const subject = summarySubject(report);
  const historyUrl = s3ObjectUrl(target.bucket, region, HISTORY_PAGE_KEY);
  const links = s3.ok ? { report: htmlUrl, history: historyUrl } : {};
  const sent = snsMessage(report, subject, {
    text: s3.ok ? { reportLocation: htmlUrl, historyLocation: historyUrl } : { s3Failure: s3.error },
    summary: s3.ok ? { stored: { bucket: target.bucket, region, keys, htmlUrl, historyUrl } } : { s3Failure: s3.error },
    ...(target.chatbot ? { chatbot: links } : {}),
  });
  let sns: PublishOutcome["sns"];
  try {
    const out = await ports.sns.send(new PublishCommand({ TopicArn: target.topicArn, Subject: subject, MessageStructure: sent.messageStructure, Message: sent.message }));
    sns = { ok: true, messageId: out.MessageId, subject, bytes: sent.bytes };
  } catch (err) {
    sns = { ok: false, error: toErrorInfo(err) };
    ports.logger.error("summary could not be published to SNS", { topicArn: target.topicArn, bytes: sent.bytes, error: sns.error });
  }
  const webhooks = await notifyWebhooks(ports, target.webhooks ?? [], report, links);
  const failed = webhooks.filter((w) => !w.ok);
  if (failed.length === 0 || !s3.ok) return { keys, report, s3, history, sns, webhooks };
  // The report was stored before the posts; stored again with the failures, so the report says so.
  const noted: RunReport = { ...report, notifications: { webhooks: failed } };
  try {
    await storeReport(ports, target.bucket, keys, noted, htmlUrl);
  } catch (err) {
    ports.logger.error("report not stored again with the webhook failures", { bucket: target.bucket, key: keys.json, error: toErrorInfo(err) });
  }
  return { keys, report: noted, s3, history, sns, webhooks };
}

async function notifyWebhooks(ports: PublishPorts, webhooks: readonly WebhookConfig[], report: RunReport, links: { report?: string; history?: string }): Promise<WebhookOutcome[]> {
  if (webhooks.length === 0) return [];
  if (!ports.chat) {
    const error = { code: "WebhookClientsMissing", message: "this run has no SSM / Secrets Manager clients to read webhook URLs with" };
    ports.logger.error("chat webhooks not delivered", { webhooks: webhooks.map((w) => w.name), error });
    return webhooks.map((w) => ({ name: w.name, format: w.format, ok: false, error }));
  }
  return deliverWebhooks(ports.chat, ports.logger, webhooks, report, links);
}
