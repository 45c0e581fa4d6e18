import type { Clock } from "../core/clock.js";

/** Waits until the caller may send its request; resolves at once while under the rate. */
export type RateLimiter = () => Promise<void>;

/**
 * Spaces calls at least 1/perSecond apart, in the order they asked. For APIs whose quota is
 * far below what the SDK's adaptive retry discovers gracefully (CloudTrail LookupEvents: 2 per
 * second per account-region), so parallel callers queue instead of collecting Throttling errors.
 */
export function createRateLimiter(perSecond: number, clock: Clock): RateLimiter {
  const intervalMs = 1000 / perSecond;
  let nextSlot = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = clock.now();
    // Taking the slot before awaiting keeps concurrent callers from sharing it.
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + intervalMs;
    if (slot > now) await clock.sleep(slot - now);
  };
}
