import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/accounts-file/index.js";
import { publishReport } from "../../../functions/report/publish.js";
import { SLACK_HEADER_MAX, SLACK_MAX_BLOCKS, SLACK_SECTION_MAX, TEAMS_MAX_BYTES, slackMessage, teamsMessage, webhookReadGrants } from "../../../functions/report/webhooks.js";
import { DEMO_ACCOUNTS } from "../../../sandbox/harness/scenario.js";
import { silentLogger } from "../scanner/fixtures.js";
import { fleetReport } from "./generate.js";
import { resource, sampleAccounts, sampleReport } from "./sample.js";
import { schemaErrors } from "./validate.js";

const LINKS = { report: "https://s3.console.aws.amazon.com/s3/object/b?region=us-east-1&prefix=reports%2Fx%2Freport.html", history: "https://s3.console.aws.amazon.com/s3/object/b?region=us-east-1&prefix=reports%2Findex.html" };

type Block = { type: string; text?: { type: string; text: string }; elements?: { url: string; text: { text: string } }[] };

describe("Slack Block Kit message", () => {
  it("stays within Block Kit's limits on a 300-account report", () => {
    const { text, blocks } = slackMessage(fleetReport({ accounts: 300, stacksPerAccount: 16 }), LINKS) as { text: string; blocks: Block[] };
    expect(blocks.length).toBeLessThanOrEqual(SLACK_MAX_BLOCKS);
    expect(blocks[0]!.type).toBe("header");
    expect(blocks[0]!.text!.text.length).toBeLessThanOrEqual(SLACK_HEADER_MAX);
    for (const b of blocks.filter((x) => x.type === "section")) expect(b.text!.text.length).toBeLessThanOrEqual(SLACK_SECTION_MAX);
    expect(text.length).toBeGreaterThan(0);
    expect(blocks.at(-1)!.elements!.map((e) => [e.text.text, e.url])).toEqual([["Full report", LINKS.report], ["All runs", LINKS.history]]);
    expect(blocks[1]!.text!.text).toMatch(/^\*Needs you\*\n❌ /);
    expect(blocks.some((b) => b.text?.text.includes("more in the full report"))).toBe(true);
  });

  it("escapes &, < and > so no member value makes a link or a mention", () => {
    const accounts = sampleAccounts();
    accounts[0]!.regions[0]!.stacks[0]!.resources.push(resource({ logicalResourceId: "<!channel> <https://evil.example|click> & co", action: { outcome: "manual", reason: "x", steps: [] } }));
    const { blocks } = slackMessage(sampleReport(accounts), LINKS) as { blocks: Block[] };
    const all = blocks.map((b) => b.text?.text ?? "").join("\n");
    expect(all).not.toMatch(/<[^>]*>/);
    expect(all).toContain("&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co");
  });
});

describe("Microsoft Teams Workflows message (Adaptive Card)", () => {
  it("is a message with one Adaptive Card attachment, under the size Teams accepts, on a 300-account report", () => {
    const message = teamsMessage(fleetReport({ accounts: 300, stacksPerAccount: 16 }), LINKS) as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { text: string }[]; actions: { type: string; url: string }[] } }[] };
    expect(message.type).toBe("message");
    expect(message.attachments).toHaveLength(1);
    const [a] = message.attachments;
    expect(a!.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(a!.content).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(a!.content.actions.map((x) => [x.type, x.url])).toEqual([["Action.OpenUrl", LINKS.report], ["Action.OpenUrl", LINKS.history]]);
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    expect(a!.content.body[1]!.text).toBe("**Needs you**");
  });
});

describe("webhook configuration", () => {
  const demo = readFileSync(DEMO_ACCOUNTS, "utf8");
  const withWebhooks = (yaml: string) => demo.replace("  notifications:\n", `  notifications:\n    webhooks:\n${yaml}`);

  it("rejects a literal URL in accounts.yaml with the fix, and a webhook that names no store or both", () => {
    const literal = () => parseConfig(withWebhooks('      - { name: platform, format: slack, url: "https://hooks.slack.com/services/T0/B0/x" }\n'));
    expect(literal).toThrow(/^accounts\.yaml:\d+:\d+: hub\.notifications\.webhooks\[0\]\.url is not allowed: a webhook URL is a credential.*put-parameter --type SecureString/s);
    // The rejected URL is a credential: the message never repeats it.
    expect(literal).not.toThrow(/hooks\.slack\.com/);
    expect(() => parseConfig(withWebhooks("      - { name: platform, format: slack }\n"))).toThrow(/needs exactly one of ssmParameter or secretsManagerSecret/);
    expect(() => parseConfig(withWebhooks("      - { name: platform, format: slack, ssmParameter: /a, secretsManagerSecret: b }\n"))).toThrow(/needs exactly one of/);
    expect(() => parseConfig(withWebhooks("      - { name: platform, format: discord, ssmParameter: /a }\n"))).toThrow(/must be slack \(Block Kit\) or teams/);
  });

  it("grants the hub role exactly the parameters and secrets named, and KMS only through the service", () => {
    const config = parseConfig(
      withWebhooks(
        [
          "      - { name: platform, format: slack, ssmParameter: /driftguard/webhooks/platform }",
          "      - { name: security, format: teams, secretsManagerSecret: driftguard/teams, kmsKeyArn: arn:aws:kms:us-east-1:111111111111:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9 }",
          "      - { name: audit, format: teams, secretsManagerSecret: arn:aws:secretsmanager:us-east-1:111111111111:secret:audit-AbCdEf }",
          "",
        ].join("\n"),
      ),
    );
    const grants = webhookReadGrants(config.hub.notifications.webhooks, config.hub);
    expect(grants).toEqual([
      { sid: "ReadWebhookParameters", actions: ["ssm:GetParameter"], resources: ["arn:aws:ssm:us-east-1:111111111111:parameter/driftguard/webhooks/platform"] },
      { sid: "ReadWebhookSecrets", actions: ["secretsmanager:GetSecretValue"], resources: ["arn:aws:secretsmanager:us-east-1:111111111111:secret:driftguard/teams-??????", "arn:aws:secretsmanager:us-east-1:111111111111:secret:audit-AbCdEf"] },
      { sid: "DecryptWebhookSecrets", actions: ["kms:Decrypt"], resources: ["arn:aws:kms:us-east-1:111111111111:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"], condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["secretsmanager.us-east-1.amazonaws.com"] }] },
    ]);
    expect(webhookReadGrants([], config.hub)).toEqual([]);
  });
});

describe("publishReport with a failing webhook", () => {
  const s3 = mockClient(S3Client);
  const sns = mockClient(SNSClient);
  const ssm = mockClient(SSMClient);
  beforeEach(() => {
    s3.reset();
    sns.reset();
    ssm.reset();
    s3.on(GetObjectCommand).rejects(Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }));
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    // API_GetParameter.html, Response Syntax.
    ssm.on(GetParameterCommand, { Name: "/driftguard/webhooks/ok", WithDecryption: true }).resolves({ Parameter: { Name: "/driftguard/webhooks/ok", Type: "SecureString", Value: "https://hooks.slack.com/services/T0/B0/ok", Version: 1 } });
    ssm.on(GetParameterCommand, { Name: "/driftguard/webhooks/gone", WithDecryption: true }).rejects(Object.assign(new Error(""), { name: "ParameterNotFound", $metadata: { httpStatusCode: 400 } }));
  });

  it("posts to the others, and stores the report again saying which one failed; the run goes on", async () => {
    const posted: string[] = [];
    const report = await publishReport(
      {
        s3: new S3Client({ region: "us-east-1" }),
        sns: new SNSClient({ region: "us-east-1" }),
        logger: silentLogger(),
        chat: { ssm: new SSMClient({ region: "us-east-1" }), secretsManager: new SecretsManagerClient({ region: "us-east-1" }), post: async (url) => (posted.push(url), { status: 200, body: "ok" }) },
      },
      sampleReport(),
      { bucket: "b", topicArn: "arn:aws:sns:us-east-1:111111111111:t", webhooks: [{ name: "gone", format: "teams", ssmParameter: "/driftguard/webhooks/gone" }, { name: "ok", format: "slack", ssmParameter: "/driftguard/webhooks/ok" }] },
    );
    expect(posted).toEqual(["https://hooks.slack.com/services/T0/B0/ok"]);
    expect(report.webhooks.map((w) => [w.name, w.ok, w.error?.code])).toEqual([["gone", false, "ParameterNotFound"], ["ok", true, undefined]]);
    expect(report.sns.ok).toBe(true);
    expect(report.report.notifications).toEqual({ webhooks: [report.webhooks[0]] });
    expect(schemaErrors(report.report)).toEqual([]);
    const stored = s3.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Key === report.keys.json);
    expect(stored).toHaveLength(2);
    expect(JSON.parse(String(stored[1]!.args[0].input.Body)).notifications.webhooks[0].name).toBe("gone");
    expect(JSON.stringify(report)).not.toContain("hooks.slack.com/services/T0/B0/ok\"");
  });
});
