import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { eventReportKey } from "../aws/bucket-layout.js";
import { isErrorCode, toErrorInfo } from "../core/errors.js";
import type { ErrorInfo } from "../core/types.js";
import { eventMessage, eventSubject, hasFindings } from "./summary.js";
import type { EventActionReport } from "./types.js";

export interface EventReportSink {
  s3: S3Client;
  bucket: string;
  sns: SNSClient;
  topicArn: string;
}

/** Where the event's record went. A repair already made is never undone by a failure here. */
export interface EventDelivery {
  record: { ok: true; key: string } | { ok: false; key: string; error: ErrorInfo };
  /** `sent: false`: nothing was out of line, so nobody is notified. */
  notification: { ok: true; sent: boolean } | { ok: false; error: ErrorInfo };
}

/**
 * Stores the report at its deterministic key and notifies SNS when something was out of line.
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
  try {
    await sink.sns.send(new PublishCommand({ TopicArn: sink.topicArn, Subject: eventSubject(report), Message: eventMessage(report, where) }));
    return { record, notification: { ok: true, sent: true } };
  } catch (error) {
    return { record, notification: { ok: false, error: toErrorInfo(error) } };
  }
}
