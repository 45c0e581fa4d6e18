import type { RateLimiter as SdkRateLimiter } from "@smithy/core/retry";
import type { Clock } from "../core/clock.js";

/** Waits until the caller may send its request; resolves at once while under the rate. */
export type RateLimiter = () => Promise<void>;

/**
 * A token bucket that reserves: each caller takes its token at once (the balance may go
 * negative) and sleeps until the balance it left behind has refilled. Callers are therefore
 * served in the order they asked, each with one timer, instead of all waking at every refill
 * and racing for the next token (what the SDK's DefaultRateLimiter does, which at hundreds of
 * waiters per account-region is a timer storm on the hub's event loop).
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private perSecond: number,
    private capacity: number,
    private readonly clock: Clock,
  ) {
    this.tokens = capacity;
    this.at = clock.now();
  }

  get rate(): number {
    return this.perSecond;
  }

  /** How long a request asking now would wait: the queue in front of it, in ms. */
  backlogMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.perSecond) * 1000;
  }

  async take(): Promise<void> {
    this.refill();
    this.tokens -= 1;
    // Whole milliseconds, rounded up past float noise (1 − 0.998 is not exactly 0.002).
    if (this.tokens < 0) await this.clock.sleep(Math.ceil((-this.tokens / this.perSecond) * 1000 - 1e-6));
  }

  /** A new rate and burst from now on; reservations already made keep their slots. */
  setRate(perSecond: number, capacity: number): void {
    this.refill();
    this.perSecond = perSecond;
    this.capacity = capacity;
    this.tokens = Math.min(this.tokens, capacity);
  }

  /** The server said its bucket is empty: no burst is left on this side either. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }
}

/**
 * Spaces calls at least 1/perSecond apart, in the order they asked (a bucket of one token). For
 * APIs whose quota is known and small (CloudTrail LookupEvents: 2 per second per account-region),
 * so parallel callers queue instead of collecting Throttling errors.
 */
export function createRateLimiter(perSecond: number, clock: Clock): RateLimiter {
  const bucket = new TokenBucket(perSecond, 1, clock);
  return () => bucket.take();
}

export interface AdaptiveRateOptions {
  /** Requests per second to start from, and the most it recovers to (the account-region's quota as configured). */
  perSecond: number;
  /** Never slower than this, however often it is throttled. */
  minPerSecond?: number;
  /**
   * Requests of the account-region in flight at once (default: no limit). A request takes its
   * token only once it has a slot, i.e. right before it is sent: a request that took its token and
   * then queued for a socket would reach CloudFormation late and bunched with the next ones,
   * and bunched requests are what a server-side bucket throttles.
   */
  maxInFlight?: number;
}

/**
 * - 0.7: the SDK's own multiplicative decrease on a throttle (DefaultRateLimiter `beta`, CUBIC).
 * - 1 s between decreases: the requests already in flight when the server's bucket ran dry come
 *   back throttled together; they are one signal, not one halving each.
 * - +0.5 requests/s per second at the full rate: back from 0.7 × 10 to 10 in about 6 s, i.e. one
 *   account-region's scan, so a transient throttle costs little; it stops at the configured rate
 *   instead of probing beyond it, since every probe above the real quota is a throttled request
 *   (the target is ≤ 0.1 per stack), and the quota is an account setting the operator knows.
 * - 0.5/s floor: the SDK's minFillRate.
 */
export const ADAPTIVE = { decrease: 0.7, decreaseEveryMs: 1_000, increasePerSecond: 0.5, minPerSecond: 0.5 } as const;

/**
 * One account-region's CloudFormation budget: a token bucket shared by every CloudFormation
 * client of the account-region (the scan's, the ownership lookup's), starting at the configured
 * rate with a burst of one second, cut on each throttling answer and recovering on successes.
 * It replaces the rate limiter inside the SDK's adaptive retry strategy (same interface), so
 * there is one mechanism: the SDK asks it for a token before every attempt and tells it how
 * every attempt went.
 */
export class AdaptiveRateLimiter implements SdkRateLimiter {
  readonly bucket: TokenBucket;
  private readonly max: number;
  private readonly min: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Throttling answers seen: what the report and the bench count. */
  throttles = 0;

  constructor(
    options: AdaptiveRateOptions,
    private readonly clock: Clock,
  ) {
    this.max = options.perSecond;
    this.min = Math.min(options.perSecond, options.minPerSecond ?? ADAPTIVE.minPerSecond);
    this.bucket = new TokenBucket(options.perSecond, Math.max(1, options.perSecond), clock);
    this.maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  }

  get rate(): number {
    return this.bucket.rate;
  }

  /** Before every attempt (the SDK's adaptive strategy): a slot, then a token. */
  async getSendToken(): Promise<void> {
    if (this.inFlight < this.maxInFlight) this.inFlight++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    await this.bucket.take();
  }

  /** Requests of the account-region waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * After every attempt, successful or not (the SDK's adaptive strategy: recordSuccess and
   * refreshRetryTokenForRetry both call it), which frees the attempt's slot; the SDK passes a
   * RetryErrorInfo after a failed attempt and `{}` after a successful one.
   */
  updateClientSendingRate(info: unknown): void {
    // The slot passes straight to the next waiter, so the count only drops when nobody waits.
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight = Math.max(0, this.inFlight - 1);
    if ((info as { errorType?: string } | undefined)?.errorType === "THROTTLING") this.throttled();
    else if ((info as { errorType?: string } | undefined)?.errorType === undefined) this.succeeded();
  }

  private throttled(): void {
    this.throttles++;
    this.bucket.drain();
    const now = this.clock.now();
    if (now - this.lastDecrease < ADAPTIVE.decreaseEveryMs) return;
    this.lastDecrease = now;
    this.setRate(this.rate * ADAPTIVE.decrease);
  }

  private succeeded(): void {
    if (this.rate >= this.max) return;
    this.setRate(this.rate + ADAPTIVE.increasePerSecond / this.rate);
  }

  private setRate(perSecond: number): void {
    const rate = Math.min(this.max, Math.max(this.min, perSecond));
    this.bucket.setRate(rate, Math.max(1, rate));
  }
}

/** One CloudFormation budget per account-region for the life of a run (or an event container). */
export class AccountRegionBudgets {
  private readonly budgets = new Map<string, AdaptiveRateLimiter>();

  constructor(
    private readonly options: AdaptiveRateOptions,
    private readonly clock: Clock,
  ) {}

  for(accountId: string, region: string): AdaptiveRateLimiter {
    const key = `${accountId}/${region}`;
    let budget = this.budgets.get(key);
    if (!budget) this.budgets.set(key, (budget = new AdaptiveRateLimiter(this.options, this.clock)));
    return budget;
  }

  /** Throttling answers across all account-regions so far. */
  get throttles(): number {
    let n = 0;
    for (const b of this.budgets.values()) n += b.throttles;
    return n;
  }
}
