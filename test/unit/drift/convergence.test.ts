import { describe, expect, it } from "vitest";
import { checkConvergence, predictState } from "../../../functions/drift/convergence.js";
import { resourceDrift } from "../../support/drift.js";

/** The drift CloudFormation reports between the template's and the live properties (test/support/drift.ts computes the differences). */
const drift = (resourceType: string, expected: Record<string, unknown>, actual: Record<string, unknown>) =>
  resourceDrift({ stackId: "arn:aws:cloudformation:us-east-1:111111111111:stack/app/4e3c8f20-0a1b-11ef-9a6a-0a1b2c3d4e5f", logicalResourceId: "Res", physicalResourceId: "res-1", resourceType, expected, actual });

const ctx = { resourceType: "AWS::S3::Bucket", accountId: "111111111111", region: "us-east-1", partition: "aws" };
const blocked = { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } };

describe("convergence before repair", () => {
  it("predicts the state from the plan's effects, later effects winning", () => {
    expect(predictState({ A: 1, B: { c: 1 } }, [{ path: "/B/c", value: 2 }, { path: "/A", value: 3 }, { path: "/A", value: 4 }])).toEqual({ A: 4, B: { c: 2 } });
  });

  it("converges when the repair writes what the template says, compared as CloudFormation will (only template fields, defaults filled)", () => {
    const d = drift("AWS::S3::Bucket", { BucketEncryption: { ServerSideEncryptionConfiguration: [blocked] } }, { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }] } });
    const written = { ServerSideEncryptionConfiguration: [{ ...blocked, BucketKeyEnabled: false }] };
    expect(checkConvergence({ drift: d, effects: [{ path: "/BucketEncryption", value: written }], ctx })).toEqual({ converges: true });
  });

  it("does not converge when the write would drop a field the template sets (BlockedEncryptionTypes)", () => {
    const d = drift("AWS::S3::Bucket", { BucketEncryption: { ServerSideEncryptionConfiguration: [blocked] } }, { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } });
    const written = { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }] };
    const result = checkConvergence({ drift: d, effects: [{ path: "/BucketEncryption", value: written }], ctx });
    expect(result).toMatchObject({ converges: false, remaining: [{ propertyPath: "/BucketEncryption", differenceType: "NOT_EQUAL" }] });
  });

  it("does not converge when no step changes a managed property CloudFormation reports", () => {
    const d = drift("AWS::S3::Bucket", { VersioningConfiguration: { Status: "Enabled" }, Tags: [] }, { VersioningConfiguration: { Status: "Suspended" } });
    expect(checkConvergence({ drift: d, effects: [{ path: "/Tags", value: [] }], ctx }).converges).toBe(false);
  });

  it("converges where the service will store another spelling of what is written (TCP read back as tcp)", () => {
    const rule = (p: string) => ({ IpProtocol: p, FromPort: 22, ToPort: 22, CidrIp: "10.0.0.0/8" });
    const d = drift("AWS::EC2::SecurityGroup", { SecurityGroupIngress: [rule("TCP")] }, { SecurityGroupIngress: [rule("tcp"), { ...rule("tcp"), CidrIp: "0.0.0.0/0" }] });
    const sg = { ...ctx, resourceType: "AWS::EC2::SecurityGroup" };
    expect(checkConvergence({ drift: d, effects: [{ path: "/SecurityGroupIngress", value: [rule("tcp")] }], ctx: sg })).toEqual({ converges: true });
  });

  it("leaves properties the remediator does not manage out of the check", () => {
    const d = drift("AWS::S3::Bucket", { VersioningConfiguration: { Status: "Enabled" }, LifecycleConfiguration: { Rules: [] } }, { VersioningConfiguration: { Status: "Suspended" } });
    const effects = [{ path: "/VersioningConfiguration", value: { Status: "Enabled" } }];
    expect(checkConvergence({ drift: d, effects, ctx, managed: ["VersioningConfiguration"] })).toEqual({ converges: true });
    expect(checkConvergence({ drift: d, effects, ctx }).converges).toBe(false);
  });
});
