import { describe, expect, it } from "vitest";
import { configSchema } from "../../../functions/accounts-file/index.js";
import type { ExemptionState } from "../../../functions/core/types.js";
import { describeExemption, exemptionFromTags, exemptionPolicy, parseExemption } from "../../../functions/remediation/exemption.js";

const NOW = new Date("2026-06-15T12:00:00Z");
const MAX_DAYS = 90;
const parse = (value: string, now = NOW) => parseExemption(value, now, "resource", MAX_DAYS);
const invalid = (raw: string, problem: string | RegExp) => ({ kind: "invalid", raw, on: "resource", problem: typeof problem === "string" ? problem : expect.stringMatching(problem) });

describe("parseExemption: the exact grammar", () => {
  const accepted: [string, string, ExemptionState][] = [
    ["reason only (no expiry)", "reason=INC-123 break-glass", { kind: "exempt", reason: "INC-123 break-glass", on: "resource" }],
    ["reason;until", "reason=INC-123 break-glass;until=2026-08-31", { kind: "exempt", reason: "INC-123 break-glass", until: "2026-08-31", on: "resource" }],
    ["one space before until= (IAM tag values cannot hold ';')", "reason=INC-1 break-glass until=2026-08-31", { kind: "exempt", reason: "INC-1 break-glass", until: "2026-08-31", on: "resource" }],
    ["until today holds through the end of the day", "reason=x;until=2026-06-15", { kind: "exempt", reason: "x", until: "2026-06-15", on: "resource" }],
    ["until exactly maxDays ahead", "reason=x;until=2026-09-13", { kind: "exempt", reason: "x", until: "2026-09-13", on: "resource" }],
    ["until yesterday has expired", "reason=INC-1;until=2026-06-14", { kind: "expired", reason: "INC-1", until: "2026-06-14", on: "resource" }],
  ];
  it.each(accepted)("accepts %s", (_name, value, expected) => {
    expect(parse(value)).toEqual(expected);
  });

  // The attack strings of issue 12, then every other way of being almost right.
  const rejected: [string, string, string | RegExp][] = [
    ["a comma before until= (the date swallowed into the reason)", "reason=INC-1,until=2020-01-01", 'reason "INC-1,until=2020-01-01" contains ";" or "="; the only other field is until=YYYY-MM-DD, after ";" or one space'],
    ["'until' without '=' (the date swallowed into the reason)", "reason=INC-1 until 2020-01-01", 'reason "INC-1 until 2020-01-01" mentions "until" but sets no expiry; write ...;until=YYYY-MM-DD'],
    ["until far in the future", "reason=INC-1;until=9999-12-31", "until 9999-12-31 is more than 90 days ahead (defaults.exemptions.maxDays); the latest allowed today is 2026-09-13"],
    ["until only without a reason", "until=9999-12-31", /^must start with "reason="/],
    ["one day past maxDays", "reason=x;until=2026-09-14", /more than 90 days ahead/],
    ["until before reason", "until=2026-08-31;reason=INC-1", /^must start with "reason="/],
    ["uppercase key", "Reason=INC-1", /^write the key as "reason="/],
    ["space around the key", " reason=INC-1", /^write the key as "reason="/],
    ["two spaces before until=", "reason=INC-1  until=2026-08-31", /contains ";" or "="/],
    ["'; ' before until=", "reason=INC-1; until=2026-08-31", /contains ";" or "="/],
    ["a third field", "reason=INC-1;until=2026-08-31;owner=me", /^until "2026-08-31;owner=me" is not a date/],
    ["an unknown key", "reason=x;untill=2026-08-31", /contains ";" or "="/],
    ["'=' inside the reason", "reason=see runbook a=b", /contains ";" or "="/],
    ["empty reason", "reason=  ;until=2026-08-31", /^reason is empty/],
    ["empty value", "", /^must start with "reason="/],
    ["bare word", "true", /^must start with "reason="/],
    ["date in another format", "reason=x;until=31/12/2026", 'until "31/12/2026" is not a date written YYYY-MM-DD'],
    ["impossible date", "reason=x;until=2026-02-30", 'until "2026-02-30" is not a date written YYYY-MM-DD'],
    ["empty until", "reason=x;until=", 'until "" is not a date written YYYY-MM-DD'],
    ["trailing space after the date", "reason=x;until=2026-08-31 ", /is not a date written YYYY-MM-DD/],
  ];
  it.each(rejected)("rejects %s", (_name, value, problem) => {
    expect(parse(value)).toEqual(invalid(value, problem));
  });

  it("expires at midnight UTC after the until date", () => {
    expect(parse("reason=x;until=2026-06-15", new Date("2026-06-15T23:59:59.999Z")).kind).toBe("exempt");
    expect(parse("reason=x;until=2026-06-15", new Date("2026-06-16T00:00:00.000Z")).kind).toBe("expired");
  });
});

describe("exemptionPolicy / exemptionFromTags", () => {
  it("takes the tag key and maxDays from the config, 90 days by default", () => {
    const base = { version: 1, organization: { id: "o-example0001" }, hub: { accountId: "111111111111", region: "us-east-1" }, accounts: [] };
    expect(exemptionPolicy(configSchema.parse(base))).toEqual({ tagKey: "driftguard:exempt", maxDays: 90 });
    expect(exemptionPolicy(configSchema.parse({ ...base, defaults: { exemptions: { maxDays: 30 } } })).maxDays).toBe(30);
    expect(configSchema.safeParse({ ...base, defaults: { exemptions: { maxDays: 0 } } }).success).toBe(false);
  });

  it("reads the configured key only, and says none when it is absent", () => {
    const tags = { "driftguard:exempt": "reason=INC-7", "custom:skip": "reason=other" };
    expect(exemptionFromTags(tags, { tagKey: "driftguard:exempt", maxDays: 90 }, NOW, "stack")).toEqual({ kind: "exempt", reason: "INC-7", on: "stack" });
    expect(exemptionFromTags(tags, { tagKey: "custom:skip", maxDays: 90 }, NOW, "stack")).toEqual({ kind: "exempt", reason: "other", on: "stack" });
    expect(exemptionFromTags({}, { tagKey: "driftguard:exempt", maxDays: 90 }, NOW, "stack")).toEqual({ kind: "none" });
  });

  it("applies maxDays from the policy", () => {
    const tags = { "driftguard:exempt": "reason=INC-7;until=2026-07-20" };
    expect(exemptionFromTags(tags, { tagKey: "driftguard:exempt", maxDays: 30 }, NOW, "stack").kind).toBe("invalid");
    expect(exemptionFromTags(tags, { tagKey: "driftguard:exempt", maxDays: 40 }, NOW, "stack").kind).toBe("exempt");
  });
});

describe("describeExemption", () => {
  it("says where the exemption comes from, why and until when", () => {
    expect(describeExemption(parseExemption("reason=INC-1;until=2026-08-31", NOW, "stack", MAX_DAYS))).toBe("exempt by stack tag: INC-1 (until 2026-08-31)");
    expect(describeExemption(parseExemption("reason=INC-1", NOW, "stack", MAX_DAYS))).toBe("exempt by stack tag: INC-1 (no expiry)");
    expect(describeExemption(parse("reason=INC-1;until=2026-01-01"))).toBe("resource exemption expired on 2026-01-01 (INC-1)");
    expect(describeExemption(parse("yes"))).toMatch(/^invalid resource exemption "yes" \(exempts nothing\): /);
  });
});
