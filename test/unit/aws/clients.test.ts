import { describe, expect, it, vi } from "vitest";
import { CloudFormationClient, DescribeStackDriftDetectionStatusCommand } from "@aws-sdk/client-cloudformation";
import { SNSClient } from "@aws-sdk/client-sns";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "../../../sandbox/emulator/protocol/sigv4.js";
import { createSpokeClients, reuseSigner } from "../../../functions/aws/clients.js";

const credentials = async () => ({ accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret" });

describe("createSpokeClients", () => {
  it("keeps regional clients in the region and sends IAM to its partition's global endpoint region", async () => {
    const cases: [string, string][] = [
      ["eu-west-1", "us-east-1"],
      ["us-gov-east-1", "us-gov-west-1"],
      ["cn-northwest-1", "cn-north-1"],
    ];
    for (const [region, iamRegion] of cases) {
      const clients = createSpokeClients("222222222222", region, credentials);
      expect(await clients.cloudformation.config.region()).toBe(region);
      expect(await clients.cloudtrail.config.region()).toBe(region);
      expect(await clients.iam.config.region()).toBe(iamRegion);
    }
  });
});

describe("spoke clients are lazy", () => {
  it("creates a service's client on first use, once, and destroys only what was created", () => {
    const clients = createSpokeClients("222222222222", "eu-west-1", credentials);
    const cfn = clients.cloudformation;
    expect(clients.cloudformation).toBe(cfn);
    expect(clients.client(CloudFormationClient)).toBe(cfn);
    // Any other service on the same terms, without a field of its own.
    const sns = clients.client(SNSClient);
    expect(clients.client(SNSClient)).toBe(sns);
    const destroyed: string[] = [];
    cfn.destroy = () => void destroyed.push("cloudformation");
    sns.destroy = () => void destroyed.push("sns");
    clients.destroy();
    expect(destroyed.sort()).toEqual(["cloudformation", "sns"]);
    expect(clients.cloudformation).not.toBe(cfn);
  });
});

describe("reuseSigner", () => {
  it("signs every request of a client with one signer built by the SDK's factory, on the client's credentials and region", async () => {
    const sent: HttpRequest[] = [];
    const client = new CloudFormationClient({
      region: "eu-west-1",
      credentials,
      maxAttempts: 1,
      // Stands in for the network: keeps what would have been sent.
      requestHandler: {
        handle: async (request: HttpRequest) => {
          sent.push(request);
          throw new Error("not sent");
        },
      },
    });
    const built = client.config.signer;
    let builds = 0;
    client.config.signer = async (scheme) => (builds++, built(scheme));
    reuseSigner(client);
    const status = () => client.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: "b78ac9b0-dec1-11e7-a451-503a3407c0b1" })).catch(() => undefined);
    await status();
    await status();
    expect(builds).toBe(1);
    expect(await client.config.signer()).toBe(await client.config.signer());
    expect(sent).toHaveLength(2);
    for (const request of sent) expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/\d{8}\/eu-west-1\/cloudformation\/aws4_request, /);
  });
});

describe("signing keys kept per client", () => {
  function recordingClient(creds: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }>) {
    const sent: HttpRequest[] = [];
    const client = new CloudFormationClient({
      region: "eu-west-1",
      credentials: creds,
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: HttpRequest) => {
          sent.push(request);
          throw new Error("not sent");
        },
      },
    });
    return { client: reuseSigner(client), sent };
  }

  it("derives the key once per credentials, and signs exactly as the SDK's own signer does", async () => {
    let current = { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret-1", sessionToken: "token-1" };
    // The SDK's own derivation, counted (installed before the client builds its signer).
    const derived: string[] = [];
    // getSigningKey is private in the SDK's types, public at run time (the instance method keepSigningKeys wraps).
    const proto = SignatureV4.prototype as unknown as { getSigningKey(credentials: { secretAccessKey: string }, ...rest: unknown[]): Promise<Uint8Array> };
    const original = proto.getSigningKey;
    const spy = vi.spyOn(proto, "getSigningKey").mockImplementation(function (this: unknown, credentials, ...rest) {
      derived.push(credentials.secretAccessKey);
      return original.call(this, credentials, ...rest);
    });
    // Expiring within the SDK's refresh window (5 min), so the client asks for credentials on every request.
    const { client, sent } = recordingClient(async () => ({ ...current, expiration: new Date(Date.now() + 60_000) }));
    try {
      const status = () => client.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: "b78ac9b0-dec1-11e7-a451-503a3407c0b1" })).catch(() => undefined);
      await status();
      await status();
      await status();
      expect(derived).toEqual(["secret-1"]);
      // New credentials (a refreshed session): a new key.
      current = { accessKeyId: "ASIAEXAMPLE2", secretAccessKey: "secret-2", sessionToken: "token-2" };
      await status();
      await status();
      expect(derived).toEqual(["secret-1", "secret-2"]);
    } finally {
      spy.mockRestore();
    }
    // The oracle: a fresh SignatureV4 of the SDK, re-signing the same request at the same date.
    const oracle = new SignatureV4({ credentials: current, region: "eu-west-1", service: "cloudformation", sha256: NodeSha256 });
    const last = sent.at(-1)!;
    const amzDate = last.headers["x-amz-date"]!;
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const resigned = new HttpRequest({ ...last, headers: Object.fromEntries(Object.entries(last.headers).filter(([k]) => !["authorization", "x-amz-date", "x-amz-security-token"].includes(k))) });
    const expected = await oracle.sign(resigned, { signingDate });
    expect(last.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE2\//);
    expect(last.headers.authorization).toBe(expected.headers.authorization);
  });
});

