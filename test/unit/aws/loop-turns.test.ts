import { describe, expect, it } from "vitest";
import { CloudFormationClient, DescribeStackDriftDetectionStatusCommand } from "@aws-sdk/client-cloudformation";
import { LoopTurns, yieldingTurns } from "../../../functions/aws/loop-turns.js";
import { createSpokeClients } from "../../../functions/aws/clients.js";

/** A hand-driven loop: `later` callbacks run only when the test turns the loop, one iteration at a time. */
function drivenLoop() {
  let now = 0;
  let pending: (() => void)[] = [];
  return {
    advance: (ms: number) => void (now += ms),
    now: () => now,
    later: (fn: () => void) => void pending.push(fn),
    /** One loop iteration's check phase: what was scheduled before it (callbacks scheduled now wait for the next). */
    async iterate() {
      const due = pending;
      pending = [];
      for (const fn of due) {
        fn();
        await Promise.resolve();
      }
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

describe("LoopTurns", () => {
  it("admits at once while the stretch of synchronous work is under the budget", () => {
    const loop = drivenLoop();
    const turns = new LoopTurns(10, loop.now, loop.later);
    for (let i = 0; i < 5; i++) {
      expect(turns.admit()).toBeUndefined();
      loop.advance(1.9);
    }
    expect(turns.queued).toBe(0);
  });

  it("past the budget, sends wait and are released one per loop iteration, in the order they came", async () => {
    const loop = drivenLoop();
    const turns = new LoopTurns(10, loop.now, loop.later);
    const order: number[] = [];
    // 12 ms of sends in one stretch: the first five (2 ms each) go, the rest wait.
    const waits: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 8; i++) {
      const w = turns.admit();
      waits.push(w);
      if (w) void w.then(() => order.push(i));
      else order.push(i);
      loop.advance(2);
    }
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(turns.queued).toBe(3);
    // A send arriving later in the same stretch queues behind them, even if time were left.
    const late = turns.admit();
    expect(late).toBeDefined();
    void late!.then(() => order.push(8));
    for (let iteration = 1; iteration <= 4; iteration++) {
      await loop.iterate();
      expect(order).toHaveLength(5 + iteration);
    }
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(turns.queued).toBe(0);
    // The stretch ends at the check phase: the next iteration's sends start a new budget.
    await loop.iterate();
    expect(turns.admit()).toBeUndefined();
  });

  it("is on every spoke client, once, after the write gate", () => {
    const clients = createSpokeClients("222222222222", "eu-west-1", async () => ({ accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret" }));
    for (const client of [clients.cloudformation, clients.ec2, clients.s3, clients.iam]) {
      const stack = client.middlewareStack.identify();
      expect(stack.filter((m) => m.startsWith("driftguardLoopTurns"))).toHaveLength(1);
      expect(stack.findIndex((m) => m.startsWith("driftguardWriteGate"))).toBeLessThan(stack.findIndex((m) => m.startsWith("driftguardLoopTurns")));
      yieldingTurns(client);
      expect(client.middlewareStack.identify().filter((m) => m.startsWith("driftguardLoopTurns"))).toHaveLength(1);
    }
  });

  it("holds a real send until its turn, then sends it", async () => {
    const loop = drivenLoop();
    const turns = new LoopTurns(10, loop.now, loop.later);
    const cfn = yieldingTurns(new CloudFormationClient({ region: "eu-west-1", credentials: async () => ({ accessKeyId: "AKID", secretAccessKey: "s" }) }), turns);
    let sent = 0;
    cfn.middlewareStack.addRelativeTo(() => async () => ((sent++, { output: { $metadata: {} } }) as never), { relation: "after", toMiddleware: "driftguardLoopTurns", name: "stub" });
    turns.admit();
    loop.advance(11); // the stretch is over budget: the next send waits
    const reply = cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: "id" }));
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toBe(0);
    await loop.iterate();
    await reply;
    expect(sent).toBe(1);
  });
});
