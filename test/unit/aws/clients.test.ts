import { describe, expect, it } from "vitest";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { SNSClient } from "@aws-sdk/client-sns";
import { createSpokeClients } from "../../../functions/aws/clients.js";

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
