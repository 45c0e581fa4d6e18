import { afterEach, describe, expect, it, vi } from "vitest";
import { accountCpu, RssSampler } from "./scan-window.js";

/** The bench's CPU accounting (scan-window.ts): one window, both processes, refused when impossible. */

const window = (hub: [number, number], sandbox: [number, number], wallMs = 17_100) => ({
  wallMs,
  cores: 2,
  stacks: 2_000,
  hub: { beforeMs: hub[0], afterMs: hub[1] },
  sandbox: { beforeMs: sandbox[0], afterMs: sandbox[1] },
});

describe("accountCpu", () => {
  it("counts each process's CPU between its two readings, not from its start", () => {
    // The sandbox had used 20 s (setup and warm-up scan) before the window opened.
    const cpu = accountCpu(window([4_000, 20_000], [20_000, 36_000]));
    expect(cpu).toEqual({ hubMs: 16_000, sandboxMs: 16_000, hubMsPerStack: 8, cpuBoundMs: 16_000, utilisation: 32_000 / 34_200 });
  });

  it("refuses session 4's window: 16.0 + 34.9 CPU-seconds cannot fit in 17.1 s on 2 cores", () => {
    // Hub 16.0 s in the window, sandbox 34.9 s counted from its ready message.
    expect(() => accountCpu(window([0, 16_000], [0, 34_900]))).toThrow(/hub 16\.0 s \+ sandbox 34\.9 s of CPU cannot fit in 17\.1 s on 2 cores/);
  });

  it("allows the readings' own skew up to 2 % over the cores' capacity", () => {
    expect(accountCpu(window([0, 17_100], [0, 17_100 * 1.01])).utilisation).toBeCloseTo(1.005, 3);
    expect(() => accountCpu(window([0, 17_100], [0, 17_100 * 1.05]))).toThrow(/cannot fit/);
  });

  it("refuses readings that go backwards (not of one window)", () => {
    expect(() => accountCpu(window([5_000, 4_000], [0, 1_000]))).toThrow(/went backwards/);
  });
});

describe("RssSampler", () => {
  const MB = 1024 * 1024;
  const usage = (rss: number, heapUsed: number, external = 10): NodeJS.MemoryUsage => ({ rss: rss * MB, heapTotal: 2 * heapUsed * MB, heapUsed: heapUsed * MB, external: external * MB, arrayBuffers: 1 * MB });
  afterEach(() => vi.useRealTimers());

  it("keeps the breakdown of the sample with the largest RSS, and the largest heap of any sample apart", () => {
    vi.useFakeTimers();
    // The heap peaks (200 MB) at a sample whose RSS is not the largest: V8 had not grown yet.
    const samples = [usage(300, 100), usage(320, 200), usage(500, 150, 40), usage(400, 120), usage(350, 110)];
    const sampler = new RssSampler(() => samples.shift()!);
    sampler.start(200);
    vi.advanceTimersByTime(600);
    const { atPeak, heapUsedPeakMb } = sampler.stop();
    expect(samples).toEqual([]);
    expect(atPeak).toEqual({ rssMb: 500, heapTotalMb: 300, heapUsedMb: 150, externalMb: 40, arrayBuffersMb: 1 });
    expect(heapUsedPeakMb).toBe(200);
  });
});
