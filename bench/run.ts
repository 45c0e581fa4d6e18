import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { getHeapStatistics } from "node:v8";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Logger } from "@aws-lambda-powertools/logger";
import { createHubClients, createSpokeClients } from "../functions/aws/clients.js";
import type { RunReport } from "../functions/core/types.js";
import { RecentIds } from "../functions/events/index.js";
import { eventDeps, newRunId, scanDeps } from "../functions/runtime/index.js";
import { lambdaHeapFlags, lambdaLimits, sizeConcurrency, runScan, type ConcurrencySizing, type ScanProgress } from "../functions/scanner/index.js";
import { runFanoutInProcess } from "../functions/fanout/index.js";
import { resolveAccounts } from "../functions/config/resolve.js";
import { childExecArgv, profileFile, startProfile } from "./cpu-profile.js";
import { accountCpu, processCpuMs, RssSampler } from "./scan-window.js";
import { RequestCensus } from "./request-census.js";
import { CallCounter, regionKey, stackKey, total, type StackCalls } from "./call-counter.js";
import type { RegionDetections, SandboxLatency } from "./child-protocol.js";
import { CallTrace, decompose } from "./call-trace.js";
import { eventLatencies } from "./event-latency.js";
import { accountRegionBound, lowerBound, physicalBound, throttleMs, type StackWork } from "./lower-bound.js";
import { naiveScan } from "./naive-scanner.js";
import { benchOrg, type OrgOptions } from "./org.js";
import { formatResults, targetsOf, type BenchResults } from "./results.js";
import { SandboxProcess } from "./sandbox-process.js";

/**
 * `npm run bench -- [--accounts 200] [--regions 4] [--stacks 25] [--drift-rate 0.1] …`: scans a
 * generated organization in the sandbox (its own process) with the real scanner (this process),
 * and measures it against the latency/throttle model's lower bound, a naive serial scanner,
 * CloudFormation calls per stack, peak RSS, cdktf synth time and event → revert latency.
 * See bench/README.md for what each number means.
 */

const USAGE =
  "usage: npm run bench -- [--profile default|realistic|fanout-100k] [--accounts 200] [--regions 4] [--stacks 25] [--drift-rate 0.1] [--api-ms 2] [--detection-ms 300,900] " +
  "[--cfn-rps 10] [--concurrency auto|10,4,5] [--execution single|fanout] [--naive-account-regions 1] [--event-trials 5] [--synth-accounts 500] [--out bench/results.json] [--cpu-prof DIR] [--warm-runs 1] " +
  "[--hub-heap lambda|node] [--request-path lean|sdk]";

/**
 * `--profile realistic`: detections of seconds to tens of seconds, as real CloudFormation takes
 * them ("DetectStackDrift can take up to several minutes, depending on the number of resources",
 * CloudFormation API Reference; 2–30 s is our assumption for stacks of a few to a few dozen
 * resources, the minutes-long ones left out), an API round trip of 100 ms and 10 requests/s per
 * account-region, all scaled by TIME_SCALE so that a run takes minutes here: every duration × 0.1
 * and every rate ÷ 0.1. The real-time estimate printed is the wall ÷ TIME_SCALE.
 */
export const REALISTIC = { timeScale: 0.1, detectionMs: [2_000, 30_000], apiMs: 100, cfnRps: 10, accounts: 50 } as const;

/**
 * `--profile fanout-100k`: issue 19's 100,000-stack organization (1,000 accounts × 4 regions × 25
 * stacks) through the fan-out (planner, one worker per account, `hub.fanout.maxConcurrency` at
 * once, reducer) in this process, the default model otherwise. One scan, no warm-up (unless
 * --warm-runs): at the default model's ≈ 17 ms of hub + sandbox CPU per stack (session 4, idle),
 * the scan alone is ≈ 100,000 × 17 ms / 2 cores ≈ 14 min here. The workers share this process,
 * so its peak RSS bounds every worker's from above (and the reducer's).
 */
export const FANOUT_100K = { accounts: 1_000, execution: "fanout", warmRuns: 0 } as const;

const PROFILES = ["default", "realistic", "fanout-100k"] as const;

function numbers(value: string, count: number, flag: string): number[] {
  const parts = value.split(",").map(Number);
  if (parts.length !== count || parts.some((n) => !Number.isFinite(n) || n < 0)) throw new Error(`${flag} must be ${count} comma-separated numbers (got "${value}")\n${USAGE}`);
  return parts;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      accounts: { type: "string", default: "200" },
      regions: { type: "string", default: "4" },
      stacks: { type: "string", default: "25" },
      "drift-rate": { type: "string", default: "0.1" },
      "api-ms": { type: "string", default: "2" },
      "detection-ms": { type: "string", default: "300,900" },
      "cfn-rps": { type: "string", default: "10" },
      concurrency: { type: "string", default: "auto" },
      profile: { type: "string", default: "default" },
      execution: { type: "string", default: "single" },
      "naive-account-regions": { type: "string", default: "1" },
      "event-trials": { type: "string", default: "5" },
      "synth-accounts": { type: "string", default: "500" },
      out: { type: "string", default: fileURLToPath(new URL("./results.json", import.meta.url)) },
      "cpu-prof": { type: "string" },
      "warm-runs": { type: "string" },
      "hub-heap": { type: "string", default: "lambda" },
      "request-path": { type: "string", default: "lean" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  if (!(PROFILES as readonly string[]).includes(values.profile)) throw new Error(`--profile must be ${PROFILES.join(", ")} (got "${values.profile}")\n${USAGE}`);
  const fanout100k = values.profile === "fanout-100k";
  if (values.execution !== "single" && values.execution !== "fanout") throw new Error(`--execution must be single or fanout (got "${values.execution}")\n${USAGE}`);
  if (values["request-path"] !== "lean" && values["request-path"] !== "sdk") throw new Error(`--request-path must be lean or sdk (got "${values["request-path"]}")\n${USAGE}`);
  if (values["hub-heap"] !== "lambda" && values["hub-heap"] !== "node") throw new Error(`--hub-heap must be lambda or node (got "${values["hub-heap"]}")\n${USAGE}`);
  const realistic = values.profile === "realistic";
  const scale = realistic ? REALISTIC.timeScale : 1;
  const concurrency = values.concurrency === "auto" ? "auto" : numbers(values.concurrency, 3, "--concurrency");
  const [shortest, longest] = realistic ? REALISTIC.detectionMs.map((ms) => ms * scale) : numbers(values["detection-ms"], 2, "--detection-ms");
  const org: OrgOptions = {
    accounts: realistic ? REALISTIC.accounts : fanout100k ? FANOUT_100K.accounts : Number(values.accounts),
    regions: Number(values.regions),
    stacksPerRegion: Number(values.stacks),
    driftRate: Number(values["drift-rate"]),
    cfnRps: realistic ? REALISTIC.cfnRps / scale : Number(values["cfn-rps"]),
    concurrency: concurrency === "auto" ? "auto" : { accounts: concurrency[0]!, regionsPerAccount: concurrency[1]!, stacksPerRegion: concurrency[2]! },
  };
  const latency: SandboxLatency = { apiMs: realistic ? REALISTIC.apiMs * scale : Number(values["api-ms"]), detectionMs: [shortest!, longest!] };
  return {
    org,
    latency,
    profile: { name: values.profile, timeScale: scale },
    execution: fanout100k ? FANOUT_100K.execution : values.execution,
    naiveAccountRegions: Number(values["naive-account-regions"]),
    eventTrials: Number(values["event-trials"]),
    synthAccounts: Number(values["synth-accounts"]),
    out: values.out,
    cpuProfDir: values["cpu-prof"],
    warmRuns: Number(values["warm-runs"] ?? (fanout100k ? FANOUT_100K.warmRuns : 1)),
    hubHeap: values["hub-heap"],
    /** CloudFormation's hot reads on the lean path (functions/aws/lean-query.ts, production) or all on the SDK's stack, for A/B runs. */
    lean: values["request-path"] === "lean",
  };
}

/** The environment the hub Lambda has, with the sandbox in place of AWS (as `npm start` does). */
function pointAtSandbox(sandbox: SandboxProcess): void {
  const { endpoint, hubRegion, hubCredentials } = sandbox.ready;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: hubRegion,
    AWS_ACCESS_KEY_ID: hubCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: hubCredentials.secretAccessKey,
    AWS_SESSION_TOKEN: hubCredentials.sessionToken ?? "",
    AWS_EC2_METADATA_DISABLED: "true",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
}

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
const rssMb = () => process.resourceUsage().maxRSS / 1024;

function meanByAction(calls: StackCalls[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const c of calls) for (const [action, n] of Object.entries(c.served)) sums[action] = (sums[action] ?? 0) + n;
  return Object.fromEntries(Object.entries(sums).map(([action, n]) => [action, n / Math.max(1, calls.length)]));
}

/** Stacks whose first status read already found the detection finished (the poll schedule's hit rate). */
function firstReadHitRate(rows: StackRow[]): number {
  const polled = rows.filter((r) => (r.calls.served.DescribeStackDriftDetectionStatus ?? 0) > 0);
  return mean(polled.map((r) => (r.calls.served.DescribeStackDriftDetectionStatus === 1 ? 1 : 0)));
}

/** Served CloudFormation requests per account-region, its ListStacks included. */
function callsPerRegion(rows: StackRow[], counter: CallCounter): number[] {
  const calls = new Map<string, number>();
  for (const row of rows) calls.set(row.region, (calls.get(row.region) ?? total(counter.regions.get(row.region) ?? { served: {}, throttled: 0 })) + total(row.calls));
  return [...calls.values()];
}

/** A status read beyond the first is polling, not work: the minimum is one. */
function minCalls(calls: StackCalls): number {
  const polls = calls.served.DescribeStackDriftDetectionStatus ?? 0;
  return total(calls) - Math.max(0, polls - 1);
}

interface StackRow {
  key: string;
  region: string;
  driftStatus?: string;
  calls: StackCalls;
  detectionMs: number;
}

/** `warmRuns`: scans before the measured one, whose detections come first in the sandbox's list. */
function stackRows(report: RunReport, counter: CallCounter, detections: RegionDetections[], warmRuns: number): StackRow[] {
  const drift = new Map<string, string | undefined>();
  // A region's in-sync stacks are a count, not rows (report/in-sync.ts): a stack of a region
  // that folded some and has no row of its own is one of them.
  const folded = new Set<string>();
  for (const a of report.accounts) {
    for (const r of a.regions) {
      if ((r.inSyncStacks ?? 0) > 0) folded.add(regionKey(a.accountId, r.region));
      for (const s of r.stacks) drift.set(stackKey(a.accountId, r.region, s.stackName), s.driftStatus);
    }
  }
  return detections.flatMap((region) =>
    region.stacks
      .filter((s) => s.detectionMs.length > warmRuns)
      .map((s) => {
        const key = stackKey(region.accountId, region.region, s.stackName);
        const inSync = folded.has(regionKey(region.accountId, region.region)) && !drift.has(key);
        return { key, region: regionKey(region.accountId, region.region), driftStatus: inSync ? "IN_SYNC" : drift.get(key), calls: counter.stacks.get(key) ?? { served: {}, throttled: 0 }, detectionMs: s.detectionMs[warmRuns]! };
      }),
  );
}

/** CloudFormation calls of the stacks with `status`, each with its share of its region's ListStacks. */
function callsPerStack(rows: StackRow[], counter: CallCounter, status: string) {
  const perRegion = new Map<string, number>();
  for (const row of rows) perRegion.set(row.region, (perRegion.get(row.region) ?? 0) + 1);
  const chosen = rows.filter((r) => r.driftStatus === status);
  const share = (row: StackRow) => total(counter.regions.get(row.region) ?? { served: {}, throttled: 0 }) / perRegion.get(row.region)!;
  return { perStack: mean(chosen.map((r) => total(r.calls) + share(r))), byAction: meanByAction(chosen.map((r) => r.calls)) };
}

function runSynth(accounts: number, regions: number, profileDir: string | undefined): Promise<BenchResults["synth"]> {
  const child = fork(fileURLToPath(new URL("./synth-child.ts", import.meta.url)), ["--accounts", String(accounts), "--regions", String(regions)], {
    execArgv: childExecArgv("synth", profileDir),
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code === 0) resolve(JSON.parse(line) as BenchResults["synth"]);
      else reject(new Error(`synth of ${accounts} accounts failed (exit ${code}): ${out}`));
    });
  });
}

/**
 * A line per tenth of the accounts scanned, with the process's RSS and heap: a long run (the
 * 100,000-stack fan-out takes an hour under load) shows how far it is and what it holds. Also
 * keeps what the heap budget saw (ScanProgress "heap": one per run, or one per fan-out worker).
 */
function scanProgress(accounts: number, startedAt: number, log: (line: string) => void) {
  const step = Math.max(1, Math.ceil(accounts / 10));
  let done = 0;
  const heap: Extract<ScanProgress, { kind: "heap" }>[] = [];
  const onProgress = (event: ScanProgress) => {
    if (event.kind === "heap") heap.push(event);
    if (event.kind !== "account" || ++done % step !== 0) return;
    const { rss, heapUsed } = process.memoryUsage();
    log(`${done} of ${accounts} accounts scanned in ${((performance.now() - startedAt) / 1000).toFixed(0)} s; RSS ${(rss / 2 ** 20).toFixed(0)} MB, heap in use ${(heapUsed / 2 ** 20).toFixed(0)} MB`);
  };
  return { onProgress, heap };
}

/** The heap budget against the largest heap in use: the most stacks any run or worker had in flight, the least room it ended with. */
function heapBudget(sizing: ConcurrencySizing, seen: readonly Extract<ScanProgress, { kind: "heap" }>[], largestHeapUsedMb: number): BenchResults["heapBudget"] {
  const oldSpaceMb = sizing.heap.oldSpaceMb;
  return {
    oldSpaceMb,
    stacksInFlightCap: sizing.heap.stacksInFlight,
    peakStacksInFlight: Math.max(0, ...seen.map((h) => h.peakStacksInFlight)),
    capAtEnd: Math.min(sizing.heap.stacksInFlight, ...seen.map((h) => h.stacksInFlightCap)),
    heldReportMb: Math.max(0, ...seen.map((h) => h.heldReportBytes)) / 2 ** 20,
    workers: seen.length,
    largestHeapUsedMb,
    marginMb: oldSpaceMb - largestHeapUsedMb,
  };
}

/** Set in the re-run of this process with the hub's heap flags, so that it does not re-run itself again. */
const HUB_HEAP_ENV = "DRIFTGUARD_BENCH_HUB_HEAP";

/**
 * `--hub-heap lambda` (the default): the hub runs with the V8 heap limits the deployed function
 * gets from its memory (NODE_OPTIONS, scanner/concurrency.ts lambdaHeapFlags), so its RSS is the
 * deployed hub's. This process re-runs itself once with them, as the flags only apply at start;
 * the sandbox and synth children keep their own. `node`: Node's defaults, as before issue 19.
 * Returns the child's exit code, or undefined in the process that runs the bench.
 */
async function withHubHeap(memoryMb: number, hubHeap: string): Promise<number | undefined> {
  if (hubHeap !== "lambda" || process.env[HUB_HEAP_ENV]) return undefined;
  const child = fork(process.argv[1]!, process.argv.slice(2), {
    execArgv: [...process.execArgv, ...lambdaHeapFlags(memoryMb)],
    env: { ...process.env, [HUB_HEAP_ENV]: lambdaHeapFlags(memoryMb).join(" ") },
    stdio: "inherit",
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (!opts) {
    console.log(USAGE);
    return;
  }
  const { org: orgOptions, latency } = opts;
  const { config, stacks, driftedStacks } = benchOrg(orgOptions);
  const rerun = await withHubHeap(config.hub.lambda.memoryMb, opts.hubHeap);
  if (rerun !== undefined) {
    process.exitCode = rerun;
    return;
  }
  const log = (line: string) => console.error(`[bench] ${line}`);

  log(`starting the sandbox with ${config.accounts.length} accounts and ${stacks} stacks …`);
  const sandbox = await SandboxProcess.start(orgOptions, latency, opts.eventTrials);
  try {
    pointAtSandbox(sandbox);
    const logger = new Logger({ serviceName: "driftguard-bench", logLevel: "SILENT" });
    const hub = createHubClients(config.hub.region);
    let counter = new CallCounter();
    const deps = {
      ...scanDeps(hub, sandbox.ready.reportBucket, logger),
      spokeClients: (...args: Parameters<typeof createSpokeClients>) => {
        const [accountId, region, credentials, options] = args;
        const clients = createSpokeClients(accountId, region, credentials, { ...options, lean: opts.lean });
        counter.attach(clients.cloudformation, args[0], args[1]);
        return clients;
      },
    };

    log(`sandbox ready in ${(sandbox.ready.setupMs / 1000).toFixed(1)} s`);
    // A scheduled scan's steady state: the runs before it kept each stack's resource listing
    // (scanner/stack-listings.ts). Warm runs report only, so the measured run finds the drift.
    let coldInSyncCalls: number | undefined;
    for (let run = 0; run < opts.warmRuns; run++) {
      log(`warm-up scan ${run + 1} of ${opts.warmRuns} (report mode) …`);
      const warm = await runScan(deps, { config, runId: newRunId(new Date()), trigger: "bench-warm-up", modeOverride: "report", publish: { bucket: sandbox.ready.reportBucket, topicArn: sandbox.ready.topicArn } });
      if (run === 0) {
        const regions = await sandbox.detections();
        coldInSyncCalls = callsPerStack(stackRows(warm.report, counter, regions, 0), counter, "IN_SYNC").perStack;
      }
      counter.detach();
      counter = new CallCounter();
    }
    log("scanning …");
    // The measured window (scan-window.ts): every reading below is taken right before and right
    // after the scan, in both processes, profiles included.
    const { cpuProfDir } = opts;
    if (cpuProfDir) await sandbox.profile("start", profileFile(cpuProfDir, "sandbox"));
    const stopHubProfile = cpuProfDir ? await startProfile() : undefined;
    const loadBefore = loadavg();
    const sandboxCpuBefore = await sandbox.cpuMs();
    const hubCpuBefore = processCpuMs();
    const rss = new RssSampler();
    rss.start();
    const census = new RequestCensus();
    census.start();
    const loopResolutionMs = 10;
    const loopDelay = monitorEventLoopDelay({ resolution: loopResolutionMs });
    loopDelay.enable();
    const started = performance.now();
    const scan = opts.execution === "fanout" ? runFanoutInProcess : runScan;
    const progress = scanProgress(config.accounts.length, started, log);
    const { report } = await scan(deps, { config, runId: newRunId(new Date()), trigger: "bench", onProgress: progress.onProgress, publish: { bucket: sandbox.ready.reportBucket, topicArn: sandbox.ready.topicArn } });
    const wallMs = performance.now() - started;
    const hubCpuAfter = processCpuMs();
    const sandboxCpuAfter = await sandbox.cpuMs();
    loopDelay.disable();
    const hubRequests = census.stop();
    const scanMemory = rss.stop();
    const scanPeakRssMb = scanMemory.atPeak.rssMb;
    const lifetimePeakRssMb = rssMb();
    const loadAfter = loadavg();
    const heapUsedMb = process.memoryUsage().heapUsed / 1024 / 1024;
    if (cpuProfDir) {
      await stopHubProfile?.(profileFile(cpuProfDir, "hub"));
      await sandbox.profile("stop", profileFile(cpuProfDir, "sandbox"));
    }
    log(`scanned in ${(wallMs / 1000).toFixed(1)} s`);

    const detections = await sandbox.detections();
    const rows = stackRows(report, counter, detections, opts.warmRuns);
    const byRegion = new Map<string, StackWork[]>();
    for (const row of rows) byRegion.set(row.region, [...(byRegion.get(row.region) ?? []), { detectionMs: row.detectionMs, minCalls: minCalls(row.calls) }]);
    const accountsWork = config.accounts.map((a) => config.defaults.regions.map((r) => byRegion.get(regionKey(a.id, r)) ?? []));
    const burst = Math.max(1, Math.round(orgOptions.cfnRps));
    // The concurrency the scanner sizes (auto, or the caps): what the configured bound assumes.
    // With auto, stacks per account-region follow the learnt estimate; the bound takes the most
    // the sizing allows (the cap, or the schema's 50), which only lowers it.
    const resolved = resolveAccounts(config);
    const sizing = sizeConcurrency(config.defaults.concurrency, lambdaLimits(config.hub.lambda.memoryMb), {
      accounts: resolved.length,
      maxRegions: Math.max(...resolved.map((a) => a.regions.length)),
      accountRegions: resolved.reduce((n, a) => n + a.regions.length, 0),
    });
    const concurrency = { accounts: sizing.accounts, regionsPerAccount: sizing.regionsPerAccount, stacksPerRegion: sizing.stacksPerRegionCap ?? 50, accountRegions: sizing.accountRegions };
    const model = { apiMs: latency.apiMs, rps: orgOptions.cfnRps, burst, concurrency };
    const bound = lowerBound(accountsWork, model);
    const cpu = accountCpu({ wallMs, cores: cpus().length, stacks: rows.length, hub: { beforeMs: hubCpuBefore, afterMs: hubCpuAfter }, sandbox: { beforeMs: sandboxCpuBefore, afterMs: sandboxCpuAfter } });
    const physical = physicalBound(accountsWork, model, cpu.cpuBoundMs);
    const spans = [...counter.spans.values()].map((s) => s.last - s.first);
    const regionCalls = callsPerRegion(rows, counter);

    const naiveTargets = config.defaults.regions.slice(0, opts.naiveAccountRegions).map((region) => ({ accountId: config.accounts[0]!.id, region }));
    log(`naive serial scanner on ${naiveTargets.length} account-region(s) …`);
    const naiveCounter = new CallCounter();
    const naive = await naiveScan(naiveTargets, { sts: hub.sts, roleName: config.spoke.roleName, counter: naiveCounter });
    const naiveExtrapolatedMs = (naive.ms * rows.length) / naive.stacks;

    log(`event → revert, ${sandbox.ready.eventTarget.groupIds.length} trials …`);
    const settings = { config: { kind: "file" as const, file: "(bench)" }, reportBucket: sandbox.ready.reportBucket, topicArn: sandbox.ready.topicArn };
    const eventCounter = new CallCounter();
    const trace = new CallTrace();
    // The event path's own hub clients, traced (the scan's carry no trace middleware).
    const eventHub = createHubClients(config.hub.region);
    trace.attach(eventHub.s3, "S3");
    trace.attach(eventHub.sns, "SNS");
    const events = eventDeps({ settings, config, hub: eventHub }, logger, new RecentIds());
    const counted = new Set<string>();
    const trials = await eventLatencies(
      sandbox,
      {
        ...events,
        clientsFor: async (accountId, region) => {
          const clients = await events.clientsFor(accountId, region);
          if (!counted.has(regionKey(accountId, region))) {
            eventCounter.attach(clients.cloudformation, accountId, region);
            trace.attach(clients.cloudformation, "CloudFormation");
            trace.attach(clients.ec2, "EC2");
          }
          counted.add(regionKey(accountId, region));
          return clients;
        },
      },
      trace,
    );
    const latencies = trials.map((t) => t.ms);
    const sorted = [...trials].sort((a, b) => a.ms - b.ms);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];

    log(`cdktf synth of ${opts.synthAccounts} accounts …`);
    const synth = await runSynth(opts.synthAccounts, orgOptions.regions, cpuProfDir);

    const inSync = callsPerStack(rows, counter, "IN_SYNC");
    const drifted = callsPerStack(rows, counter, "DRIFTED");
    const measured: Omit<BenchResults, "targets"> = {
      version: 1,
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.versions.node, platform: `${process.platform}-${process.arch}`, loadBefore, loadAfter },
      profile: { ...opts.profile, execution: opts.execution, realTimeEstimateMs: wallMs / opts.profile.timeScale },
      sizing,
      org: { accounts: orgOptions.accounts, regions: orgOptions.regions, stacksPerRegion: orgOptions.stacksPerRegion, stacks, driftedStacks, driftRate: orgOptions.driftRate },
      model: { apiMs: latency.apiMs, detectionMs: latency.detectionMs, cfnRps: orgOptions.cfnRps, cfnBurst: burst, concurrency },
      setupMs: sandbox.ready.setupMs,
      scan: {
        wallMs,
        lowerBoundMs: bound.totalMs,
        ratio: wallMs / bound.totalMs,
        lowerBoundBinding: bound.bindingTerm,
        physicalBoundMs: physical.totalMs,
        physicalRatio: wallMs / physical.totalMs,
        physicalBinding: physical.bindingTerm,
        criticalPathMs: physical.criticalPathMs,
        cpuBoundMs: physical.cpuMs,
        accountRegionTerms: bound.accountRegionTerms,
        report: {
          stacksScanned: report.totals.stacksScanned,
          stacksDrifted: report.totals.stacksDrifted,
          remediated: report.totals.remediated,
          failed: report.totals.failed,
          errors: report.totals.errors,
        },
      },
      naive: {
        measuredAccountRegions: naiveTargets.length,
        measuredStacks: naive.stacks,
        measuredMs: naive.ms,
        extrapolatedMs: naiveExtrapolatedMs,
        formula: `measured × ${rows.length} stacks / ${naive.stacks} stacks`,
        speedup: naiveExtrapolatedMs / wallMs,
      },
      calls: {
        perInSyncStack: inSync.perStack,
        ...(coldInSyncCalls !== undefined ? { perInSyncStackFirstRun: coldInSyncCalls } : {}),
        // Without the coverage listing (ListStackResources, one per stack since issue 14).
        perInSyncStackWithoutCoverage: inSync.perStack - (inSync.byAction.ListStackResources ?? 0),
        perDriftedStack: drifted.perStack,
        inSyncByAction: inSync.byAction,
        driftedByAction: drifted.byAction,
        throttledPerStack: mean(rows.map((r) => r.calls.throttled)),
        naivePerStack: mean([...naiveCounter.stacks.values()].map(total)),
      },
      diagnostics: {
        meanDetectionMs: mean(rows.map((r) => r.detectionMs)),
        meanDetectionNoticedMs: mean(rows.filter((r) => r.calls.settledAt && r.calls.detectedAt).map((r) => r.calls.settledAt! - r.calls.detectedAt!)),
        meanAccountRegionMs: mean(spans),
        meanAccountRegionBoundMs: mean(accountsWork.flat().map((stacks) => accountRegionBound(stacks, model).ms)),
        meanAccountRegionCallsMade: mean(regionCalls),
        meanAccountRegionMinCalls: mean(accountsWork.flat().map((stacks) => 1 + stacks.reduce((n, s) => n + s.minCalls, 0))),
        meanAccountRegionCallsMadeThrottleMs: mean(regionCalls.map((calls) => latency.apiMs + throttleMs(calls, model))),
        firstReadHitRate: firstReadHitRate(rows),
        meanCfnRoundTripMs: counter.roundTrip.totalMs / Math.max(1, counter.roundTrip.count),
        // The histogram holds whole sampling intervals: lateness is what exceeds the resolution.
        hubEventLoopDelayMs: { mean: loopDelay.mean / 1e6 - loopResolutionMs, p99: loopDelay.percentile(99) / 1e6 - loopResolutionMs },
        hubCpuMs: cpu.hubMs,
        hubCpuMsPerStack: cpu.hubMsPerStack,
        hubRequestsPerStack: Object.fromEntries(Object.entries(hubRequests).map(([service, n]) => [service, n / Math.max(1, stacks)])),
        sandboxCpuMs: cpu.sandboxMs,
        cpuUtilisation: cpu.utilisation,
        heapUsedMb,
        eventPathThrottled: [...eventCounter.stacks.values(), ...eventCounter.regions.values()].reduce((n, c) => n + c.throttled, 0),
      },
      // The target is held to the larger: the sampled scan peak can miss a short spike, the
      // process's maxRSS also covers the warm-up scans (scan-window.ts RssSampler).
      peakRssMb: Math.max(scanPeakRssMb, lifetimePeakRssMb),
      scanPeakRssMb,
      lifetimePeakRssMb,
      scanMemory,
      hubHeap: { flags: process.env[HUB_HEAP_ENV]?.split(" ") ?? [], heapSizeLimitMb: getHeapStatistics().heap_size_limit / 1024 / 1024 },
      heapBudget: heapBudget(sizing, progress.heap, scanMemory.heapUsedPeakMb),
      synth,
      eventToRevertMs: { trials: latencies, p50: median?.ms ?? 0, max: sorted.at(-1)?.ms ?? 0, ...(median ? { p50Trial: decompose(median.calls, median.ms) } : {}) },
    };
    const results: BenchResults = { ...measured, targets: targetsOf(measured) };
    writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(formatResults(results));
    console.log(`\nwritten to ${opts.out}`);
  } finally {
    await sandbox.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
