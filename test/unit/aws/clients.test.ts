import { describe, expect, it } from "vitest";
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
