import type { RunReport } from "../core/types.js";
import { runCounts } from "./attention.js";
import { fleetGroups, fleetText } from "./fleet.js";
import { subjectText } from "./summary.js";
import { accountProblems, driftedItems, needsAttention, refusals, where } from "./view.js";

/**
 * What a chat message says about a run, before any chat's own format or escaping: the title, the
 * items that need a person (failed accounts, refusals, then resources a person must look at),
 * history and the largest fleet groups. Amazon Q Developer cards (chatbot.ts), Slack and Teams
 * (webhooks.ts) all render this one digest, so they cannot disagree.
 */
export interface ChatItem {
  kind: "account" | "refused" | "attention";
  /** The code, "REFUSED", or the outcome / guard / "contested". */
  label: string;
  what: string;
  where?: string;
  reason?: string;
}

export interface ChatDigest {
  title: string;
  items: ChatItem[];
  history?: string;
  fleet: string[];
  /** Stack ARNs of the items, for cards that link resources. */
  stackIds: string[];
}

/** Fleet groups a chat message names. */
export const CHAT_FLEET = 3;

export function chatDigest(report: RunReport): ChatDigest {
  const drifted = driftedItems(report);
  const attention = drifted.filter(needsAttention);
  const h = report.history;
  return {
    title: subjectText(runCounts(report)),
    items: [
      ...accountProblems(report).map((p): ChatItem => ({ kind: "account", label: p.error.code, what: p.where })),
      ...refusals(report).map((r): ChatItem => ({ kind: "refused", label: "REFUSED", what: r.what, where: r.where, reason: r.reason })),
      ...attention
        .filter((i) => i.resource.action.outcome !== "refused")
        .map((i): ChatItem => ({
          kind: "attention",
          label: i.resource.action.guard ? `held by ${i.resource.action.guard}` : i.resource.action.contested ? "contested" : i.resource.action.outcome,
          what: `${i.resource.logicalResourceId} (${i.resource.resourceType})`,
          where: where(i.account, i.region, i.stack.stackName),
        })),
    ],
    ...(h && !h.error ? { history: `Since the previous run: ${h.new} new, ${h.still} still drifted, ${h.resolved.length} resolved` } : {}),
    fleet: fleetGroups(drifted).slice(0, CHAT_FLEET).map((g) => `Same change ×${g.items.length}: ${fleetText(g)}`),
    stackIds: [...new Set(attention.map((i) => i.stack.stackId).filter((id): id is string => id !== undefined))],
  };
}
