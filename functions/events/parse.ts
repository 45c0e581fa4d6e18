import { z } from "zod";
import { cloudTrailDetailSchema, type CloudTrailDetail } from "../aws/cloudtrail-record.js";
import { CLOUDTRAIL_DETAIL_TYPE } from "../config/events.js";

/**
 * Turns an EventBridge "AWS API Call via CloudTrail" event into a ParsedChange, or says why it
 * cannot be one. Pure: no config, no AWS. The record itself is validated by
 * aws/cloudtrail-record.ts, so nothing downstream trusts a raw event.
 */

// The handler routes on the same detail-type.
export { CLOUDTRAIL_DETAIL_TYPE };

const envelopeSchema = z.looseObject({
  id: z.string().min(1),
  "detail-type": z.string(),
  source: z.string(),
  account: z.string().regex(/^\d{12}$/),
  time: z.string(),
  region: z.string().min(1),
  detail: z.unknown(),
});

export interface ParsedChange {
  /** EventBridge event id. */
  eventId: string;
  /**
   * CloudTrail's id of the API call. Stable however many times and through however many buses
   * the call is delivered, so it is the key for de-duplication and for the report's S3 key.
   */
  changeId: string;
  /** The account whose API was called (the spoke), as EventBridge saw it. */
  account: string;
  detail: CloudTrailDetail;
}

export type DropReason =
  | "malformed"
  | "not-cloudtrail"
  | "failed-call"
  | "own-role"
  | "cloudformation"
  | "events-disabled"
  | "account-not-onboarded"
  | "account-not-active"
  | "organization-unavailable"
  | "account-mismatch"
  | "event-not-configured"
  | "unsupported-event"
  | "region-not-onboarded"
  | "no-resource"
  | "duplicate"
  | "error";

export interface Rejection {
  rejected: true;
  reason: DropReason;
  /** For the log: what exactly was wrong. */
  detail: string;
}

export function reject(reason: DropReason, detail: string): Rejection {
  return { rejected: true, reason, detail };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === "object" && value !== null && (value as Rejection).rejected === true;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

export function parseChangeEvent(raw: unknown): ParsedChange | Rejection {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) return reject("malformed", `envelope: ${describeIssues(envelope.error)}`);
  const e = envelope.data;
  if (e["detail-type"] !== CLOUDTRAIL_DETAIL_TYPE) {
    return reject("not-cloudtrail", `detail-type is "${e["detail-type"]}"`);
  }
  const detail = cloudTrailDetailSchema.safeParse(e.detail);
  if (!detail.success) return reject("malformed", `detail: ${describeIssues(detail.error)}`);
  // A call that failed changed nothing.
  if (detail.data.errorCode !== undefined) {
    return reject("failed-call", `${detail.data.eventName} failed with ${detail.data.errorCode}`);
  }
  return { eventId: e.id, changeId: detail.data.eventID ?? e.id, account: e.account, detail: detail.data };
}
