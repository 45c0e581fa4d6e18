/**
 * What the bench measures during the measured scan, and only then. Session 4's idle run printed
 * hub 16.0 s + sandbox 34.9 s of CPU in a 17.1 s scan on 2 cores: 50.9 CPU-seconds where at most
 * 34.2 fit, because the sandbox's CPU was counted from its start, warm-up scan included. Every
 * figure below is the difference of two readings taken right before and right after the measured
 * scan, in both processes, and `accountCpu` refuses a window that could not physically happen.
 */

/** CPU time of one process (user + system), ms, read at the window's two ends. */
export interface CpuReading {
  beforeMs: number;
  afterMs: number;
}

export interface CpuAccount {
  hubMs: number;
  sandboxMs: number;
  hubMsPerStack: number;
  /** (hub + sandbox) / cores: no schedule of both processes on this machine's cores is shorter. */
  cpuBoundMs: number;
  /** (hub + sandbox) / (cores × wall): ≤ 1 for any window that really happened. */
  utilisation: number;
}

/**
 * Both processes' CPU during one wall-clock window. Throws when the readings are inconsistent
 * (negative, or more CPU than the cores can give in the wall time, with 2 % for the readings'
 * own skew): a bench that prints such a number prints a wrong ratio, as session 4's did.
 */
export function accountCpu(window: { wallMs: number; cores: number; stacks: number; hub: CpuReading; sandbox: CpuReading }): CpuAccount {
  const hubMs = window.hub.afterMs - window.hub.beforeMs;
  const sandboxMs = window.sandbox.afterMs - window.sandbox.beforeMs;
  if (hubMs < 0 || sandboxMs < 0) throw new Error(`CPU went backwards during the scan window (hub ${hubMs} ms, sandbox ${sandboxMs} ms): the readings are not of one window`);
  const utilisation = window.wallMs > 0 ? (hubMs + sandboxMs) / (window.cores * window.wallMs) : Number.POSITIVE_INFINITY;
  if (utilisation > 1.02) {
    throw new Error(
      `hub ${(hubMs / 1000).toFixed(1)} s + sandbox ${(sandboxMs / 1000).toFixed(1)} s of CPU cannot fit in ${(window.wallMs / 1000).toFixed(1)} s on ${window.cores} cores: the readings cover more than the scan`,
    );
  }
  return { hubMs, sandboxMs, hubMsPerStack: hubMs / Math.max(1, window.stacks), cpuBoundMs: (hubMs + sandboxMs) / window.cores, utilisation };
}

/** CPU time of this process so far, ms. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** `process.memoryUsage()` in MB: what a resident set is made of. */
export interface MemoryBreakdown {
  rssMb: number;
  /** V8's heap: reserved (heapTotal) and live at the last collection (heapUsed). */
  heapTotalMb: number;
  heapUsedMb: number;
  /** Memory of C++ objects bound to JS ones (Buffers, sockets' native state); arrayBuffers is the Buffer part. */
  externalMb: number;
  arrayBuffersMb: number;
}

const MB = 1024 * 1024;

export function memoryBreakdown(usage: NodeJS.MemoryUsage = process.memoryUsage()): MemoryBreakdown {
  return { rssMb: usage.rss / MB, heapTotalMb: usage.heapTotal / MB, heapUsedMb: usage.heapUsed / MB, externalMb: usage.external / MB, arrayBuffersMb: usage.arrayBuffers / MB };
}

/**
 * The hub's resident set sampled during the scan: `maxRSS` (getrusage) is the process's peak over
 * its whole life, warm-up scans included, and cannot be reset. A 200 ms sample (rss() showed as 2 % of a loaded profile at 50 ms) can miss a spike
 * shorter than that, so the target is held to the larger of the two (bench/run.ts). Each sample
 * is the whole `memoryUsage()`, so the peak comes with what it was made of (heap vs external vs
 * the rest: code, stacks, allocator slack), and the largest heap seen is kept apart.
 */
export class RssSampler {
  private peak?: MemoryBreakdown;
  private heapPeakMb = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly read: () => NodeJS.MemoryUsage = () => process.memoryUsage()) {}

  private sample(): void {
    const now = memoryBreakdown(this.read());
    if (!this.peak || now.rssMb > this.peak.rssMb) this.peak = now;
    this.heapPeakMb = Math.max(this.heapPeakMb, now.heapUsedMb);
  }

  start(everyMs = 200): void {
    this.peak = undefined;
    this.heapPeakMb = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  /** The sample with the largest RSS, and the largest V8 heap in use any sample saw. */
  stop(): { atPeak: MemoryBreakdown; heapUsedPeakMb: number } {
    clearInterval(this.timer);
    this.sample();
    return { atPeak: this.peak!, heapUsedPeakMb: this.heapPeakMb };
  }
}
