import { regionOf, type Topic } from "../../state.js";
import { generatedName } from "../shared/ids.js";
import { callOnBehalf, readOnBehalf } from "../cloudformation/resources/on-behalf.js";
import { optionalString, pick, staleTagKeys, templateTags, userTagList } from "../cloudformation/resources/properties.js";
import type { ResourceContext, ResourceProvider } from "../cloudformation/resources/types.js";
import { snsService } from "./service.js";
import { tagsOf } from "./topic-attributes.js";

/**
 * AWS::SNS::Topic, as the CloudFormation Template Reference page "AWS::SNS::Topic" words it
 * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topic.html; source
 * awsdocs/aws-cloudformation-user-guide doc_source/aws-resource-sns-topic.md, checked with search):
 * - Ref: "When you pass the logical ID of this resource to the intrinsic `Ref` function, `Ref`
 *   returns the topic ARN, for example: `arn:aws:sns:us-east-1:123456789012:mystack-mytopic-NZJ5JSMVGFIE`",
 *   so the physical id is the ARN. Fn::GetAtt: `TopicArn` "Returns the ARN of an Amazon SNS topic",
 *   `TopicName` "Returns the name of an Amazon SNS topic".
 * - TopicName: "If you don't specify a name, AWS CloudFormation generates a unique physical ID and
 *   uses that ID for the topic name" (stack-logical-RANDOM, as the example ARN shows); names "must
 *   be between 1 and 256 characters long".
 * Every write goes through SNS's own handlers, authorized and recorded as CloudFormation's call for
 * the caller or the stack's service role (on-behalf.ts). Drift detection reads the topic with the
 * type's read handler permissions (aws-sns-topic.json, aws-cloudformation-resource-providers-sns:
 * "read": sns:GetTopicAttributes, sns:ListTagsForResource, sns:ListSubscriptionsByTopic).
 */

const sns = <T = Record<string, unknown>>(ctx: ResourceContext, action: string, params: Record<string, unknown>) => callOnBehalf<T>(ctx, snsService, action, params);

function liveTopic(arn: string, ctx: ResourceContext): Topic | undefined {
  return regionOf(ctx.env.account, ctx.env.region).topics.get(arn);
}

function liveTags(topic: Topic, ctx: ResourceContext): Record<string, string> {
  return tagsOf({ world: ctx.env.world, accountId: ctx.env.account.id, region: ctx.env.region }, topic);
}

function attributes(topic: Topic): Record<string, string> {
  return { TopicArn: topic.arn, TopicName: topic.name };
}

/** Brings DisplayName and the template's tags to `properties`; tags `previous` named and `properties` no longer does are removed. */
async function configure(arn: string, properties: Record<string, unknown>, previous: Record<string, unknown> | undefined, ctx: ResourceContext): Promise<void> {
  const topic = liveTopic(arn, ctx);
  if (!topic) throw new Error(`Topic does not exist: ${arn}`);
  const displayName = optionalString(properties.DisplayName) ?? "";
  if ((topic.attributes.DisplayName ?? "") !== displayName && (properties.DisplayName !== undefined || previous?.DisplayName !== undefined)) {
    await sns(ctx, "SetTopicAttributes", { TopicArn: arn, AttributeName: "DisplayName", AttributeValue: displayName });
  }
  const tags = liveTags(topic, ctx);
  const wanted = { ...ctx.stack.tags, ...templateTags(properties.Tags ?? []) };
  const stale = staleTagKeys(tags, wanted, previous?.Tags);
  const changed = Object.entries(wanted).filter(([key, value]) => tags[key] !== value);
  if (stale.length > 0) await sns(ctx, "UntagResource", { ResourceArn: arn, TagKeys: stale });
  if (changed.length > 0) await sns(ctx, "TagResource", { ResourceArn: arn, Tags: changed.map(([Key, Value]) => ({ Key, Value })) });
}

export const snsTopicProvider: ResourceProvider = {
  async create(properties, ctx) {
    const name = optionalString(properties.TopicName) ?? generatedName(ctx.env.sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 256 });
    const displayName = optionalString(properties.DisplayName);
    const { TopicArn } = await sns<{ TopicArn: string }>(ctx, "CreateTopic", { Name: name, ...(displayName !== undefined ? { Attributes: { DisplayName: displayName } } : {}) });
    try {
      await configure(TopicArn, properties, undefined, ctx);
    } catch (error) {
      // The handler's create failed after the topic existed: it is removed, as the rollback of a resource that failed to create.
      await sns(ctx, "DeleteTopic", { TopicArn }).catch(() => undefined);
      throw error;
    }
    return { physicalId: TopicArn, attributes: attributes(liveTopic(TopicArn, ctx)!) };
  },

  async delete(arn, ctx) {
    if (!liveTopic(arn, ctx)) return;
    await sns(ctx, "DeleteTopic", { TopicArn: arn });
  },

  updateInPlace(arn, properties, previous, ctx) {
    return configure(arn, properties, previous, ctx);
  },

  drift: {
    shapes: { Tags: { kind: "set", key: "Key", onlyExpectedKeys: true } },
    // Template Reference (same page): TopicName "*Update requires*: Replacement"; DisplayName and Tags "*Update requires*: No interruption".
    replacedBy: ["TopicName"],

    expected(properties) {
      return pick(properties, ["TopicName", "DisplayName", "Tags"]);
    },

    async readActual(arn, ctx) {
      await readOnBehalf(ctx, snsService, [
        ["GetTopicAttributes", { TopicArn: arn }],
        ["ListTagsForResource", { ResourceArn: arn }],
        ["ListSubscriptionsByTopic", { TopicArn: arn }],
      ]);
      const topic = liveTopic(arn, ctx);
      if (!topic) return undefined;
      return {
        TopicName: topic.name,
        ...(topic.attributes.DisplayName ? { DisplayName: topic.attributes.DisplayName } : {}),
        Tags: userTagList(liveTags(topic, ctx)),
      };
    },

    update(arn, expected, ctx) {
      return configure(arn, expected, undefined, ctx);
    },
  },
};
