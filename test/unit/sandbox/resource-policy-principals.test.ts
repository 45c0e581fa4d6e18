import { describe, expect, it } from "vitest";
import { AwsError, type CallContext } from "../../../sandbox/emulator/protocol/types.js";
import { putRole } from "../../../sandbox/emulator/services/iam/service.js";
import { kmsService } from "../../../sandbox/emulator/services/kms/service.js";
import { putBucket, s3Service } from "../../../sandbox/emulator/services/s3/service.js";
import { ACCOUNT, harness } from "./cloudformation/fixture.js";

/**
 * S3 bucket policies and KMS key policies refuse a principal that does not exist, each with its
 * service's own error (sources: sandbox/emulator/services/iam/principal-existence.ts):
 * S3 PutBucketPolicy MalformedPolicy "Invalid principal in policy"; KMS CreateKey / PutKeyPolicy
 * MalformedPolicyDocumentException "Policy contains a statement with one or more invalid
 * principals." (API_CreateKey.html, Policy: "The principals in the key policy must exist").
 */

const MISSING_ACCOUNT = "444455556666";

function world() {
  const h = harness();
  putRole(h.world.accounts.get(ACCOUNT)!, { roleName: "reader", assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] } }, h.ctx.sandbox.random, h.ctx.sandbox.now());
  putBucket(h.world, ACCOUNT, "policy-bucket", "us-east-1", h.ctx.sandbox.now());
  const call = (service: typeof s3Service, action: string, params: Record<string, unknown>) => service.actions[action]!(params, { ...h.ctx, service: service.name, action } satisfies CallContext) as Record<string, unknown>;
  return { h, call };
}

const allow = (aws: unknown) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "s3:GetObject", Resource: "arn:aws:s3:::policy-bucket/*" }] });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof AwsError) return { code: error.code, message: error.message, status: error.status };
    throw error;
  }
  return undefined;
};

const REFUSED = [
  `arn:aws:iam::${ACCOUNT}:role/deleted`,
  `arn:aws:iam::${ACCOUNT}:user/nobody`,
  MISSING_ACCOUNT,
  `arn:aws:iam::${MISSING_ACCOUNT}:root`,
  `arn:aws:iam::${MISSING_ACCOUNT}:role/reader`,
];
const ACCEPTED = [`arn:aws:iam::${ACCOUNT}:role/reader`, `arn:aws:iam::${ACCOUNT}:root`, ACCOUNT, "*", `arn:aws:sts::${ACCOUNT}:assumed-role/reader/any-session`];

describe("S3 PutBucketPolicy: principals must exist", () => {
  it.each(REFUSED)("refuses %s with MalformedPolicy, keeping the policy it had", (principal) => {
    const { h, call } = world();
    call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow(ACCEPTED[0])) });
    expect(refusal(() => call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow([ACCEPTED[1], principal])) }))).toEqual({
      code: "MalformedPolicy",
      message: "Invalid principal in policy",
      status: 400,
    });
    expect(h.world.buckets.get("policy-bucket")!.policy).toEqual(allow(ACCEPTED[0]));
  });

  it("accepts existing roles, the account, its root and sessions (\"*\" is public: the bucket's public access block refuses it)", () => {
    const { h, call } = world();
    const named = ACCEPTED.filter((p) => p !== "*");
    call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow(named)) });
    expect(h.world.buckets.get("policy-bucket")!.policy).toEqual(allow(named));
  });
});

describe("KMS CreateKey and PutKeyPolicy: principals must exist", () => {
  const keyPolicy = (aws: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "kms:*", Resource: "*" }] });
  const INVALID = { code: "MalformedPolicyDocumentException", message: "Policy contains a statement with one or more invalid principals.", status: 400 };

  it.each(REFUSED)("refuses %s at CreateKey (no key made) and at PutKeyPolicy (the policy kept)", (principal) => {
    const { call } = world();
    const kms = (action: string, params: Record<string, unknown>) => call(kmsService, action, params);
    expect(refusal(() => kms("CreateKey", { Policy: keyPolicy([ACCEPTED[1], principal]) }))).toEqual(INVALID);
    expect((kms("ListKeys", {}) as { Keys: unknown[] }).Keys).toEqual([]);
    const { KeyMetadata } = kms("CreateKey", { Policy: keyPolicy(ACCEPTED) }) as { KeyMetadata: { KeyId: string } };
    expect(refusal(() => kms("PutKeyPolicy", { KeyId: KeyMetadata.KeyId, PolicyName: "default", Policy: keyPolicy(principal) }))).toEqual(INVALID);
    expect((kms("GetKeyPolicy", { KeyId: KeyMetadata.KeyId }) as { Policy: string }).Policy).toBe(keyPolicy(ACCEPTED));
  });
});

describe("accounts outside the organization (scenario accountsOutsideOrganization)", () => {
  it("accepts their account id and root, still refuses their roles, which the sandbox cannot know", () => {
    const { h, call } = world();
    h.world.accountsOutsideOrganization = new Set([MISSING_ACCOUNT]);
    for (const principal of [MISSING_ACCOUNT, `arn:aws:iam::${MISSING_ACCOUNT}:root`]) {
      call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow(principal)) });
      expect(h.world.buckets.get("policy-bucket")!.policy).toEqual(allow(principal));
    }
    expect(refusal(() => call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow(`arn:aws:iam::${MISSING_ACCOUNT}:role/reader`)) }))?.code).toBe("MalformedPolicy");
  });
});
