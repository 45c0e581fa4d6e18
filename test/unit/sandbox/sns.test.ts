import { CreateTopicCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
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
});
