import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { SpokeClients } from "../aws/clients.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { Config, Mode } from "../config/schema.js";
import type {
  ChangeActor,
  ExemptionState,
  PropertyDifference,
  RemediationAction,
  ResourceDrift,
  ResourceDriftStatus,
} from "../core/types.js";
import type { Logger } from "../runtime/logger.js";
import type { DropReason } from "./parse.js";
import type { RecentIds } from "./recent-ids.js";
import type { AffectedResource } from "./resolve.js";

/** What the event path hands the remediation engine for one drifted, stack-managed resource. */
export interface EventRemediationInput {
  /** The CloudTrail event id: ties the engine's logs to the event report. */
  runId: string;
  account: EffectiveAccount;
  region: string;
  stack: { stackName: string; stackId: string; tags: Record<string, string> };
  /** MODIFIED or DELETED. */
  drift: ResourceDrift;
  clients: SpokeClients;
  exemptionTagKey: string;
  now: Date;
}

export interface EventRemediationResult {
  /** The resource's (or its stack's) exemption as the engine read it. */
  exemption: ExemptionState;
  action: RemediationAction;
}

/**
 * The engine's single-resource entry point (functions/remediation), injected so that the event
 * path shares modes, exemptions, guards and verification with the scheduled path.
 */
export type RemediateResource = (input: EventRemediationInput) => Promise<EventRemediationResult>;

export interface EventDeps {
  config: Config;
  /** SDK clients in a spoke account-region, through the spoke role. */
  clientsFor(accountId: string, region: string): Promise<SpokeClients>;
  remediateResource: RemediateResource;
  /** DRIFTGUARD_MODE: replaces every account's mode (and its mode rules). */
  modeOverride?: Mode;
  /** Writes the report to S3 and notifies SNS (see publish.ts). */
  publish(report: EventActionReport): Promise<void>;
  /** Keep one instance per container (module scope) so warm redeliveries are recognised. */
  recent: RecentIds;
  logger: Logger;
  metrics: Metrics;
  now(): Date;
}

/** What happened to one resource an event touched. */
export interface EventResourceResult {
  resource: AffectedResource;
  region: string;
  stack?: { stackName: string; stackId: string };
  logicalId?: string;
  driftStatus?: ResourceDriftStatus;
  differences?: PropertyDifference[];
  exemption?: ExemptionState;
  action: RemediationAction;
  /**
   * True when the resource was out of line (drifted, or against a guardrail) or could not be
   * checked; false when it was already as it should be. Only findings are notified.
   */
  finding: boolean;
}

export const EVENT_REPORT_SCHEMA_VERSION = "1.0.0";

/** The small report of one event, stored at events/<yyyy>/<mm>/<dd>/<changeId>.json. */
export interface EventActionReport {
  schemaVersion: typeof EVENT_REPORT_SCHEMA_VERSION;
  /** EventBridge event id of the delivery that produced this report. */
  eventId: string;
  /** CloudTrail eventID: the same for every delivery of one API call. */
  changeId: string;
  account: string;
  accountName: string;
  region: string;
  eventName: string;
  eventTime: string;
  actor: ChangeActor;
  results: EventResourceResult[];
  finishedAt: string;
  /** From the API call (eventTime) to the end of driftguard's action. */
  latencyMs: number;
  /** Time spent inside the handler. */
  handlingMs: number;
}

export type EventOutcome =
  | { status: "handled"; report: EventActionReport }
  | { status: "dropped"; reason: DropReason; detail: string };
