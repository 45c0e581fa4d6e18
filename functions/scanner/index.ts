/**
 * The scanner's public surface: a whole scan (runScan), one account (scanAccount, for fan-out
 * workers), the spoke-role credentials, and the stack selection the event path shares.
 */
export { assumeRoleCredentials, assumeRoleError, roleSessionName, spokeRoleArn } from "./credentials.js";
export type { AccountSelection } from "./organization.js";
export { fullyScanned, selectAccounts, runScan, scanOrganization, type RunScanOptions, type RunScanResult, type ScanOrganizationOptions } from "./run.js";
export { scanAccount } from "./scan-account.js";
export { DRIFT_DETECTABLE_STATUSES, globExclusion } from "./stacks.js";
export type { ScanContext, ScanDeps, ScanProgress } from "./types.js";
