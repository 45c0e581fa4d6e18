import type { ScanProgress } from "../functions/scanner/index.js";

/**
 * Running totals of a scan for a person watching: on a terminal one line rewritten in place, and
 * otherwise (CI logs, pipes) a plain line at most every `intervalMs`, so a 300-account run writes
 * tens of lines, not thousands.
 */
export interface ProgressTotals {
  accountsDone: number;
  accountsTotal: number;
  stacksDone: number;
  stacksTotal: number;
  drifted: number;
  remediated: number;
  errors: number;
}

export interface ProgressSink {
  isTTY: boolean;
  write(text: string): void;
}

export const PLAIN_INTERVAL_MS = 15_000;

export function progressText(t: ProgressTotals): string {
  return `accounts ${t.accountsDone}/${t.accountsTotal}, stacks ${t.stacksDone}/${t.stacksTotal}, drifted ${t.drifted}, remediated ${t.remediated}, errors ${t.errors}`;
}

export class Progress {
  readonly totals: ProgressTotals = { accountsDone: 0, accountsTotal: 0, stacksDone: 0, stacksTotal: 0, drifted: 0, remediated: 0, errors: 0 };
  private lastPlain = Number.NEGATIVE_INFINITY;
  private live = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = PLAIN_INTERVAL_MS,
  ) {}

  readonly onProgress = (event: ScanProgress): void => {
    const t = this.totals;
    switch (event.kind) {
      case "accounts":
        t.accountsTotal = event.toScan;
        break;
      case "stacks":
        t.stacksTotal += event.targets;
        break;
      case "stack": {
        t.stacksDone += 1;
        t.drifted += event.stack.resources.length;
        t.remediated += event.stack.resources.filter((r) => r.action.outcome === "remediated").length;
        if (event.stack.error || event.stack.scan === "failed") t.errors += 1;
        break;
      }
      case "region":
        if (event.region.status === "failed") t.errors += 1;
        break;
      case "account":
        t.accountsDone += 1;
        if (event.account.status === "failed") t.errors += 1;
        break;
    }
    this.show(false);
  };

  /** Clears the live line (or prints the last plain one) before the final output. */
  finish(): void {
    this.show(true);
    if (this.live) this.sink.write("\n");
    this.live = false;
  }

  private show(final: boolean): void {
    const text = progressText(this.totals);
    if (this.sink.isTTY) {
      // Carriage return + erase line (ECMA-48 EL): the line is rewritten in place.
      this.sink.write(`\r\x1b[2K${text}`);
      this.live = true;
      return;
    }
    const now = this.now();
    if (final || now - this.lastPlain >= this.intervalMs) {
      this.sink.write(`${text}\n`);
      this.lastPlain = now;
    }
  }
}
