import { describe, expect, it } from "vitest";
import { CONCURRENCY_TUNING, lambdaHeapFlags, lambdaLimits, sizeConcurrency, stacksInFlight } from "../../../functions/scanner/concurrency.js";
import { testConfig } from "../../support/config.js";
import { parseConfig } from "../../../functions/accounts-file/index.js";

/**
 * The concurrency sizing of `defaults.concurrency: auto` and of caps on top of it, worked out by
 * hand for the limits the sizing documents (concurrency.ts): 900 sockets from 1,024 descriptors,
 * a quarter of the memory for responses at 1 MB each, half of it for account-regions at 1.2 MB.
 */

const auto = { cloudFormationPerSecond: 10 };
const org = (accounts: number, regions: number) => ({ accounts, maxRegions: regions, accountRegions: accounts * regions });

describe("sizeConcurrency", () => {
  it("at the default 1,024 MB: 256 sockets (memory), and as many account-regions as sockets", () => {
    const sizing = sizeConcurrency(auto, lambdaLimits(1024), org(200, 4));
    expect(sizing).toMatchObject({ sockets: 256, accountRegions: 256, accounts: 200, regionsPerAccount: 4, limitedBy: { sockets: "memory", accountRegions: "sockets" } });
  });

  it("at 10,240 MB the 1,024 file descriptors bind the sockets, and memory no longer binds the account-regions", () => {
    const sizing = sizeConcurrency(auto, lambdaLimits(10_240), org(1000, 4));
    expect(sizing).toMatchObject({ sockets: 1024 - CONCURRENCY_TUNING.fdReserve, accountRegions: 900, limitedBy: { sockets: "sockets", accountRegions: "sockets" } });
  });

  it("at 512 MB: 128 sockets, 213 account-regions' worth of memory, so the sockets bind", () => {
    expect(sizeConcurrency(auto, lambdaLimits(512), org(200, 4))).toMatchObject({ sockets: 128, accountRegions: 128 });
  });

  it("a small organization is its own limit", () => {
    expect(sizeConcurrency(auto, lambdaLimits(1024), org(3, 2))).toMatchObject({ accountRegions: 6, accounts: 3, regionsPerAccount: 2, limitedBy: { accountRegions: "work" } });
  });

  it("numbers in the config are caps on top of the sizing", () => {
    const sizing = sizeConcurrency({ ...auto, accounts: 10, regionsPerAccount: 4, stacksPerRegion: 5 }, lambdaLimits(1024), org(200, 4));
    expect(sizing).toMatchObject({ accounts: 10, regionsPerAccount: 4, accountRegions: 40, stacksPerRegion: 5, stacksPerRegionCap: 5, limitedBy: { accountRegions: "config" } });
    // A cap above what the hub can drive does not raise the sizing.
    expect(sizeConcurrency({ ...auto, accounts: 1000 }, lambdaLimits(1024), org(1000, 4)).accountRegions).toBe(256);
  });
});

describe("stacksInFlight", () => {
  it("keeps the account-region's bucket busy: rate × (estimate + 1 s), within the cap and the schema's 50", () => {
    expect(stacksInFlight(700, 10)).toBe(17);
    expect(stacksInFlight(700, 10, 5)).toBe(5);
    expect(stacksInFlight(20_000, 10)).toBe(50);
    expect(stacksInFlight(200, 0.5)).toBe(1);
  });
});

describe("defaults.concurrency", () => {
  it("is auto when left out or written auto: no caps, the bucket starting at 10 requests/s", () => {
    const base = 'version: 1\norganization: { id: o-example0001 }\nhub: { accountId: "111111111111", region: us-east-1 }\naccounts: []\n';
    for (const text of [base, `${base}defaults: { concurrency: auto }\n`]) expect(parseConfig(text).defaults.concurrency).toEqual({ cloudFormationPerSecond: 10 });
    expect(testConfig("accounts: []").defaults.concurrency).toEqual({ accounts: 2, regionsPerAccount: 2, stacksPerRegion: 2, cloudFormationPerSecond: 10 });
  });
});

describe("lambdaHeapFlags", () => {
  it("gives the old space 3/8 of the Lambda's memory and V8's own 16 MB semi-spaces", () => {
    expect(lambdaHeapFlags(1024)).toEqual(["--max-old-space-size=384", "--max-semi-space-size=16"]);
    expect(lambdaHeapFlags(10_240)).toEqual(["--max-old-space-size=3840", "--max-semi-space-size=16"]);
  });

  it("never below 64 MB of old space: the bundle alone keeps ≈ 24 MB live", () => {
    expect(lambdaHeapFlags(128)).toEqual(["--max-old-space-size=64", "--max-semi-space-size=16"]);
  });
});
