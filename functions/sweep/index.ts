/**
 * The scheduled sweep of resources no stack manages (issue 21): one account-region at a time,
 * through the event path's guardrails and the remediation engine's one apply path.
 */
export { STACK_ID_TAG, sweepRegion, type SweepInput } from "./sweep-region.js";
export { listAccountBuckets, SWEEP_SOURCES, sweepActions } from "./sources.js";
export { openReported, s3ReportedStore, type ReportedMemory, type ReportedStore } from "./reported.js";
