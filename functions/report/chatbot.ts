import type { RunReport } from "../core/types.js";
import { runCounts } from "./attention.js";
import { fleetGroups, fleetText } from "./fleet.js";
import { text } from "./markdown.js";
import { subjectText } from "./summary.js";
import { accountProblems, driftedItems, needsAttention, refusals, where } from "./view.js";

/**
 * The run as an Amazon Q Developer in chat applications (AWS Chatbot) custom notification, the
 * format its SNS subscriptions render in Slack, Microsoft Teams and Chime: `{ version: "1.0",
 * source: "custom", id, content: { textType: "client-markdown", title, description, nextSteps },
 * metadata: { summary, eventType, relatedResources } }` (Amazon Q Developer in chat applications
 * Administrator Guide, "Custom notifications", Event schema and Parameter details). Chat shows
 * a short card: the title is the SNS subject, the description what needs a person (at most
 * CHAT_ITEMS lines, then a count), nextSteps the https links. Member-controlled values are
 * Markdown-escaped (report/markdown.ts `text`): client-markdown renders links and emphasis.
 */
export const CHAT_ITEMS = 10;
/** Well under any chat client's message size; the full report is one click away. */
export const CHAT_DESCRIPTION_MAX = 3_500;

export interface ChatLinks {
  report?: string;
  history?: string;
}

export interface ChatbotNotification {
  version: "1.0";
  source: "custom";
  id: string;
  content: { textType: "client-markdown"; title: string; description: string; nextSteps: string[] };
  metadata: { summary: string; eventType: string; relatedResources: string[] };
}

export function chatbotNotification(report: RunReport, links: ChatLinks): ChatbotNotification {
  const counts = runCounts(report);
  const items = driftedItems(report);
  const lines = [
    ...accountProblems(report).map((p) => `:x: ${text(p.where)}: ${text(p.error.code)}`),
    ...refusals(report).map((r) => `:no_entry: REFUSED ${text(r.what)} in ${text(r.where)}: ${text(r.reason)}`),
    ...items.filter(needsAttention).filter((i) => i.resource.action.outcome !== "refused").map((i) => `:warning: ${text(i.resource.action.guard ? `held by ${i.resource.action.guard}` : i.resource.action.contested ? "contested" : i.resource.action.outcome)}: ${text(i.resource.logicalResourceId)} (${text(i.resource.resourceType)}) in ${text(where(i.account, i.region, i.stack.stackName))}`),
  ];
  const shown = lines.slice(0, CHAT_ITEMS);
  const h = report.history;
  const description = [
    ...(shown.length > 0 ? ["*Needs you*", ...shown, ...(lines.length > shown.length ? [`… and ${lines.length - shown.length} more in the full report`] : [])] : [":white_check_mark: Nothing needs a person."]),
    ...(h && !h.error ? [`Since the previous run: ${h.new} new, ${h.still} still drifted, ${h.resolved.length} resolved`] : []),
    ...fleetGroups(items).slice(0, 3).map((g) => `Same change ×${g.items.length}: ${text(fleetText(g))}`),
  ].join("\n");
  const cut = description.length <= CHAT_DESCRIPTION_MAX ? description : `${description.slice(0, description.lastIndexOf("\n", CHAT_DESCRIPTION_MAX - 40))}\n… cut; see the full report`;
  return {
    version: "1.0",
    source: "custom",
    id: report.runId,
    content: {
      textType: "client-markdown",
      title: subjectText(counts),
      description: cut,
      nextSteps: [...(links.report ? [`Full report: ${links.report}`] : []), ...(links.history ? [`All runs: ${links.history}`] : [])],
    },
    metadata: { summary: subjectText(counts), eventType: "DriftguardRun", relatedResources: [...new Set(items.filter(needsAttention).map((i) => i.stack.stackId).filter((id): id is string => id !== undefined))].slice(0, CHAT_ITEMS) },
  };
}
