import { describe, expect, it } from "vitest";
import { trustAllows, type AssumeRoleRequest } from "../../../sandbox/emulator/services/iam/trust-policy.js";

const scanner: AssumeRoleRequest = {
  principalArn: "arn:aws:iam::111111111111:role/driftguard-scanner",
  callerArn: "arn:aws:sts::111111111111:assumed-role/driftguard-scanner/run",
  accountId: "111111111111",
  orgId: "o-test000001",
};

function policy(statement: Record<string, unknown>) {
  return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", ...statement }] };
}

describe("trust policy evaluation", () => {
  it("allows the principal named by role ARN, and nobody else", () => {
    const doc = policy({ Principal: { AWS: "arn:aws:iam::111111111111:role/driftguard-scanner" } });
    expect(trustAllows(doc, scanner)).toBe(true);
    expect(trustAllows(doc, { ...scanner, principalArn: "arn:aws:iam::111111111111:role/other", callerArn: "arn:aws:sts::111111111111:assumed-role/other/x" })).toBe(false);
  });

  it("treats an account root or bare account id as any principal of that account", () => {
    expect(trustAllows(policy({ Principal: { AWS: "arn:aws:iam::111111111111:root" } }), scanner)).toBe(true);
    expect(trustAllows(policy({ Principal: { AWS: ["444444444444", "111111111111"] } }), scanner)).toBe(true);
    expect(trustAllows(policy({ Principal: { AWS: "arn:aws:iam::444444444444:root" } }), scanner)).toBe(false);
  });

  it("honours aws:PrincipalOrgID conditions", () => {
    const doc = policy({ Principal: { AWS: "*" }, Condition: { StringEquals: { "aws:PrincipalOrgID": "o-test000001" } } });
    expect(trustAllows(doc, scanner)).toBe(true);
    expect(trustAllows(doc, { ...scanner, orgId: "o-other000001" })).toBe(false);
    expect(trustAllows(doc, { ...scanner, orgId: undefined })).toBe(false);
  });

  it("checks sts:ExternalId and negated operators", () => {
    const doc = policy({ Principal: { AWS: "*" }, Condition: { StringEquals: { "sts:ExternalId": "secret" }, StringNotLike: { "aws:PrincipalArn": "*:role/blocked-*" } } });
    expect(trustAllows(doc, { ...scanner, externalId: "secret" })).toBe(true);
    expect(trustAllows(doc, scanner)).toBe(false);
    expect(trustAllows(doc, { ...scanner, externalId: "secret", principalArn: "arn:aws:iam::111111111111:role/blocked-x" })).toBe(false);
  });

  it("lets an explicit Deny win and ignores service principals and other actions", () => {
    const deny = { Effect: "Deny", Action: "sts:*", Principal: { AWS: "*" } };
    expect(trustAllows({ Statement: [policy({ Principal: { AWS: "*" } }).Statement[0], deny] }, scanner)).toBe(false);
    expect(trustAllows(policy({ Principal: { Service: "lambda.amazonaws.com" } }), scanner)).toBe(false);
    expect(trustAllows(policy({ Principal: { AWS: "*" }, Action: "sts:TagSession" }), scanner)).toBe(false);
  });

  it("does not grant on a condition operator it cannot evaluate", () => {
    expect(trustAllows(policy({ Principal: { AWS: "*" }, Condition: { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } } }), scanner)).toBe(false);
  });
});
