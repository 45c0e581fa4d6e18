/**
 * The event path's public surface: a CloudTrail change event in, the repair or guardrail action
 * and its event report out. Everything else in events/ is internal to it.
 */
export { guardrailActions } from "./guardrails/registry.js";
export { handleChangeEvent } from "./handle.js";
export { publishEventReport } from "./publish.js";
export { RecentIds } from "./recent-ids.js";
export type { EventDeps } from "./types.js";
