import {
  DescribeStackDriftDetectionStatusCommand,
  DetectStackDriftCommand,
  type CloudFormationClient,
  type DescribeStackDriftDetectionStatusCommandOutput,
} from "@aws-sdk/client-cloudformation";
import { listResourceDrifts } from "../aws/cfn-drift.js";
import type { Deadline } from "../core/deadline.js";
import { DriftguardError, isErrorCode } from "../core/errors.js";
import type { ResourceDrift, StackDriftStatus } from "../core/types.js";
import type { DetectionTimeEstimator } from "./poll-schedule.js";

/** No stack's detection is awaited longer than this, even without a Lambda deadline (local runs). */
export const MAX_DETECTION_WAIT_MS = 15 * 60_000;

/** How fast one account-region's stacks may send CloudFormation requests (capacity.ts RegionPace). */
export interface RequestPace {
  /** How long a request asking now would wait for the account-region's token bucket, ms. */
  backlogMs(): number;
  /** The pace slot: the time the bucket needs to give every stack in flight one request, ms. */
  slotMs(): number;
}

/** No budget to share (tests of one detection, the CLI's single stacks). */
export const UNPACED: RequestPace = { backlogMs: () => 0, slotMs: () => 0 };

export interface DetectOptions {
  /**
   * How long this account-region's detections take: one per account-region (RegionScope), shared
   * by its stacks, since they are what the estimate describes.
   */
  estimator: DetectionTimeEstimator;
  /** The account-region's pace: status reads after the first are at least one slot apart. */
  pace?: RequestPace;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  deadline: Deadline;
  maxWaitMs?: number;
  /** Told when CloudFormation was already detecting drift on the stack and this run waits for it. */
  onWaitingForRunningDetection?: () => void;
  /** The clock the detection is timed with (DetectionOutcome.durationMs); absent: not timed. */
  now?: () => number;
}

export interface DetectionOutcome {
  detectionId: string;
  detectionStatus: "DETECTION_COMPLETE" | "DETECTION_FAILED";
  driftStatus: StackDriftStatus;
  /** CloudFormation's DetectionStatusReason, kept for DETECTION_FAILED. */
  reason?: string;
  /** MODIFIED and DELETED resources; partial when detection failed part-way. */
  drifts: ResourceDrift[];
  /**
   * DetectStackDrift answered → the status read that found the detection finished, ms (an upper
   * bound: the read's overshoot included); absent when not timed (no `now`).
   */
  durationMs?: number;
}

/** Thrown when a wait runs into the run's deadline; the stack is then listed as not scanned. */
export class DeadlineReachedError extends DriftguardError {
  constructor(message: string) {
    super("DeadlineReached", message);
  }
}

/** Thrown when a detection outlasts MAX_DETECTION_WAIT_MS; the stack is then listed as failed. */
export class DetectionTimeoutError extends DriftguardError {
  constructor(message: string) {
    super("DetectionTimeout", message);
  }
}

class Waiter {
  private waitedMs = 0;
  constructor(
    private readonly options: DetectOptions,
    private readonly what: string,
    private readonly delays: Iterator<number, never>,
  ) {}

  /** Sleeps the next planned delay, or `atLeastMs` when longer; returns the planned delay. */
  async next(atLeastMs = 0): Promise<number> {
    const waited = `${Math.round(this.waitedMs / 1000)} s`;
    if (this.options.deadline.expired()) throw new DeadlineReachedError(`stopped waiting for ${this.what} after ${waited}: the run's deadline is near`);
    if (this.waitedMs >= (this.options.maxWaitMs ?? MAX_DETECTION_WAIT_MS)) throw new DetectionTimeoutError(`gave up waiting for ${this.what} after ${waited}`);
    const planned = this.delays.next().value;
    const delay = Math.max(planned, Math.round(atLeastMs));
    this.waitedMs += delay;
    await this.options.sleep(delay);
    return planned;
  }
}

/** CloudFormation answers DetectStackDrift with this ValidationError while a detection runs. */
function isDetectionInProgress(err: unknown): boolean {
  return isErrorCode(err, "ValidationError") && /drift detection is already in progress/i.test((err as Error).message);
}

/**
 * Real CloudFormation returns no id for the running detection and has no API to list
 * detections, so the running one cannot be joined: the run waits (on the account-region's poll
 * schedule, without learning from it, since when that detection started is unknown) until
 * CloudFormation accepts a new request, which is only once the running detection has finished.
 * The stack never has two detections at once and its result is no older than this run.
 */
async function startDetection(cfn: CloudFormationClient, stackId: string, options: DetectOptions): Promise<string> {
  const waiter = new Waiter(options, `the drift detection already running on ${stackId}`, options.estimator.delays(options.random));
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
  const { estimator } = options;
  const pace = options.pace ?? UNPACED;
  const waiter = new Waiter(options, `drift detection ${detectionId}`, estimator.delays(options.random));
  for (let read = 1; ; read++) {
    // The first read at the estimate, as planned; later ones never closer than one pace slot:
    // a read that finds the detection still running spends a request of the account-region's
    // budget that another stack's detection could have used.
    const planned = await waiter.next(read === 1 ? 0 : pace.slotMs());
    // A read queued behind the bucket is sent later than the estimate said, so a hit says
    // little about the estimate (the detection may have finished long before): the estimator
    // learns from misses always, from hits only when the read was on time.
    const queuedMs = pace.backlogMs();
    const status = await cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId }));
    const finished = status.DetectionStatus !== "DETECTION_IN_PROGRESS";
    if (read === 1) estimator.firstRead(finished, queuedMs <= planned * estimator.tolerance);
    if (finished) return status;
  }
}

/** DetectStackDrift → status reads on the account-region's adaptive schedule → MODIFIED/DELETED resources with their documents parsed. */
export async function detectStackDrift(cfn: CloudFormationClient, stackId: string, options: DetectOptions): Promise<DetectionOutcome> {
  const detectionId = await startDetection(cfn, stackId, options);
  // Timed from DetectStackDrift's answer: after waiting for a detection already running, this
  // run's own detection starts there too.
  const startedAt = options.now?.();
  const status = await awaitDetection(cfn, detectionId, options);
  const durationMs = startedAt === undefined ? undefined : options.now!() - startedAt;
  const failed = status.DetectionStatus === "DETECTION_FAILED";
  // A complete, in-sync detection has nothing to list; a failed one may still have found drift.
  const drifts = failed || status.StackDriftStatus !== "IN_SYNC" ? await listResourceDrifts(cfn, stackId) : [];
  return {
    detectionId,
    detectionStatus: failed ? "DETECTION_FAILED" : "DETECTION_COMPLETE",
    driftStatus: stackDriftStatus(status.StackDriftStatus, drifts),
    ...(status.DetectionStatusReason ? { reason: status.DetectionStatusReason } : {}),
    drifts,
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}

function stackDriftStatus(reported: string | undefined, drifts: ResourceDrift[]): StackDriftStatus {
  if (drifts.length > 0) return "DRIFTED";
  if (reported === "DRIFTED" || reported === "IN_SYNC" || reported === "NOT_CHECKED") return reported;
  return "UNKNOWN";
}
