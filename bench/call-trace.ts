import { performance } from "node:perf_hooks";

/**
 * Where an event → revert trial's time went: every AWS call the event path makes (spoke
 * CloudFormation and EC2, hub S3 and SNS), timed from its send to its answer at the initialize
 * step, i.e. around the retry loop, the token bucket and the signing. What no call covers is the
 * handler's own work and its sleeps.
 */

export interface TracedCall {
  call: string;
  startMs: number;
  endMs: number;
}

interface Traceable {
  middlewareStack: { add(middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>, options: { step: "initialize"; name: string }): void };
}

export class CallTrace {
  private origin = performance.now();
  calls: TracedCall[] = [];

  /** Starts a new trial: calls are timed from now. */
  reset(): void {
    this.origin = performance.now();
    this.calls = [];
  }

  attach(client: unknown, service: string): void {
    (client as Traceable).middlewareStack.add(
      (next, context) => async (args) => {
        const startMs = performance.now() - this.origin;
        try {
          return await next(args);
        } finally {
          this.calls.push({ call: `${service}:${String(context.commandName ?? "?").replace(/Command$/, "")}`, startMs, endMs: performance.now() - this.origin });
        }
      },
      { step: "initialize", name: "benchCallTrace" },
    );
  }
}

/**
 * A trial's calls grouped by name (count, summed time) and the time no call covered up to `totalMs`
 * (calls that overlap are counted once in the covered time).
 */
export function decompose(calls: readonly TracedCall[], totalMs: number): { byCall: { call: string; count: number; ms: number }[]; uncoveredMs: number } {
  const groups = new Map<string, { call: string; count: number; ms: number }>();
  for (const c of calls) {
    const g = groups.get(c.call) ?? { call: c.call, count: 0, ms: 0 };
    g.count++;
    g.ms += c.endMs - c.startMs;
    groups.set(c.call, g);
  }
  let covered = 0;
  let reach = 0;
  for (const c of [...calls].sort((a, b) => a.startMs - b.startMs)) {
    const from = Math.max(c.startMs, reach);
    const to = Math.min(c.endMs, totalMs);
    if (to > from) covered += to - from;
    reach = Math.max(reach, c.endMs);
  }
  return { byCall: [...groups.values()].sort((a, b) => b.ms - a.ms), uncoveredMs: Math.max(0, totalMs - covered) };
}
