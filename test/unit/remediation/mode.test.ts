import { describe, expect, it } from "vitest";
import type { ModeRule } from "../../../functions/config/schema.js";
import { effectiveMode, runMode, withModeOverride } from "../../../functions/remediation/mode.js";

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

describe("withModeOverride", () => {
  const rules: ModeRule[] = [{ stacks: "legacy-*", mode: "report" }, { resourceTypes: ["AWS::EC2::SecurityGroup"], mode: "remediate" }];
  const configured = { id: "111122223333", name: "payments-prod", regions: ["eu-west-1"], mode: "report" as const, stacks: { include: ["*"], exclude: [] }, modeRules: rules, revertDriftStacks: [], cloudTrailLookup: false, ignore: [] };

  it("leaves the account alone without an override", () => {
    expect(withModeOverride(configured, undefined)).toBe(configured);
  });

  it("drops every mode rule for report, so nothing can be remediated", () => {
    const account = withModeOverride(configured, "report");
    expect(account).toMatchObject({ mode: "report", modeRules: [] });
    expect(effectiveMode(account, "any", "AWS::EC2::SecurityGroup")).toBe("report");
  });

  it("keeps the mode rules for remediate, so held-back stacks stay in report", () => {
    const account = withModeOverride(configured, "remediate");
    expect(account).toEqual({ ...configured, mode: "remediate" });
    expect(effectiveMode(account, "legacy-billing", "AWS::IAM::Role")).toBe("report");
    expect(effectiveMode(account, "payments", "AWS::IAM::Role")).toBe("remediate");
  });
});

describe("runMode (the report's top-level mode)", () => {
  it("is remediate when any account to scan, or one of its mode rules, remediates; report otherwise", () => {
    expect(runMode([account("report", []), account("remediate", [])])).toBe("remediate");
    expect(runMode([account("report", [{ stacks: "web-*", mode: "remediate" }])])).toBe("remediate");
    expect(runMode([account("report", []), account("report", [{ stacks: "legacy-*", mode: "report" }])])).toBe("report");
    // A report-mode override drops the rules that could remediate.
    expect(runMode([withModeOverride({ ...account("report", [{ stacks: "web-*", mode: "remediate" }]) } as never, "report")])).toBe("report");
    expect(runMode([])).toBe("report");
  });
});
