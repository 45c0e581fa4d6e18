import { MODES, type Mode } from "../config/schema.js";
import type { WorkItem } from "./types.js";

/**
 * The state machine's three invocations of the scanner Lambda:
 * - `{"fanout": "plan", "input": <execution input: {"trigger"?, "mode"?}>, "execution"?: {"name", "startTime"}}`
 *   (`execution` from the context object `$$.Execution`, so a retried Plan keeps its run id)
 * - `{"fanout": "scan", "runId", "accountId", "modeOverride"?}` (a WorkItem, read from items.json)
 * - `{"fanout": "reduce", "runId"}`
 */
export type FanoutRequest =
  | { step: "plan"; trigger: string; modeOverride?: Mode; execution?: { name: string; startTime: string } }
  | { step: "scan"; item: WorkItem }
  | { step: "reduce"; runId: string };

/** Ids end up in S3 keys: only the shapes newRunId and accounts.yaml produce are accepted. */
const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{1,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

type Parsed = FanoutRequest | { problem: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mode(value: unknown, field: string): { modeOverride?: Mode } | { problem: string } {
  if (value === undefined) return {};
  if (typeof value === "string" && (MODES as readonly string[]).includes(value)) return { modeOverride: value as Mode };
  return { problem: `${field} ${JSON.stringify(value)} is not one of ${MODES.join(", ")}` };
}

function runId(value: unknown): { runId: string } | { problem: string } {
  return typeof value === "string" && RUN_ID.test(value) ? { runId: value } : { problem: `runId ${JSON.stringify(value)} is not a driftguard run id` };
}

/** `$$.Execution.Name` (1–80 characters) and `$$.Execution.StartTime` (ISO 8601), or absent for a direct invocation. */
function parseExecution(value: unknown): { name: string; startTime: string } | { problem: string } | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || typeof value.name !== "string" || value.name.length === 0 || value.name.length > 80) return { problem: `execution.name must be the execution's name (1-80 characters)` };
  if (typeof value.startTime !== "string" || Number.isNaN(Date.parse(value.startTime))) return { problem: `execution.startTime ${JSON.stringify(value.startTime)} is not an ISO 8601 time` };
  return { name: value.name, startTime: value.startTime };
}

export function parseFanoutRequest(event: Record<string, unknown>): Parsed {
  switch (event.fanout) {
    case "plan": {
      const input = isRecord(event.input) ? event.input : {};
      const trigger = input.trigger ?? "schedule";
      if (typeof trigger !== "string") return { problem: `input.trigger must be a string` };
      const m = mode(input.mode, "input.mode");
      if ("problem" in m) return m;
      const execution = parseExecution(event.execution);
      if (execution !== undefined && "problem" in execution) return execution;
      return { step: "plan", trigger, ...m, ...(execution ? { execution } : {}) };
    }
    case "scan": {
      const id = runId(event.runId);
      if ("problem" in id) return id;
      if (typeof event.accountId !== "string" || !ACCOUNT_ID.test(event.accountId)) return { problem: `accountId ${JSON.stringify(event.accountId)} is not a 12-digit account id` };
      const m = mode(event.modeOverride, "modeOverride");
      if ("problem" in m) return m;
      return { step: "scan", item: { fanout: "scan", runId: id.runId, accountId: event.accountId, ...m } };
    }
    case "reduce": {
      const id = runId(event.runId);
      return "problem" in id ? id : { step: "reduce", runId: id.runId };
    }
    default:
      return { problem: `fanout ${JSON.stringify(event.fanout)} is not one of plan, scan, reduce` };
  }
}
