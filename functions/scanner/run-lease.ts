import type { S3Client } from "@aws-sdk/client-s3";
import { RUN_LEASE_KEY } from "../aws/bucket-layout.js";
import { updateJson, type Backoff } from "../aws/s3-json.js";
import type { ErrorInfo } from "../core/types.js";
import { toErrorInfo } from "../core/errors.js";

/**
 * One run at a time per hub. Two runs started at the same moment (a Lambda retry, a manual run
 * overlapping the schedule) would each repair up to `maxPerRun` and reset each other's flapping
 * counters, so a run first takes a lease object in the report bucket with S3 conditional
 * writes: `If-None-Match: *` creates it when there is none, `If-Match: <ETag read>` takes over an
 * expired one or renews one's own, and a lost race fails with 412 PreconditionFailed (or 409
 * ConditionalRequestConflict while a competing write is in flight). Source: Amazon S3 User Guide,
 * "How to prevent object overwrites with conditional writes"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html); the sandbox's
 * S3 implements both headers (sandbox/emulator/services/s3/service.ts checkWriteConditions).
 *
 * The lease expires after the Lambda timeout: a run killed at its timeout cannot hold it longer
 * than it could have run. Released, it is kept with an expiry of "now", so the next run takes it
 * with If-Match like any expired lease. A fan-out run's planner takes it; its workers renew it
 * under the same run id and the reducer releases it.
 */

export interface LeaseRecord {
  version: 1;
  runId: string;
  /** `schedule`, `manual`, … as the report records it. */
  trigger: string;
  acquiredAt: string;
  expiresAt: string;
  releasedAt?: string;
}

export type LeaseOutcome =
  /** This run holds the lease until `expiresAt`. */
  | { kind: "held"; record: LeaseRecord }
  /** Another run holds it: this one must not repair. */
  | { kind: "busy"; holder: LeaseRecord; reason: string }
  /** The lease could not be read or written: a guard that cannot be evaluated fails closed. */
  | { kind: "unavailable"; error: ErrorInfo };

export interface LeaseTarget {
  s3: S3Client;
  bucket: string;
  backoff: Backoff;
  now(): number;
}

export const RUN_LEASE_UNAVAILABLE = "RunLeaseUnavailable";
export const RUN_LEASE_BUSY = "RunInProgress";

const location = (bucket: string) => `s3://${bucket}/${RUN_LEASE_KEY}`;

function busyReason(holder: LeaseRecord): string {
  return `another run in progress (run ${holder.runId}, ${holder.trigger}, since ${holder.acquiredAt}, lease until ${holder.expiresAt})`;
}

/** One read-modify-write of the lease object; an S3 failure is the lease being unavailable (fail closed). */
async function updateLease(target: LeaseTarget, mutate: (current: LeaseRecord | undefined, now: number) => { next?: LeaseRecord; result: LeaseOutcome }, failure: string): Promise<LeaseOutcome> {
  try {
    return await updateJson<LeaseRecord, LeaseOutcome>(target.s3, target.bucket, RUN_LEASE_KEY, (current) => mutate(current, target.now()), target.backoff, { readable: true });
  } catch (err) {
    const error = toErrorInfo(err);
    return { kind: "unavailable", error: { code: RUN_LEASE_UNAVAILABLE, message: `run lease ${location(target.bucket)} could not be ${failure} (${error.code}: ${error.message}); only security-critical drift is reverted in this run` } };
  }
}

/** Takes the lease for `runId`, or renews it when `runId` already holds it. Never throws. */
export function acquireRunLease(target: LeaseTarget, run: { runId: string; trigger: string; ttlMs: number }): Promise<LeaseOutcome> {
  return updateLease(
    target,
    (current, now) => {
      const ours = current?.runId === run.runId && current.releasedAt === undefined;
      if (current !== undefined && !ours && Date.parse(current.expiresAt) > now) return { result: { kind: "busy", holder: current, reason: busyReason(current) } };
      const expiresAt = new Date(Math.max(now + run.ttlMs, ours ? Date.parse(current.expiresAt) : 0)).toISOString();
      const record: LeaseRecord = { version: 1, runId: run.runId, trigger: run.trigger, acquiredAt: ours ? current.acquiredAt : new Date(now).toISOString(), expiresAt };
      return { next: record, result: { kind: "held", record } };
    },
    "taken",
  );
}

/**
 * A fan-out worker acts under its run's lease: it renews the lease only while its run holds it.
 * A worker whose run lost the lease (it expired and another run took it) must not repair.
 */
export function joinRunLease(target: LeaseTarget, run: { runId: string; ttlMs: number }): Promise<LeaseOutcome> {
  return updateLease(
    target,
    (current, now) => {
      if (current === undefined || current.runId !== run.runId || current.releasedAt !== undefined) {
        const holder: LeaseRecord = current ?? { version: 1, runId: "(none)", trigger: "(none)", acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now).toISOString() };
        return { result: { kind: "busy", holder, reason: `run ${run.runId} no longer holds the run lease (${current ? `held by run ${current.runId}` : "no lease"}); this worker does not repair` } };
      }
      const record: LeaseRecord = { ...current, expiresAt: new Date(Math.max(now + run.ttlMs, Date.parse(current.expiresAt))).toISOString() };
      return { next: record, result: { kind: "held", record } };
    },
    "renewed",
  );
}

/** Gives the lease up if `runId` still holds it; a failure only delays the next run until expiry. */
export async function releaseRunLease(target: LeaseTarget, runId: string): Promise<ErrorInfo | undefined> {
  try {
    await updateJson<LeaseRecord, void>(
      target.s3,
      target.bucket,
      RUN_LEASE_KEY,
      (current) => {
        if (current?.runId !== runId || current.releasedAt !== undefined) return { result: undefined };
        const now = new Date(target.now()).toISOString();
        return { next: { ...current, expiresAt: now, releasedAt: now }, result: undefined };
      },
      target.backoff,
      { readable: true },
    );
    return undefined;
  } catch (err) {
    return toErrorInfo(err);
  }
}

/** The run-level error a lease outcome stands for, if any. */
export function leaseProblem(outcome: LeaseOutcome): ErrorInfo | undefined {
  if (outcome.kind === "unavailable") return outcome.error;
  if (outcome.kind === "busy") return { code: RUN_LEASE_BUSY, message: outcome.reason };
  return undefined;
}
