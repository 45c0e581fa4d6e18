import { describe, expect, it } from "vitest";
import { FALSE_POSITIVE_CLASSES } from "../../../../functions/drift/false-positives/registry.js";
import { SANDBOX_FALSE_POSITIVES, withFalsePositives } from "../../../../sandbox/emulator/services/cloudformation/drift/false-positives.js";
import { scenarioFromObject } from "../../../../sandbox/harness/scenario.js";
import { ConfigError } from "../../../../functions/config/problems.js";

/** The sandbox reproduces every class of the catalogue, and only when a scenario turns it on. */

describe("sandbox CloudFormation false positives", () => {
  it("has a reproduction for every class in functions/drift/false-positives/, and no other", () => {
    expect(Object.keys(SANDBOX_FALSE_POSITIVES).sort()).toEqual(FALSE_POSITIVE_CLASSES.map((c) => c.id).sort());
  });

  it("changes nothing unless the class is enabled", () => {
    const input = {
      resourceType: "AWS::S3::Bucket",
      accountId: "222222222222",
      region: "us-east-1",
      expected: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } },
      template: {},
      live: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }] } },
      shapes: {},
      comparison: { actual: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } }, differences: [] },
    };
    expect(withFalsePositives(new Set(), input).differences).toEqual([]);
    // cloudformation-coverage-roadmap#2554: "Property: /BucketEncryption Deployed: null".
    expect(withFalsePositives(new Set(["bucket-encryption-remove"]), input).differences).toEqual([
      { PropertyPath: "/BucketEncryption", ExpectedValue: JSON.stringify(input.expected.BucketEncryption), ActualValue: "null", DifferenceType: "REMOVE" },
    ]);
  });

  it("rejects an unknown class in a scenario, naming the known ones", () => {
    let error: unknown;
    try {
      scenarioFromObject({ organization: { managementAccount: "999999999999" }, falsePositives: ["account-id-principals"] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]).toMatchObject({ path: "falsePositives[0]", message: expect.stringContaining("did you mean `account-id-principal`") });
  });
});
