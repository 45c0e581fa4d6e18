import pLimit, { type LimitFunction } from "p-limit";
import { AccountRegionBudgets, type AdaptiveRateLimiter } from "../aws/rate-limit.js";
import { createSharedSockets, type SharedSockets } from "../aws/sockets.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import { lambdaLimits, sizeConcurrency, type ConcurrencySizing, type RuntimeLimits } from "./concurrency.js";

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
  close(): void;
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
