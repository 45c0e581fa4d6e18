import { describe, expect, it } from "vitest";
import type { ModeRule } from "../../../functions/config/schema.js";
import { effectiveMode } from "../../../functions/remediation/mode.js";

const account = (mode: "report" | "remediate", modeRules: ModeRule[]) => ({ mode, modeRules });

describe("effectiveMode", () => {
  it("is the account's mode when no rule matches", () => {
    expect(effectiveMode(account("remediate", [{ stacks: "legacy-*", mode: "report" }]), "payments-core", "AWS::IAM::Role")).toBe("remediate");
    expect(effectiveMode(account("report", []), "payments-core", "AWS::IAM::Role")).toBe("report");
  });

  it("applies a rule when every condition it states holds", () => {
    const rules: ModeRule[] = [{ stacks: "core-*", resourceTypes: ["AWS::IAM::Role"], mode: "report" }];
    expect(effectiveMode(account("remediate", rules), "core-network", "AWS::IAM::Role")).toBe("report");
    expect(effectiveMode(account("remediate", rules), "core-network", "AWS::S3::Bucket")).toBe("remediate");
    expect(effectiveMode(account("remediate", rules), "payments", "AWS::IAM::Role")).toBe("remediate");
  });

  it("matches on stacks alone or resource types alone", () => {
    expect(effectiveMode(account("report", [{ stacks: "sandbox-?", mode: "remediate" }]), "sandbox-1", "AWS::SQS::Queue")).toBe("remediate");
    expect(effectiveMode(account("report", [{ resourceTypes: ["AWS::EC2::SecurityGroup"], mode: "remediate" }]), "any", "AWS::EC2::SecurityGroup")).toBe("remediate");
  });

  it("lets later rules win", () => {
    const rules: ModeRule[] = [
      { stacks: "*", mode: "remediate" },
      { resourceTypes: ["AWS::IAM::Role"], mode: "report" },
      { stacks: "iam-sandbox", resourceTypes: ["AWS::IAM::Role"], mode: "remediate" },
    ];
    expect(effectiveMode(account("report", rules), "payments", "AWS::S3::Bucket")).toBe("remediate");
    expect(effectiveMode(account("report", rules), "payments", "AWS::IAM::Role")).toBe("report");
    expect(effectiveMode(account("report", rules), "iam-sandbox", "AWS::IAM::Role")).toBe("remediate");
  });
});
