import { createHash } from "node:crypto";
import type {
  CreateQueueCommandInput,
  CreateQueueCommandOutput,
  DeleteQueueCommandInput,
  DeleteQueueCommandOutput,
  GetQueueAttributesCommandInput,
  GetQueueAttributesCommandOutput,
  GetQueueUrlCommandInput,
  GetQueueUrlCommandOutput,
  ListQueuesCommandInput,
  ListQueuesCommandOutput,
  ListQueueTagsCommandInput,
  ListQueueTagsCommandOutput,
  SendMessageCommandInput,
  SendMessageCommandOutput,
  SetQueueAttributesCommandInput,
  SetQueueAttributesCommandOutput,
  TagQueueCommandInput,
  TagQueueCommandOutput,
  UntagQueueCommandInput,
  UntagQueueCommandOutput,
} from "@aws-sdk/client-sqs";
import { AwsError, type CallContext, type SdkOutput, type ServiceDefinition } from "../../protocol/types.js";
import type { Tags, World } from "../../state.js";
import { invalidPrincipal } from "../iam/principal-existence.js";
import { uuid } from "../shared/ids.js";
import { required } from "../shared/params.js";
import { regionalState } from "../shared/regional.js";

/**
 * SQS queues over the awsJson1_0 protocol (target prefix AmazonSQS), which current SDKs and the
 * terraform provider use: queues, their attributes (including Policy and RedrivePolicy), tags,
 * and the messages other services deliver (the spokes' dead-letter queues). Handlers take the
 * SDK's `<Op>CommandInput` and return `SdkOutput<<Op>CommandOutput>` (@aws-sdk/client-sqs).
 * Source: Amazon SQS API Reference (docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/).
 */

export interface Queue {
  name: string;
  url: string;
  arn: string;
  /** Settable attributes as strings, the way the API carries them. */
  attributes: Record<string, string>;
  tags: Tags;
  createdAt: number;
  modifiedAt: number;
  messages: { messageId: string; body: string; sentAt: number; attributes?: Record<string, string> }[];
}

export const sqsState = regionalState("sqs", () => ({ queues: new Map<string, Queue>() }));

/**
 * API_SetQueueAttributes.html: the attributes a caller may set, with the defaults
 * API_CreateQueue.html gives a queue that does not set them (SSE-SQS is on by default for new
 * queues since 2022: "SqsManagedSseEnabled … default true", API_CreateQueue.html).
 */
const DEFAULTS: Record<string, string> = {
  DelaySeconds: "0",
  MaximumMessageSize: "262144",
  MessageRetentionPeriod: "345600",
  ReceiveMessageWaitTimeSeconds: "0",
  VisibilityTimeout: "30",
  SqsManagedSseEnabled: "true",
};
const SETTABLE = new Set([
  ...Object.keys(DEFAULTS),
  "Policy",
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
]);
/** API_SetQueueAttributes.html: each numeric attribute's allowed range. */
const RANGES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 262144],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};
/** API_CreateQueue.html, QueueName: "up to 80 characters … alphanumeric characters, hyphens (-), and underscores (_)"; FIFO names end in .fifo. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$/;

const doesNotExist = () => new AwsError("QueueDoesNotExist", "The specified queue does not exist.");
const invalidAttributeName = (name: string) => new AwsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
const invalidAttributeValue = (name: string, why: string) => new AwsError("InvalidAttributeValue", `Invalid value for the parameter ${name}. Reason: ${why}`);

/**
 * API_SetQueueAttributes.html: each attribute's range; a policy must be JSON, and a Policy naming a
 * principal that does not exist is InvalidAttributeValue "Invalid value for the parameter Policy."
 * with no reason (iam/principal-existence.ts).
 */
function checkAttributes(world: World, given: Partial<Record<string, string>> | undefined): Record<string, string> {
  const attributes = Object.fromEntries(Object.entries(given ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
  for (const [name, value] of Object.entries(attributes)) {
    if (!SETTABLE.has(name)) throw invalidAttributeName(name);
    const range = RANGES[name];
    if (range && (!/^\d+$/.test(value) || Number(value) < range[0] || Number(value) > range[1])) {
      throw invalidAttributeValue(name, `must be an integer from ${range[0]} to ${range[1]}.`);
    }
    if ((name === "Policy" || name === "RedrivePolicy" || name === "RedriveAllowPolicy") && value !== "") {
      let document: unknown;
      try {
        document = JSON.parse(value);
      } catch {
        throw invalidAttributeValue(name, "not valid JSON.");
      }
      if (name === "Policy" && invalidPrincipal(world, document)) throw new AwsError("InvalidAttributeValue", "Invalid value for the parameter Policy.");
    }
  }
  return attributes;
}

/** The queue a QueueUrl names; only the caller's own account and region resolve (no cross-account SendMessage here). */
function queueOf(ctx: CallContext, url: string | undefined): Queue {
  const queueUrl = required(url, () => new AwsError("MissingParameter", "The request must contain the parameter QueueUrl."));
  const name = queueUrl.split("/").pop() ?? "";
  const queue = sqsState.of(ctx).queues.get(name);
  if (!queue || queue.url !== queueUrl) throw doesNotExist();
  return queue;
}

/** A queue by ARN, in any account and region of the world (for EventBridge dead-letter delivery). */
export function queueByArn(ctx: Pick<CallContext, "world">, arn: string): Queue | undefined {
  const [, , , region, accountId, name] = arn.split(":");
  const account = accountId ? ctx.world.accounts.get(accountId) : undefined;
  return account && region && name ? sqsState.at(account, region).queues.get(name) : undefined;
}

/**
 * API_CreateQueue.html: creating a queue that exists returns its URL when the attributes are the
 * same, and QueueNameExists (QueueAlreadyExists in the JSON protocol) when they differ.
 */
function createQueue(params: CreateQueueCommandInput, ctx: CallContext): SdkOutput<CreateQueueCommandOutput> {
  const name = required(params.QueueName, () => new AwsError("MissingParameter", "The request must contain the parameter QueueName."));
  if (!QUEUE_NAME.test(name)) throw new AwsError("InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  const attributes = checkAttributes(ctx.world, params.Attributes);
  if (name.endsWith(".fifo") !== (attributes.FifoQueue === "true")) {
    throw invalidAttributeValue("FifoQueue", "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix.");
  }
  const { queues } = sqsState.of(ctx);
  const existing = queues.get(name);
  if (existing) {
    const same = Object.entries(attributes).every(([k, v]) => existing.attributes[k] === v);
    if (!same) throw new AwsError("QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute(s).");
    return { QueueUrl: existing.url };
  }
  const now = ctx.sandbox.now();
  const queue: Queue = {
    name,
    url: `https://sqs.${ctx.region}.amazonaws.com/${ctx.accountId}/${name}`,
    arn: `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${name}`,
    attributes: { ...DEFAULTS, ...(attributes.KmsMasterKeyId ? { SqsManagedSseEnabled: "false", KmsDataKeyReusePeriodSeconds: "300" } : {}), ...attributes },
    tags: { ...params.tags },
    createdAt: now,
    modifiedAt: now,
    messages: [],
  };
  queues.set(name, queue);
  return { QueueUrl: queue.url };
}

function getQueueUrl(params: GetQueueUrlCommandInput, ctx: CallContext): SdkOutput<GetQueueUrlCommandOutput> {
  const queue = sqsState.of(ctx).queues.get(required(params.QueueName, () => new AwsError("MissingParameter", "The request must contain the parameter QueueName.")));
  if (!queue) throw doesNotExist();
  return { QueueUrl: queue.url };
}

function listQueues(params: ListQueuesCommandInput, ctx: CallContext): SdkOutput<ListQueuesCommandOutput> {
  const urls = [...sqsState.of(ctx).queues.values()].filter((q) => q.name.startsWith(params.QueueNamePrefix ?? "")).map((q) => q.url);
  return urls.length > 0 ? { QueueUrls: urls.sort() } : {};
}

/**
 * API_GetQueueAttributes.html: "All" returns every attribute, computed ones included (QueueArn,
 * ApproximateNumberOf*, CreatedTimestamp and LastModifiedTimestamp in epoch seconds).
 */
function getQueueAttributes(params: GetQueueAttributesCommandInput, ctx: CallContext): SdkOutput<GetQueueAttributesCommandOutput> {
  const queue = queueOf(ctx, params.QueueUrl);
  const all: Record<string, string> = {
    ...queue.attributes,
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(queue.messages.length),
    ApproximateNumberOfMessagesNotVisible: "0",
    ApproximateNumberOfMessagesDelayed: "0",
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
  };
  const wanted: string[] = params.AttributeNames ?? [];
  if (wanted.includes("All")) return { Attributes: all };
  const out: Record<string, string> = {};
  for (const name of wanted) {
    if (!SETTABLE.has(name) && !(name in all)) throw invalidAttributeName(name);
    if (all[name] !== undefined) out[name] = all[name];
  }
  return Object.keys(out).length > 0 ? { Attributes: out } : {};
}

/** API_SetQueueAttributes.html: an empty Policy (or RedrivePolicy) removes it. */
function setQueueAttributes(params: SetQueueAttributesCommandInput, ctx: CallContext): SdkOutput<SetQueueAttributesCommandOutput> {
  const queue = queueOf(ctx, params.QueueUrl);
  for (const [name, value] of Object.entries(checkAttributes(ctx.world, params.Attributes))) {
    if (name === "FifoQueue") throw invalidAttributeName(name); // fixed at creation
    if (value === "" && (name === "Policy" || name === "RedrivePolicy" || name === "RedriveAllowPolicy")) delete queue.attributes[name];
    else queue.attributes[name] = value;
  }
  queue.modifiedAt = ctx.sandbox.now();
  return {};
}

function deleteQueue(params: DeleteQueueCommandInput, ctx: CallContext): SdkOutput<DeleteQueueCommandOutput> {
  const queue = queueOf(ctx, params.QueueUrl);
  sqsState.of(ctx).queues.delete(queue.name);
  return {};
}

function listQueueTags(params: ListQueueTagsCommandInput, ctx: CallContext): SdkOutput<ListQueueTagsCommandOutput> {
  const { tags } = queueOf(ctx, params.QueueUrl);
  return Object.keys(tags).length > 0 ? { Tags: { ...tags } } : {};
}

function tagQueue(params: TagQueueCommandInput, ctx: CallContext): SdkOutput<TagQueueCommandOutput> {
  Object.assign(queueOf(ctx, params.QueueUrl).tags, params.Tags);
  return {};
}

function untagQueue(params: UntagQueueCommandInput, ctx: CallContext): SdkOutput<UntagQueueCommandOutput> {
  const queue = queueOf(ctx, params.QueueUrl);
  for (const key of params.TagKeys ?? []) delete queue.tags[key];
  return {};
}

/** API_SendMessage.html: MessageBody 1 byte to MaximumMessageSize. */
function sendMessage(params: SendMessageCommandInput, ctx: CallContext): SdkOutput<SendMessageCommandOutput> {
  const queue = queueOf(ctx, params.QueueUrl);
  const body = required(params.MessageBody, () => new AwsError("MissingParameter", "The request must contain the parameter MessageBody."));
  if (Buffer.byteLength(body) > Number(queue.attributes.MaximumMessageSize)) throw new AwsError("InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than the queue's MaximumMessageSize.");
  const messageId = uuid(ctx.sandbox.random);
  queue.messages.push({ messageId, body, sentAt: ctx.sandbox.now() });
  return { MessageId: messageId, MD5OfMessageBody: md5(body) };
}

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

export const sqsService: ServiceDefinition = {
  name: "sqs",
  protocol: "json",
  jsonVersion: "1.0",
  // The @awsQueryError codes of the SQS Smithy model (aws-sdk-go-v2 service/sqs, api.json), which
  // SDKs and terraform still compare against (e.g. AWS.SimpleQueueService.NonExistentQueue).
  queryErrorCodes: {
    QueueDoesNotExist: "AWS.SimpleQueueService.NonExistentQueue",
    QueueAlreadyExists: "QueueAlreadyExists",
    InvalidAttributeName: "InvalidAttributeName",
    InvalidAttributeValue: "InvalidAttributeValue",
  },
  actions: {
    CreateQueue: createQueue,
    GetQueueUrl: getQueueUrl,
    ListQueues: listQueues,
    GetQueueAttributes: getQueueAttributes,
    SetQueueAttributes: setQueueAttributes,
    DeleteQueue: deleteQueue,
    ListQueueTags: listQueueTags,
    TagQueue: tagQueue,
    UntagQueue: untagQueue,
    SendMessage: sendMessage,
  },
};
