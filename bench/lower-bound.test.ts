import { describe, expect, it } from "vitest";
import { accountRegionBound, lowerBound, physicalBound, type BoundModel } from "./lower-bound.js";

/** The benchmark's critical-path bound (bench/README.md), on cases small enough to work out by hand. */

const model: BoundModel = { apiMs: 2, rps: 10, burst: 10, concurrency: { accounts: 2, regionsPerAccount: 2, stacksPerRegion: 2 } };
const stack = (detectionMs: number, minCalls = 2) => ({ detectionMs, minCalls });

describe("accountRegionBound", () => {
  it("is the slowest stack when the lanes are enough", () => {
    // t = 900 + 2·2 = 904; sum over 2 lanes = (904 + 304) / 2 = 604; calls 5 < burst.
    expect(accountRegionBound([stack(900), stack(300)], model)).toEqual({ ms: 2 + 904, term: "slowestStack" });
  });

  it("is the stacks over the lanes when there are more stacks than lanes", () => {
    // 4 × 604 / 2 = 1208 > 604
    expect(accountRegionBound([stack(600), stack(600), stack(600), stack(600)], model)).toEqual({ ms: 2 + 1208, term: "stackSlots" });
  });

  it("is the calls past the burst at the allowed rate when the throttle binds", () => {
    // 1 + 3·20 = 61 calls; (61 − 10) / 10 rps = 5.1 s
    expect(accountRegionBound([stack(100, 20), stack(100, 20), stack(100, 20)], model)).toEqual({ ms: 2 + 5100, term: "throttle" });
  });
});

describe("lowerBound", () => {
  it("takes the slowest account or all accounts over the account slots, whichever is larger", () => {
    const region = [stack(1000)]; // 2 + 1004 = 1006 per account-region
    // Each account: 2 + max(1006, 2·1006 / 2) = 1008. Three accounts over two slots: 3·1008 / 2 = 1512 > 1008.
    const bound = lowerBound([[region, region], [region, region], [region, region]], model);
    expect(bound).toMatchObject({ totalMs: 2 + 1512, bindingTerm: "account-slots", slowestAccountRegionMs: 1006 });
    expect(bound.accountRegionTerms).toEqual({ slowestStack: 6, stackSlots: 0, throttle: 0 });
    expect(lowerBound([[region, region]], model)).toMatchObject({ totalMs: 2 + 1008, bindingTerm: "slowest-account" });
  });
});

describe("account-region slots", () => {
  it("spreads all account-regions over the run's slots when they are fewer than accounts × regions", () => {
    const region = [stack(1000)]; // 1006 per account-region
    // 3 accounts × 2 regions over 2 account-region slots: 2 + 6·1006 / 2 = 3020, plus the leading ℓ.
    const bound = lowerBound([[region, region], [region, region], [region, region]], { ...model, concurrency: { accounts: 3, regionsPerAccount: 2, stacksPerRegion: 2, accountRegions: 2 } });
    expect(bound).toMatchObject({ totalMs: 2 + 2 + 3018, bindingTerm: "account-region-slots" });
  });
});

describe("physicalBound", () => {
  const org = [[[stack(900), stack(300)]], [[stack(100, 20), stack(100, 20), stack(100, 20)]]];
  it("is the slowest account-region at unlimited concurrency when the CPU is not the limit", () => {
    // Throttled region: 2 + 5100; plus AssumeRole and ListAccounts.
    expect(physicalBound(org, model, 1000)).toEqual({ totalMs: 2 + 2 + 2 + 5100, bindingTerm: "critical-path", criticalPathMs: 5106, cpuMs: 1000 });
  });
  it("is the CPU both processes needed over the cores when that is longer", () => {
    expect(physicalBound(org, model, 6000)).toMatchObject({ totalMs: 6000, bindingTerm: "cpu" });
  });
});
