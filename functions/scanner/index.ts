/**
 * The scanner's public surface: a whole scan (runScan), one account (scanAccount, for fan-out
 * workers), the spoke-role credentials, and the stack selection the event path shares.
 */
export { assumeRoleCredentials, roleSessionName, spokeRoleArn } from "./credentials.js";
export { ORGANIZATION_ACTIONS, type AccountPlan } from "./organization.js";
export { fullyScanned, planAccounts, runScan, type RunScanOptions, type RunScanResult } from "./run.js";
export { scanAccount } from "./scan-account.js";
export { ENABLED_REGIONS_ACTIONS } from "./enabled-regions.js";
export { DRIFT_DETECTABLE_STATUSES, globExclusion } from "./stacks.js";
export type { ScanContext, ScanDeps, ScanProgress } from "./types.js";
