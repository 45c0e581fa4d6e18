/**
 * Waiting: verification retries (IAM and EC2 changes take a few seconds to be visible to
 * CloudFormation's drift check) and change-set / stack-update polling. Tests replace `sleep`.
 */
export interface EngineTiming {
  sleep(ms: number): Promise<void>;
  /** Pauses before each extra verification attempt while the resource still reads as drifted. */
  verifyRetryDelaysMs: readonly number[];
  /** First poll interval; doubles up to `maxPollMs`. */
  pollMs: number;
  maxPollMs: number;
  changeSetTimeoutMs: number;
  stackUpdateTimeoutMs: number;
}

export const DEFAULT_TIMING: EngineTiming = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  verifyRetryDelaysMs: [3_000, 7_000],
  pollMs: 2_000,
  maxPollMs: 15_000,
  changeSetTimeoutMs: 5 * 60_000,
  stackUpdateTimeoutMs: 10 * 60_000,
};

export function withDefaults(timing: Partial<EngineTiming> | undefined): EngineTiming {
  return { ...DEFAULT_TIMING, ...timing };
}

/**
 * Reads until `done` holds or `timeoutMs` of waiting has passed. Time is counted as the sum of
 * the pauses, so a replaced `sleep` makes the timeout deterministic.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timing: EngineTiming,
  timeoutMs: number,
): Promise<{ value: T; timedOut: boolean }> {
  let waited = 0;
  let pause = timing.pollMs;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, timedOut: false };
    if (waited >= timeoutMs) return { value, timedOut: true };
    await timing.sleep(pause);
    waited += pause;
    pause = Math.min(pause * 2, timing.maxPollMs);
  }
}
