import { AwsError, type CallContext } from "../../protocol/types.js";
import type { Topic } from "../../state.js";
import { required } from "../shared/params.js";

/**
 * SNS subscriptions with their attributes, as terraform's aws_sns_topic_subscription creates,
 * reads back and deletes them. Every subscription has its ARN from the start; an email one stays
 * pending (nobody clicks the confirmation link here), which Subscribe hides unless asked
 * (ReturnSubscriptionArn) and the listings show as "PendingConfirmation".
 * Source: Amazon SNS API Reference, one page per action (docs.aws.amazon.com/sns/latest/api/API_<Action>.html).
 */

export type Subscription = Topic["subscriptions"][number];

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
