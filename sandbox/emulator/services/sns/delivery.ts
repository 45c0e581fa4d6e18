import { AwsError, type CallContext } from "../../protocol/types.js";
import type { SnsDelivery, Topic } from "../../state.js";
import { uuid } from "../shared/ids.js";
import { queueByArn } from "../sqs/service.js";

/**
 * What SNS hands each subscription of a topic when a message is published, and the confirmation
 * handshake that comes first for email and HTTP/S endpoints. Sources (Amazon SNS API Reference
 * and Developer Guide):
 * - Publish, MessageStructure: with "json", Message is a JSON object of protocol -> string with a
 *   required "default" used for every protocol not named. A body that does not parse, that is
 *   not an object or lacks "default" is InvalidParameter ("Invalid parameter: Message Structure -
 *   JSON message body failed to parse" / "... - No default entry in JSON message body": AWS's
 *   wording as LocalStack's and goaws's SNS reproduce it); a protocol's value must be a string.
 * - Only confirmed subscriptions get messages ("Amazon SNS doesn't send messages to an endpoint
 *   until the subscription is confirmed", sns-create-subscribe-endpoint-to-topic.html). Email and
 *   HTTP/S endpoints get a SubscriptionConfirmation first with a Token that ConfirmSubscription
 *   takes (API_ConfirmSubscription.html; the message shape in sns-message-and-json-formats.html,
 *   "HTTP/HTTPS subscription confirmation JSON format").
 * - sqs, http/https, email-json receive the notification envelope `{ Type: "Notification",
 *   MessageId, TopicArn, Subject?, Message, Timestamp, SignatureVersion, Signature,
 *   SigningCertURL, UnsubscribeURL }` (sns-message-and-json-formats.html, "HTTP/HTTPS
 *   notification JSON format"), or the message alone with RawMessageDelivery "true"
 *   (sns-large-payload-raw-message-delivery.html; email-json and lambda cannot be raw).
 * - lambda receives `{ Records: [{ EventSource: "aws:sns", EventVersion: "1.0",
 *   EventSubscriptionArn, Sns: { …, SigningCertUrl, UnsubscribeUrl, MessageAttributes } }] }`
 *   (Lambda Developer Guide, "Using Lambda with Amazon SNS", example event). Recorded, not invoked.
 * - email receives the message as the text body with the unsubscribe footer; recorded.
 * - An SQS delivery needs the queue's policy to allow sns.amazonaws.com sqs:SendMessage for the
 *   topic ("Subscribing an Amazon SQS queue to an Amazon SNS topic", subscribe-sqs-queue-to-sns-topic.html,
 *   step 2); without it SNS drops the message (a failed delivery here, recorded, never thrown).
 * Signatures are not computed: nothing in the sandbox verifies them (SignatureVersion "1", the
 * Signature field a placeholder).
 */

const invalidParameter = (what: string) => new AwsError("InvalidParameter", `Invalid parameter: ${what}`);

/** The message each protocol gets, or the error SNS answers Publish with. */
export function messagesByProtocol(message: string, structure: string | undefined): (protocol: string) => string {
  if (structure === undefined) return () => message;
  if (structure !== "json") throw invalidParameter("MessageStructure");
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalidParameter("Message Structure - JSON message body failed to parse");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalidParameter("Message Structure - JSON message body failed to parse");
  const values = parsed as Record<string, unknown>;
  if (typeof values.default !== "string") throw invalidParameter("Message Structure - No default entry in JSON message body");
  for (const [key, value] of Object.entries(values)) if (typeof value !== "string") throw invalidParameter(`Message Structure - ${key} is not a string`);
  return (protocol) => (values[protocol] as string | undefined) ?? (values.default as string);
}

const host = (topic: Topic) => `sns.${topic.arn.split(":")[3]}.amazonaws.com`;
const unsubscribeUrl = (topic: Topic, subscriptionArn: string) => `https://${host(topic)}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`;
const signingCertUrl = (topic: Topic) => `https://${host(topic)}/SimpleNotificationService-sandbox.pem`;

interface Published {
  messageId: string;
  subject?: string;
  at: string;
}

function envelope(topic: Topic, s: Topic["subscriptions"][number], p: Published, message: string) {
  return {
    Type: "Notification",
    MessageId: p.messageId,
    TopicArn: topic.arn,
    ...(p.subject !== undefined ? { Subject: p.subject } : {}),
    Message: message,
    Timestamp: p.at,
    SignatureVersion: "1",
    Signature: "sandbox-unsigned",
    SigningCertURL: signingCertUrl(topic),
    UnsubscribeURL: unsubscribeUrl(topic, s.arn),
  };
}

function bodyFor(topic: Topic, s: Topic["subscriptions"][number], p: Published, message: string): string {
  const raw = s.attributes?.RawMessageDelivery === "true" && ["sqs", "http", "https", "firehose"].includes(s.protocol);
  if (raw) return message;
  if (s.protocol === "email") {
    return `${message}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n${unsubscribeUrl(topic, s.arn)}`;
  }
  if (s.protocol === "lambda") {
    const { SigningCertURL, UnsubscribeURL, ...rest } = envelope(topic, s, p, message);
    return JSON.stringify({ Records: [{ EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: s.arn, Sns: { ...rest, SigningCertUrl: SigningCertURL, UnsubscribeUrl: UnsubscribeURL, MessageAttributes: {} } }] });
  }
  return JSON.stringify(envelope(topic, s, p, message));
}

type Statement = { Effect?: string; Principal?: unknown; Action?: string | string[]; Resource?: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(value);

/** Does the queue policy allow this topic to send (Allow, sns.amazonaws.com or *, sqs:SendMessage, aws:SourceArn if conditioned)? */
function queueAdmits(policy: string | undefined, queueArn: string, topicArn: string): boolean {
  if (!policy) return false;
  let statements: Statement[];
  try {
    statements = list((JSON.parse(policy) as { Statement?: Statement | Statement[] }).Statement);
  } catch {
    return false;
  }
  const principalOk = (p: unknown) => p === "*" || (typeof p === "object" && p !== null && (list((p as { Service?: string | string[] }).Service).includes("sns.amazonaws.com") || list((p as { AWS?: string | string[] }).AWS).includes("*")));
  const conditionOk = (c: Statement["Condition"]) =>
    Object.entries(c ?? {}).every(([operator, keys]) =>
      Object.entries(keys).every(([key, expected]) => {
        if (key.toLowerCase() !== "aws:sourcearn") return false;
        return list(expected).some((e) => (operator === "ArnLike" || operator === "StringLike" ? glob(e, topicArn) : operator === "ArnEquals" || operator === "StringEquals" ? e === topicArn : false));
      }),
    );
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      principalOk(s.Principal) &&
      list(s.Action).some((a) => ["sqs:SendMessage", "sqs:*", "*"].includes(a)) &&
      list(s.Resource).some((r) => glob(r, queueArn)) &&
      conditionOk(s.Condition),
  );
}

function deliver(ctx: Pick<CallContext, "world" | "sandbox">, topic: Topic, s: Topic["subscriptions"][number], body: string): Pick<SnsDelivery, "outcome" | "error"> {
  if (s.protocol !== "sqs") return { outcome: "delivered" };
  const queue = queueByArn(ctx, s.endpoint);
  if (!queue) return { outcome: "failed", error: `queue ${s.endpoint} does not exist` };
  if (!queueAdmits(queue.attributes.Policy, queue.arn, topic.arn)) {
    return { outcome: "failed", error: `the policy of ${queue.arn} does not allow sns.amazonaws.com sqs:SendMessage from this topic` };
  }
  queue.messages.push({ messageId: uuid(ctx.sandbox.random), body, sentAt: ctx.sandbox.now() });
  return { outcome: "delivered" };
}

/** Every confirmed subscription gets its protocol's message; each attempt is recorded on the topic. */
export function fanOut(ctx: Pick<CallContext, "world" | "sandbox">, topic: Topic, published: Published, messageFor: (protocol: string) => string): void {
  const deliveries = (topic.deliveries ??= []);
  for (const s of topic.subscriptions) {
    if (s.pendingConfirmation) continue;
    const body = bodyFor(topic, s, published, messageFor(s.protocol));
    deliveries.push({ messageId: published.messageId, subscriptionArn: s.arn, protocol: s.protocol, endpoint: s.endpoint, type: "Notification", body, ...deliver(ctx, topic, s, body) });
  }
}

/** The SubscriptionConfirmation an email or HTTP/S endpoint receives, with the token ConfirmSubscription takes. */
export function sendConfirmation(ctx: Pick<CallContext, "sandbox">, topic: Topic, s: Topic["subscriptions"][number]): void {
  const token = uuid(ctx.sandbox.random).replace(/-/g, "") + uuid(ctx.sandbox.random).replace(/-/g, "");
  s.confirmationToken = token;
  const messageId = uuid(ctx.sandbox.random);
  const subscribeUrl = `https://${host(topic)}/?Action=ConfirmSubscription&TopicArn=${topic.arn}&Token=${token}`;
  const body = JSON.stringify({
    Type: "SubscriptionConfirmation",
    MessageId: messageId,
    Token: token,
    TopicArn: topic.arn,
    Message: `You have chosen to subscribe to the topic ${topic.arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: subscribeUrl,
    Timestamp: new Date(ctx.sandbox.now()).toISOString(),
    SignatureVersion: "1",
    Signature: "sandbox-unsigned",
    SigningCertURL: signingCertUrl(topic),
  });
  (topic.deliveries ??= []).push({ messageId, subscriptionArn: s.arn, protocol: s.protocol, endpoint: s.endpoint, type: "SubscriptionConfirmation", body, outcome: "delivered" });
}

/** API_ConfirmSubscription.html: the token from the confirmation message confirms the subscription and returns its ARN. */
export function confirmSubscription(topic: Topic, token: string | undefined): { SubscriptionArn: string } {
  const s = topic.subscriptions.find((x) => x.confirmationToken !== undefined && x.confirmationToken === token);
  if (!s) throw invalidParameter("Token");
  delete s.pendingConfirmation;
  delete s.confirmationToken;
  return { SubscriptionArn: s.arn };
}
