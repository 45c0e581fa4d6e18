/**
 * The run's time budget. A Lambda is killed at its timeout with nothing written, so the scan
 * stops STARTING work while there is still time to finish what is in flight and publish a
 * complete report that lists what was not scanned.
 */
export interface Deadline {
  /** False once the remaining time is inside the safety margin: start no new account/region/stack. */
  canStart(): boolean;
  /** True once half the margin is gone: in-flight waits (drift detection polling) give up. */
  expired(): boolean;
  remainingMs(): number;
}

export const MIN_MARGIN_MS = 30_000;
const MARGIN_SHARE = 0.1;

/** max(30 s, 10 % of the budget): enough for the report, scaled for long timeouts. */
export function safetyMarginMs(budgetMs: number): number {
  return Math.max(MIN_MARGIN_MS, Math.round(budgetMs * MARGIN_SHARE));
}

/**
 * `budgetMs` is what the run may use from `now()` on, e.g. the Lambda context's
 * getRemainingTimeInMillis() at invocation start.
 */
export function createDeadline(budgetMs: number, now: () => number, marginMs = safetyMarginMs(budgetMs)): Deadline {
  const endsAt = now() + budgetMs;
  const remainingMs = () => endsAt - now();
  return {
    remainingMs,
    canStart: () => remainingMs() > marginMs,
    expired: () => remainingMs() <= marginMs / 2,
  };
}

/** For local runs (`npm start`, the benchmark) that have no timeout. */
export const NO_DEADLINE: Deadline = {
  remainingMs: () => Number.POSITIVE_INFINITY,
  canStart: () => true,
  expired: () => false,
};
