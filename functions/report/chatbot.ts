import type { RunReport } from "../core/types.js";
import { chatDigest, type ChatItem } from "./chat-digest.js";
import { text } from "./markdown.js";

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

const EMOJI: Record<ChatItem["kind"], string> = { account: ":x:", refused: ":no_entry:", attention: ":warning:" };

function itemLine(i: ChatItem): string {
  if (i.kind === "account") return `${EMOJI.account} ${text(i.what)}: ${text(i.label)}`;
  if (i.kind === "refused") return `${EMOJI.refused} REFUSED ${text(i.what)} in ${text(i.where)}: ${text(i.reason)}`;
  return `${EMOJI.attention} ${text(i.label)}: ${text(i.what)} in ${text(i.where)}`;
}

export function chatbotNotification(report: RunReport, links: ChatLinks): ChatbotNotification {
  const digest = chatDigest(report);
  const lines = digest.items.map(itemLine);
  const shown = lines.slice(0, CHAT_ITEMS);
  const description = [
    ...(shown.length > 0 ? ["*Needs you*", ...shown, ...(lines.length > shown.length ? [`… and ${lines.length - shown.length} more in the full report`] : [])] : [":white_check_mark: Nothing needs a person."]),
    ...(digest.history ? [digest.history] : []),
    ...digest.fleet.map((f) => text(f)),
  ].join("\n");
  const cut = description.length <= CHAT_DESCRIPTION_MAX ? description : `${description.slice(0, description.lastIndexOf("\n", CHAT_DESCRIPTION_MAX - 40))}\n… cut; see the full report`;
  return {
    version: "1.0",
    source: "custom",
    id: report.runId,
    content: {
      textType: "client-markdown",
      title: digest.title,
      description: cut,
      nextSteps: [...(links.report ? [`Full report: ${links.report}`] : []), ...(links.history ? [`All runs: ${links.history}`] : [])],
    },
    metadata: { summary: digest.title, eventType: "DriftguardRun", relatedResources: digest.stackIds.slice(0, CHAT_ITEMS) },
  };
}
