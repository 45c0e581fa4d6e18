import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { WebhookConfig } from "../config/schema.js";
import type { ErrorInfo, RunReport } from "../core/types.js";
import type { Logger } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";
import { chatDigest, type ChatDigest, type ChatItem } from "./chat-digest.js";
import { text as markdownText } from "./markdown.js";
import type { ChatLinks } from "./chatbot.js";

/**
 * Slack and Microsoft Teams incoming webhooks (issue 18). accounts.yaml names where each URL is
 * stored (config/schema.ts `webhook`); the run reads it with the hub role, posts after the report
 * is stored, and a failing webhook is one row of the report's `notifications`, a log line and the
 * WebhookFailures metric, never a failed run. The URL is a credential: it is never logged or
 * reported, only the webhook's name and the URL's host.
 *
 * Formats and limits:
 * - Slack: `{ text, blocks }` with Block Kit (Slack API docs, "Sending messages using incoming
 *   webhooks" and "Block Kit" reference): at most 50 blocks; a header's plain_text at most 150
 *   characters; a section's mrkdwn text at most 3,000 (over it Slack answers 400 invalid_blocks);
 *   a button's text at most 75 and its url at most 3,000. `text` is the notification fallback.
 *   mrkdwn escaping: &, < and > become &amp; &lt; &gt; (Slack, "Formatting text for app surfaces",
 *   Escaping text), so no value makes a link or an @channel mention.
 * - Microsoft Teams: Office 365 / Microsoft 365 connectors are being retired; new channel
 *   webhooks are Workflows ("When a Teams webhook request is received"), which take Adaptive
 *   Cards only, as a message with one attachment of contentType
 *   application/vnd.microsoft.card.adaptive (Microsoft Teams platform docs, "Create and send
 *   messages", Known issues: "Workflows support Adaptive Cards only"). Teams messages are capped at
 *   28 KB ("Create Incoming Webhooks", message size limit); posts of about 20 KB already failed
 *   with HTTP 413 in practice (the body counted as UTF-16, Stack Overflow 78034694), so cards are
 *   kept under TEAMS_MAX_BYTES. TextBlock text is Markdown: values are backslash-escaped.
 */

/** The clients a delivery needs: the hub role's SSM and Secrets Manager clients, and an HTTP POST. */
export interface WebhookPorts {
  ssm: SSMClient;
  secretsManager: SecretsManagerClient;
  /** Defaults to fetch with a 10 s timeout. */
  post?: (url: string, body: string) => Promise<{ status: number; body: string }>;
  /** Tests and the sandbox post to http://127.0.0.1; production URLs must be https. */
  allowLoopbackHttp?: boolean;
}

export interface WebhookOutcome {
  name: string;
  format: WebhookConfig["format"];
  ok: boolean;
  /** The HTTP status the webhook answered, when it answered. */
  status?: number;
  bytes?: number;
  error?: ErrorInfo;
}

export const SLACK_MAX_BLOCKS = 50;
export const SLACK_SECTION_MAX = 3_000;
export const SLACK_HEADER_MAX = 150;
/** Under the ~20 KB at which Teams was seen answering 413, well under its 28 KB limit. */
export const TEAMS_MAX_BYTES = 18_000;
/** Items a chat message lists; the rest is a count and the report link. */
export const WEBHOOK_ITEMS = 15;
const POST_TIMEOUT_MS = 10_000;

/** Slack mrkdwn: only &, < and > are control characters (they form links and mentions). */
const slackText = (value: unknown) => String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

function itemText(i: ChatItem, esc: (v: unknown) => string): string {
  if (i.kind === "account") return `❌ ${esc(i.what)}: ${esc(i.label)}`;
  if (i.kind === "refused") return `⛔ REFUSED ${esc(i.what)} in ${esc(i.where)}: ${esc(i.reason)}`;
  return `⚠️ ${esc(i.label)}: ${esc(i.what)} in ${esc(i.where)}`;
}

/** Lines in order, each fitting `max`, packed into as few chunks of at most `max` as they fill. */
function chunks(lines: string[], max: number): string[] {
  const out: string[] = [];
  let current = "";
  for (const raw of lines) {
    const line = cut(raw, max);
    if (current && current.length + 1 + line.length > max) {
      out.push(current);
      current = line;
    } else current = current ? `${current}\n${line}` : line;
  }
  if (current) out.push(current);
  return out;
}

function needsLines(d: ChatDigest, esc: (v: unknown) => string): string[] {
  if (d.items.length === 0) return ["✅ Nothing needs a person."];
  const shown = d.items.slice(0, WEBHOOK_ITEMS).map((i) => itemText(i, esc));
  return [...shown, ...(d.items.length > shown.length ? [`… and ${d.items.length - shown.length} more in the full report`] : [])];
}

export function slackMessage(report: RunReport, links: ChatLinks): { text: string; blocks: unknown[] } {
  const d = chatDigest(report);
  const section = (t: string) => ({ type: "section", text: { type: "mrkdwn", text: t } });
  const buttons = [
    ...(links.report ? [{ type: "button", text: { type: "plain_text", text: "Full report" }, url: links.report }] : []),
    ...(links.history ? [{ type: "button", text: { type: "plain_text", text: "All runs" }, url: links.history }] : []),
  ].filter((b) => b.url.length <= 3_000);
  const body = [
    ...chunks(["*Needs you*", ...needsLines(d, slackText)], SLACK_SECTION_MAX).map(section),
    ...(d.history ? [section(slackText(d.history))] : []),
    ...chunks(d.fleet.map(slackText), SLACK_SECTION_MAX).map(section),
  ];
  // header + body + actions within 50 blocks; the body is cut first.
  const room = SLACK_MAX_BLOCKS - 1 - (buttons.length > 0 ? 1 : 0);
  return {
    text: cut(d.title, SLACK_SECTION_MAX),
    blocks: [
      { type: "header", text: { type: "plain_text", text: cut(d.title, SLACK_HEADER_MAX) } },
      ...body.slice(0, room),
      ...(buttons.length > 0 ? [{ type: "actions", elements: buttons }] : []),
    ],
  };
}

export function teamsMessage(report: RunReport, links: ChatLinks): unknown {
  const d = chatDigest(report);
  const card = (lines: string[], omitted: number) => ({
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: markdownText(d.title), weight: "Bolder", size: "Medium", wrap: true },
            ...lines.map((t) => ({ type: "TextBlock", text: t, wrap: true, spacing: "Small" })),
            ...(omitted > 0 ? [{ type: "TextBlock", text: `… ${omitted} more line(s) in the full report`, wrap: true, isSubtle: true }] : []),
          ],
          actions: [
            ...(links.report ? [{ type: "Action.OpenUrl", title: "Full report", url: links.report }] : []),
            ...(links.history ? [{ type: "Action.OpenUrl", title: "All runs", url: links.history }] : []),
          ],
        },
      },
    ],
  });
  const lines = ["**Needs you**", ...needsLines(d, markdownText), ...(d.history ? [markdownText(d.history)] : []), ...d.fleet.map(markdownText)];
  // Drop lines from the end until the card fits (each line is small; a handful of passes at most).
  let n = lines.length;
  while (n > 1 && Buffer.byteLength(JSON.stringify(card(lines.slice(0, n), lines.length - n))) > TEAMS_MAX_BYTES) n--;
  return card(lines.slice(0, n), lines.length - n);
}

const FORMATS: Record<WebhookConfig["format"], (report: RunReport, links: ChatLinks) => unknown> = { slack: slackMessage, teams: teamsMessage };

/** Reads the webhook's URL where accounts.yaml says it is stored; a secret may hold the URL or `{"url": "…"}`. */
async function webhookUrl(ports: WebhookPorts, w: WebhookConfig): Promise<string> {
  let value: string | undefined;
  if (w.ssmParameter !== undefined) {
    const out = await ports.ssm.send(new GetParameterCommand({ Name: w.ssmParameter, WithDecryption: true }));
    value = out.Parameter?.Value;
  } else {
    const out = await ports.secretsManager.send(new GetSecretValueCommand({ SecretId: w.secretsManagerSecret }));
    value = out.SecretString;
    if (value?.trim().startsWith("{")) value = (JSON.parse(value) as { url?: string }).url;
  }
  const where = w.ssmParameter !== undefined ? `SSM parameter ${w.ssmParameter}` : `secret ${w.secretsManagerSecret}`;
  let url: URL;
  try {
    url = new URL(value ?? "");
  } catch {
    throw Object.assign(new Error(`${where} does not hold a URL (or a JSON object with "url"); store the webhook's https URL there`), { name: "WebhookUrlInvalid" });
  }
  const loopback = ports.allowLoopbackHttp === true && url.protocol === "http:" && url.hostname === "127.0.0.1";
  if (url.protocol !== "https:" && !loopback) throw Object.assign(new Error(`${where} holds a ${url.protocol} URL; chat webhooks are https only`), { name: "WebhookUrlInvalid" });
  return url.href;
}

async function defaultPost(url: string, body: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body, signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
  return { status: res.status, body: await res.text() };
}

/** Every webhook, one after the other (a few per run); each failure is its own outcome and log line. */
export async function deliverWebhooks(ports: WebhookPorts, logger: Logger, webhooks: readonly WebhookConfig[], report: RunReport, links: ChatLinks): Promise<WebhookOutcome[]> {
  const post = ports.post ?? defaultPost;
  const out: WebhookOutcome[] = [];
  for (const w of webhooks) {
    const base = { name: w.name, format: w.format };
    let host = "";
    try {
      const url = await webhookUrl(ports, w);
      host = new URL(url).host;
      const body = JSON.stringify(FORMATS[w.format](report, links));
      const res = await post(url, body);
      // Slack answers 200 "ok"; a Teams Workflows webhook 202 Accepted.
      if (res.status >= 200 && res.status < 300) {
        out.push({ ...base, ok: true, status: res.status, bytes: Buffer.byteLength(body) });
        continue;
      }
      const error = { code: "WebhookRejected", message: `${host} answered HTTP ${res.status}: ${res.body.slice(0, 200)}` };
      out.push({ ...base, ok: false, status: res.status, bytes: Buffer.byteLength(body), error });
      logger.error("chat webhook rejected the message", { webhook: w.name, host, error });
    } catch (err) {
      const error = toErrorInfo(err);
      out.push({ ...base, ok: false, error });
      logger.error("chat webhook not delivered", { webhook: w.name, ...(host ? { host } : {}), error });
    }
  }
  return out;
}

export interface WebhookGrant {
  sid: string;
  actions: string[];
  resources: string[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/**
 * The hub role's read grants, derived from the configured webhooks: ssm:GetParameter on exactly
 * the parameters named, secretsmanager:GetSecretValue on exactly the secrets (a name matches its
 * ARN's random six-character suffix with `-??????`, Secrets Manager User Guide,
 * reference_iam-permissions), and kms:Decrypt on a customer managed key only through that
 * service (kms:ViaService). The AWS managed keys (aws/ssm, aws/secretsmanager) need no grant:
 * their key policies allow use through the service by the account's principals.
 */
export function webhookReadGrants(webhooks: readonly WebhookConfig[], hub: { accountId: string; region: string }): WebhookGrant[] {
  const parameters = webhooks.flatMap((w) => (w.ssmParameter === undefined ? [] : [`arn:aws:ssm:${hub.region}:${hub.accountId}:parameter/${w.ssmParameter.replace(/^\//, "")}`]));
  const secrets = webhooks.flatMap((w) => {
    const s = w.secretsManagerSecret;
    if (s === undefined) return [];
    return [s.startsWith("arn:") ? s : `arn:aws:secretsmanager:${hub.region}:${hub.accountId}:secret:${s}-??????`];
  });
  const viaService = (service: string, keys: string[], sid: string): WebhookGrant[] =>
    keys.length === 0 ? [] : [{ sid, actions: ["kms:Decrypt"], resources: [...new Set(keys)], condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [`${service}.${hub.region}.amazonaws.com`] }] }];
  return [
    ...(parameters.length > 0 ? [{ sid: "ReadWebhookParameters", actions: ["ssm:GetParameter"], resources: [...new Set(parameters)] }] : []),
    ...(secrets.length > 0 ? [{ sid: "ReadWebhookSecrets", actions: ["secretsmanager:GetSecretValue"], resources: [...new Set(secrets)] }] : []),
    ...viaService("ssm", webhooks.flatMap((w) => (w.ssmParameter !== undefined && w.kmsKeyArn ? [w.kmsKeyArn] : [])), "DecryptWebhookParameters"),
    ...viaService("secretsmanager", webhooks.flatMap((w) => (w.secretsManagerSecret !== undefined && w.kmsKeyArn ? [w.kmsKeyArn] : [])), "DecryptWebhookSecrets"),
  ];
}
