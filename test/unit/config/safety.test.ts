import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/accounts-file/index.js";
import { ConfigError, type ConfigProblem } from "../../../functions/config/problems.js";

const BASE = `version: 1
organization: { id: o-a1b2c3d4e5 }
hub: { accountId: "999988887777", region: eu-west-1 }
accounts:
  - { id: "111122223333", name: payments-prod }
defaults:
  safety:
`;

function problems(safety: string): ConfigProblem[] {
  try {
    parseConfig(BASE + safety);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults.safety in accounts.yaml", () => {
  it("defaults to trusting nothing beyond the organization and allowlisting no admin policy", () => {
    expect(parseConfig(BASE.replace("  safety:\n", "  mode: report\n")).defaults.safety).toEqual({ trustedPrincipals: [], adminPolicies: [] });
  });

  it("accepts principals and admin-policy allowances with roles and a reason", () => {
    const config = parseConfig(
      BASE +
        `    trustedPrincipals: ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "444455556666"]
    adminPolicies:
      - { policy: "arn:aws:iam::aws:policy/PowerUserAccess", roles: ["ci-deploy-*"], reason: "CI deploys application stacks" }
`,
    );
    expect(config.defaults.safety.adminPolicies[0]).toEqual({ policy: "arn:aws:iam::aws:policy/PowerUserAccess", roles: ["ci-deploy-*"], reason: "CI deploys application stacks" });
  });

  it("rejects trusting everyone, with file, line, field and fix", () => {
    const [p] = problems(`    trustedPrincipals: ["*"]\n`);
    expect(p).toMatchObject({ path: "defaults.safety.trustedPrincipals[0]", line: 8 });
    expect(p!.message).toContain("must name specific principals");
    expect(problems(`    trustedPrincipals: ["arn:aws:iam::*:root"]\n`)[0]!.message).toContain("any-account ARNs");
  });

  it("requires roles and a reason on every admin-policy allowance, and names unknown fields", () => {
    const found = problems(`    adminPolicies:\n      - { policy: "arn:aws:iam::aws:policy/AdministratorAccess", roles: [] }\n`);
    expect(found.map((p) => `${p.path}: ${p.message}`)).toEqual(
      expect.arrayContaining([expect.stringContaining("roles: must list at least one role-name glob"), expect.stringMatching(/reason/)]),
    );
    expect(problems(`    trustedPrincipal: []\n`)[0]!.message).toContain("did you mean `trustedPrincipals`");
  });
});
