/**
 * The report's public surface: build the consolidated run report, publish it (S3 then SNS), and
 * the SNS limits other notifications share.
 */
export { buildReport, configHash } from "./build.js";
export { foldInSync, inSyncCount, isInSyncStack } from "./in-sync.js";
export { publishReport, type PublishOutcome, type PublishTarget } from "./publish.js";
export { fitMessage, MESSAGE_MAX_BYTES, toSnsSubject } from "./summary.js";
export { heldBy, needsAttention, runCounts, type RunCounts } from "./attention.js";
export { RUN_METRICS, runMetricValues, type RunMetricName } from "./metrics.js";
export { summarySubject } from "./summary.js";
export { renderHtml } from "./html.js";
export { renderMarkdown } from "./markdown.js";
export { problems, totalsTable } from "./view.js";
export { EMPTY_INDEX, parseHistoryIndex, withHistory, withoutHistory, type HistoryIndex } from "./history.js";
export { renderHistoryPage } from "./history-html.js";
export { deliverWebhooks, slackMessage, teamsMessage, webhookReadGrants, type WebhookOutcome, type WebhookPorts } from "./webhooks.js";
export { cloudTrailUrl, resourceUrl, s3ObjectUrl, stackDriftUrl } from "./console-links.js";
export type { ChatbotNotification } from "./chatbot.js";
export { protocolMessages, type MessageParts } from "./sns-message.js";
