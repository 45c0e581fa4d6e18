import { AwsError, type CallContext } from "../../protocol/types.js";
import type { Topic } from "../../state.js";
import { uuid } from "../shared/ids.js";
import { required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";

/**
 * SNS subscriptions with their attributes, as terraform's aws_sns_topic_subscription creates,
 * reads back and deletes them. Every subscription has its ARN from the start; an email one stays
 * pending (nobody clicks the confirmation link here), which Subscribe hides unless asked
 * (ReturnSubscriptionArn) and the listings show as "PendingConfirmation".
 * Source: Amazon SNS API Reference, one page per action (docs.aws.amazon.com/sns/latest/api/API_<Action>.html).
 */

export type Subscription = Topic["subscriptions"][number];

/** API_Subscribe.html, SubscriptionArn: without ReturnSubscriptionArn an unconfirmed subscription answers "pending confirmation". */
const PENDING_ANSWER = "pending confirmation";
/** ListSubscriptionsByTopic shows an unconfirmed subscription's ARN as "PendingConfirmation" (AWS CLI Command Reference, sns list-subscriptions-by-topic, example output). */
const PENDING_LISTED = "PendingConfirmation";
/** API_Subscribe.html: email, email-json and http(s) endpoints confirm the subscription themselves; the others are confirmed at once. */
const CONFIRMED_BY_ENDPOINT = new Set(["email", "email-json", "http", "https"]);
/** API_Subscribe.html, Protocol. */
const PROTOCOLS = new Set(["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"]);
/** API_SetSubscriptionAttributes.html, AttributeName: what a subscription accepts (Subscribe's Attributes take the same). */
const SETTABLE = new Set(["DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy"]);

const invalidParameter = (what: string) => new AwsError("InvalidParameter", `Invalid parameter: ${what}`);

/** A subscription ARN is its topic's ARN and an id: `arn:aws:sns:<region>:<account>:<topic>:<id>`. */
function located(ctx: CallContext, arn: string | undefined): { topic: Topic; subscription: Subscription } {
  const subscriptionArn = required(arn, () => invalidParameter("SubscriptionArn"));
  const parts = subscriptionArn.split(":");
  const topicArn = parts.slice(0, 6).join(":");
  const topic = ctx.world.accounts.get(parts[4] ?? "")?.regions.get(parts[3] ?? "")?.topics.get(topicArn);
  const subscription = topic?.subscriptions.find((s) => s.arn === subscriptionArn);
  if (!topic || !subscription) throw new AwsError("NotFound", "Subscription does not exist", 404);
  return { topic, subscription };
}

function checkAttributes(attributes: Record<string, string> | undefined): Record<string, string> {
  for (const name of Object.keys(attributes ?? {})) if (!SETTABLE.has(name)) throw invalidParameter(`Attributes Reason: Unknown attribute ${name}`);
  return { ...attributes };
}

/**
 * Subscribes an endpoint, idempotently by protocol and endpoint (API_Subscribe.html: "If the
 * subscription already exists … returns the existing subscription"). Email and http(s) ones stay
 * pending: nobody clicks the confirmation link in the sandbox.
 */
export function addSubscription(topic: Topic, protocol: string, endpoint: string, random: () => number, attributes: Record<string, string> = {}): Subscription {
  const existing = topic.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
  if (existing) return existing;
  const subscription: Subscription = { arn: `${topic.arn}:${uuid(random)}`, protocol, endpoint, pendingConfirmation: CONFIRMED_BY_ENDPOINT.has(protocol), attributes: { ...attributes } };
  topic.subscriptions.push(subscription);
  return subscription;
}

export function subscribeTo(topic: Topic, params: { Protocol?: string; Endpoint?: string; Attributes?: Record<string, string>; ReturnSubscriptionArn?: boolean }, ctx: CallContext) {
  const protocol = required(params.Protocol, () => invalidParameter("Protocol"));
  if (!PROTOCOLS.has(protocol)) throw invalidParameter(`Invalid protocol type: ${protocol}`);
  const endpoint = required(params.Endpoint, () => invalidParameter("Endpoint"));
  const subscription = addSubscription(topic, protocol, endpoint, ctx.sandbox.random, checkAttributes(params.Attributes));
  return { SubscriptionArn: subscription.pendingConfirmation && params.ReturnSubscriptionArn !== true ? PENDING_ANSWER : subscription.arn };
}

/** API_ListSubscriptionsByTopic.html: up to 100 per page. */
export function listSubscriptionsOf(topic: Topic, params: { NextToken?: string }) {
  const page = paginate(topic.subscriptions, params.NextToken, 100, () => invalidParameter("NextToken"));
  const owner = topic.arn.split(":")[4];
  return {
    Subscriptions: page.items.map((s) => ({ SubscriptionArn: s.pendingConfirmation ? PENDING_LISTED : s.arn, Owner: owner, Protocol: s.protocol, Endpoint: s.endpoint, TopicArn: topic.arn })),
    NextToken: page.next,
  };
}

/** API_GetSubscriptionAttributes.html, Attributes: what every subscription reports (AWS CLI example output), then what was set. */
function getSubscriptionAttributes(params: { SubscriptionArn?: string }, ctx: CallContext) {
  const { topic, subscription: s } = located(ctx, params.SubscriptionArn);
  return {
    Attributes: {
      SubscriptionArn: s.arn,
      TopicArn: topic.arn,
      Owner: topic.arn.split(":")[4]!,
      Protocol: s.protocol,
      Endpoint: s.endpoint,
      PendingConfirmation: String(s.pendingConfirmation === true),
      ConfirmationWasAuthenticated: "false",
      RawMessageDelivery: "false",
      ...s.attributes,
    },
  };
}

/** API_SetSubscriptionAttributes.html: one attribute per call; an empty value removes it (RedrivePolicy "" is how it is cleared). */
function setSubscriptionAttributes(params: { SubscriptionArn?: string; AttributeName?: string; AttributeValue?: string }, ctx: CallContext) {
  const { subscription } = located(ctx, params.SubscriptionArn);
  const name = required(params.AttributeName, () => invalidParameter("AttributeName"));
  if (!SETTABLE.has(name)) throw invalidParameter("AttributeName");
  if (name === "RawMessageDelivery" && params.AttributeValue !== "true" && params.AttributeValue !== "false") throw invalidParameter("Attributes Reason: RawMessageDelivery: Invalid value");
  const attributes = (subscription.attributes ??= {});
  if (params.AttributeValue === undefined || params.AttributeValue === "") delete attributes[name];
  else attributes[name] = params.AttributeValue;
  return {};
}

/**
 * API_Unsubscribe.html. A subscription still pending cannot be removed: SNS answers
 * InvalidParameter "Cannot unsubscribe a subscription that is pending confirmation", which
 * terraform-provider-aws's aws_sns_topic_subscription delete expects and then forgets the
 * subscription (internal/service/sns/topic_subscription.go). DeleteTopic removes it with the topic.
 */
function unsubscribe(params: { SubscriptionArn?: string }, ctx: CallContext) {
  const { topic, subscription } = located(ctx, params.SubscriptionArn);
  if (subscription.pendingConfirmation) throw invalidParameter("Cannot unsubscribe a subscription that is pending confirmation");
  topic.subscriptions = topic.subscriptions.filter((s) => s !== subscription);
  return {};
}

export const subscriptionActions = {
  GetSubscriptionAttributes: getSubscriptionAttributes,
  SetSubscriptionAttributes: setSubscriptionAttributes,
  Unsubscribe: unsubscribe,
};
