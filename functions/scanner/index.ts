/**
 * The scanner's public surface: a whole scan (runScan), one account (scanAccount, for fan-out
 * workers), the spoke-role credentials, and the stack selection the event path shares.
 */
export { assumeRoleCredentials, assumeRoleError, ownRoleArns, roleSessionName, spokeRoleArn } from "./credentials.js";
export { ORGANIZATION_ACTIONS, readMembership, type AccountSelection, type OrganizationIdSource } from "./organization.js";
export { lookupPlacement, PLACEMENT_ACTIONS, type PlacedMember } from "./member-placement.js";
export { scanWithRetry } from "./retry.js";
export { DEFAULT_LEASE_TTL_MS, selectAccounts, RunInProgressError, runScan, skippedRun, saveGuards, saveSweepMemory, openSweepMemory, scanOrganization, warnExpiredIgnores, type RunScanOptions, type RunScanResult, type ScanOrganizationOptions } from "./run.js";
export { acquireRunLease, joinRunLease, leaseProblem, releaseRunLease } from "./run-lease.js";
export { announceSkippedRun, skippedRunNotice, type SkippedRun } from "./skipped-run.js";
export { scanAccount } from "./scan-account.js";
export { ENABLED_REGIONS_ACTIONS } from "./enabled-regions.js";
export { openCapacity, type ScanCapacity } from "./capacity.js";
export { lambdaHeapFlags, lambdaLimits, sizeConcurrency, type ConcurrencySizing, type RuntimeLimits } from "./concurrency.js";
export { chooseExecution, describeExecution, effectiveExecution, ESTIMATE, type ExecutionChoice } from "./execution-choice.js";
export { DRIFT_DETECTABLE_STATUSES, globExclusion } from "./stacks.js";
export {
  DetectionTimes,
  estimateDetection,
  parseDetectionTimes,
  s3DetectionTimesStore,
  saveDetectionTimes,
  type DetectionEstimate,
  type DetectionTimesRecord,
} from "./detection-times.js";
export { keptResourceTypes, listedResourceTypes, openStackListings, s3StackListingStore, type StackListings, type StackListingStore } from "./stack-listings.js";
export type { ScanContext, ScanDeps, ScanProgress } from "./types.js";
