import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { eventReportKey } from "../aws/bucket-layout.js";
import { isErrorCode } from "../core/errors.js";
import { eventMessage, eventSubject, hasFindings } from "./summary.js";
import type { EventActionReport } from "./types.js";

export interface EventReportSink {
  s3: S3Client;
  bucket: string;
  sns: SNSClient;
  topicArn: string;
}

/**
 * Stores the report at its deterministic key and notifies SNS when something was out of line.
 * A report without findings must not replace an earlier delivery's record of the repair, so it
 * is only written when the key is still free.
 */
export async function publishEventReport(report: EventActionReport, sink: EventReportSink): Promise<void> {
  const key = eventReportKey(report);
  const findings = hasFindings(report);
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
    if (!alreadyRecorded) throw error;
  }
  if (!findings) return;
  await sink.sns.send(
    new PublishCommand({ TopicArn: sink.topicArn, Subject: eventSubject(report), Message: eventMessage(report, `s3://${sink.bucket}/${key}`) }),
  );
}
