import type { EffectiveAccount } from "../config/resolve.js";
import type { Mode } from "../config/schema.js";
import type { AccountReport } from "../core/types.js";
import type { OrganizationSnapshot } from "../core/types.js";

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
  /** DRIFTGUARD_MODE or the execution input's `mode`, fixed once by the planner for every worker. */
  modeOverride?: Mode;
}

/** An account of accounts.yaml as the planner left it: final (listed only) or awaiting its worker. */
export type PlannedAccount =
  | { accountId: string; name: string; mode: Mode; listed: AccountReport }
  | { accountId: string; name: string; mode: Mode; listed?: undefined; account: EffectiveAccount };

/** runs/<runId>/plan.json: what the reducer needs to rebuild the run, in accounts.yaml order. */
export interface FanoutPlan {
  version: 1;
  runId: string;
  trigger: string;
  modeOverride?: Mode;
  startedAt: string;
  accounts: PlannedAccount[];
  organization: OrganizationSnapshot;
}

/** runs/<runId>/parts/<accountId>.json: one worker's result. */
export interface AccountPart {
  version: 1;
  runId: string;
  accountId: string;
  finishedAt: string;
  account: AccountReport;
}

/**
 * runs/<runId>/failures/<accountId>.json: written by the state machine's Catch (the States error
 * object) when a worker invocation failed for good, or by the in-process runner in the same shape.
 */
export interface WorkerFailure {
  Error?: string;
  Cause?: string;
}

/** What the planner returns to the state machine: small whatever the organization's size. */
export interface PlanOutput {
  runId: string;
  itemsKey: string;
  workers: number;
}

/** What a worker returns to the state machine. */
export interface WorkerOutput {
  accountId: string;
  key: string;
}

