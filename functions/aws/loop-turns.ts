import type { MiddlewareStack } from "@smithy/types";

/**
 * Keeps the hub's event loop turning while hundreds of requests want to start at once. Each SDK
 * send does 0.5–2 ms of synchronous work before its bytes leave (serialize, endpoint, sign,
 * http.request: bench/request-cost.ts, issue 19), and sends arrive in bursts — a run's first
 * DetectStackDrift of every stack in flight, or the token-bucket and poll timers of many stacks
 * expiring in the same millisecond, which Node runs back to back in one timers phase. 200 such
 * sends are 100–400 ms in which no answer is read, no timer fires and no deadline is checked: the
 * 374 ms event-loop p99 of the 20 × 4 × 25 bench (issue 19, target < 100 ms).
 *
 * A send that finds the current stretch of synchronous work (since the loop last reached its
 * check phase) longer than the budget waits for a later loop iteration; waiting sends go one per
 * iteration, in the order they came, each after the loop has polled I/O and run its timers. The
 * budget is 10 ms, the bench's event-loop sampling resolution: a stretch that long already shows
 * as lateness. Nothing is dropped or reordered across callers, and the CloudFormation token
 * bucket and slot (rate-limit.ts) are taken after this gate, in the retry step, so a request
 * never holds a token while it waits here.
 */
export const TURN_BUDGET_MS = 10;

export class LoopTurns {
  private stretchStartedAt: number | undefined;
  private readonly waiting: (() => void)[] = [];
  private releasing = false;

  constructor(
    private readonly budgetMs = TURN_BUDGET_MS,
    private readonly now: () => number = () => performance.now(),
    /** Runs `fn` in a later loop iteration's check phase (setImmediate). */
    private readonly later: (fn: () => void) => void = (fn) => void setImmediate(fn),
  ) {}

  /** Resolves at once within the budget; otherwise in a later loop iteration, first come first served. */
  admit(): Promise<void> | undefined {
    if (this.stretchStartedAt === undefined) {
      this.stretchStartedAt = this.now();
      // The check phase comes once this iteration's callbacks (and their microtasks) are done: the stretch ends there.
      this.later(() => {
        this.stretchStartedAt = undefined;
      });
    }
    if (this.waiting.length === 0 && this.now() - this.stretchStartedAt < this.budgetMs) return undefined;
    const admitted = new Promise<void>((resolve) => this.waiting.push(resolve));
    if (!this.releasing) {
      this.releasing = true;
      this.later(() => this.releaseOne());
    }
    return admitted;
  }

  /** Sends waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  private releaseOne(): void {
    // A fresh stretch for the released send: it runs in this check phase, with its microtasks.
    this.stretchStartedAt = this.now();
    this.later(() => {
      this.stretchStartedAt = undefined;
    });
    this.waiting.shift()?.();
    // Scheduled from inside the check phase, the next release runs in the next loop iteration.
    if (this.waiting.length > 0) this.later(() => this.releaseOne());
    else this.releasing = false;
  }
}

/** One event loop per process: every client shares one gate. */
export const loopTurns = new LoopTurns();

const NAME = "driftguardLoopTurns";

/** Adds the gate to a client, before serialization so the work it defers is the request's own. */
export function yieldingTurns<C extends { middlewareStack: Pick<MiddlewareStack<object, object>, "add" | "identify"> }>(client: C, turns: LoopTurns = loopTurns): C {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(NAME))) return client;
  client.middlewareStack.add(
    (next) => async (args) => {
      const wait = turns.admit();
      if (wait) await wait;
      return next(args);
    },
    { step: "initialize", name: NAME, priority: "low" },
  );
  return client;
}
