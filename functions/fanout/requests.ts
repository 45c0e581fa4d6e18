import { MODES, type Mode } from "../config/schema.js";
import type { WorkItem } from "./types.js";

/**
 * The state machine's three invocations of the scanner Lambda:
 * - `{"fanout": "plan", "input": <execution input: {"trigger"?, "mode"?}>}`
 * - `{"fanout": "scan", "runId", "accountId", "modeOverride"?}` (a WorkItem, read from items.json)
 * - `{"fanout": "reduce", "runId"}`
 */
export type FanoutRequest =
  | { step: "plan"; trigger: string; modeOverride?: Mode }
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

export function parseFanoutRequest(event: Record<string, unknown>): Parsed {
  switch (event.fanout) {
    case "plan": {
      const input = isRecord(event.input) ? event.input : {};
      const trigger = input.trigger ?? "schedule";
      if (typeof trigger !== "string") return { problem: `input.trigger must be a string` };
      const m = mode(input.mode, "input.mode");
      return "problem" in m ? m : { step: "plan", trigger, ...m };
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
