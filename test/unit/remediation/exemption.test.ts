import { describe, expect, it } from "vitest";
import type { ExemptionState } from "../../../functions/core/types.js";
import { describeExemption, exemptionFromTags, parseExemption } from "../../../functions/remediation/exemption.js";

const NOW = new Date("2026-06-15T12:00:00Z");

describe("parseExemption", () => {
  const cases: [string, string, ExemptionState][] = [
    ["reason only", "reason=INC-123 break-glass", { kind: "exempt", reason: "INC-123 break-glass", on: "resource" }],
    ["reason and future until", "reason=INC-123 break-glass;until=2026-12-31", { kind: "exempt", reason: "INC-123 break-glass", until: "2026-12-31", on: "resource" }],
    ["until first", "until=2026-12-31;reason=INC-1", { kind: "exempt", reason: "INC-1", until: "2026-12-31", on: "resource" }],
    ["keys are case-insensitive", "Reason=INC-1;UNTIL=2026-12-31", { kind: "exempt", reason: "INC-1", until: "2026-12-31", on: "resource" }],
    ["extra spaces", "  reason =  INC-1 load test ; until = 2026-12-31 ; ", { kind: "exempt", reason: "INC-1 load test", until: "2026-12-31", on: "resource" }],
    ["space-separated (IAM tag values cannot hold ';')", "reason=INC-1 break-glass until=2026-12-31", { kind: "exempt", reason: "INC-1 break-glass", until: "2026-12-31", on: "resource" }],
    ["'=' inside the reason", "reason=see runbook a=b", { kind: "exempt", reason: "see runbook a=b", on: "resource" }],
    ["until today holds through the end of the day", "reason=x;until=2026-06-15", { kind: "exempt", reason: "x", until: "2026-06-15", on: "resource" }],
    ["until yesterday has expired", "reason=INC-1;until=2026-06-14", { kind: "expired", reason: "INC-1", until: "2026-06-14", on: "resource" }],
    ["missing reason", "until=2026-12-31", { kind: "invalid", raw: "until=2026-12-31", problem: "no reason; write reason=<why>[;until=YYYY-MM-DD]", on: "resource" }],
    ["empty reason", "reason=  ;until=2026-12-31", { kind: "invalid", raw: "reason=  ;until=2026-12-31", problem: "reason is empty", on: "resource" }],
    ["empty value", "", { kind: "invalid", raw: "", problem: "no reason; write reason=<why>[;until=YYYY-MM-DD]", on: "resource" }],
    ["bare word", "true", { kind: "invalid", raw: "true", problem: '"true" is not key=value; write reason=<why>[;until=YYYY-MM-DD]', on: "resource" }],
    ["unknown key", "reason=x;untill=2026-12-31", { kind: "invalid", raw: "reason=x;untill=2026-12-31", problem: 'unknown key "untill"; allowed keys: reason, until', on: "resource" }],
    ["duplicate key", "reason=a;Reason=b", { kind: "invalid", raw: "reason=a;Reason=b", problem: '"reason" is given twice', on: "resource" }],
    ["date in another format", "reason=x;until=31/12/2026", { kind: "invalid", raw: "reason=x;until=31/12/2026", problem: 'until "31/12/2026" is not a date written YYYY-MM-DD', on: "resource" }],
    ["impossible date", "reason=x;until=2026-02-30", { kind: "invalid", raw: "reason=x;until=2026-02-30", problem: 'until "2026-02-30" is not a date written YYYY-MM-DD', on: "resource" }],
    ["empty until", "reason=x;until=", { kind: "invalid", raw: "reason=x;until=", problem: 'until "" is not a date written YYYY-MM-DD', on: "resource" }],
  ];

  it.each(cases)("%s", (_name, value, expected) => {
    expect(parseExemption(value, NOW, "resource")).toEqual(expected);
  });

  it("expires at midnight UTC after the until date", () => {
    expect(parseExemption("reason=x;until=2026-06-15", new Date("2026-06-15T23:59:59.999Z"), "stack").kind).toBe("exempt");
    expect(parseExemption("reason=x;until=2026-06-15", new Date("2026-06-16T00:00:00.000Z"), "stack").kind).toBe("expired");
  });
});

describe("exemptionFromTags", () => {
  it("reads the configured key only, and says none when it is absent", () => {
    const tags = { "driftguard:exempt": "reason=INC-7", "custom:skip": "reason=other" };
    expect(exemptionFromTags(tags, "driftguard:exempt", NOW, "stack")).toEqual({ kind: "exempt", reason: "INC-7", on: "stack" });
    expect(exemptionFromTags(tags, "custom:skip", NOW, "stack")).toEqual({ kind: "exempt", reason: "other", on: "stack" });
    expect(exemptionFromTags({}, "driftguard:exempt", NOW, "stack")).toEqual({ kind: "none" });
  });
});

describe("describeExemption", () => {
  it("says where the exemption comes from and why", () => {
    expect(describeExemption(parseExemption("reason=INC-1;until=2026-12-31", NOW, "stack"))).toBe("exempt by stack tag: INC-1 (until 2026-12-31)");
    expect(describeExemption(parseExemption("reason=INC-1;until=2026-01-01", NOW, "resource"))).toBe("resource exemption expired on 2026-01-01 (INC-1)");
    expect(describeExemption(parseExemption("yes", NOW, "resource"))).toMatch(/^invalid resource exemption "yes": /);
  });
});
