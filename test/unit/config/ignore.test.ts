import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configProblems } from "../../support/config.js";
import { resolveAccounts } from "../../../functions/config/resolve.js";
import { parseConfig } from "../../../functions/accounts-file/index.js";

/** accounts.yaml `ignore` rules: validated like every other field, with file:line and a fix. */

const BASE = `version: 1
organization: { id: o-a1b2c3d4e5 }
hub: { accountId: "111111111111", region: us-east-1 }
`;

const problems = configProblems;

describe("ignore rules in accounts.yaml", () => {
  it("accepts the README's example as written", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const example = /```yaml\n(defaults:\n {2}ignore:[\s\S]*?)```/.exec(readme)?.[1];
    expect(example, "README has the ignore-rule example").toBeDefined();
    const [payments] = resolveAccounts(parseConfig(`${BASE}${example}`, "README.md"));
    expect(payments!.ignore.map((r) => [r.resourceType, r.property])).toEqual([
      ["AWS::S3::Bucket", "/Tags"],
      ["AWS::EC2::SecurityGroup", "/SecurityGroupIngress/*/Description"],
    ]);
  });

  it("adds an account's rules to the defaults' rules", () => {
    const config = parseConfig(
      `${BASE}defaults:
  ignore:
    - { resourceType: AWS::S3::Bucket, property: /Tags, reason: cost tags are set by FinOps }
accounts:
  - id: "222222222222"
    name: payments-prod
    ignore:
      - resourceType: AWS::EC2::SecurityGroup
        property: /SecurityGroupIngress/*/Description
        stacks: ["web-*"]
        reason: descriptions are edited in the console
        until: "2027-01-31"
  - { id: "333333333333", name: data-dev }
`,
      "accounts.yaml",
    );
    const [payments, dataDev] = resolveAccounts(config);
    expect(payments!.ignore.map((r) => r.property)).toEqual(["/Tags", "/SecurityGroupIngress/*/Description"]);
    expect(dataDev!.ignore.map((r) => r.property)).toEqual(["/Tags"]);
  });

  it("reports a missing reason, a bad pointer, a bad type and a bad date, each at its line", () => {
    const text = `${BASE}accounts:
  - id: "222222222222"
    name: payments-prod
    ignore:
      - resourceType: AWS::S3::Bucket
        property: /Tags
      - resourceType: AWS::S3::Bucket
        property: Tags
        reason: cost tags
      - resourceType: S3Bucket
        property: /Tags
        reason: cost tags
      - resourceType: AWS::S3::Bucket
        property: /Tags
        reason: cost tags
        until: "2027-02-30"
        stack: ["x"]
`;
    const found = problems(text).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(found).toEqual([
      expect.stringMatching(/^8 accounts\[0\]\.ignore\[0\]\.reason: is required: must say why this difference may drift \(it is shown in every report\)/),
      expect.stringMatching(/^11 accounts\[0\]\.ignore\[1\]\.property: must be a JSON pointer starting with "\/"/),
      expect.stringMatching(/^13 accounts\[0\]\.ignore\[2\]\.resourceType: must be a CloudFormation resource type/),
      expect.stringMatching(/^19 accounts\[0\]\.ignore\[3\]\.until: is not a calendar date/),
      expect.stringMatching(/^20 accounts\[0\]\.ignore\[3\]: has unknown field\(s\) `stack` \(did you mean `stacks`\?\)/),
    ]);
  });
});
