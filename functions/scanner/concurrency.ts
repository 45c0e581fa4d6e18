/**
 * How much of the scan runs at once (`defaults.concurrency`, `auto` by default). CloudFormation's
 * request quotas are per account and region, so the organization itself allows every
 * account-region in flight at once; what limits a scan is the hub: its memory, its file
 * descriptors, its CPU, and each account-region's CloudFormation budget (rate-limit.ts). So the
 * sizing derives every number from those, and a number in the config is a cap on top.
 *
 * Measured (issue 19, 20,000 stacks, 2 CPUs): 40 account-regions in flight peaked at 482 MB, 800 at
 * 1,375 MB, i.e. ≈ 1.2 MB per account-region in flight; 800 in flight also made the event loop
 * 655 ms late on average and a 2 ms round trip take 2 s: the work queued on the CPU, not on AWS.
 */
import type { ConcurrencyCaps } from "../config/schema.js";

/** What the hub runs in: the Lambda's memory and its file-descriptor quota. */
export interface RuntimeLimits {
  memoryMb: number;
  /** Lambda quotas: "File descriptors 1,024" per execution environment. */
  fileDescriptors: number;
  /** The V8 old space the hub runs with (MB); by default the deployed function's, lambdaHeapFlags of memoryMb. */
  heapMb?: number;
}

export const LAMBDA_FILE_DESCRIPTORS = 1024;

/**
 * - fdReserve 124: descriptors the runtime holds without us (stdio, the runtime API connection,
 *   extensions, the bundle's files); sockets get the other 900.
 * - mbPerRequest 1: a request in flight buffers its response; the largest the scan reads is a
 *   page of 100 resource drifts with both documents, well under 1 MB, so 1 MB bounds it …
 * - requestMemoryShare 0.25: … and in-flight responses may take a quarter of the memory
 *   (256 sockets at the default 1,024 MB). That many responses parsed back to back is ≈ 256 ×
 *   0.3 ms ≈ 80 ms of event loop, under the 100 ms lateness target.
 * - mbPerAccountRegion 1.2 and accountRegionMemoryShare 0.5: the measured footprint above (clients,
 *   estimator, its stacks' rows), and half the memory for them: 426 account-regions at 1,024 MB.
 * - stackPipelineSeconds 1: an in-sync stack makes ≈ 2 CloudFormation calls across its detection
 *   time, so ρ · (estimate + 1 s) stacks in flight keep the account-region's bucket (ρ requests
 *   per second) busy with a factor 2 to spare for drifted stacks' longer paths.
 */
export const CONCURRENCY_TUNING = {
  fdReserve: 124,
  mbPerRequest: 1,
  requestMemoryShare: 0.25,
  mbPerAccountRegion: 1.2,
  accountRegionMemoryShare: 0.5,
  stackPipelineSeconds: 1,
  /** The schema's own maximum for stacksPerRegion. */
  maxStacksPerRegion: 50,
} as const;

/** Which limit set a number of the sizing: a config cap, the hub's memory or sockets, or the work itself. */
export type SizingLimit = "config" | "memory" | "sockets" | "work";

export interface ConcurrencySizing {
  /** Accounts whose role is assumed and whose regions may be scanned at once. */
  accounts: number;
  regionsPerAccount: number;
  /** Account-regions in flight across the whole run. */
  accountRegions: number;
  /** Open sockets, shared by every spoke client (sockets.ts) = requests in flight. */
  sockets: number;
  /** Stacks per account-region when nothing is known yet; `stacksInFlight` updates it from the learned estimate. */
  stacksPerRegion: number;
  /** Explicit cap on stacks per account-region, if the config set one. */
  stacksPerRegionCap?: number;
  /** Where each account-region's CloudFormation bucket starts. */
  cloudFormationPerSecond: number;
  /** The V8 old space the sizing is for (MB) and the stacks in flight across the run it holds before any report row is kept (heapStacksInFlight). */
  heap: { oldSpaceMb: number; stacksInFlight: number };
  limitedBy: { accountRegions: SizingLimit; sockets: SizingLimit };
}

/** The work the sizing is for: how many accounts, and how many regions the widest account has. */
export interface ScanShape {
  accounts: number;
  maxRegions: number;
  accountRegions: number;
}

function smallest(candidates: [number, SizingLimit][]): [number, SizingLimit] {
  return candidates.reduce((a, b) => (b[0] < a[0] ? b : a));
}

export function sizeConcurrency(caps: ConcurrencyCaps, limits: RuntimeLimits, shape: ScanShape): ConcurrencySizing {
  const t = CONCURRENCY_TUNING;
  const [sockets, socketsBy] = smallest([
    [Math.max(1, limits.fileDescriptors - t.fdReserve), "sockets"],
    [Math.max(1, Math.floor((limits.memoryMb * t.requestMemoryShare) / t.mbPerRequest)), "memory"],
  ]);
  const regionsPerAccount = Math.max(1, Math.min(caps.regionsPerAccount ?? Number.POSITIVE_INFINITY, shape.maxRegions));
  const accountRegionCandidates: [number, SizingLimit][] = [
    // More account-regions than sockets only queue: each needs a request in flight to progress.
    [sockets, "sockets"],
    [Math.max(1, Math.floor((limits.memoryMb * t.accountRegionMemoryShare) / t.mbPerAccountRegion)), "memory"],
    [Math.max(1, shape.accountRegions), "work"],
  ];
  if (caps.accounts !== undefined) accountRegionCandidates.push([caps.accounts * regionsPerAccount, "config"]);
  const [accountRegions, accountRegionsBy] = smallest(accountRegionCandidates);
  const accounts = Math.max(1, Math.min(caps.accounts ?? Number.POSITIVE_INFINITY, accountRegions, shape.accounts));
  return {
    accounts,
    regionsPerAccount,
    accountRegions,
    sockets,
    stacksPerRegion: stacksInFlight(1_000, caps.cloudFormationPerSecond, caps.stacksPerRegion),
    ...(caps.stacksPerRegion !== undefined ? { stacksPerRegionCap: caps.stacksPerRegion } : {}),
    cloudFormationPerSecond: caps.cloudFormationPerSecond,
    heap: { oldSpaceMb: oldSpaceOf(limits), stacksInFlight: heapStacksInFlight(oldSpaceOf(limits), 0) },
    limitedBy: { accountRegions: accountRegionsBy, sockets: socketsBy },
  };
}

/**
 * What the work in flight may take of the hub's V8 heap (issue 19). At 20,000 stacks the largest
 * heap in use was 262 MB of the 384 MB old space: the sockets and memory terms above bound
 * account-regions, but an account-region may run up to 50 stacks at once (stacksInFlight), and
 * the report's rows of finished accounts stay in the heap until the run ends, so a larger
 * organization in one invocation could reach the limit. Stacks in flight across the run are
 * therefore capped by what is left of a share of the old space once the code and the report's
 * rows held so far are counted:
 *
 * - liveShare 0.5: V8 needs room to collect in; with live data near its limit it runs full
 *   collections back to back ("Ineffective mark-compacts near heap limit") and then aborts the
 *   process. Half the old space for live data keeps collections ordinary.
 * - baselineMb 48: what is live before the scan starts (code, modules, SDK shapes): 44 MB in a
 *   mid-scan heap snapshot of the bench's hub, 24 MB for the esbuild bundle; the larger, rounded up.
 * - kbPerStackInFlight 22: the same snapshot held 79 MB with 1,600 stacks in flight (poll
 *   schedules, promises, generator frames, SDK request state), (79 − 44) MB / 1,600 ≈ 22 KB each.
 * - heapPerReportJsonByte 2.5: a finished account's rows live as objects until the report is
 *   built; their heap is ≈ 2.4 × their compact JSON (1,960 drifted-stack rows of a 19,600-stack
 *   fleet, test/unit/report/generate.ts: 5.0 MB of JSON, 12.1 MB of heap after two forced
 *   collections), rounded up.
 * - minStacksInFlight 1: a run whose report filled the budget still finishes, one stack at a time
 *   (scan-account.ts says so in the log: the run belongs in fan-out mode).
 *
 * At 1,024 MB: (384 × 0.5 − 48) MB / 22 KB = 6,702 stacks in flight before any row is held; the
 * default bench (256 account-regions × ≈ 16 stacks = 4,096) stays under it, 256 × 50 = 12,800
 * would not.
 */
export const HEAP_BUDGET = { liveShare: 0.5, baselineMb: 48, kbPerStackInFlight: 22, heapPerReportJsonByte: 2.5, minStacksInFlight: 1 } as const;

function oldSpaceOf(limits: RuntimeLimits): number {
  return limits.heapMb ?? lambdaOldSpaceMb(limits.memoryMb);
}

/** Stacks in flight across the run that fit an old space of `oldSpaceMb` while the report holds `reportJsonBytes` of finished rows. */
export function heapStacksInFlight(oldSpaceMb: number, reportJsonBytes: number): number {
  const b = HEAP_BUDGET;
  const freeKb = (oldSpaceMb * b.liveShare - b.baselineMb) * 1024 - (reportJsonBytes * b.heapPerReportJsonByte) / 1024;
  return Math.max(b.minStacksInFlight, Math.floor(freeKb / b.kbPerStackInFlight));
}

/**
 * Stacks of one account-region in flight: enough to keep its bucket busy at `perSecond` while
 * detections take `estimateMs` (CONCURRENCY_TUNING.stackPipelineSeconds), within the config's cap.
 */
export function stacksInFlight(estimateMs: number, perSecond: number, cap?: number): number {
  const t = CONCURRENCY_TUNING;
  const wanted = Math.ceil(perSecond * (estimateMs / 1000 + t.stackPipelineSeconds));
  return Math.max(1, Math.min(cap ?? t.maxStacksPerRegion, t.maxStacksPerRegion, wanted));
}

/** The default: the configured Lambda's memory, and Lambda's file-descriptor quota. */
export function lambdaLimits(memoryMb: number): RuntimeLimits {
  return { memoryMb, fileDescriptors: LAMBDA_FILE_DESCRIPTORS };
}

/**
 * The V8 heap limits the hub runs with, from the Lambda's memory (hub.lambda.memoryMb). Without
 * them Lambda's Node.js bootstrap (/var/runtime/bootstrap) sets a new space of 10 % of the memory
 * (semi-spaces of 5 %) and an old space of the other 90 %, and leaves both alone when NODE_OPTIONS
 * names either ("Do not override customers' semi and old space size options if they specify them
 * with NODE_OPTIONS"). V8 lets its heap grow to several times the live data between full
 * collections as long as the limit allows: at 20,000 stacks the hub's heap held 182 MB live after
 * the scan while its RSS peaked at 973 MB (issue 19), most of it garbage not yet collected.
 *
 * - oldSpaceShare 3/8: the heap gets 384 MB of a 1,024 MB Lambda. What the scan keeps live is
 *   far less: a mid-scan heap snapshot of 1,600 stacks in flight held 79 MB, 44 MB of it the code
 *   and modules before the scan (≈ 22 KB per stack in flight); 256 account-regions × 20 stacks
 *   in flight is ≈ 115 MB more. The rest of the memory is for what is outside the V8 heap
 *   (code, Buffers and sockets of the requests in flight, the runtime) and for the report's
 *   strings at the end.
 * - semiSpaceMb 16: V8's own default on 64-bit, instead of the bootstrap's 51 MB at 1,024 MB
 *   (the young generation is three semi-spaces): the scan's garbage is short-lived request state
 *   that a 16 MB nursery already collects young.
 */
export const HEAP_TUNING = { oldSpaceShare: 3 / 8, minOldSpaceMb: 64, semiSpaceMb: 16 } as const;

/** The node flags (NODE_OPTIONS) for a hub with `memoryMb` of memory. */
export function lambdaHeapFlags(memoryMb: number): string[] {
  return [`--max-old-space-size=${lambdaOldSpaceMb(memoryMb)}`, `--max-semi-space-size=${HEAP_TUNING.semiSpaceMb}`];
}

function lambdaOldSpaceMb(memoryMb: number): number {
  return Math.max(HEAP_TUNING.minOldSpaceMb, Math.floor(memoryMb * HEAP_TUNING.oldSpaceShare));
}
