import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../functions/config/load.js";
import { parseConfig } from "../../../functions/accounts-file/index.js";
import { resolveOnboarded } from "../../../functions/config/resolve.js";

const BASE = `
version: 1
organization: { id: o-example0001 }
hub: { accountId: "111111111111", region: us-east-1 }
defaults: { regions: [us-east-1], mode: report }
`;
const STACKSET = `spoke: { deployment: stackset, stackSet: { administratorAccountId: "999999999999" } }\n`;

function problems(text: string): string[] {
  try {
    parseConfig(BASE + text, "accounts.yaml");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}${p.line ? `@${p.line}` : ""}: ${p.message}`);
    throw err;
  }
  return [];
}

describe("onboarding settings in accounts.yaml", () => {
  it("accepts OUs, exclusions and retired accounts with StackSet spokes", () => {
    expect(
      problems(`${STACKSET}organizationalUnits: [{ id: ou-ab12-cd34ef56, mode: remediate }, { id: r-ab12 }]
exclude: ["555555555555"]
accounts:
  - { id: "222222222222", name: payments, status: retired }
`),
    ).toEqual([]);
  });

  it("says what is wrong, where, and how to fix it", () => {
    const found = problems(`organizationalUnits:
  - { id: ou-ab12-cd34ef56 }
  - { id: ou-ab12-cd34ef56 }
  - { id: ou-123 }
exclude: ["222222222222", "222222222222"]
accounts:
  - { id: "222222222222", name: payments, status: closed }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^organizationalUnits\[2\]\.id@9: must be an organizational unit id such as "ou-ab12-cd34ef56"/),
        expect.stringMatching(/^accounts\[0\]\.status@12: must be one of: active, retired/),
      ]),
    );
    const crossField = problems(`organizationalUnits:
  - { id: ou-ab12-cd34ef56 }
  - { id: ou-ab12-cd34ef56 }
exclude: ["222222222222", "222222222222"]
accounts:
  - { id: "222222222222", name: payments }
`);
    expect(crossField).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^organizationalUnits\[1\]\.id@\d+: duplicates organizationalUnits\[0\]\.id/),
        expect.stringMatching(/^organizationalUnits@\d+: needs spoke\.deployment: stackset/),
        expect.stringMatching(/^exclude\[1\]@\d+: duplicates exclude\[0\]/),
        expect.stringMatching(/^exclude\[0\]@\d+: is also listed under accounts:/),
      ]),
    );
    expect(problems(`spoke: { deployment: stackset }\norganizationalUnits: [{ id: ou-ab12-cd34ef56, recursive: false }]\naccounts: []\n`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^spoke\.stackSet.*is required with spoke\.deployment: stackset/), expect.stringMatching(/recursive.*always deploys to child OUs/)]),
    );
  });

  it("lays an account's own entry over its nearest onboarded OU over the defaults; non-recursive OUs stop at their direct members", () => {
    const config = parseConfig(
      `${BASE}${STACKSET}organizationalUnits:
  - { id: ou-ab12-parent01, mode: remediate, regions: [us-east-1, eu-west-1], modeRules: [{ stacks: "a-*", mode: report }] }
  - { id: ou-ab12-child001, regions: [eu-west-1] }
exclude: ["444444444444"]
accounts:
  - { id: "222222222222", name: payments, mode: report, modeRules: [{ stacks: "b-*", mode: remediate }] }
  - { id: "555555555555", name: gone, status: retired }
`,
    );
    const onboarded = resolveOnboarded(config, [
      { id: "222222222222", name: "payments", parents: ["ou-ab12-child001", "ou-ab12-parent01", "r-ab12"] },
      { id: "333333333333", name: "New Team", parents: ["ou-ab12-parent01", "r-ab12"] },
      { id: "444444444444", name: "excluded", parents: ["ou-ab12-parent01", "r-ab12"] },
      { id: "555555555555", name: "gone", parents: ["ou-ab12-parent01", "r-ab12"] },
      { id: "666666666666", name: "elsewhere", parents: ["r-ab12"] },
    ]);
    expect(onboarded.map((a) => [a.id, a.name, a.mode, a.regions, a.modeRules.map((r) => r.stacks), a.organizationalUnit])).toEqual([
      // Nearest OU (child) gives regions; the entry gives mode; rules: defaults, OU, entry.
      ["222222222222", "payments", "report", ["eu-west-1"], ["b-*"], "ou-ab12-child001"],
      ["333333333333", "New Team", "remediate", ["us-east-1", "eu-west-1"], ["a-*"], "ou-ab12-parent01"],
    ]);

    const flat = parseConfig(`${BASE}${STACKSET.replace("stackset", "stackset")}organizationalUnits: [{ id: r-ab12 }]\naccounts: []\n`);
    expect(resolveOnboarded(flat, [{ id: "666666666666", name: "x", parents: ["r-ab12"] }]).map((a) => a.id)).toEqual(["666666666666"]);
  });
});
