import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { reportKeys, type ReportKeys } from "../aws/bucket-layout.js";
import type { ErrorInfo, RunReport } from "../core/types.js";
import type { Logger } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { summaryMessage, summarySubject } from "./summary.js";

export interface PublishTarget {
  bucket: string;
  topicArn: string;
}

export interface PublishPorts {
  s3: S3Client;
  sns: SNSClient;
  logger: Logger;
}

export type Outcome<T = object> = ({ ok: true } & T) | { ok: false; error: ErrorInfo };

export interface PublishOutcome {
  keys: ReportKeys;
  s3: Outcome;
  sns: Outcome<{ messageId?: string; subject: string; bytes: number }>;
}

/**
 * S3 first, then SNS: the notification links to the stored report, and when storing failed it
 * says so and carries the summary instead. Never throws: a publishing failure is logged and
 * returned, it must not turn a finished scan into a Lambda error (and a retried scan).
 */
export async function publishReport(ports: PublishPorts, report: RunReport, target: PublishTarget): Promise<PublishOutcome> {
  const keys = reportKeys(report);
  const json = JSON.stringify(report, null, 2);
  const objects: [string, string, string][] = [
    [keys.json, json, "application/json"],
    [keys.html, renderHtml(report), "text/html; charset=utf-8"],
    [keys.markdown, renderMarkdown(report, { fullReport: `s3://${target.bucket}/${keys.html}` }), "text/markdown; charset=utf-8"],
  ];
  let s3: Outcome;
  try {
    await Promise.all(
      objects.map(([Key, Body, ContentType]) => ports.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key, Body, ContentType }))),
    );
    // latest.json only moves once the dated report it mirrors is in place.
    await ports.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: keys.latest, Body: json, ContentType: "application/json" }));
    s3 = { ok: true };
  } catch (err) {
    s3 = { ok: false, error: toErrorInfo(err) };
    ports.logger.error("report could not be written to S3", { bucket: target.bucket, key: keys.json, error: s3.error });
  }

  const subject = summarySubject(report);
  const message = summaryMessage(report, s3.ok ? { reportLocation: `s3://${target.bucket}/${keys.html}` } : { s3Failure: s3.error });
  let sns: PublishOutcome["sns"];
  try {
    const out = await ports.sns.send(new PublishCommand({ TopicArn: target.topicArn, Subject: subject, Message: message }));
    sns = { ok: true, messageId: out.MessageId, subject, bytes: Buffer.byteLength(message, "utf8") };
  } catch (err) {
    sns = { ok: false, error: toErrorInfo(err) };
    ports.logger.error("summary could not be published to SNS", { topicArn: target.topicArn, error: sns.error });
  }
  return { keys, s3, sns };
}
