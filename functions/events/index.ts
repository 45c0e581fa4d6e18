/**
 * The event path's public surface: a CloudTrail change event in, the repair or guardrail action
 * and its event report out. Everything else in events/ is internal to it.
 */
export { GUARDRAIL_SETTINGS, guardrailActions, GUARDRAILS, type GuardrailSettingsBlocks } from "./guardrails/registry.js";
// For the scheduled sweep (functions/sweep/): the same guardrails, through the same evaluation.
export { evaluateGuardrail } from "./guardrails/evaluate.js";
export type { Guardrail, GuardrailSettings, Inspection } from "./guardrails/types.js";
export { findOwningStack } from "./owning-stack.js";
export type { AffectedResource } from "./resolve.js";
export { handleChangeEvent } from "./handle.js";
export { cachedMembership, MEMBERSHIP_TTL_MS } from "./membership.js";
export { publishEventReport } from "./publish.js";
export { RecentIds } from "./recent-ids.js";
export type { EventDeps } from "./types.js";
