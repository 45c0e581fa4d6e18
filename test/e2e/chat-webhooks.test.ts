import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { deliverWebhooks } from "../../functions/report/webhooks.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/harness/scenario.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { startTestSandbox } from "../support/sandbox.js";
import { silentLogger } from "../unit/scanner/fixtures.js";
import { sampleReport } from "../unit/report/sample.js";
import { boto3 } from "./boto3.js";

/**
 * Chat webhooks end to end against the sandbox: the URL stored in the sandbox's SSM Parameter
 * Store (SecureString) and Secrets Manager, read by deliverWebhooks with the SDK as the hub role
 * would, and posted to local HTTP servers standing in for Slack (200 "ok") and a Teams Workflows
 * webhook (202), one of them failing (500). The two services are also driven by boto3, an
 * independent client, against the API references cited in their handlers.
 */

let sandbox: Sandbox;
const received: { path: string; body: unknown }[] = [];
let server: Server;
let base = "";

/** The demo's accounts.yaml with the webhooks below: the sandbox deploys the hub role's policy from it. */
const WEBHOOKS = [
  { name: "platform", format: "slack", ssmParameter: "/driftguard/webhooks/platform" },
  { name: "broken", format: "slack", ssmParameter: "/driftguard/webhooks/broken" },
  { name: "security", format: "teams", secretsManagerSecret: "driftguard/teams" },
  { name: "missing", format: "teams", ssmParameter: "/driftguard/webhooks/none" },
  { name: "plain", format: "slack", ssmParameter: "/driftguard/webhooks/plain" },
] as const;
const base0 = loadConfig(DEMO_ACCOUNTS);
const config = { ...base0, hub: { ...base0.hub, notifications: { ...base0.hub.notifications, webhooks: [...WEBHOOKS] } } };

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenarioFile: DEFAULT_SCENARIO, config });
  server = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body: JSON.parse(data) });
      if (req.url === "/slack") res.writeHead(200).end("ok");
      else if (req.url === "/teams") res.writeHead(202).end();
      else res.writeHead(500).end("upstream broke");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await sandbox?.close();
});

/** The hub role (its policy derived from `config`), or an administrator of the hub account who stores the URLs. */
const clients = (who: "hub" | "admin" = "hub") => {
  const c = who === "hub" ? sandbox.hubCredentials : sandbox.adminCredentials(config.hub.accountId);
  const common = { region: "us-east-1", endpoint: sandbox.endpoint, credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) } };
  return { ssm: new SSMClient(common), secretsManager: new SecretsManagerClient(common) };
};

describe("SSM Parameter Store and Secrets Manager in the sandbox, through boto3", () => {
  it("stores SecureStrings and secrets, decrypts only when asked, and fails with the services' own codes", async () => {
    const r = await boto3(sandbox, sandbox.adminCredentials(config.hub.accountId), `
ssm = client("ssm")
put = ssm.put_parameter(Name="/boto/webhook", Value="https://hooks.example.com/x", Type="SecureString")
again = err(lambda: ssm.put_parameter(Name="/boto/webhook", Value="y", Type="SecureString"))
plain = ssm.get_parameter(Name="/boto/webhook")["Parameter"]
clear = ssm.get_parameter(Name="/boto/webhook", WithDecryption=True)["Parameter"]
by_arn = ssm.get_parameter(Name=clear["ARN"], WithDecryption=True)["Parameter"]["Value"]
missing = err(lambda: ssm.get_parameter(Name="/boto/none"))
sm = client("secretsmanager")
created = sm.create_secret(Name="boto/teams", SecretString='{"url": "https://example.webhook.office.com/x"}')
value = sm.get_secret_value(SecretId=created["ARN"])
dup = err(lambda: sm.create_secret(Name="boto/teams", SecretString="z"))
gone = err(lambda: sm.get_secret_value(SecretId="boto/none"))
out(dict(put=put, again=again, plain_type=plain["Type"], plain_is_secret=plain["Value"] == "https://hooks.example.com/x", clear=clear["Value"], arn=clear["ARN"], by_arn=by_arn, missing=missing,
         arn_secret=created["ARN"], value=value["SecretString"], stages=value["VersionStages"], dup=dup, gone=gone))`);
    expect(r.put).toMatchObject({ Version: 1, Tier: "Standard" });
    expect(r.again).toMatchObject({ code: "ParameterAlreadyExists", status: 400 });
    expect(r.plain_type).toBe("SecureString");
    expect(r.plain_is_secret).toBe(false);
    expect(r.clear).toBe("https://hooks.example.com/x");
    expect(r.arn).toMatch(/^arn:aws:ssm:us-east-1:\d{12}:parameter\/boto\/webhook$/);
    expect(r.by_arn).toBe("https://hooks.example.com/x");
    expect(r.missing).toEqual({ code: "ParameterNotFound", message: "", status: 400 });
    expect(r.arn_secret).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:boto\/teams-[A-Za-z0-9]{6}$/);
    expect(r.value).toBe('{"url": "https://example.webhook.office.com/x"}');
    expect(r.stages).toEqual(["AWSCURRENT"]);
    expect(r.dup).toMatchObject({ code: "ResourceExistsException" });
    expect(r.gone).toEqual({ code: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret.", status: 400 });
  });
});

describe("chat webhooks read from the sandbox and posted to local servers", () => {
  it("posts Slack Block Kit and a Teams Adaptive Card; a failing webhook is one outcome, the others go on", async () => {
    const admin = clients("admin");
    const { ssm, secretsManager } = clients();
    await admin.ssm.send(new PutParameterCommand({ Name: "/driftguard/webhooks/platform", Type: "SecureString", Value: `${base}/slack` }));
    await admin.ssm.send(new PutParameterCommand({ Name: "/driftguard/webhooks/broken", Type: "SecureString", Value: `${base}/broken` }));
    await admin.secretsManager.send(new CreateSecretCommand({ Name: "driftguard/teams", SecretString: JSON.stringify({ url: `${base}/teams` }) }));
    const links = { report: "https://s3.console.aws.amazon.com/s3/object/b?region=us-east-1&prefix=r" };
    const out = await deliverWebhooks(
      { ssm, secretsManager, allowLoopbackHttp: true },
      silentLogger(),
      WEBHOOKS.slice(0, 4),
      sampleReport(),
      links,
    );
    expect(out.map((o) => [o.name, o.ok, o.status, o.error?.code])).toEqual([
      ["platform", true, 200, undefined],
      ["broken", false, 500, "WebhookRejected"],
      ["security", true, 202, undefined],
      ["missing", false, undefined, "ParameterNotFound"],
    ]);
    expect(out[1]!.error!.message).toBe(`127.0.0.1:${new URL(base).port} answered HTTP 500: upstream broke`);
    const slack = received.find((r) => r.path === "/slack")!.body as { blocks: { type: string }[] };
    expect(slack.blocks[0]!.type).toBe("header");
    const teams = received.find((r) => r.path === "/teams")!.body as { attachments: { contentType: string }[] };
    expect(teams.attachments[0]!.contentType).toBe("application/vnd.microsoft.card.adaptive");
  });

  it("lets the hub role read only the parameters and secrets the configuration names", async () => {
    const admin = clients("admin");
    await admin.ssm.send(new PutParameterCommand({ Name: "/other/team-secret", Type: "SecureString", Value: "https://hooks.example.com/other" }));
    const [o] = await deliverWebhooks({ ...clients(), allowLoopbackHttp: true }, silentLogger(), [{ name: "other", format: "slack", ssmParameter: "/other/team-secret" }], sampleReport(), {});
    expect(o!.error).toMatchObject({ code: "AccessDeniedException" });
    expect(o!.error!.message).toContain("ssm:GetParameter on resource: arn:aws:ssm:us-east-1:111111111111:parameter/other/team-secret");
  });

  it("refuses a non-https URL outside tests, without posting", async () => {
    const { ssm, secretsManager } = clients();
    await clients("admin").ssm.send(new PutParameterCommand({ Name: "/driftguard/webhooks/plain", Type: "SecureString", Value: `${base}/slack` }));
    const before = received.length;
    const [o] = await deliverWebhooks({ ssm, secretsManager }, silentLogger(), [WEBHOOKS[4]], sampleReport(), {});
    expect(o).toMatchObject({ ok: false, error: { code: "WebhookUrlInvalid", message: "SSM parameter /driftguard/webhooks/plain holds a http: URL; chat webhooks are https only" } });
    expect(received.length).toBe(before);
  });
});
