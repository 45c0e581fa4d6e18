import { setTimeout as sleep } from "node:timers/promises";

/**
 * Time as the core sees it. Every wait and timestamp goes through one, so tests and the
 * benchmark run on virtual time and production on the real one.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
};
