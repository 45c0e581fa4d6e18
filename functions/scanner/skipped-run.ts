import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { toErrorInfo } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { ErrorInfo } from "../core/types.js";
import type { LeaseRecord } from "./run-lease.js";

/**
 * A run that found the run lease held by another run (scanner/run-lease.ts) does nothing, and
 * that is not a failure of its invocation: a Lambda retry or a Step Functions retry would only
 * start a third run. But a skipped scheduled scan is a scan nobody got, so it must not be silent
 * either: a warning log, the RunSkipped metric (core/metrics.ts) and one SNS message naming the
 * run that holds the lease. The same answer for a single invocation and a fan-out Plan step,
 * whose state machine ends the execution in its "Skipped" Succeed state on it.
 */
export interface SkippedRun {
  /** The run that did not start. */
  runId: string;
  /** "another run in progress (run …, since …, lease until …)". */
  skipped: string;
  holder: Pick<LeaseRecord, "runId" | "trigger" | "acquiredAt" | "expiresAt">;
}

/** SNS subjects are at most 100 printable ASCII characters (SNS Publish API reference, Subject). */
const SUBJECT_LIMIT = 100;

export function skippedRunNotice(skip: SkippedRun): { subject: string; message: string } {
  const subject = `driftguard: scan SKIPPED, run ${skip.holder.runId} still in progress`.slice(0, SUBJECT_LIMIT);
  const message = [
    `driftguard run ${skip.runId} did not start: ${skip.skipped}.`,
    "Nothing was scanned or repaired by this run; the run holding the lease sends its own report.",
    `If run ${skip.holder.runId} is not running any more, its lease expires at ${skip.holder.expiresAt} and the next scheduled run proceeds.`,
    "Skips on every schedule mean runs last longer than the schedule period: lengthen hub.schedule or use hub.execution: fanout.",
  ].join("\n");
  return { subject, message };
}

/** Logs and notifies a skipped run; a failed notification is logged, never thrown (the log line stays). */
export async function announceSkippedRun(ports: { sns: SNSClient; logger: Logger }, topicArn: string, skip: SkippedRun): Promise<{ notified: true } | { notified: false; error: ErrorInfo }> {
  ports.logger.warn("run skipped: another run holds the run lease", { runId: skip.runId, reason: skip.skipped, holder: skip.holder });
  const { subject, message } = skippedRunNotice(skip);
  try {
    await ports.sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    return { notified: true };
  } catch (err) {
    const error = toErrorInfo(err);
    ports.logger.error("skipped run not notified", { runId: skip.runId, error });
    return { notified: false, error };
  }
}
