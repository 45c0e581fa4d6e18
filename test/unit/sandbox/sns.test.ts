import { ConfirmSubscriptionCommand, CreateTopicCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand, PublishCommand, SetSubscriptionAttributesCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { queueByArn } from "../../../sandbox/emulator/services/sqs/service.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure, HUB, startTestSandbox } from "../../support/sandbox.js";

let sandbox: Sandbox;
let sns: SNSClient;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  sns = new SNSClient(clientConfig(sandbox, sandbox.hubCredentials));
});
afterAll(() => sandbox.close());

function published() {
  return sandbox.world.accounts.get(HUB)!.regions.get("us-east-1")!.topics.get(`arn:aws:sns:us-east-1:${HUB}:driftguard-notifications`)!.published;
}

describe("sns", () => {
  it("records what is published to the notification topic", async () => {
    const res = await sns.send(new PublishCommand({ TopicArn: sandbox.hub.topicArn, Subject: "driftguard: 2 drifted stacks", Message: "details" }));
    expect(res.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(published().at(-1)).toMatchObject({ messageId: res.MessageId, subject: "driftguard: 2 drifted stacks", message: "details" });
  });

  // API_Publish.html: Subject "UTF-8 text with no line breaks or control characters, and less than
  // 100 characters long"; Message "at most 256 KB in size (262,144 bytes, not 262,144 characters)".
  it.each([
    ["a subject of 100 characters", { Subject: "x".repeat(100), Message: "m" }],
    ["a subject with a line break", { Subject: "two\nlines", Message: "m" }],
    ["a subject with a control character", { Subject: "bell\u0007", Message: "m" }],
    ["an empty message", { Message: "" }],
    ["a message over 256 KB", { Message: "x".repeat(256 * 1024 + 1) }],
    ["a message under 262,144 characters but over 262,144 bytes", { Message: "é".repeat(131_073) }],
  ])("rejects %s with InvalidParameter, as SNS does", async (_what, input) => {
    const before = published().length;
    const err = await failure(sns.send(new PublishCommand({ TopicArn: sandbox.hub.topicArn, ...input })));
    expect(err.name).toBe("InvalidParameterException");
    expect(published()).toHaveLength(before);
  });

  it("accepts a UTF-8 subject of 99 characters and a message of exactly 262,144 bytes", async () => {
    const subject = `drift ✗ ${"ü".repeat(91)}`;
    await sns.send(new PublishCommand({ TopicArn: sandbox.hub.topicArn, Subject: subject, Message: "é".repeat(131_072) }));
    expect(published().at(-1)).toMatchObject({ subject });
  });

  it("answers NotFound for an unknown topic, after authorizing the caller", async () => {
    const owner = new SNSClient(clientConfig(sandbox, sandbox.adminCredentials(HUB)));
    const err = await failure(owner.send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${HUB}:nope`, Message: "m" })));
    expect(err.name).toBe("NotFoundException");
    // The scanner may publish to the notification topic only: IAM denies before SNS looks the topic up.
    const denied = await failure(sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${HUB}:nope`, Message: "m" })));
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(["AuthorizationErrorException", 403]);
  });

  it("creates topics idempotently, lists them and their subscriptions", async () => {
    const sns = new SNSClient(clientConfig(sandbox, sandbox.adminCredentials(HUB)));
    const a = await sns.send(new CreateTopicCommand({ Name: "extra" }));
    const b = await sns.send(new CreateTopicCommand({ Name: "extra" }));
    expect(a.TopicArn).toBe(b.TopicArn);
    const topics = (await sns.send(new ListTopicsCommand({}))).Topics!.map((t) => t.TopicArn);
    expect(topics).toEqual([sandbox.hub.topicArn, a.TopicArn].sort());
    await sns.send(new SubscribeCommand({ TopicArn: a.TopicArn, Protocol: "https", Endpoint: "https://hooks.example.com/x" }));
    const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: sandbox.hub.topicArn }));
    // accounts.yaml's notification email, still waiting for its confirmation click.
    expect(subs.Subscriptions).toEqual([expect.objectContaining({ Protocol: "email", Endpoint: "ops@example.com", SubscriptionArn: "PendingConfirmation" })]);
    const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn: a.TopicArn }));
    // An HTTPS endpoint must confirm too (sns-http-https-endpoint-as-subscriber.html).
    expect(attrs.Attributes).toMatchObject({ TopicArn: a.TopicArn, Owner: HUB, SubscriptionsConfirmed: "0", SubscriptionsPending: "1" });
  });

  describe("delivery per protocol (sns/delivery.ts)", () => {
    const admin = () => new SNSClient(clientConfig(sandbox, sandbox.adminCredentials(HUB)));
    const sqs = () => new SQSClient(clientConfig(sandbox, sandbox.adminCredentials(HUB)));
    const topicState = (arn: string) => sandbox.world.accounts.get(HUB)!.regions.get("us-east-1")!.topics.get(arn)!;
    /** subscribe-sqs-queue-to-sns-topic.html step 2: the queue policy lets the topic send. */
    const queuePolicy = (queueArn: string, topicArn: string) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": topicArn } } }] });

    it("rejects a MessageStructure json body that does not parse or has no default, as SNS does", async () => {
      for (const [Message, wording] of [
        ["not json", "Invalid parameter: Message Structure - JSON message body failed to parse"],
        ['{"email":"x"}', "Invalid parameter: Message Structure - No default entry in JSON message body"],
        ['{"default":"x","sqs":{"a":1}}', "Invalid parameter: Message Structure - sqs is not a string"],
      ] as const) {
        const err = await failure(sns.send(new PublishCommand({ TopicArn: sandbox.hub.topicArn, MessageStructure: "json", Message })));
        expect([err.name, err.message]).toEqual(["InvalidParameterException", wording]);
      }
    });

    it("sends each confirmed subscription its protocol's message, the default to the rest, nothing to a pending one", async () => {
      const topicArn = (await admin().send(new CreateTopicCommand({ Name: "per-protocol" }))).TopicArn!;
      const queue = async (name: string) => {
        await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: { Policy: queuePolicy(`arn:aws:sqs:us-east-1:${HUB}:${name}`, topicArn) } }));
        return { arn: `arn:aws:sqs:us-east-1:${HUB}:${name}` };
      };
      const wrapped = await queue("wrapped");
      const raw = await queue("raw");
      await sqs().send(new CreateQueueCommand({ QueueName: "no-policy" }));
      await admin().send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: wrapped.arn }));
      const rawSub = (await admin().send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: raw.arn }))).SubscriptionArn!;
      await admin().send(new SetSubscriptionAttributesCommand({ SubscriptionArn: rawSub, AttributeName: "RawMessageDelivery", AttributeValue: "true" }));
      await admin().send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: `arn:aws:sqs:us-east-1:${HUB}:no-policy` }));
      await admin().send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "email", Endpoint: "ops@example.com" }));
      await admin().send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "https", Endpoint: "https://hooks.example.com/pending" }));
      // The email endpoint confirms with the token its SubscriptionConfirmation carried (API_ConfirmSubscription.html).
      const confirmation = topicState(topicArn).deliveries!.find((d) => d.type === "SubscriptionConfirmation" && d.protocol === "email")!;
      const token = (JSON.parse(confirmation.body) as { Token: string }).Token;
      expect((await failure(admin().send(new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token: "wrong" })))).name).toBe("InvalidParameterException");
      const confirmed = await admin().send(new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token: token }));
      expect(confirmed.SubscriptionArn).toMatch(new RegExp(`^${topicArn}:`));

      const Message = JSON.stringify({ default: "for anyone", sqs: '{"kind":"machine"}', email: "Dear reader" });
      const { MessageId } = await admin().send(new PublishCommand({ TopicArn: topicArn, Subject: "hello", MessageStructure: "json", Message }));
      // sns-message-and-json-formats.html: the notification envelope, Message being this protocol's value.
      // (The sandbox's SQS has no ReceiveMessage yet: the queues are read from its state.)
      const inQueue = (arn: string) => queueByArn(sandbox, arn)!.messages.map((m) => m.body);
      expect(inQueue(wrapped.arn).map((b) => JSON.parse(b))).toEqual([
        expect.objectContaining({ Type: "Notification", MessageId, TopicArn: topicArn, Subject: "hello", Message: '{"kind":"machine"}', SignatureVersion: "1" }),
      ]);
      expect(inQueue(raw.arn)).toEqual(['{"kind":"machine"}']);
      expect(inQueue(`arn:aws:sqs:us-east-1:${HUB}:no-policy`)).toEqual([]);
      const notes = topicState(topicArn).deliveries!.filter((d) => d.messageId === MessageId);
      expect(notes.map((d) => [d.protocol, d.outcome])).toEqual([["sqs", "delivered"], ["sqs", "delivered"], ["sqs", "failed"], ["email", "delivered"]]);
      expect(notes[2]!.error).toMatch(/does not allow sns.amazonaws.com sqs:SendMessage/);
      expect(notes[3]!.body).toMatch(/^Dear reader\n\n--\nIf you wish to stop receiving notifications/);
      // The https endpoint never confirmed: it gets nothing.
      expect(notes.some((d) => d.protocol === "https")).toBe(false);
    });
  });
});
