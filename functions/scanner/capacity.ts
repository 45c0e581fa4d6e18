import pLimit, { type LimitFunction } from "p-limit";
import { AccountRegionBudgets, type AdaptiveRateLimiter } from "../aws/rate-limit.js";
import { createSharedSockets, type SharedSockets } from "../aws/sockets.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import type { ScanProgress } from "./types.js";
import { heapStacksInFlight, lambdaLimits, sizeConcurrency, type ConcurrencySizing, type RuntimeLimits } from "./concurrency.js";

/**
 * What a run (or a fan-out worker) holds to keep to its concurrency sizing: the sizing, one
 * CloudFormation budget per account-region, the socket pool every spoke client shares, and the
 * slots for account-regions in flight across all accounts.
 */
export interface ScanCapacity {
  sizing: ConcurrencySizing;
  budgets: AccountRegionBudgets;
  sockets: SharedSockets;
  accountRegionSlots: LimitFunction;
  /** Stacks in flight across the run, within the heap budget (concurrency.ts HEAP_BUDGET). */
  stackSlots: StackSlots;
  close(): void;
}

/**
 * The run's stacks in flight, at most what the heap budget allows now: the cap is read at every
 * admission, so it shrinks as finished accounts' report rows are held (`holdReport`) and the
 * stacks already running finish before more start. Admission is in arrival order.
 */
export class StackSlots {
  inFlight = 0;
  /** The most stacks that were in flight at once. */
  peak = 0;
  private heldReportBytes = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly oldSpaceMb: number) {}

  /** Stacks allowed in flight now. */
  get cap(): number {
    return heapStacksInFlight(this.oldSpaceMb, this.heldReportBytes);
  }

  get reportBytes(): number {
    return this.heldReportBytes;
  }

  /** A finished account's rows, `jsonBytes` of compact JSON, stay in the heap until the report is built. */
  holdReport(jsonBytes: number): void {
    this.heldReportBytes += jsonBytes;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.waiting.length === 0 && this.inFlight < this.cap) this.inFlight++;
    // The slot is taken on the waiter's behalf when it is handed over (admit), so none is overtaken.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.admit();
    }
  }

  /** What the heap budget saw, for the run's progress (ScanProgress "heap"). */
  progress(oldSpaceMb: number): Extract<ScanProgress, { kind: "heap" }> {
    return { kind: "heap", peakStacksInFlight: this.peak, stacksInFlightCap: this.cap, heldReportBytes: this.heldReportBytes, oldSpaceMb };
  }

  private admit(): void {
    const cap = this.cap;
    while (this.waiting.length > 0 && this.inFlight < cap) {
      this.inFlight++;
      this.waiting.shift()!();
    }
  }
}

export function openCapacity(config: Config, accounts: readonly EffectiveAccount[], clock: Clock, limits: RuntimeLimits = lambdaLimits(config.hub.lambda.memoryMb)): ScanCapacity {
  const caps = config.defaults.concurrency;
  const shape = {
    accounts: accounts.length,
    maxRegions: Math.max(1, ...accounts.map((a) => a.regions.length)),
    accountRegions: accounts.reduce((n, a) => n + a.regions.length, 0),
  };
  const sizing = sizeConcurrency(caps, limits, shape);
  const sockets = createSharedSockets(sizing.sockets);
  return {
    sizing,
    // Each account-region's share of the sockets, so that no request waits for one after taking its token.
    budgets: new AccountRegionBudgets({ perSecond: sizing.cloudFormationPerSecond, maxInFlight: Math.max(1, Math.floor(sizing.sockets / sizing.accountRegions)) }, clock),
    sockets,
    accountRegionSlots: pLimit(sizing.accountRegions),
    stackSlots: new StackSlots(sizing.heap.oldSpaceMb),
    close: () => sockets.close(),
  };
}

/** The requests pace of one account-region, from its budget and its stacks in flight (detect.ts RequestPace). */
export class RegionPace {
  inFlight = 0;
  constructor(readonly budget: AdaptiveRateLimiter) {}

  backlogMs(): number {
    return this.budget.bucket.backlogMs();
  }

  /** The time the bucket needs to give every stack in flight one request. */
  slotMs(): number {
    return (Math.max(1, this.inFlight) / this.budget.rate) * 1000;
  }
}
