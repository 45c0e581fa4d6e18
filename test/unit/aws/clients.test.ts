import { describe, expect, it } from "vitest";
import { CloudFormationClient, DescribeStackDriftDetectionStatusCommand } from "@aws-sdk/client-cloudformation";
import { SNSClient } from "@aws-sdk/client-sns";
import type { HttpRequest } from "@smithy/types";
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
