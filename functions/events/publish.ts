import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { eventReportKey } from "../aws/bucket-layout.js";
import { isErrorCode, toErrorInfo } from "../core/errors.js";
import type { ErrorInfo } from "../core/types.js";
import { s3ObjectUrl } from "../report/index.js";
import { protocolMessages } from "../report/index.js";
import { eventChatbotNotification, eventSummary } from "./event-summary.js";
import { eventSubject, eventText, hasFindings } from "./summary.js";
import type { EventActionReport } from "./types.js";

export interface EventReportSink {
  s3: S3Client;
  bucket: string;
  sns: SNSClient;
  topicArn: string;
  /** The bucket's region: the email links the stored report's console page (s3:// is not clickable). */
  region?: string;
  /** hub.notifications.chatbot: https subscribers get the Amazon Q Developer card, as for runs. */
  chatbot?: boolean;
}

/** Where the event's record went. A repair already made is never undone by a failure here. */
export interface EventDelivery {
  record: { ok: true; key: string } | { ok: false; key: string; error: ErrorInfo };
  /** `sent: false`: nothing was out of line, so nobody is notified. */
  notification: { ok: true; sent: boolean } | { ok: false; error: ErrorInfo };
}

/**
 * Stores the report at its deterministic key and notifies SNS when something was out of line:
 * one Publish, a message per protocol (report/sns-message.ts): email the text with https links,
 * machines the versioned event summary (event-summary.ts), https the chat card when configured.
 * A report without findings must not replace an earlier delivery's record of the repair, so it
 * is only written when the key is still free. The two are independent: when S3 refuses the
 * record, SNS still carries it (and says it is the only copy); when SNS fails, the record is
 * kept. Never throws: the caller decides what an undelivered record means.
 */
export async function publishEventReport(report: EventActionReport, sink: EventReportSink): Promise<EventDelivery> {
  const key = eventReportKey(report);
  const findings = hasFindings(report);
  let record: EventDelivery["record"] = { ok: true, key };
  try {
    await sink.s3.send(
      new PutObjectCommand({
        Bucket: sink.bucket,
        Key: key,
        Body: JSON.stringify(report, null, 2),
        ContentType: "application/json",
        IfNoneMatch: findings ? undefined : "*",
      }),
    );
  } catch (error) {
    const alreadyRecorded = !findings && isErrorCode(error, "PreconditionFailed");
    if (!alreadyRecorded) record = { ok: false, key, error: toErrorInfo(error) };
  }
  if (!findings) return { record, notification: { ok: true, sent: false } };
  const where = record.ok
    ? `s3://${sink.bucket}/${key}`
    : `NOT stored: s3://${sink.bucket}/${key} was refused (${record.error.code}: ${record.error.message}); this message and the Lambda log are the only record`;
  const subject = eventSubject(report);
  const url = record.ok && sink.region ? s3ObjectUrl(sink.bucket, sink.region, key) : undefined;
  const machine = JSON.stringify(
    eventSummary(report, { subject, record: record.ok ? { ok: true, bucket: sink.bucket, key, ...(url ? { url } : {}) } : { ok: false, error: record.error } }),
  );
  const links = { where, ...(url ? { url } : {}) };
  const sent = protocolMessages({
    text: eventText(report, links),
    pointer: `The full report is at ${url ?? where}`,
    machine,
    https: sink.chatbot ? JSON.stringify(eventChatbotNotification(report, subject, links)) : machine,
    sms: subject,
  });
  try {
    await sink.sns.send(new PublishCommand({ TopicArn: sink.topicArn, Subject: subject, MessageStructure: sent.messageStructure, Message: sent.message }));
    return { record, notification: { ok: true, sent: true } };
  } catch (error) {
    return { record, notification: { ok: false, error: toErrorInfo(error) } };
  }
}
