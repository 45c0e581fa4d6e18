import type { DetectionTimes, DetectionTimesStore } from "./detection-times.js";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { OrganizationMembership } from "../remediation/index.js";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { WebhookPorts } from "../report/index.js";
import type { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { SpokeClientOptions, SpokeClients } from "../aws/clients.js";
import type { Config } from "../config/schema.js";
import type { AccountReport, RegionReport, StackReport } from "../core/types.js";
import type { FlappingStore, RemediationGuards, StackRemediationInput, StackRemediationResult } from "../remediation/index.js";
import type { RateLimiter } from "../aws/rate-limit.js";
import type { Deadline } from "../core/deadline.js";
import type { Logger } from "../core/logger.js";
import type { DetectionTimeEstimator } from "./poll-schedule.js";
import type { ReportedMemory, ReportedStore } from "../sweep/index.js";
import type { RegionPace, ScanCapacity } from "./capacity.js";
import type { StackListings, StackListingStore } from "./stack-listings.js";

/** Everything the scan touches outside plain data: AWS clients, the engine, time, randomness, logs. */
export interface ScanDeps {
  /** Hub clients (Lambda execution role). */
  organizations: OrganizationsClient;
  sts: STSClient;
  s3: S3Client;
  sns: SNSClient;
  /** k18: what the report's chat webhooks are read and posted with (report/webhooks.ts); absent: webhooks reported not delivered. */
  chat?: WebhookPorts;
  /**
   * One client set per account-region; `createSpokeClients` in production. `options` carries the
   * run's account-region CloudFormation budget and socket pool (capacity.ts).
   */
  spokeClients(accountId: string, region: string, credentials: AwsCredentialIdentityProvider, options?: SpokeClientOptions): SpokeClients;
  /** The remediation engine (`remediateStack` in remediation/engine.ts), injected so each side is tested alone. */
  remediateStack(input: StackRemediationInput): Promise<StackRemediationResult>;
  /** Where the flapping guard's record lives (state/flapping.json in the report bucket). */
  flappingStore: FlappingStore;
  /** Where each account's stack resource listings are kept between runs (stack-listings.ts); absent: listed every run. */
  stackListingStore?: StackListingStore;
  /** What the sweep's notify-only rules already reported (functions/sweep/reported.ts); absent: all reported every run. */
  reportedStore?: ReportedStore;
  /** Where the runs' measured detection times are kept for `hub.execution: auto` (detection-times.ts); absent: not kept. */
  detectionTimesStore?: DetectionTimesStore;
  /**
   * Credentials for one spoke account; by default the spoke role assumed through `sts`. The CLI's
   * --current-credentials scans the caller's own account with the caller's credentials instead.
   */
  spokeCredentials?(accountId: string, roleArn: string, sessionName: string): AwsCredentialIdentityProvider;
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1): backoff jitter. */
  random(): number;
  logger: Logger;
}

/** What `onProgress` hears, as each piece of the scan finishes. */
export type ScanProgress =
  | { kind: "accounts"; configured: number; toScan: number }
  /** A region's stacks were listed: how many will be scanned (for running totals). */
  | { kind: "stacks"; accountId: string; region: string; targets: number }
  | { kind: "stack"; accountId: string; region: string; stack: StackReport }
  | { kind: "region"; accountId: string; region: RegionReport }
  | { kind: "account"; account: AccountReport }
  /** Once a run's (or a fan-out worker's) accounts are scanned: its stacks in flight against the heap budget (capacity.ts StackSlots). */
  | { kind: "heap"; peakStacksInFlight: number; stacksInFlightCap: number; heldReportBytes: number; oldSpaceMb: number };

/** What the stacks of one account-region share: its clients and what describes its quotas and timings. */
export interface RegionScope {
  clients: SpokeClients;
  /** How long this account-region's drift detections take (poll-schedule.ts). */
  estimator: DetectionTimeEstimator;
  /** Its CloudFormation budget and stacks in flight: how fast its stacks may poll (capacity.ts). */
  pace: RegionPace;
  /** CloudTrail LookupEvents' per-account-region quota. */
  lookupLimiter: RateLimiter;
  /** The account's privilege invariants and attachment lookup, for the engine. */
  remediation: AccountRemediation;
  /** The account's stack resource listings (coverage, and which stacks hold attachments). */
  listings: StackListings;
}

/** Per account: the invariants and the attachment lookup (shared by its regions) the engine needs. */
export type AccountRemediation = Pick<StackRemediationInput, "safety" | "ownership">;

/** Per-run state handed down the account → region → stack tree. */
export interface ScanContext {
  deps: ScanDeps;
  config: Config;
  /**
   * The organization's members, read once per run (the scan's walk), for the trust invariant;
   * an error when they could not be read, so trust in other accounts is refused, not guessed.
   */
  membership: OrganizationMembership;
  runId: string;
  deadline: Deadline;
  guards: RemediationGuards;
  /** The sweep's memory of what notify-only rules reported, opened once per run. */
  reported?: ReportedMemory;
  /** The concurrency plan and what keeps to it: budgets, sockets, account-region slots. */
  capacity: ScanCapacity;
  progress(event: ScanProgress): void;
  /** The run's measured detection times (detection-times.ts), kept after the run by runScan. */
  detectionTimes?: DetectionTimes;
}
