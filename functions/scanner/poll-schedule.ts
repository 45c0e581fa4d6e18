/**
 * When to read a drift detection's status. A scan notices a finished detection only at its next
 * DescribeStackDriftDetectionStatus read, and detections take from under a second (small stacks)
 * to minutes (large ones), varying by account-region and stack. So no fixed schedule is right: the
 * stacks of one account-region share an estimate of how long their detections take, learnt from
 * whether each first read found its detection finished, and each detection is read first when the
 * estimate says it is probably done, then at short, growing steps.
 */

export interface PollTuning {
  /** The estimate before anything is known about the account-region. */
  initialMs: number;
  minEstimateMs: number;
  maxEstimateMs: number;
  /** The estimate is multiplied by this when a first read finds the detection finished … */
  hitFactor: number;
  /** … and by this when it finds it still running. */
  missFactor: number;
  /** After a first read that missed: the first step, as a share of the estimate, and its growth per read. */
  stepShare: number;
  stepGrowth: number;
  maxStepMs: number;
  /** Each wait is its planned length times a uniform factor in [1 − jitter, 1 + jitter]. */
  jitter: number;
}

/**
 * - hitFactor 0.93 / missFactor 1.2: the estimate stops moving when p·ln 0.93 + (1 − p)·ln 1.2 = 0,
 *   i.e. at p ≈ 0.715: it settles near the 71.5th percentile of the account-region's detection
 *   times, whatever their scale. Below that, more stacks pay a second read (calls and API quota);
 *   above it, more stacks sit finished but unnoticed (wall time). The up step is the larger one so
 *   that a too-low estimate, which costs reads on every stack, is corrected in few stacks: 1 s →
 *   30 s in ln 30 / ln 1.2 ≈ 19 misses, while coming down needs ≈ 47 hits. In equilibrium the
 *   estimate jitters by one such step around the percentile.
 * - initialMs 1 s: the shortest detection worth planning for when nothing is known; a region of
 *   faster stacks brings it down within a handful of hits.
 * - stepShare 0.3, stepGrowth 1.5: a detection that outlasts a 71.5th-percentile estimate most
 *   likely finishes soon after it, so the next read comes after 30 % of the estimate; growing by half
 *   each read makes a detection far slower than the estimate cost a logarithmic number of reads
 *   (from the floor's 60 ms to the 15 s cap in 14 reads), not a linear one.
 * - maxStepMs 15 s: a detection of several minutes is read four times a minute, as before
 *   adaptive polling; a 15-minute wait (MAX_DETECTION_WAIT_MS) is then at most 86 reads.
 * - minEstimateMs 200 ms: no CloudFormation detection is faster, and the floor keeps a region of
 *   near-instant detections (emulators) from polling in a tight loop: its steps are still 60 ms.
 * - maxEstimateMs 30 s: beyond it the steps are already at the 15 s cap, so a higher estimate would
 *   only make the fast stacks of a mixed region wait for the slow ones' percentile.
 * - jitter ±15 %: stacks of one region that started together do not read in lockstep; symmetric,
 *   so it does not bias the percentile the estimate settles on.
 */
export const POLL_TUNING: PollTuning = {
  initialMs: 1_000,
  minEstimateMs: 200,
  maxEstimateMs: 30_000,
  hitFactor: 0.93,
  missFactor: 1.2,
  stepShare: 0.3,
  stepGrowth: 1.5,
  maxStepMs: 15_000,
  jitter: 0.15,
};

/** Planned waits before each status read: the estimate, then steps growing from a share of it to the cap. */
export function* pollDelays(estimateMs: number, random: () => number, tuning: PollTuning = POLL_TUNING): Generator<number, never> {
  const jittered = (ms: number) => Math.round(ms * (1 - tuning.jitter + 2 * tuning.jitter * random()));
  yield jittered(estimateMs);
  for (let step = estimateMs * tuning.stepShare; ; step *= tuning.stepGrowth) yield jittered(Math.min(tuning.maxStepMs, step));
}

/** One per account-region: how long its drift detections take, as the percentile described at POLL_TUNING. */
export class DetectionTimeEstimator {
  private estimate: number;

  constructor(private readonly tuning: PollTuning = POLL_TUNING) {
    this.estimate = tuning.initialMs;
  }

  get estimateMs(): number {
    return this.estimate;
  }

  /** The waits for one detection, planned from the estimate as it stands when the detection starts. */
  delays(random: () => number): Generator<number, never> {
    return pollDelays(this.estimate, random, this.tuning);
  }

  /** How late a first read may be sent (as a share of its planned wait) and still time the estimate: the jitter's own spread. */
  get tolerance(): number {
    return this.tuning.jitter;
  }

  /**
   * What the first status read of a detection found: finished (complete or failed) or still running.
   * Only first reads teach: they alone were timed by the estimate. `onTime` false: the read was
   * sent late (queued behind the account-region's budget); a miss still proves the detection
   * slower than the estimate, but a hit proves nothing about it.
   */
  firstRead(finished: boolean, onTime = true): void {
    if (finished && !onTime) return;
    const factor = finished ? this.tuning.hitFactor : this.tuning.missFactor;
    this.estimate = Math.min(this.tuning.maxEstimateMs, Math.max(this.tuning.minEstimateMs, this.estimate * factor));
  }
}
