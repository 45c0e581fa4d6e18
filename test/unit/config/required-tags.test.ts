import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/accounts-file/index.js";
import { configProblems } from "../../support/config.js";

/** accounts.yaml defaults.events.guardrails.requiredTags (issue 21): each value is a rule, checked at load. */
const yaml = (tags: string) => `version: 1
organization: { id: o-a1b2c3d4e5 }
hub: { accountId: "999988887777", region: eu-west-1 }
accounts:
  - { id: "111122223333", name: payments-prod }
defaults:
  events:
    guardrails:
      requiredTags:
${tags}
`;

describe("required tag rules in accounts.yaml", () => {
  it("accepts a fixed value, creator and launch+<N>d", () => {
    const config = parseConfig(yaml(`        - { key: owner, value: creator }\n        - { key: cost-center, value: shared }\n        - { key: expires, value: launch+30d }`), "accounts.yaml");
    expect(config.defaults.events.guardrails.requiredTags).toEqual([
      { key: "owner", value: "creator" },
      { key: "cost-center", value: "shared" },
      { key: "expires", value: "launch+30d" },
    ]);
    expect(config.defaults.events.guardrails.blockBucketPublicAccess).toBe(true);
  });

  it.each([
    ["launch+30", "launch+<days>d"],
    ["launch+0d", "1 to 3650 days"],
    ["launch+99999d", "launch+<days>d"],
    ["x".repeat(257), "at most 256 characters"],
  ])("rejects the value %s with the field, line and fix", (value, fix) => {
    const [problem, ...rest] = configProblems(yaml(`        - { key: expires, value: "${value}" }`));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ file: "accounts.yaml", path: "defaults.events.guardrails.requiredTags[0].value", line: 10 });
    expect(problem!.message).toContain(fix);
    expect(problem!.message).toContain("allowed: a fixed value, creator, or launch+<days>d");
  });

  it("rejects a reserved aws: key nobody can set", () => {
    const [problem] = configProblems(yaml(`        - { key: "aws:createdBy", value: creator }`));
    expect(problem).toMatchObject({ path: "defaults.events.guardrails.requiredTags[0].key" });
    expect(problem!.message).toContain('must not start with "aws:"');
  });
});
