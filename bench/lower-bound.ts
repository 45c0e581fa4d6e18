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
  concurrency: { accounts: number; regionsPerAccount: number; stacksPerRegion: number };
}

export interface LowerBound {
  totalMs: number;
  /** Which term bound the organization: the slowest account, or all accounts over the account slots. */
  bindingTerm: "slowest-account" | "account-slots";
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
  const accountMs = accounts.map((regions) => {
    const regionMs = regions.map((stacks) => {
      const bound = accountRegionBound(stacks, model);
      terms[bound.term]++;
      slowestAccountRegionMs = Math.max(slowestAccountRegionMs, bound.ms);
      return bound.ms;
    });
    return model.apiMs + Math.max(0, ...regionMs, sum(regionMs) / model.concurrency.regionsPerAccount);
  });
  const slowest = Math.max(0, ...accountMs);
  const slots = sum(accountMs) / model.concurrency.accounts;
  return {
    totalMs: model.apiMs + Math.max(slowest, slots),
    bindingTerm: slowest >= slots ? "slowest-account" : "account-slots",
    slowestAccountRegionMs,
    accountRegionTerms: terms,
  };
}
