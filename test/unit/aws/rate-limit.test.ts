import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../../functions/aws/rate-limit.js";

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
