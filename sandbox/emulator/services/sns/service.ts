import type { RegionState, Topic } from "../../state.js";
import { regionOf } from "../../state.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import { uuid } from "../shared/ids.js";
import { required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import type { TagEntry } from "../shared/tags.js";
import { listSubscriptionsOf, subscribeTo, subscriptionActions } from "./subscriptions.js";
import { checkTopicAttributes, deleteTopic, listTopicTags, setTopicAttribute, tagTopic, topicAttributes, untagTopic } from "./topic-attributes.js";

export { addSubscription } from "./subscriptions.js";

/**
 * SNS topics that record what was published, so tests and `npm start` can show the notification
 * driftguard sent. Publish enforces SNS's real Subject and size limits: a message that would be
 * rejected by AWS is rejected here too.
 */

const TOPIC_NAME = /^[\w-]{1,256}(\.fifo)?$/;
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_SUBJECT = 100;

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

function topicOf(ctx: CallContext, arn: string | undefined): Topic {
  const topicArn = required(arn, () => invalidParameter("TopicArn"));
  // A topic of another account or region is not found from here, as in SNS.
  const topic = regionState(ctx).topics.get(topicArn);
  if (!topic) throw notFound();
  return topic;
}

function createTopic(params: { Name?: string; Attributes?: Record<string, string>; Tags?: TagEntry[] }, ctx: CallContext) {
  const name = required(params.Name, () => invalidParameter("Name"));
  if (!TOPIC_NAME.test(name)) {
    throw invalidParameter("Topic Name");
  }
  const topic = putTopic(regionState(ctx), ctx.accountId, ctx.region, name, checkTopicAttributes(params.Attributes));
  if (params.Tags) tagTopic(ctx, topic, params.Tags);
  return { TopicArn: topic.arn };
}

function publish(params: { TopicArn?: string; TargetArn?: string; Message?: string; Subject?: string }, ctx: CallContext) {
  const topic = topicOf(ctx, params.TopicArn ?? params.TargetArn);
  const message = params.Message ?? "";
  if (message === "") throw invalidParameter("Empty message");
  if (Buffer.byteLength(message, "utf8") > MAX_MESSAGE_BYTES) throw invalidParameter("Message too long");
  const subject = params.Subject;
  if (subject !== undefined) {
    // Subject: ASCII, no line breaks or control characters, under 100 characters.
    if (subject.length === 0 || subject.length > MAX_SUBJECT || !/^[\x20-\x7e]+$/.test(subject) || /^\s/.test(subject)) {
      throw invalidParameter("Subject");
    }
  }
  const messageId = uuid(ctx.sandbox.random);
  topic.published.push({ messageId, subject, message, at: new Date(ctx.sandbox.now()).toISOString() });
  return { MessageId: messageId };
}

function listTopics(params: { NextToken?: string }, ctx: CallContext) {
  const topics = [...regionState(ctx).topics.values()].sort((a, b) => a.arn.localeCompare(b.arn));
  const page = paginate(topics, params.NextToken, 100, () => invalidParameter("NextToken"));
  return { Topics: page.items.map((t) => ({ TopicArn: t.arn })), NextToken: page.next };
}

/** Tag APIs name the topic by ARN (API_ListTagsForResource.html, ResourceArn); an unknown one is ResourceNotFound. */
function taggedTopic(ctx: CallContext, arn: string | undefined): Topic {
  const topic = regionState(ctx).topics.get(required(arn, () => invalidParameter("ResourceArn")));
  if (!topic) throw new AwsError("ResourceNotFound", "Resource does not exist", 404);
  return topic;
}

export const snsService: ServiceDefinition = {
  name: "sns",
  protocol: "query",
  xmlNamespace: "http://sns.amazonaws.com/doc/2010-03-31/",
  actions: {
    CreateTopic: createTopic,
    Publish: publish,
    ListTopics: listTopics,
    GetTopicAttributes: (params: { TopicArn?: string }, ctx: CallContext) => ({ Attributes: topicAttributes(topicOf(ctx, params.TopicArn)) }),
    SetTopicAttributes: (params: { TopicArn?: string; AttributeName?: string; AttributeValue?: string }, ctx: CallContext) => {
      setTopicAttribute(topicOf(ctx, params.TopicArn), params);
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
    Subscribe: (params: Parameters<typeof subscribeTo>[1] & { TopicArn?: string }, ctx: CallContext) => subscribeTo(topicOf(ctx, params.TopicArn), params, ctx),
    ListSubscriptionsByTopic: (params: { TopicArn?: string; NextToken?: string }, ctx: CallContext) => listSubscriptionsOf(topicOf(ctx, params.TopicArn), params),
    ...subscriptionActions,
  },
};
