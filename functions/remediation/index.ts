/**
 * Remediation's public surface: the engine (per stack and per resource), the guards that bound
 * it, modes and exemptions, and the registries the IAM policies are derived from.
 */
export { remediateResource, remediateStack, type ResourceRemediationInput, type StackRemediationInput, type StackRemediationResult } from "./engine.js";
export { exemptionFromTags, exemptionPolicy, type ExemptionPolicy } from "./exemption.js";
export { emptyFlappingRecord, s3FlappingStore, type FlappingRecord, type FlappingStore } from "./flapping-store.js";
export { createGuards, GUARD_STATE_NOT_SAVED, type GuardLimits, type RemediationGuards } from "./guards.js";
export { effectiveMode, runMode, withModeOverride } from "./mode.js";
export { REMEDIATORS } from "./registry.js";
export { RESOURCE_TAG_ACTIONS } from "./resource-tags.js";
export { createOwnershipLookup, NO_ATTACHMENTS, OWNERSHIP_ACTIONS, type OwnershipLookup, type ResourceTypes } from "./ownership/lookup.js";
export { describeAttachment, ownedRules } from "./ownership/owned.js";
export { ruleFromLive, ruleKey } from "./sg-rules.js";
export { type OrganizationMembership, safetyPolicy, type SafetyPolicy } from "./safety/invariants.js";
export { NOTHING_OWNED, type Owned } from "./ownership/owned.js";
export { runPipeline } from "./pipeline.js";
export type { PlannedStep } from "./plan.js";
export { changeSetName, REVERT_BY } from "./revert-drift.js";
