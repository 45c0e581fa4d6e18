/**
 * The plain-data model shared by the scanner, the remediation engine, the event path and the
 * report. Nothing here touches AWS: these are the values that flow between the pure core and
 * the ports.
 */

export type ResourceDriftStatus = "IN_SYNC" | "MODIFIED" | "DELETED" | "NOT_CHECKED" | "UNKNOWN";
export type StackDriftStatus = "DRIFTED" | "IN_SYNC" | "NOT_CHECKED" | "UNKNOWN";

/** One entry of CloudFormation's PropertyDifferences. */
export interface PropertyDifference {
  propertyPath: string;
  expectedValue: string;
  actualValue: string;
  differenceType: "ADD" | "REMOVE" | "NOT_EQUAL";
}

/** A drifted resource as CloudFormation reported it, with its JSON documents parsed. */
export interface ResourceDrift {
  logicalResourceId: string;
  physicalResourceId: string;
  resourceType: string;
  status: ResourceDriftStatus;
  /** Parsed ExpectedProperties; undefined for DELETED resources or when CloudFormation sent none. */
  expected?: Record<string, unknown>;
  /** Parsed ActualProperties. */
  actual?: Record<string, unknown>;
  differences: PropertyDifference[];
  /** CloudFormation's detection timestamp, ISO 8601. */
  detectedAt?: string;
}

/** Who made an out-of-band change, when CloudTrail can tell. */
export interface ChangeActor {
  arn?: string;
  type?: string;
  sourceIp?: string;
  eventName?: string;
  eventTime?: string;
  /** `event` for the event path, `cloudtrail-lookup` for scheduled findings. */
  source: "event" | "cloudtrail-lookup";
}

export type ExemptionState =
  | { kind: "none" }
  /** `setBy`: who set the tag, when CloudTrail lookup is on and found the tagging call. */
  | { kind: "exempt"; reason: string; until?: string; on: "stack" | "resource"; setBy?: ChangeActor }
  | { kind: "expired"; reason: string; until: string; on: "stack" | "resource" }
  | { kind: "invalid"; raw: string; problem: string; on: "stack" | "resource" };

/** A CloudFormation difference driftguard recognised as a known false positive (functions/drift/false-positives/). */
export interface FalsePositiveFinding {
  propertyPath: string;
  differenceType: PropertyDifference["differenceType"];
  /** Class ids, e.g. ["account-id-principal"]. */
  classes: string[];
  /** aws-cloudformation/cloudformation-coverage-roadmap issues documenting those classes. */
  roadmapIssues: number[];
}

/** A difference an accounts.yaml `ignore` rule lets drift. */
export interface IgnoredFinding {
  propertyPath: string;
  differenceType: PropertyDifference["differenceType"];
  reason: string;
  /** The rule's property pointer, e.g. "/Tags/*". */
  rule: string;
  until?: string;
}

export type ActionOutcome =
  /**
   * A planned write broke a privilege invariant (remediation/safety/invariants.ts): nothing was
   * sent. Shown first in the report and the notification.
   */
  | "refused"
  /** Repaired and verified IN_SYNC afterwards. */
  | "remediated"
  /** Report mode: what would have been done. */
  | "planned"
  /** Deliberately not touched: exempt, guard, flapping, in-sync. `reason` says which. */
  | "skipped"
  /** No safe automatic repair exists; a person must act. */
  | "manual"
  /** A repair was attempted and did not converge, or an API call failed. */
  | "failed"
  /** Every difference CloudFormation reported is a known false positive: nothing to repair. */
  | "in-sync"
  /** Every real difference is let drift by an accounts.yaml `ignore` rule. */
  | "ignored";

/** A template property as a repair step leaves it, in template shape (the convergence check's input). */
export interface StepEffect {
  /** JSON pointer into the resource's Properties. */
  path: string;
  value: unknown;
}

/** The guard that stopped a repair (remediation/guards.ts); a stopped repair is an error-level item. */
export type GuardName = "flapping" | "blast-radius" | "guard-state";

/** Drift that grants privilege (remediation/critical.ts): always reverted, whatever the guards say. */
export interface SecurityCriticalFinding {
  class: string;
  detail: string;
}

/** A resource re-drifted in `flappingThreshold` consecutive scans: someone keeps changing it. */
export interface ContestedInfo {
  /** Consecutive scheduled scans that found it drifted and repaired it. */
  scans: number;
  lastRepairedAt: string;
  /** Who made the changes that were repaired (CloudTrail ARNs), oldest first; empty when unknown. */
  changedBy: string[];
}

/** What driftguard did (or would do) about one drifted resource. */
export interface RemediationAction {
  outcome: ActionOutcome;
  /** Human-readable, specific: "detached arn:aws:iam::aws:policy/AdministratorAccess". */
  reason: string;
  /** The individual API-level steps, in order; for `planned`, the steps that would run. */
  steps: string[];
  /** Which remediator or mechanism acted: "AWS::IAM::Role", "revert-drift-change-set", "guardrail:open-ingress". */
  by?: string;
  /** The difference left after a failed verification. */
  remaining?: PropertyDifference[];
  /** Set when a guard stopped the repair (outcome `skipped`). */
  guard?: GuardName;
  /** Set when the drift grants privilege; such drift is reverted even past the guards. */
  securityCritical?: SecurityCriticalFinding[];
  /** Set when the resource keeps being changed back: a person must find out who and why. */
  contested?: ContestedInfo;
  /** Attachments (other resources' rules and policies on this one) that were found and kept. */
  honoured?: string[];
}

export interface ErrorInfo {
  /** AWS error code or a driftguard code such as "DeadlineReached". */
  code: string;
  message: string;
}

export interface ResourceReport extends ResourceDrift {
  exemption: ExemptionState;
  action: RemediationAction;
  changedBy?: ChangeActor;
  /** Differences recognised as CloudFormation false positives (not repaired, not drift). */
  falsePositives?: FalsePositiveFinding[];
  /** Differences let drift by an ignore rule, with its reason. */
  ignored?: IgnoredFinding[];
  /** New since the previous run or still drifted, and since when (report/history.ts); absent without history. */
  seen?: FindingSeen;
}

export interface FindingSeen {
  status: "new" | "still";
  /** The start of the first run that found it drifted. */
  firstSeen: string;
}

/** A finding of the previous run this run looked at and found no longer drifted. */
export interface ResolvedFinding {
  accountId: string;
  region: string;
  stackName: string;
  logicalResourceId: string;
  resourceType: string;
  firstSeen: string;
}

/** The run against reports/index.json (report/history.ts). */
export interface RunHistory {
  previousRunId?: string;
  previousStartedAt?: string;
  /** Drifted resources not drifted in any earlier run still in the index. */
  new: number;
  /** Drifted in the previous run too (or carried since it was last checked). */
  still: number;
  resolved: ResolvedFinding[];
  /** Earlier findings this run could not check (account/region failed or not reached, stack skipped): kept open. */
  notChecked: number;
  /** Oldest first, this run last: at most the last 30 runs. */
  trend: { runId: string; startedAt: string; resourcesDrifted: number; remediated: number }[];
  /** The index could not be read or was invalid: no marks, and the index was not rewritten. */
  error?: ErrorInfo;
}

/** A resource drift detection did not check (coverage). */
export interface UncheckedResource {
  logicalResourceId: string;
  resourceType: string;
  status: "NOT_CHECKED" | "UNKNOWN" | "UNSUPPORTED";
}

export interface StackReport {
  stackName: string;
  stackId?: string;
  stackStatus?: string;
  /** `scanned` = drift detection completed (maybe partially, see detectionStatusReason). */
  scan: "scanned" | "skipped" | "failed" | "not-scanned";
  /** Why the stack was skipped / failed / not scanned, e.g. "status ROLLBACK_COMPLETE", "excluded by glob". */
  scanReason?: string;
  driftStatus?: StackDriftStatus;
  /** DETECTION_FAILED keeps the partial results and CloudFormation's reason here. */
  detectionStatusReason?: string;
  parentStackId?: string;
  exemption: ExemptionState;
  resources: ResourceReport[];
  /** Whole-stack REVERT_DRIFT change set, when configured for this stack. */
  stackAction?: RemediationAction;
  error?: ErrorInfo;
  /** Resources drift detection did not check in this stack (coverage). */
  unchecked?: UncheckedResource[];
  /** Why the unchecked resources could not be listed; coverage is then unknown for the stack. */
  uncheckedError?: ErrorInfo;
}

/** A retryable failure (5xx, throttling) that was retried once at the end of the run. */
export interface RetryInfo {
  /** The first attempt's error. */
  error: ErrorInfo;
  /** What the retry at the end of the run did. */
  outcome: "recovered" | "failed-again";
}

export interface RegionReport {
  region: string;
  status: "scanned" | "failed" | "not-scanned";
  error?: ErrorInfo;
  retried?: RetryInfo;
  stacks: StackReport[];
  /** The scheduled sweep of resources no stack manages (functions/sweep/); absent when the region was not scanned. */
  unmanaged?: RegionSweep;
  /**
   * Stacks scanned fully in sync with nothing else to say (report/in-sync.ts isInSyncStack),
   * counted here instead of listed in `stacks`: at 5,000 stacks, 90 % of them in sync, the run
   * holds and stores 4,500 fewer rows. Absent means 0; `report.includeInSync: true` lists them.
   */
  inSyncStacks?: number;
}

// ---- issue 21: the scheduled sweep of unmanaged resources (functions/sweep/) ----

/** One guardrail's verdict on one resource no stack manages, with what was done about it. */
export interface UnmanagedFinding {
  /** The guardrail's name, e.g. "open-ingress". */
  guardrail: string;
  resourceType: string;
  physicalId: string;
  exemption: ExemptionState;
  /** `by` is "guardrail:<name>"; the sweep acts with the spoke role. */
  action: RemediationAction;
  /** When the action was taken (or planned), ISO 8601. */
  at: string;
  /** Who created the resource, when CloudTrail event history (90 days) says. */
  createdBy?: ChangeActor;
}

/** A part of the sweep that did not run: a resource type not listed, or the rest after the time budget. */
export interface NotSwept {
  resourceType: string;
  reason: string;
  error?: ErrorInfo;
}

/** The run report's "unmanaged resources" section (functions/report/unmanaged.ts), built from every region's sweep. */
export interface UnmanagedSection {
  /** Per guardrail and account: how many violations, and what happened to them. */
  counts: { guardrail: string; accountId: string; findings: number; exempt: number; outcomes: Partial<Record<ActionOutcome, number>> }[];
  /** Every finding with its action: who acted (`by`, with the spoke role), when, and who created the resource. */
  actions: ({ accountId: string; region: string } & UnmanagedFinding)[];
  /** What was not swept: resource types, the rest after the time budget, regions not scanned. */
  notSwept: ({ accountId: string; region: string } & NotSwept)[];
}

export interface RegionSweep {
  /** `partial`: something is in notSwept; `not-swept`: nothing was listed. */
  status: "swept" | "partial" | "not-swept";
  /** Resources listed per type, and how many of them a stack manages (drift detection's to check). */
  listed: { resourceType: string; count: number; managed: number }[];
  /** Every guardrail violation found on an unmanaged resource, exempt ones included. */
  findings: UnmanagedFinding[];
  notSwept: NotSwept[];
}

export interface AccountReport {
  accountId: string;
  name: string;
  /** not-in-organization / suspended accounts are listed but never scanned. */
  status: "scanned" | "failed" | "not-scanned" | "suspended" | "not-in-organization";
  error?: ErrorInfo;
  retried?: RetryInfo;
  mode: "report" | "remediate";
  regions: RegionReport[];
  /** i17: regions enabled in the account (EC2 DescribeRegions, seen through its spoke role), when it could tell. */
  enabledRegions?: string[];
  /** i17: the onboarded OU whose settings applied, for accounts onboarded through one. */
  organizationalUnit?: string;
}

export interface ReportTotals {
  accounts: number;
  accountsFailed: number;
  regions: number;
  stacksScanned: number;
  stacksSkipped: number;
  stacksFailed: number;
  stacksNotScanned: number;
  stacksDrifted: number;
  resourcesDrifted: number;
  /** Actions refused by the privilege invariants (resources and REVERT_DRIFT change sets). */
  refused: number;
  remediated: number;
  planned: number;
  skipped: number;
  exempt: number;
  invalidExemptions: number;
  manual: number;
  failed: number;
  /** Repairs a guard stopped (flapping, blast radius, unreadable guard state): error-level. */
  guardTrips: number;
  /** Resources re-drifted in `flappingThreshold` consecutive scans: error-level. */
  contested: number;
  /** Run-level errors (runErrors), e.g. an unreadable flapping record. */
  runErrors: number;
  /** Accounts and regions retried once at the end of the run after a retryable failure. */
  retried: number;
  errors: number;
  /** Resources whose every difference is a known CloudFormation false positive (outcome in-sync). */
  falsePositives: number;
  /** Resources whose every real difference an ignore rule lets drift (outcome ignored). */
  ignored: number;
  /** Resources drift detection did not check (NOT_CHECKED), in scanned stacks. */
  resourcesNotChecked: number;
  /** Resources whose drift status is UNKNOWN or UNSUPPORTED, in scanned stacks. */
  resourcesUnknown: number;
  /** Nested stacks whose resources no drift detection reached. */
  nestedStacksNotReached: number;
}

/** What driftguard could not see, or chose not to count, in CloudFormation drift. */
export interface DriftCoverage {
  /** Unchecked resources grouped per account, region, stack, type and status. */
  unchecked: {
    accountId: string;
    region: string;
    stackName: string;
    resourceType: string;
    status: UncheckedResource["status"];
    count: number;
    logicalResourceIds: string[];
  }[];
  /** Scanned stacks whose resources could not be listed: their coverage is unknown. */
  unlisted: { accountId: string; region: string; stackName: string; error: ErrorInfo }[];
  /** Every nested stack, and whether drift detection reached its resources. */
  nestedStacks: { accountId: string; region: string; stackName: string; parentStackId: string; reached: boolean; reason?: string }[];
  falsePositives: ({ accountId: string; region: string; stackName: string; logicalResourceId: string; resourceType: string } & FalsePositiveFinding)[];
  ignored: ({ accountId: string; region: string; stackName: string; logicalResourceId: string; resourceType: string } & IgnoredFinding)[];
}

/** The report's coverage section, one part per concern. */
export interface ReportCoverage {
  drift: DriftCoverage;
  /** i17: who in the organization is not scanned; absent when the run did not read the organization (events, CLI plans of one account). */
  organization?: OrganizationCoverage;
}

// ---- i17: organization coverage (report.coverage.organization) ----
/** Where an account sits in the organization. */
export interface OrganizationalUnitRef {
  id: string;
  name: string;
  /** Names from the root down, e.g. "Root/Workloads/Prod". */
  path: string;
}

/** Who in the organization driftguard does not look at, and why. */
export interface OrganizationCoverage {
  /** False when the organization could not be walked; `error` says why and the lists are empty. */
  available: boolean;
  error?: ErrorInfo;
  /** ACTIVE members of the organization. */
  activeAccounts: number;
  /** ACTIVE members whose scan ran (status scanned). */
  scannedAccounts: number;
  /** scannedAccounts / activeAccounts, in percent with one decimal; 0 for an empty organization. */
  percent: number;
  /** ACTIVE members that are not onboarded; `excluded`/`retired` say when accounts.yaml chose that. */
  notOnboarded: { accountId: string; name: string; organizationalUnit?: OrganizationalUnitRef; reason: "not-onboarded" | "excluded" | "retired" }[];
  /** Onboarded accounts that are suspended, closed or gone from the organization. */
  onboardedNotActive: { accountId: string; name: string; status: "suspended" | "not-in-organization"; state?: string }[];
  /** Scanned accounts with enabled regions that are not in their `regions`. */
  regionsNotScanned: { accountId: string; name: string; regions: string[] }[];
}

/** The organization as the run saw it, reduced to what coverage needs (and small enough for the fan-out plan). */
export type OrganizationSnapshot =
  | { available: true; members: SnapshotMember[] }
  | { available: false; error: ErrorInfo };

export interface SnapshotMember {
  accountId: string;
  name: string;
  /** Organizations' State (or Status on older responses): ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED … */
  state: string;
  organizationalUnit?: OrganizationalUnitRef;
}

// ---- end i17 ----

/** An exemption in force during the run, so a person can review every one and when it ends. */
export interface ActiveExemption {
  accountId: string;
  region: string;
  stackName: string;
  /** Absent for a stack exemption. */
  logicalResourceId?: string;
  on: "stack" | "resource";
  reason: string;
  /** Absent: no expiry. */
  until?: string;
  /** Who set the tag, when CloudTrail lookup is on for the account and found the call. */
  setBy?: ChangeActor;
}

/** Changes per version: functions/report/CHANGELOG.md (1.2.0: i14 in-sync/ignored, coverage.drift; 1.3.0: j18 in-sync counts, history; 1.4.0: i17 coverage.organization; 1.5.0: j21 unmanaged, j12 effective mode). */
export const REPORT_SCHEMA_VERSION = "1.6.0";

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  runId: string;
  /** `schedule` | `event` | `fanout-worker` … */
  trigger: string;
  mode: "report" | "remediate";
  startedAt: string;
  finishedAt: string;
  configHash: string;
  /** True when the run stopped early (Lambda deadline) and some work is listed as not-scanned. */
  incomplete: boolean;
  accounts: AccountReport[];
  /** Problems of the run itself that stop repairs (guard state, lease): each one counts in totals.errors. */
  runErrors: ErrorInfo[];
  /** Every valid exemption the run honoured or found, with its expiry. */
  exemptions: ActiveExemption[];
  totals: ReportTotals;
  /** What driftguard could not see: unchecked resources, nested stacks, false positives, ignores. */
  coverage: ReportCoverage;
  /** Issue 21: the guardrails' sweep of resources no stack manages. */
  unmanaged: UnmanagedSection;
  /** New / still / resolved against the previous run, and the trend; added when the report is published to S3. */
  history?: RunHistory;
  /** k18: chat webhooks that failed (report/webhooks.ts); present only when one did (the report is stored again with it). */
  notifications?: { webhooks: { name: string; format: "slack" | "teams"; ok: boolean; status?: number; bytes?: number; error?: ErrorInfo }[] };
}
