import { describe, expect, it } from "vitest";
import { HEAP_BUDGET, heapStacksInFlight, lambdaLimits, sizeConcurrency } from "../../../functions/scanner/concurrency.js";
import { StackSlots } from "../../../functions/scanner/capacity.js";

/**
 * The heap budget of the stacks in flight (concurrency.ts HEAP_BUDGET), worked out by hand:
 * half the old space for live data, 48 MB of it the code, 22 KB per stack in flight, and a
 * finished account's rows at 2.5 × their compact JSON.
 */

const org = { accounts: 200, maxRegions: 4, accountRegions: 800 };

describe("heapStacksInFlight", () => {
  it("at the default 1,024 MB (384 MB old space): (192 − 48) MB / 22 KB = 6,702 stacks before any row is held", () => {
    expect(heapStacksInFlight(384, 0)).toBe(6702);
    expect(sizeConcurrency({ cloudFormationPerSecond: 10 }, lambdaLimits(1024), org).heap).toEqual({ oldSpaceMb: 384, stacksInFlight: 6702 });
  });

  it("is more than the default bench keeps in flight (256 account-regions × 16 stacks), less than 256 × the schema's 50", () => {
    expect(heapStacksInFlight(384, 0)).toBeGreaterThan(256 * 16);
    expect(heapStacksInFlight(384, 0)).toBeLessThan(256 * 50);
  });

  it("shrinks as the report's rows are held: 20 MB of JSON is 50 MB of heap, (144 − 50) MB / 22 KB = 4,375", () => {
    expect(heapStacksInFlight(384, 20 * 2 ** 20)).toBe(4375);
  });

  it("never below one stack, however large the report", () => {
    expect(heapStacksInFlight(384, 200 * 2 ** 20)).toBe(HEAP_BUDGET.minStacksInFlight);
    expect(heapStacksInFlight(64, 0)).toBe(1);
  });

  it("follows the old space the hub runs with: 3,840 MB at 10,240 MB of memory, or a heap given explicitly", () => {
    expect(sizeConcurrency({ cloudFormationPerSecond: 10 }, lambdaLimits(10_240), org).heap.stacksInFlight).toBe(Math.floor(((3840 / 2 - 48) * 1024) / 22));
    expect(sizeConcurrency({ cloudFormationPerSecond: 10 }, { memoryMb: 1024, fileDescriptors: 1024, heapMb: 2048 }, org).heap).toEqual({ oldSpaceMb: 2048, stacksInFlight: 45428 });
  });
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const turns = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("StackSlots", () => {
  // (96.1 / 2 − 48) MB = 51.2 KB: two stacks of 22 KB.
  const TWO_STACKS_MB = 96.1;

  it("admits up to the cap, then one stack per stack that finishes, in arrival order", async () => {
    const slots = new StackSlots(TWO_STACKS_MB);
    expect(slots.cap).toBe(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    await turns();
    expect(started).toEqual([0, 1]);
    expect(slots.inFlight).toBe(2);
    gates[1]!.open();
    await turns();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    gates[3]!.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(slots.peak).toBe(2);
    expect(slots.inFlight).toBe(0);
  });

  it("a held report lowers the cap: the stacks in flight finish before another starts", async () => {
    const slots = new StackSlots(TWO_STACKS_MB);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        await g.opened;
      }),
    );
    await turns();
    // 10 KB of JSON is 25 KB of heap: one stack's room left.
    slots.holdReport(10 * 1024);
    expect(slots.cap).toBe(1);
    gates[0]!.open();
    await turns();
    expect(started).toEqual([0, 1]);
    gates[1]!.open();
    await turns();
    expect(started).toEqual([0, 1, 2]);
    gates[2]!.open();
    await Promise.all(runs);
  });

  it("a failed stack gives its slot back", async () => {
    const slots = new StackSlots(TWO_STACKS_MB);
    await expect(slots.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(slots.inFlight).toBe(0);
    expect(await slots.run(async () => "next")).toBe("next");
  });
});
