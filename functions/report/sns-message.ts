import type { RunReport } from "../core/types.js";
import { chatbotNotification, type ChatLinks } from "./chatbot.js";
import { runSummary, type RunSummaryContext } from "./run-summary.js";
import { fitMessage, MESSAGE_MAX_BYTES, summaryText, type SummaryContext } from "./summary.js";

/**
 * One SNS Publish, a message per subscription protocol. Publish with `MessageStructure: "json"`
 * takes a JSON object whose top-level keys are protocols, each a string, with a required
 * "default" for every protocol not named; "Values have a maximum length bounded by the overall
 * message size (so, including multiple protocols may limit message sizes)" (Amazon SNS API
 * Reference, Publish: Message, MessageStructure). So the budget is the whole serialized
 * structure, JSON escaping included, not each value.
 *
 * - email: the readable text summary (summary.ts), every link an https console URL on its line
 *   (a mail client makes it clickable; an s3:// URI is not), as long as the budget allows.
 * - sqs, lambda, http, email-json: the compact JSON run summary (run-summary.ts), versioned; for
 *   an event-driven repair the event summary (events/event-summary.ts), through protocolMessages.
 * - https: the same JSON, or, with hub.notifications.chatbot, the Amazon Q Developer custom
 *   notification (chatbot.ts): Amazon Q subscribes to the topic over https, so every https
 *   subscriber gets the card then (subscribe a machine endpoint over http, SQS or Lambda).
 * - sms: the subject line (an SMS is 140 ASCII characters; SNS splits longer ones, at most
 *   1,600 characters per Publish: API reference, Publish, Message constraints).
 * - default (application push, Firehose, any protocol added later): the text's first
 *   DEFAULT_MAX_BYTES, cut at a line with a pointer to the full report.
 */

/** What the head of the text needs: the links, what needs a person, history and totals (~3 KB on the demo). */
export const DEFAULT_MAX_BYTES = 16 * 1024;

export type Protocol = "default" | "email" | "email-json" | "sqs" | "lambda" | "http" | "https" | "sms";

export interface SnsMessage {
  messageStructure: "json";
  /** The JSON object SNS parses, as sent. */
  message: string;
  /** Each protocol's value, for logs and tests. */
  perProtocol: Record<Protocol, string>;
  /** UTF-8 bytes of `message`: what SNS counts against its 256 KB. */
  bytes: number;
}

export interface SnsMessageContext {
  text: SummaryContext;
  summary: RunSummaryContext;
  /** Set: https subscribers get the Amazon Q Developer card with these links. */
  chatbot?: ChatLinks;
}

const pointerOf = (report: RunReport, ctx: SummaryContext) =>
  ctx.reportLocation ? `The full report is at ${ctx.reportLocation}` : `The full report could not be stored; see the Lambda logs for run ${report.runId}`;

export function snsMessage(report: RunReport, subject: string, ctx: SnsMessageContext, maxBytes = MESSAGE_MAX_BYTES): SnsMessage {
  const machine = JSON.stringify(runSummary(report, ctx.summary));
  return protocolMessages(
    { text: summaryText(report, ctx.text), pointer: pointerOf(report, ctx.text), machine, https: ctx.chatbot ? JSON.stringify(chatbotNotification(report, ctx.chatbot)) : machine, sms: subject },
    maxBytes,
  );
}

/** What one notification (a run, an event's repair) gives each protocol; protocolMessages fits them into one Publish. */
export interface MessageParts {
  /** Readable text for email and (cut to DEFAULT_MAX_BYTES) default. */
  text: string;
  /** The line that ends a cut text. */
  pointer: string;
  /** The compact versioned JSON for sqs, lambda, http, email-json. */
  machine: string;
  /** The machine JSON, or the chat card when hub.notifications.chatbot is set. */
  https: string;
  sms: string;
}

export function protocolMessages(parts: MessageParts, maxBytes = MESSAGE_MAX_BYTES): SnsMessage {
  const { text, pointer, machine } = parts;
  const fixed = {
    default: fitMessage(text, DEFAULT_MAX_BYTES, pointer),
    "email-json": machine,
    sqs: machine,
    lambda: machine,
    http: machine,
    https: parts.https,
    sms: parts.sms,
  };
  // The email gets what the other protocols leave. Escaping (\n, \", \\) makes its serialized
  // form longer than its bytes, so the cut is repeated with the overshoot taken off (twice at
  // most in practice: the second cut removes about as many escapes as it measured).
  const serialize = (email: string) => JSON.stringify({ ...fixed, email });
  const envelope = Buffer.byteLength(serialize(""), "utf8");
  let budget = maxBytes - envelope;
  let email = fitMessage(text, Math.max(0, budget), pointer);
  for (let over = Buffer.byteLength(serialize(email), "utf8") - maxBytes; over > 0 && budget > 0; over = Buffer.byteLength(serialize(email), "utf8") - maxBytes) {
    budget -= over;
    email = fitMessage(text, Math.max(0, budget), pointer);
  }
  const perProtocol: Record<Protocol, string> = { ...fixed, email };
  const message = JSON.stringify(perProtocol);
  return { messageStructure: "json", message, perProtocol, bytes: Buffer.byteLength(message, "utf8") };
}
