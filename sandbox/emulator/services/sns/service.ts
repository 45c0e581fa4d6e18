import type { RegionState, Topic } from "../../state.js";
import { regionOf } from "../../state.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import { uuid } from "../shared/ids.js";
import { required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import type { TagEntry } from "../shared/tags.js";
import type { ServiceAssumption } from "../shared/service-trust.js";
import { checkPublisherKey, type Publisher } from "./encryption.js";
import { confirmSubscription, fanOut, messagesByProtocol, sendConfirmation } from "./delivery.js";
import { subscriptionActions } from "./subscriptions.js";
import { checkTopicAttributes, deleteTopic, listTopicTags, setTopicAttribute, tagTopic, topicAttributes, untagTopic } from "./topic-attributes.js";

/**
 * SNS topics that record what was published, so tests and `npm start` can show the notification
 * driftguard sent, and hand each confirmed subscription its protocol's message (delivery.ts).
 * Publish enforces SNS's real Subject and size limits: a message that would be rejected by AWS is
 * rejected here too.
 */

const TOPIC_NAME = /^[\w-]{1,256}(\.fifo)?$/;
/** API_Publish.html Message: "at most 256 KB in size (262,144 bytes, not 262,144 characters)". */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** API_Publish.html Subject: "less than 100 characters long". */
const MAX_SUBJECT_CHARS = 99;
/**
 * Subscribe answers "pending confirmation" for a subscription waiting for its endpoint
 * (API_Subscribe.html: "the string \"pending confirmation\" if the subscription requires
 * confirmation"); the list actions show it as "PendingConfirmation" (mozilla/frost#428 and
 * localstack/localstack#13666 observed it in AWS).
 */
const PENDING_SUBSCRIBE = "pending confirmation";
const PENDING_LISTED = "PendingConfirmation";
/**
 * Email and HTTP/S endpoints must confirm a subscription (sns-create-subscribe-endpoint-to-topic.html,
 * sns-http-https-endpoint-as-subscriber.html): they stay pending until ConfirmSubscription is
 * called with the token of their SubscriptionConfirmation (delivery.ts).
 */
const CONFIRMATION_PROTOCOLS = ["email", "email-json", "http", "https"];

function invalidParameter(what: string): AwsError {
  return new AwsError("InvalidParameter", `Invalid parameter: ${what}`);
}

function notFound(): AwsError {
  return new AwsError("NotFound", "Topic does not exist", 404);
}

function topicArnOf(accountId: string, region: string, name: string): string {
  return `arn:aws:sns:${region}:${accountId}:${name}`;
}

/** Creates the topic, or returns the existing one of that name (CreateTopic is idempotent). */
export function putTopic(region: RegionState, accountId: string, regionName: string, name: string, attributes: Record<string, string> = {}): Topic {
  const arn = topicArnOf(accountId, regionName, name);
  const existing = region.topics.get(arn);
  if (existing) return existing;
  const topic: Topic = { arn, name, attributes: { ...attributes }, published: [], subscriptions: [] };
  region.topics.set(arn, topic);
  return topic;
}

function regionState(ctx: CallContext): RegionState {
  const account = ctx.world.accounts.get(ctx.accountId);
  if (!account) throw new AwsError("AuthorizationError", `Account ${ctx.accountId} is not part of the sandbox organization`, 403);
  return regionOf(account, ctx.region);
}

/** Tag APIs name the topic by ARN (API_ListTagsForResource.html, ResourceArn); an unknown one is ResourceNotFound. */
function taggedTopic(ctx: CallContext, arn: string | undefined): Topic {
  const topic = regionState(ctx).topics.get(required(arn, () => invalidParameter("ResourceArn")));
  if (!topic) throw new AwsError("ResourceNotFound", "Resource does not exist", 404);
  return topic;
}

function topicOf(ctx: CallContext, arn: string | undefined): Topic {
  const topicArn = required(arn, () => invalidParameter("TopicArn"));
  // A topic of another account or region is not found from here, as in SNS.
  const topic = regionState(ctx).topics.get(topicArn);
  if (!topic) throw notFound();
  return topic;
}

/**
 * API_CreateTopic.html, Tags: "The list of tags to add to a new topic" — terraform's aws_sns_topic
 * sends its tags (default_tags included) here and reads them back with ListTagsForResource, so
 * tags dropped here are a perpetual diff in its second plan.
 */
function createTopic(params: { Name?: string; Attributes?: Record<string, string>; Tags?: TagEntry[] }, ctx: CallContext) {
  const name = required(params.Name, () => invalidParameter("Name"));
  if (!TOPIC_NAME.test(name)) {
    throw invalidParameter("Topic Name");
  }
  const topic = putTopic(regionState(ctx), ctx.accountId, ctx.region, name, checkTopicAttributes(ctx.world, params.Attributes));
  if (params.Tags?.length) tagTopic(ctx, topic, params.Tags);
  return { TopicArn: topic.arn };
}

interface Message {
  message: string;
  subject?: string;
  structure?: string;
}

/**
 * One message onto `topic`: SNS's size and Subject checks, the topic key's permissions for the
 * publisher (encryption.ts), then every confirmed subscription's delivery.
 */
async function publishMessage(ctx: Pick<CallContext, "world" | "sandbox">, topic: Topic, { message, subject, structure }: Message, publisher: Publisher) {
  if (message === "") throw invalidParameter("Empty message");
  // With MessageStructure json the limit is the whole structure's (API_Publish.html: values are "bounded by the overall message size").
  if (Buffer.byteLength(message, "utf8") > MAX_MESSAGE_BYTES) throw invalidParameter("Message too long");
  const messageFor = messagesByProtocol(message, structure);
  // API_Publish.html Subject: "Subjects must be UTF-8 text with no line breaks or control characters,
  // and less than 100 characters long" (characters, not bytes: "drift ✗" is fine). Older revisions
  // of the page said ASCII only; the current one is followed.
  if (subject !== undefined && (subject === "" || [...subject].length > MAX_SUBJECT_CHARS || /\p{Cc}/u.test(subject))) {
    throw invalidParameter("Subject");
  }
  await checkPublisherKey(ctx, topic, publisher);
  const messageId = uuid(ctx.sandbox.random);
  const at = new Date(ctx.sandbox.now()).toISOString();
  topic.published.push({ messageId, subject, message, ...(structure === "json" ? { structure: "json" as const } : {}), at });
  fanOut(ctx, topic, { messageId, ...(subject !== undefined ? { subject } : {}), at }, messageFor);
  return { MessageId: messageId };
}

function publish(params: { TopicArn?: string; TargetArn?: string; Message?: string; Subject?: string; MessageStructure?: string }, ctx: CallContext) {
  const topic = topicOf(ctx, params.TopicArn ?? params.TargetArn);
  return publishMessage(ctx, topic, { message: params.Message ?? "", subject: params.Subject, structure: params.MessageStructure }, { principal: ctx.principal });
}

/**
 * A publish by an AWS service acting for one of its resources (a CloudWatch alarm's action): no
 * credentials, so no IAM evaluation; the topic key's policy must allow the service principal.
 * A topic that is gone is NotFound, as the service's own delivery attempt would be.
 */
export function publishAsService(host: Pick<CallContext, "world" | "sandbox">, topicArn: string, message: Message, service: ServiceAssumption) {
  const [, , , region, accountId] = topicArn.split(":");
  const topic = host.world.accounts.get(accountId ?? "")?.regions.get(region ?? "")?.topics.get(topicArn);
  if (!topic) throw notFound();
  return publishMessage(host, topic, message, { service });
}

function listTopics(params: { NextToken?: string }, ctx: CallContext) {
  const topics = [...regionState(ctx).topics.values()].sort((a, b) => a.arn.localeCompare(b.arn));
  const page = paginate(topics, params.NextToken, 100, () => invalidParameter("NextToken"));
  return { Topics: page.items.map((t) => ({ TopicArn: t.arn })), NextToken: page.next };
}

function getTopicAttributes(params: { TopicArn?: string }, ctx: CallContext) {
  const topic = topicOf(ctx, params.TopicArn);
  return {
    Attributes: {
      TopicArn: topic.arn,
      Owner: ctx.accountId,
      DisplayName: "",
      SubscriptionsConfirmed: String(topic.subscriptions.filter((s) => !s.pendingConfirmation).length),
      SubscriptionsPending: String(topic.subscriptions.filter((s) => s.pendingConfirmation).length),
      SubscriptionsDeleted: "0",
      ...topic.attributes,
    },
  };
}

/** Subscribes an endpoint (idempotently); email and HTTP/S subscriptions stay pending, as nobody confirms them here. */
export function addSubscription(topic: Topic, protocol: string, endpoint: string, random: () => number): Topic["subscriptions"][number] {
  const existing = topic.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
  if (existing) return existing;
  const subscription = { arn: `${topic.arn}:${uuid(random)}`, protocol, endpoint, ...(CONFIRMATION_PROTOCOLS.includes(protocol) ? { pendingConfirmation: true } : {}) };
  topic.subscriptions.push(subscription);
  return subscription;
}

/** "ReturnSubscriptionArn … returns the subscription ARN, even if the subscription requires confirmation" (API_Subscribe.html). */
function subscribe(params: { TopicArn?: string; Protocol?: string; Endpoint?: string; ReturnSubscriptionArn?: boolean }, ctx: CallContext) {
  const topic = topicOf(ctx, params.TopicArn);
  const protocol = required(params.Protocol, () => invalidParameter("Protocol"));
  const endpoint = required(params.Endpoint, () => invalidParameter("Endpoint"));
  const known = topic.subscriptions.length;
  const subscription = addSubscription(topic, protocol, endpoint, ctx.sandbox.random);
  if (subscription.pendingConfirmation && topic.subscriptions.length > known) sendConfirmation(ctx, topic, subscription);
  return { SubscriptionArn: subscription.pendingConfirmation && params.ReturnSubscriptionArn !== true ? PENDING_SUBSCRIBE : subscription.arn };
}

function listed(topic: Topic, ownerId: string) {
  return (s: Topic["subscriptions"][number]) => ({
    SubscriptionArn: s.pendingConfirmation ? PENDING_LISTED : s.arn,
    Owner: ownerId,
    Protocol: s.protocol,
    Endpoint: s.endpoint,
    TopicArn: topic.arn,
  });
}

/** API_ListSubscriptionsByTopic.html: "up to 100. If there are more subscriptions, a NextToken is also returned". */
function listSubscriptionsByTopic(params: { TopicArn?: string; NextToken?: string }, ctx: CallContext) {
  const topic = topicOf(ctx, params.TopicArn);
  const page = paginate(topic.subscriptions, params.NextToken, 100, () => invalidParameter("NextToken"));
  return { Subscriptions: page.items.map(listed(topic, ctx.accountId)), NextToken: page.next };
}

/** API_ListSubscriptions.html: the requester's subscriptions in the region, "up to 100" per page with a NextToken. */
function listSubscriptions(params: { NextToken?: string }, ctx: CallContext) {
  const topics = [...regionState(ctx).topics.values()].sort((a, b) => a.arn.localeCompare(b.arn));
  const all = topics.flatMap((t) => t.subscriptions.map(listed(t, ctx.accountId)));
  const page = paginate(all, params.NextToken, 100, () => invalidParameter("NextToken"));
  return { Subscriptions: page.items, NextToken: page.next };
}

export const snsService: ServiceDefinition = {
  name: "sns",
  protocol: "query",
  xmlNamespace: "http://sns.amazonaws.com/doc/2010-03-31/",
  actions: {
    CreateTopic: createTopic,
    Publish: publish,
    ListTopics: listTopics,
    // The default access policy and delivery policy a topic reports (topic-attributes.ts): terraform parses Policy.
    GetTopicAttributes: (params: { TopicArn?: string }, ctx: CallContext) => ({ Attributes: { ...getTopicAttributes(params, ctx).Attributes, ...topicAttributes(topicOf(ctx, params.TopicArn)) } }),
    Subscribe: subscribe,
    ConfirmSubscription: (params: { TopicArn?: string; Token?: string }, ctx: CallContext) => confirmSubscription(topicOf(ctx, params.TopicArn), params.Token),
    ListSubscriptionsByTopic: listSubscriptionsByTopic,
    ListSubscriptions: listSubscriptions,
    SetTopicAttributes: (params: { TopicArn?: string; AttributeName?: string; AttributeValue?: string }, ctx: CallContext) => {
      setTopicAttribute(ctx.world, topicOf(ctx, params.TopicArn), params);
      return {};
    },
    DeleteTopic: (params: { TopicArn?: string }, ctx: CallContext) => {
      deleteTopic(ctx, required(params.TopicArn, () => invalidParameter("TopicArn")));
      return {};
    },
    ListTagsForResource: (params: { ResourceArn?: string }, ctx: CallContext) => listTopicTags(ctx, taggedTopic(ctx, params.ResourceArn)),
    TagResource: (params: { ResourceArn?: string; Tags?: TagEntry[] }, ctx: CallContext) => {
      tagTopic(ctx, taggedTopic(ctx, params.ResourceArn), params.Tags);
      return {};
    },
    UntagResource: (params: { ResourceArn?: string; TagKeys?: string[] }, ctx: CallContext) => {
      untagTopic(ctx, taggedTopic(ctx, params.ResourceArn), params.TagKeys);
      return {};
    },
    ...subscriptionActions,
  },
};
