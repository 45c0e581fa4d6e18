import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { SpokeClients } from "../aws/clients.js";
import type { Config, Mode } from "../config/schema.js";
import type { ChangeActor, ExemptionState, PropertyDifference, RemediationAction, ResourceDriftStatus, ResourceReport } from "../core/types.js";
import type { OrganizationMembership, OwnershipCache, RemediationGuards, ResourceRemediationInput, ResourceTypes } from "../remediation/index.js";
import type { PlacedMember } from "../config/resolve.js";
import type { Logger } from "../core/logger.js";
import type { DropReason } from "./parse.js";
import type { EventDelivery } from "./publish.js";
import type { RecentIds } from "./recent-ids.js";
import type { AffectedResource } from "./resolve.js";

export interface EventDeps {
  config: Config;
  /** SDK clients in a spoke account-region, through the spoke role. */
  clientsFor(accountId: string, region: string): Promise<SpokeClients>;
  /**
   * The account's place in the organization (scanner/member-placement.ts), asked only when
   * accounts.yaml onboards OUs; undefined: not a member. May throw; the event is then dropped, loudly.
   */
  placementOf(accountId: string): Promise<PlacedMember | undefined>;
  /**
   * The organization's members for the trust invariant: the scan's walk, kept for a while in a
   * warm container (events/membership.ts). Never throws: an unreadable organization is `{ error }`,
   * and trust in any account outside defaults.safety.trustedPrincipals is then refused.
   */
  membership(): Promise<OrganizationMembership>;
  /** Attachments kept across events (remediation/ownership/cache.ts); absent: read for every event. */
  ownershipCache?: OwnershipCache;
  /** functions/remediation/engine.ts: the scheduled path's modes, exemptions, guards and verification. */
  remediateResource(input: ResourceRemediationInput): Promise<ResourceReport>;
  /**
   * Blast-radius and flapping guards for one invocation (createGuards over the S3 flapping store);
   * opened only when a stack-managed resource reaches the engine; counting "event": never moves flapping counters.
   */
  openGuards(): Promise<RemediationGuards>;
  /** DRIFTGUARD_MODE, applied as the scan applies it (remediation/mode.ts withModeOverride). */
  modeOverride?: Mode;
  /** Writes the report to S3 and notifies SNS (see publish.ts); never throws. */
  publish(report: EventActionReport): Promise<EventDelivery>;
  /**
   * The scan's stack resource listings (scanner/stack-listings.ts), read only: with them the
   * ownership lookup reads the templates of stacks that hold attachment resources, not of every
   * stack of the account-region. Absent: every template is read.
   */
  // Built by the composition root (runtime/wiring.ts) from the scan's kept stack listings, read
  // only, so the event path does not import the scanner (scanner → sweep → events would cycle).
  listedResourceTypes?(accountId: string): ResourceTypes;
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
  /** From the API call (eventTime, to the second as CloudTrail records it) to the end of the action. */
  latencyMs: number;
  /** Time spent inside the handler. */
  handlingMs: number;
}

export type EventOutcome =
  /**
   * `summary` says what was done and what did not reach people, e.g. "remediated,
   * notification failed": a repair made is reported as made, whatever happened after it.
   */
  | { status: "handled"; report: EventActionReport; delivery: EventDelivery; summary: string }
  | { status: "dropped"; reason: DropReason; detail: string }
  /** A stack operation (events/stack-operations.ts): the account-region's ownership cache was dropped. */
  | { status: "noted"; detail: string };
