/**
 * The composition root: production dependencies for the scan and the event path, read once per
 * Lambda container. Only entry points (handler, sandbox runner, benchmark) import it.
 */
export { executionRunId, newRunId } from "./run-id.js";
export { eventDeps, loadRuntime, scanDeps, type Runtime } from "./wiring.js";
