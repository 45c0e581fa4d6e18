import { describe, expect, it } from "vitest";
import { AccountRegionBudgets, ADAPTIVE, AdaptiveRateLimiter, createRateLimiter, TokenBucket } from "../../../functions/aws/rate-limit.js";

/** A clock whose sleeps move time forward, so waits can be checked against the rate. */
function fakeClock(start = 1_000_000) {
  const clock = {
    t: start,
    sleeps: [] as number[],
    now: () => clock.t,
    async sleep(ms: number) {
      clock.sleeps.push(ms);
    },
  };
  return clock;
}

describe("createRateLimiter", () => {
  it("lets the first call through and spaces the ones asking at the same time", async () => {
    const clock = fakeClock();
    const wait = createRateLimiter(2, clock);
    await Promise.all([wait(), wait(), wait(), wait()]);
    expect(clock.sleeps).toEqual([500, 1000, 1500]);
  });

  it("does not wait once the interval has passed on its own", async () => {
    const clock = fakeClock();
    const wait = createRateLimiter(2, clock);
    await wait();
    clock.t += 499;
    await wait();
    expect(clock.sleeps).toEqual([1]);
    clock.t += 2_000;
    await wait();
    expect(clock.sleeps).toEqual([1]);
  });
});

describe("TokenBucket", () => {
  it("lets a burst of its capacity through, then serves the rest in order at the rate, one timer each", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 10, clock);
    await Promise.all(Array.from({ length: 13 }, () => bucket.take()));
    // 10 at once, then the 11th after 100 ms, the 12th after 200 ms …: queued, not racing.
    expect(clock.sleeps).toEqual([100, 200, 300]);
    expect(bucket.backlogMs()).toBe(400);
    clock.t += 400;
    expect(bucket.backlogMs()).toBe(0);
  });
});

describe("AdaptiveRateLimiter (an account-region's CloudFormation budget)", () => {
  const throttled = { errorType: "THROTTLING" };
  const ok = {};

  it("starts at the configured rate, cuts it by the SDK's 0.7 on a throttle, once per second, and drains the burst", () => {
    const clock = fakeClock();
    const budget = new AdaptiveRateLimiter({ perSecond: 10 }, clock);
    expect(budget.rate).toBe(10);
    budget.updateClientSendingRate(throttled);
    // The other requests of the same burst come back throttled together: one cut.
    budget.updateClientSendingRate(throttled);
    budget.updateClientSendingRate(throttled);
    expect(budget.rate).toBeCloseTo(10 * ADAPTIVE.decrease);
    expect(budget.throttles).toBe(3);
    expect(budget.bucket.backlogMs()).toBeGreaterThan(0);
    clock.t += ADAPTIVE.decreaseEveryMs;
    budget.updateClientSendingRate(throttled);
    expect(budget.rate).toBeCloseTo(10 * ADAPTIVE.decrease * ADAPTIVE.decrease);
  });

  it("recovers on successes up to the configured rate and never beyond it, and never falls under its floor", () => {
    const clock = fakeClock();
    const budget = new AdaptiveRateLimiter({ perSecond: 10 }, clock);
    budget.updateClientSendingRate(throttled);
    let successes = 0;
    while (budget.rate < 10 && successes < 1_000) {
      budget.updateClientSendingRate(ok);
      successes++;
    }
    expect(budget.rate).toBe(10);
    // From 7/s back to 10/s at +0.5/s per second of requests at the rate: about 6 s of them, ≈ 50 requests.
    expect(successes).toBeGreaterThan(40);
    expect(successes).toBeLessThan(60);
    budget.updateClientSendingRate(ok);
    expect(budget.rate).toBe(10);

    for (let i = 0; i < 50; i++) {
      clock.t += ADAPTIVE.decreaseEveryMs;
      budget.updateClientSendingRate(throttled);
    }
    expect(budget.rate).toBe(ADAPTIVE.minPerSecond);
  });

  it("ignores errors that are not throttling: an access or server error says nothing about the rate", () => {
    const budget = new AdaptiveRateLimiter({ perSecond: 10 }, fakeClock());
    budget.updateClientSendingRate({ errorType: "SERVER_ERROR" });
    budget.updateClientSendingRate({ errorType: "CLIENT_ERROR" });
    expect(budget.rate).toBe(10);
    expect(budget.throttles).toBe(0);
  });

  it("is one per account-region", () => {
    const budgets = new AccountRegionBudgets({ perSecond: 10 }, fakeClock());
    expect(budgets.for("222222222222", "us-east-1")).toBe(budgets.for("222222222222", "us-east-1"));
    expect(budgets.for("222222222222", "eu-west-1")).not.toBe(budgets.for("222222222222", "us-east-1"));
    expect(budgets.for("333333333333", "us-east-1")).not.toBe(budgets.for("222222222222", "us-east-1"));
  });
});

describe("AdaptiveRateLimiter request slots", () => {
  it("takes a token only once a slot is free, and passes each freed slot to the next request in order", async () => {
    const clock = fakeClock();
    const budget = new AdaptiveRateLimiter({ perSecond: 10, maxInFlight: 2 }, clock);
    const sent: number[] = [];
    const requests = [0, 1, 2, 3].map((i) => budget.getSendToken().then(() => sent.push(i)));
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toEqual([0, 1]);
    expect(budget.queued).toBe(2);
    budget.updateClientSendingRate({});
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([0, 1, 2]);
    // A failed attempt frees its slot too (the SDK reports every attempt).
    budget.updateClientSendingRate({ errorType: "SERVER_ERROR" });
    await Promise.all(requests);
    expect(sent).toEqual([0, 1, 2, 3]);
    expect(budget.queued).toBe(0);
  });
});
