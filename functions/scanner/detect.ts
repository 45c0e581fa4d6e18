import {
  DescribeStackDriftDetectionStatusCommand,
  DetectStackDriftCommand,
  paginateDescribeStackResourceDrifts,
  type CloudFormationClient,
  type DescribeStackDriftDetectionStatusCommandOutput,
} from "@aws-sdk/client-cloudformation";
import type { ResourceDrift, StackDriftStatus } from "../core/types.js";
import type { Deadline } from "../runtime/deadline.js";
import { isErrorCode } from "./errors.js";
import { toResourceDrift } from "./resource-drift.js";

export interface Backoff {
  firstMs: number;
  maxMs: number;
}

/** Drift detection takes seconds to minutes: start polling fast, then back off to spare the API quota. */
export const POLL_BACKOFF: Backoff = { firstMs: 1_000, maxMs: 15_000 };

/** No stack's detection is awaited longer than this, even without a Lambda deadline (local runs). */
export const MAX_DETECTION_WAIT_MS = 15 * 60_000;

/**
 * Exponential backoff with "equal jitter": half of each wait is fixed so waits keep growing,
 * half is random so the many stacks polled in parallel do not hit the API in lockstep.
 */
export function backoffDelayMs(attempt: number, random: () => number, backoff: Backoff = POLL_BACKOFF): number {
  const ceiling = Math.min(backoff.maxMs, backoff.firstMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface DetectOptions {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  deadline: Deadline;
  maxWaitMs?: number;
  /** Told when CloudFormation was already detecting drift on the stack and this run waits for it. */
  onWaitingForRunningDetection?: () => void;
}

export interface DetectionOutcome {
  detectionId: string;
  detectionStatus: "DETECTION_COMPLETE" | "DETECTION_FAILED";
  driftStatus: StackDriftStatus;
  /** CloudFormation's DetectionStatusReason, kept for DETECTION_FAILED. */
  reason?: string;
  /** MODIFIED and DELETED resources; partial when detection failed part-way. */
  drifts: ResourceDrift[];
}

/** Thrown when a wait runs into the run's deadline; the stack is then listed as not scanned. */
export class DeadlineReachedError extends Error {
  override readonly name = "DeadlineReached";
}

/** Thrown when a detection outlasts MAX_DETECTION_WAIT_MS; the stack is then listed as failed. */
export class DetectionTimeoutError extends Error {
  override readonly name = "DetectionTimeout";
}

class Waiter {
  private waitedMs = 0;
  private attempt = 0;
  constructor(
    private readonly options: DetectOptions,
    private readonly what: string,
  ) {}

  async next(): Promise<void> {
    const waited = `${Math.round(this.waitedMs / 1000)} s`;
    if (this.options.deadline.expired()) throw new DeadlineReachedError(`stopped waiting for ${this.what} after ${waited}: the run's deadline is near`);
    if (this.waitedMs >= (this.options.maxWaitMs ?? MAX_DETECTION_WAIT_MS)) throw new DetectionTimeoutError(`gave up waiting for ${this.what} after ${waited}`);
    const delay = backoffDelayMs(this.attempt++, this.options.random);
    this.waitedMs += delay;
    await this.options.sleep(delay);
  }
}

/** CloudFormation answers DetectStackDrift with this ValidationError while a detection runs. */
function isDetectionInProgress(err: unknown): boolean {
  return isErrorCode(err, "ValidationError") && /drift detection is already in progress/i.test((err as Error).message);
}

/**
 * Real CloudFormation returns no id for the running detection and has no API to list
 * detections, so the running one cannot be joined: the run waits (with backoff) until
 * CloudFormation accepts a new request, which is only once the running detection has finished.
 * The stack never has two detections at once and its result is no older than this run.
 */
async function startDetection(cfn: CloudFormationClient, stackId: string, options: DetectOptions): Promise<string> {
  const waiter = new Waiter(options, `the drift detection already running on ${stackId}`);
  for (;;) {
    try {
      const out = await cfn.send(new DetectStackDriftCommand({ StackName: stackId }));
      if (!out.StackDriftDetectionId) throw new Error(`DetectStackDrift returned no StackDriftDetectionId for ${stackId}`);
      return out.StackDriftDetectionId;
    } catch (err) {
      if (!isDetectionInProgress(err)) throw err;
      options.onWaitingForRunningDetection?.();
      await waiter.next();
    }
  }
}

async function awaitDetection(
  cfn: CloudFormationClient,
  detectionId: string,
  options: DetectOptions,
): Promise<DescribeStackDriftDetectionStatusCommandOutput> {
  const waiter = new Waiter(options, `drift detection ${detectionId}`);
  for (;;) {
    const status = await cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId }));
    if (status.DetectionStatus !== "DETECTION_IN_PROGRESS") return status;
    await waiter.next();
  }
}

export async function listResourceDrifts(cfn: CloudFormationClient, stackId: string): Promise<ResourceDrift[]> {
  const drifts: ResourceDrift[] = [];
  const pages = paginateDescribeStackResourceDrifts(
    { client: cfn, pageSize: 100 },
    { StackName: stackId, StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"] },
  );
  for await (const page of pages) drifts.push(...(page.StackResourceDrifts ?? []).map(toResourceDrift));
  return drifts;
}

/** DetectStackDrift → poll with backoff → MODIFIED/DELETED resources with their documents parsed. */
export async function detectStackDrift(cfn: CloudFormationClient, stackId: string, options: DetectOptions): Promise<DetectionOutcome> {
  const detectionId = await startDetection(cfn, stackId, options);
  const status = await awaitDetection(cfn, detectionId, options);
  const failed = status.DetectionStatus === "DETECTION_FAILED";
  // A complete, in-sync detection has nothing to list; a failed one may still have found drift.
  const drifts = failed || status.StackDriftStatus !== "IN_SYNC" ? await listResourceDrifts(cfn, stackId) : [];
  return {
    detectionId,
    detectionStatus: failed ? "DETECTION_FAILED" : "DETECTION_COMPLETE",
    driftStatus: stackDriftStatus(status.StackDriftStatus, drifts),
    ...(status.DetectionStatusReason ? { reason: status.DetectionStatusReason } : {}),
    drifts,
  };
}

function stackDriftStatus(reported: string | undefined, drifts: ResourceDrift[]): StackDriftStatus {
  if (drifts.length > 0) return "DRIFTED";
  if (reported === "DRIFTED" || reported === "IN_SYNC" || reported === "NOT_CHECKED") return reported;
  return "UNKNOWN";
}
