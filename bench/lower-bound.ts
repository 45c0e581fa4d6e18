/**
 * The critical-path lower bound of a whole-org scan under the sandbox's latency and throttle model
 * and the config's concurrency limits (derivation in bench/README.md). No scanner that respects
 * the limits can finish sooner, whatever its polling or scheduling:
 *
 *   stack i:          t_i  = d_i + m_i·ℓ
 *   account-region:   T_ar = ℓ + max( max_i t_i,  Σ_i t_i / S,  max(0, C_ar − b) / ρ )
 *   account:          T_a  = ℓ + max( max_r T_ar, Σ_r T_ar / R )
 *   organization:     T    = ℓ + max( max_a T_a,  Σ_a T_a / A )
 *
 * d_i the detection time the sandbox drew for stack i, m_i its minimum CloudFormation calls (each
 * call of a stack depends on the previous one), ℓ the API latency, S/R/A the stacks-per-region,
 * regions-per-account and accounts concurrency, C_ar = 1 + Σ m_i the account-region's minimum
 * calls (ListStacks first), ρ its CloudFormation rate and b its burst.
 */

export interface StackWork {
  /** Drift detection duration, ms. */
  detectionMs: number;
  /** Minimum sequential CloudFormation calls: detect, one status read, then what the result required. */
  minCalls: number;
}

export interface BoundModel {
  apiMs: number;
  rps: number;
  burst: number;
  /** `accountRegions`: in flight across all accounts (the auto plan's slots); absent = no such limit. */
  concurrency: { accounts: number; regionsPerAccount: number; stacksPerRegion: number; accountRegions?: number };
}

export interface LowerBound {
  totalMs: number;
  /** Which term bound the organization: the slowest account, all accounts over the account slots, or all account-regions over theirs. */
  bindingTerm: "slowest-account" | "account-slots" | "account-region-slots";
  slowestAccountRegionMs: number;
  /** How often each term bound an account-region. */
  accountRegionTerms: { slowestStack: number; stackSlots: number; throttle: number };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** How long `calls` requests take through the account-region's token bucket once its burst is spent. */
export function throttleMs(calls: number, model: BoundModel): number {
  return (Math.max(0, calls - model.burst) / model.rps) * 1000;
}

export function accountRegionBound(stacks: StackWork[], model: BoundModel): { ms: number; term: keyof LowerBound["accountRegionTerms"] } {
  const t = stacks.map((s) => s.detectionMs + s.minCalls * model.apiMs);
  const calls = 1 + sum(stacks.map((s) => s.minCalls));
  const terms = {
    slowestStack: Math.max(0, ...t),
    stackSlots: sum(t) / model.concurrency.stacksPerRegion,
    throttle: throttleMs(calls, model),
  };
  const [term, ms] = Object.entries(terms).reduce((a, b) => (b[1] > a[1] ? b : a)) as [keyof typeof terms, number];
  return { ms: model.apiMs + ms, term };
}

/** `accounts[a][r]` = the stacks of region r of account a. */
export function lowerBound(accounts: StackWork[][][], model: BoundModel): LowerBound {
  const terms = { slowestStack: 0, stackSlots: 0, throttle: 0 };
  let slowestAccountRegionMs = 0;
  let allRegionsMs = 0;
  const accountMs = accounts.map((regions) => {
    const regionMs = regions.map((stacks) => {
      const bound = accountRegionBound(stacks, model);
      terms[bound.term]++;
      slowestAccountRegionMs = Math.max(slowestAccountRegionMs, bound.ms);
      return bound.ms;
    });
    allRegionsMs += sum(regionMs);
    return model.apiMs + Math.max(0, ...regionMs, sum(regionMs) / model.concurrency.regionsPerAccount);
  });
  const candidates: [LowerBound["bindingTerm"], number][] = [
    ["slowest-account", Math.max(0, ...accountMs)],
    ["account-slots", sum(accountMs) / model.concurrency.accounts],
    // Account-regions over the run's slots (each also waits for its account's AssumeRole: ℓ).
    ["account-region-slots", model.concurrency.accountRegions ? model.apiMs + allRegionsMs / model.concurrency.accountRegions : 0],
  ];
  const [bindingTerm, ms] = candidates.reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    totalMs: model.apiMs + ms,
    bindingTerm,
    slowestAccountRegionMs,
    accountRegionTerms: terms,
  };
}

/** No concurrency limit at all: every account-region in flight at once, each stack as soon as its calls allow. */
export const UNLIMITED = { accounts: Number.POSITIVE_INFINITY, regionsPerAccount: Number.POSITIVE_INFINITY, stacksPerRegion: Number.POSITIVE_INFINITY } as const;

export interface PhysicalBound {
  totalMs: number;
  bindingTerm: "critical-path" | "cpu";
  /** The organization at unlimited concurrency: the slowest account-region's critical path (plus AssumeRole, ListAccounts). */
  criticalPathMs: number;
  /** Hub and sandbox CPU-seconds over the machine's cores: both processes share them. */
  cpuMs: number;
}

/**
 * What no scanner on this machine can beat, whatever its concurrency: the organization itself
 * allows every account-region in flight (CloudFormation's quotas are per account-region), so the
 * slowest account-region's critical path; and the CPU the scan needed, hub and emulator together,
 * spread perfectly over the cores (`cpuMs`: scan-window.ts accountCpu's cpuBoundMs).
 */
export function physicalBound(accounts: StackWork[][][], model: Omit<BoundModel, "concurrency">, cpuMs: number): PhysicalBound {
  const criticalPathMs = lowerBound(accounts, { ...model, concurrency: UNLIMITED }).totalMs;
  return { totalMs: Math.max(criticalPathMs, cpuMs), bindingTerm: criticalPathMs >= cpuMs ? "critical-path" : "cpu", criticalPathMs, cpuMs };
}
