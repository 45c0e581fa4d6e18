import type { Config } from "../config/schema.js";
import { resolveAccounts } from "../config/resolve.js";
import { lambdaLimits, sizeConcurrency, type ConcurrencySizing } from "./concurrency.js";
import type { DetectionEstimate } from "./detection-times.js";

/**
 * `hub.execution: auto`: one Lambda invocation (single) or the fan-out state machine, chosen from
 * how long a scan of this organization is expected to take against the Lambda's timeout (at most
 * 15 minutes: "Timeout – 900 seconds (15 minutes)", Lambda quotas), and the estimate synth prints.
 *
 * An account-region's stacks run side by side (stacksInFlight keeps its CloudFormation bucket
 * busy), so it takes about the longer of one detection and its calls at its rate:
 *   T_ar = max(d, C·S / ρ) + overhead,   C ≈ 2 calls per in-sync stack (issue 19's measured 2.08)
 * A single run spreads the account-regions over its slots (concurrency.ts):
 *   T_single = ⌈AR / slots⌉ · T_ar
 * Fan-out runs one worker per account, `hub.fanout.maxConcurrency` at once, each worker with the
 * same sizing for its own regions:
 *   T_fanout = ⌈A / workers⌉ · ⌈R / regionsPerAccount⌉ · T_ar
 * Single is chosen while its estimate stays within SINGLE_RUN_SHARE of the timeout: drifted stacks
 * make 2–3 times an in-sync stack's calls and repairs, retries and a loaded account add to it.
 * `d` is learnt from the previous runs' measured detections when there are any (detection-times.ts:
 * the median over the last runs of each run's p90), `hub.scanEstimate.detectionSeconds` before.
 */

export const ESTIMATE = {
  callsPerStack: 2,
  /** ListStacks, AssumeRole, the sweep's listings: a few round trips per account-region. */
  overheadSeconds: 2,
  /** Single while the estimate is within half the timeout. */
  singleRunShare: 0.5,
  /** Report building and publishing after the last account (fan-out adds the reducer's invocation). */
  publishSeconds: 10,
} as const;

export interface ExecutionChoice {
  execution: "single" | "fanout";
  /** As configured: `auto` chose `execution`. */
  configured: Config["hub"]["execution"];
  singleSeconds: number;
  /** The whole fan-out execution (Step Functions has no 15-minute limit) … */
  fanoutSeconds: number;
  /** … and one worker's invocation, which must fit the Lambda timeout. */
  workerSeconds: number;
  timeoutSeconds: number;
  assumed: { accounts: number; accountRegions: number; stacks: number; detectionSeconds: number; cloudFormationPerSecond: number; detection: DetectionEstimate };
  sizing: Pick<ConcurrencySizing, "accountRegions" | "regionsPerAccount">;
}

/** `learned`: the detection time the runs measured (estimateDetection); absent: the configured one. */
export function chooseExecution(config: Config, learned?: DetectionEstimate): ExecutionChoice {
  const accounts = resolveAccounts(config);
  const { stacksPerAccountRegion } = config.hub.scanEstimate;
  const detection: DetectionEstimate = learned ?? { source: "configured", seconds: config.hub.scanEstimate.detectionSeconds };
  const detectionSeconds = detection.seconds;
  const accountRegions = accounts.reduce((n, a) => n + a.regions.length, 0);
  const maxRegions = Math.max(1, ...accounts.map((a) => a.regions.length));
  const limits = lambdaLimits(config.hub.lambda.memoryMb);
  const caps = config.defaults.concurrency;
  const sizing = sizeConcurrency(caps, limits, { accounts: accounts.length, maxRegions, accountRegions });
  const rate = Math.max(0.1, caps.cloudFormationPerSecond);
  const perAccountRegion = Math.max(detectionSeconds, (ESTIMATE.callsPerStack * stacksPerAccountRegion) / rate) + ESTIMATE.overheadSeconds;
  const singleSeconds = Math.ceil(accountRegions / sizing.accountRegions) * perAccountRegion + ESTIMATE.publishSeconds;
  // A worker scans one account: its sizing is the one for a single account.
  const worker = sizeConcurrency(caps, limits, { accounts: 1, maxRegions, accountRegions: maxRegions });
  const waves = Math.ceil(accounts.length / Math.max(1, config.hub.fanout.maxConcurrency));
  const workerSeconds = Math.ceil(maxRegions / worker.regionsPerAccount) * perAccountRegion;
  const fanoutSeconds = waves * workerSeconds + ESTIMATE.publishSeconds;
  const timeoutSeconds = config.hub.lambda.timeoutSeconds;
  const configured = config.hub.execution;
  const execution = configured !== "auto" ? configured : singleSeconds <= ESTIMATE.singleRunShare * timeoutSeconds ? "single" : "fanout";
  return {
    execution,
    configured,
    singleSeconds,
    fanoutSeconds,
    workerSeconds,
    timeoutSeconds,
    assumed: { accounts: accounts.length, accountRegions, stacks: accountRegions * stacksPerAccountRegion, detectionSeconds, cloudFormationPerSecond: rate, detection },
    sizing: { accountRegions: sizing.accountRegions, regionsPerAccount: sizing.regionsPerAccount },
  };
}

const minutes = (s: number) => (s < 120 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`);

function detectionText(d: DetectionEstimate): string {
  return d.source === "learned"
    ? `${d.seconds} s per detection, learned: p90 of ${d.samples} detections over the last ${d.runs} run${d.runs === 1 ? "" : "s"}`
    : `${d.seconds} s per detection from hub.scanEstimate, no run measured yet`;
}

/** What synth prints: the estimate, the choice and what it assumed. */
export function describeExecution(choice: ExecutionChoice): string {
  const { assumed: a } = choice;
  const single = `single invocation ≈ ${minutes(choice.singleSeconds)} (${choice.sizing.accountRegions} account-regions at once)`;
  const limit = `the Lambda timeout is ${minutes(choice.timeoutSeconds)}`;
  const why =
    choice.configured === "auto"
      ? `hub.execution auto → ${choice.execution}`
      : `hub.execution ${choice.configured}${choice.configured === "single" && choice.singleSeconds > choice.timeoutSeconds ? " — WARNING: the estimate exceeds the timeout; use hub.execution: fanout or auto" : ""}`;
  return [
    `driftguard scan estimate: ${a.accounts} accounts, ${a.accountRegions} account-regions, ~${a.stacks} stacks (${detectionText(a.detection)}, ${a.cloudFormationPerSecond} CloudFormation requests/s per account-region)`,
    `  ${single}; fan-out ≈ ${minutes(choice.fanoutSeconds)} in all, each worker ≈ ${minutes(choice.workerSeconds)}; ${limit}`,
    `  ${why}`,
  ].join("\n");
}

/** The execution the deployment and the local runner use: `auto` resolved. */
export function effectiveExecution(config: Config, learned?: DetectionEstimate): "single" | "fanout" {
  return config.hub.execution === "auto" ? chooseExecution(config, learned).execution : config.hub.execution;
}
