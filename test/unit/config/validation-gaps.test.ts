import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configProblems } from "../../support/config.js";
import { parseConfig } from "../../../functions/accounts-file/index.js";
import { longestGapSeconds, parseSchedule } from "../../../functions/config/schedule.js";

const EXAMPLE = readFileSync(fileURLToPath(new URL("../../../accounts.yaml", import.meta.url)), "utf8");

const problems = configProblems;

function withSchedule(schedule: string): string {
  expect(EXAMPLE).toContain("schedule: rate(6 hours)");
  return EXAMPLE.replace("schedule: rate(6 hours)", `schedule: "${schedule}"`);
}

describe("hub.schedule follows EventBridge's grammar", () => {
  // Valid and invalid examples from "Rate expressions reference" and "Using cron and rate expressions
  // to schedule rules in Amazon EventBridge" (docs.aws.amazon.com/eventbridge/latest/userguide/).
  it.each(["rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(1 day)", "cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)", "cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)"])(
    "accepts %s",
    (s) => {
      expect(parseSchedule(s)).not.toHaveProperty("problem");
      expect(() => parseConfig(withSchedule(s))).not.toThrow();
    },
  );

  it.each([
    ["rate(1 hours)", "singular unit for 1: rate(1 hour)"],
    ["rate(5 hour)", "plural unit above 1: rate(5 hours)"],
    ["rate(0 minutes)", "1 or more"],
    ["rate(6 weeks)", "one of minute(s), hour(s), day(s)"],
    ["cron(0 */6 * * ?)", "6 fields"],
    ["cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week must be ?"],
    ["cron(61 * * * ? *)", "cron field minutes"],
    ["cron(0 0 * FOO ? *)", "cron field month"],
    ["every 6 hours", "rate(value unit) or cron(6 fields)"],
  ])("rejects %s at its line (%s)", (s, why) => {
    const [p] = problems(withSchedule(s));
    expect(p).toMatchObject({ path: "hub.schedule", line: EXAMPLE.split("\n").findIndex((l) => l.includes("schedule:")) + 1 });
    expect(p!.message).toContain(why);
  });

  it("knows the longest gap between runs, the heartbeat alarm's window", () => {
    const gap = (s: string) => longestGapSeconds(parseSchedule(s) as never);
    expect(gap("rate(6 hours)")).toBe(6 * 3600);
    expect(gap("cron(0 */6 * * ? *)")).toBe(6 * 3600);
    expect(gap("cron(0 10 * * ? *)")).toBe(86_400);
    // Friday 18:00 to Monday 18:00.
    expect(gap("cron(0 18 ? * MON-FRI *)")).toBe(3 * 86_400);
    expect(gap("cron(0/15 * * * ? *)")).toBe(900);
    expect(gap("cron(0 9 ? * 2#1 *)")).toBe(31 * 86_400);
  });
});

describe("exemptionTagKey", () => {
  it("rejects the reserved aws: prefix", () => {
    const text = EXAMPLE.replace("exemptionTagKey: driftguard:exempt", "exemptionTagKey: aws:exempt");
    const [p] = problems(text);
    expect(p).toMatchObject({ path: "defaults.exemptionTagKey", value: "aws:exempt" });
    expect(p!.message).toContain('must not start with "aws:"');
  });
});

describe("YAML features a config file never needs", () => {
  it("rejects an alias bomb with file:line instead of a stack trace", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]", "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]", "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]"].join("\n");
    const [p] = problems(bomb);
    expect(p).toMatchObject({ file: "accounts.yaml", line: 2 });
    expect(p!.message).toContain("expands its aliases too far");
  });

  it("rejects more than 100 aliases at the 101st", () => {
    const text = `${EXAMPLE}\nx-anchor: &v 1\nx-many:\n${Array.from({ length: 101 }, () => "  - *v").join("\n")}\n`;
    const found = problems(text);
    const lines = text.split("\n");
    expect(found[0]).toMatchObject({ line: lines.findIndex((l) => l === "x-many:") + 102 });
    expect(found[0]!.message).toBe("uses more than 100 *aliases; write the values out");
  });

  it("rejects unknown tags such as !Ref at their line", () => {
    const text = EXAMPLE.replace("region: us-east-1", "region: !Ref HubRegion");
    const [p] = problems(text);
    expect(p).toMatchObject({ line: EXAMPLE.split("\n").findIndex((l) => l.includes("region: us-east-1")) + 1 });
    expect(p!.message).toContain("YAML tag !Ref");
  });
});
