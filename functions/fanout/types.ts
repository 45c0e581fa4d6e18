import type { EffectiveAccount } from "../config/resolve.js";
import type { Mode } from "../config/schema.js";
import type { AccountReport, ErrorInfo, OrganizationSnapshot } from "../core/types.js";

/**
 * What the fan-out's three steps hand each other. Step Functions payloads are capped at 256 KB,
 * so everything that grows with the organization lives in the report bucket under
 * `runs/<runId>/` and only keys and ids travel through the state machine.
 */

/** One worker invocation: the scanner Lambda's payload for one account. */
export interface WorkItem {
  fanout: "scan";
  runId: string;
  accountId: string;
  /** DRIFTGUARD_MODE or the execution input's `mode`, fixed once by the partitioner for every worker. */
  modeOverride?: Mode;
}

/** An account of accounts.yaml as the partitioner left it: final (listed only) or awaiting its worker. */
export type ManifestAccount =
  | { accountId: string; name: string; mode: Mode; listed: AccountReport }
  | { accountId: string; name: string; mode: Mode; listed?: undefined; account: EffectiveAccount };

/** runs/<runId>/manifest.json: what the reducer needs to rebuild the run, in accounts.yaml order. */
export interface RunManifest {
  version: 1;
  runId: string;
  trigger: string;
  modeOverride?: Mode;
  startedAt: string;
  accounts: ManifestAccount[];
  organization: OrganizationSnapshot;
  /** Run-level errors the partitioner met (the run lease could not be taken). */
  runErrors?: ErrorInfo[];
}

/** runs/<runId>/parts/<accountId>.json: one worker's result. */
export interface AccountPart {
  version: 1;
  runId: string;
  accountId: string;
  finishedAt: string;
  account: AccountReport;
  /** The worker's run-level errors (lease, guard state); the reducer lists each distinct one once. */
  runErrors?: ErrorInfo[];
  /** The account's measured drift detections, ms (scanner/detection-times.ts); the reducer learns the run's detection time from all of them. */
  detectionMs?: number[];
}

/**
 * runs/<runId>/failures/<accountId>.json: written by the state machine's Catch (the States error
 * object) when a worker invocation failed for good, or by the in-process runner in the same shape.
 */
export interface WorkerFailure {
  Error?: string;
  Cause?: string;
}

/** What the partitioner returns to the state machine: small whatever the organization's size. */
export interface PartitionOutput {
  runId: string;
  itemsKey: string;
  workers: number;
}

/** What a worker returns to the state machine. */
export interface WorkerOutput {
  accountId: string;
  key: string;
}

