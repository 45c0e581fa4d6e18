import { AwsError, type CallContext } from "../../protocol/types.js";
import type { Tags, Topic, World } from "../../state.js";
import { invalidPrincipal } from "../iam/principal-existence.js";
import { required } from "../shared/params.js";
import { regionalState } from "../shared/regional.js";
import { fromTagList, toTagList, type TagEntry } from "../shared/tags.js";

/**
 * Topic attributes, tags and deletion, as terraform's aws_sns_topic sets and reads them back after
 * every create and refresh. Source: Amazon SNS API Reference
 * (docs.aws.amazon.com/sns/latest/api/API_<Action>.html), cited at each handler.
 */

/**
 * API_SetTopicAttributes.html, AttributeName: the attributes a topic accepts (CreateTopic's
 * Attributes take the same, plus FifoTopic). Terraform's aws_sns_topic sets each it has a value for.
 */
export const TOPIC_ATTRIBUTES = new Set([
  "DeliveryPolicy",
  "DisplayName",
  "Policy",
  "TracingConfig",
  "KmsMasterKeyId",
  "SignatureVersion",
  "ContentBasedDeduplication",
  "FifoThroughputScope",
  "ArchivePolicy",
  ...["Application", "HTTP", "Firehose", "Lambda", "SQS"].flatMap((p) => [`${p}SuccessFeedbackRoleArn`, `${p}SuccessFeedbackSampleRate`, `${p}FailureFeedbackRoleArn`]),
]);

/**
 * API_SetTopicAttributes.html: SignatureVersion "1" (SHA1, the default) or "2" (SHA256); TracingConfig
 * PassThrough | Active; sample rates 0-100. A Policy naming a principal that does not exist is
 * InvalidParameter "Invalid parameter: Policy Error: PrincipalNotFound" (iam/principal-existence.ts).
 */
function checkValue(world: World, name: string, value: string): void {
  const bad = () => new AwsError("InvalidParameter", `Invalid parameter: ${name}`);
  if (name === "SignatureVersion" && value !== "1" && value !== "2") throw bad();
  if (name === "TracingConfig" && value !== "PassThrough" && value !== "Active") throw bad();
  if (name.endsWith("SampleRate") && !(/^\d+$/.test(value) && Number(value) <= 100)) throw bad();
  if ((name === "Policy" || name === "DeliveryPolicy" || name === "ArchivePolicy") && value !== "") {
    let document: unknown;
    try {
      document = JSON.parse(value);
    } catch {
      throw new AwsError("InvalidParameter", `Invalid parameter: ${name} Error: not valid JSON`);
    }
    if (name === "Policy" && invalidPrincipal(world, document)) throw new AwsError("InvalidParameter", "Invalid parameter: Policy Error: PrincipalNotFound");
  }
}

/** Validates CreateTopic's Attributes: FifoTopic only at creation, the rest as SetTopicAttributes. */
export function checkTopicAttributes(world: World, attributes: Record<string, string> | undefined): Record<string, string> {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name === "FifoTopic") continue;
    if (!TOPIC_ATTRIBUTES.has(name)) throw new AwsError("InvalidParameter", "Invalid parameter: Attributes Reason: Unknown attribute");
    checkValue(world, name, value);
  }
  return { ...attributes };
}

/**
 * The access policy SNS gives a topic created without one: the owner account may manage it
 * (AWS CLI Command Reference, sns get-topic-attributes, example output: "__default_policy_ID").
 */
export function defaultTopicPolicy(topicArn: string): string {
  const owner = topicArn.split(":")[4];
  return JSON.stringify({
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
        Resource: topicArn,
        Condition: { StringEquals: { "AWS:SourceOwner": owner } },
      },
    ],
  });
}

/** The same example's EffectiveDeliveryPolicy: SNS's default HTTP retry policy. */
const EFFECTIVE_DELIVERY_POLICY = JSON.stringify({
  http: {
    defaultHealthyRetryPolicy: { minDelayTarget: 20, maxDelayTarget: 20, numRetries: 3, numMaxDelayRetries: 0, numNoDelayRetries: 0, numMinDelayRetries: 0, backoffFunction: "linear" },
    disableSubscriptionOverrides: false,
  },
});

/** API_GetTopicAttributes.html: the computed attributes, then the defaults, then what was set. */
export function topicAttributes(topic: Topic): Record<string, string> {
  const pending = topic.subscriptions.filter((s) => s.pendingConfirmation).length;
  return {
    TopicArn: topic.arn,
    Owner: topic.arn.split(":")[4]!,
    DisplayName: "",
    Policy: defaultTopicPolicy(topic.arn),
    EffectiveDeliveryPolicy: EFFECTIVE_DELIVERY_POLICY,
    SubscriptionsConfirmed: String(topic.subscriptions.length - pending),
    SubscriptionsPending: String(pending),
    SubscriptionsDeleted: "0",
    ...topic.attributes,
  };
}

/** API_SetTopicAttributes.html: one attribute per call; an empty value clears it (so the default shows again). */
export function setTopicAttribute(world: World, topic: Topic, params: { AttributeName?: string; AttributeValue?: string }): void {
  const name = required(params.AttributeName, () => new AwsError("InvalidParameter", "Invalid parameter: AttributeName"));
  if (!TOPIC_ATTRIBUTES.has(name)) throw new AwsError("InvalidParameter", "Invalid parameter: AttributeName");
  const value = params.AttributeValue ?? "";
  checkValue(world, name, value);
  if (value === "") delete topic.attributes[name];
  else topic.attributes[name] = value;
}

/** Topic tags, by topic ARN, in the topic's account and region. */
const tagState = regionalState("sns-tags", () => ({ byTopic: new Map<string, Tags>() }));

/** API_TagResource.html: "A new tag with a key identical to that of an existing tag overwrites the existing tag"; at most 50 per topic. */
const MAX_TAGS = 50;

export function tagsOf(ctx: Pick<CallContext, "world" | "accountId" | "region">, topic: Topic): Tags {
  const { byTopic } = tagState.of(ctx);
  let tags = byTopic.get(topic.arn);
  if (!tags) byTopic.set(topic.arn, (tags = {}));
  return tags;
}

export function tagTopic(ctx: CallContext, topic: Topic, list: TagEntry[] | undefined): void {
  const tags = tagsOf(ctx, topic);
  const merged = { ...tags, ...fromTagList(list) };
  if (Object.keys(merged).length > MAX_TAGS) throw new AwsError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded");
  Object.assign(tags, merged);
}

export function untagTopic(ctx: CallContext, topic: Topic, keys: string[] | undefined): void {
  const tags = tagsOf(ctx, topic);
  for (const key of keys ?? []) delete tags[key];
}

export function listTopicTags(ctx: CallContext, topic: Topic) {
  return { Tags: toTagList(tagsOf(ctx, topic)) };
}

/** API_DeleteTopic.html: "Deletes a topic and all its subscriptions … Deleting a topic that does not exist does not result in an error." */
export function deleteTopic(ctx: CallContext, topicArn: string): void {
  const region = ctx.world.accounts.get(ctx.accountId)?.regions.get(ctx.region);
  region?.topics.delete(topicArn);
  tagState.of(ctx).byTopic.delete(topicArn);
}
