import { describe, expect, it } from "vitest";
import { admitChange } from "../../../functions/events/admit.js";
import { isRejection, parseChangeEvent, type ParsedChange } from "../../../functions/events/parse.js";
import { assumedRoleIdentity, fixture, SPOKE, PAYMENTS_SPOKE } from "./helpers.js";
import { identityOf } from "../../support/cloudtrail.js";
import { testConfig } from "../../support/config.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function change(name: string, mutate: (event: any) => void = () => {}): ParsedChange {
  const event = fixture(name);
  mutate(event);
  const result = parseChangeEvent(event);
  if (isRejection(result)) throw new Error(result.detail);
  return result;
}

const config = testConfig(PAYMENTS_SPOKE);

describe("admitChange", () => {
  it("admits a regional change in an onboarded account-region", () => {
    const admission = admitChange(change("AuthorizeSecurityGroupIngress"), config);
    expect(admission).toMatchObject({ region: "eu-west-1", global: false, account: { id: SPOKE, name: "payments-prod", mode: "remediate" } });
  });

  it("admits IAM events from us-east-1 as global even when us-east-1 is not onboarded", () => {
    const admission = admitChange(change("AttachRolePolicy"), config);
    expect(admission).toMatchObject({ region: "us-east-1", global: true });
  });

  it("applies DRIFTGUARD_MODE, dropping mode rules so report really means report", () => {
    const cfg = testConfig(PAYMENTS_SPOKE, { defaults: { regions: ["eu-west-1"], mode: "remediate", modeRules: [{ resourceTypes: ["AWS::EC2::SecurityGroup"], mode: "remediate" }] } });
    expect(admitChange(change("AuthorizeSecurityGroupIngress"), cfg, "report")).toMatchObject({ account: { mode: "report", modeRules: [] } });
  });

  it("applies DRIFTGUARD_MODE=remediate as the scan does, keeping the rules that hold stacks back", () => {
    const held = [{ stacks: "legacy-*", mode: "report" as const }];
    const cfg = testConfig(PAYMENTS_SPOKE, { defaults: { regions: ["eu-west-1"], mode: "report", modeRules: held } });
    expect(admitChange(change("AuthorizeSecurityGroupIngress"), cfg, "remediate")).toMatchObject({ account: { mode: "remediate", modeRules: held } });
  });

  const ownRole = assumedRoleIdentity("arn:aws:iam::111122223333:role/driftguard-spoke");
  const rejections: [string, string, ReturnType<typeof testConfig>, (e: { detail: Record<string, any>; account: string }) => void][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ["own-role", "AuthorizeSecurityGroupIngress", config, (e) => (e.detail.userIdentity = ownRole)],
    ["cloudformation", "AttachRolePolicy", config, (e) => (e.detail.userIdentity.invokedBy = "cloudformation.amazonaws.com")],
    ["cloudformation", "PutBucketEncryption", config, (e) => (e.detail.sourceIPAddress = "cloudformation.amazonaws.com")],
    ["account-not-onboarded", "CreateVpc", config, (e) => { e.account = "444455556666"; e.detail.recipientAccountId = "444455556666"; }],
    ["account-mismatch", "CreateVpc", config, (e) => (e.detail.recipientAccountId = "444455556666")],
    ["event-not-configured", "CreateVpc", testConfig(PAYMENTS_SPOKE, { defaults: { events: { eventNames: ["AttachRolePolicy"] } } }), () => {}],
    ["unsupported-event", "CreateVpc", testConfig(PAYMENTS_SPOKE, { defaults: { events: { eventNames: ["CreateRoute"] } } }), (e) => (e.detail.eventName = "CreateRoute")],
    ["region-not-onboarded", "CreateVpc", config, (e) => (e.detail.awsRegion = "ap-south-1")],
    ["events-disabled", "CreateVpc", testConfig(PAYMENTS_SPOKE, { defaults: { events: { enabled: false } } }), () => {}],
  ];
  it.each(rejections)("rejects %s (%s)", (reason, name, cfg, mutate) => {
    const result = admitChange(change(name, mutate), cfg);
    expect(result).toMatchObject({ rejected: true, reason });
  });

  it("does not mistake a role that merely contains the spoke role's name for it", () => {
    const c = change("AuthorizeSecurityGroupIngress", (e) => (e.detail.userIdentity = assumedRoleIdentity("arn:aws:iam::111122223333:role/driftguard-spoke-admin", "alice")));
    expect(isRejection(admitChange(c, config))).toBe(false);
  });

  // Issue 12: any role named like the spoke role counted as driftguard itself, so its changes were dropped.
  const lookalikes: [string, (e: { detail: Record<string, any>; account: string }) => void][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ["in an account that is not onboarded, acting in an onboarded one", (e) => (e.detail.userIdentity = assumedRoleIdentity("arn:aws:iam::999988887777:role/driftguard-spoke"))],
    ["with another path in the onboarded account", (e) => (e.detail.userIdentity = assumedRoleIdentity("arn:aws:iam::111122223333:role/team/driftguard-spoke"))],
    ["without the session issuer CloudTrail records for role sessions", (e) => (e.detail.userIdentity = { ...identityOf("arn:aws:sts::111122223333:assumed-role/driftguard-spoke/x"), sessionContext: undefined })],
    ["as an IAM user named like it", (e) => (e.detail.userIdentity = identityOf("arn:aws:iam::111122223333:user/driftguard-spoke"))],
  ];
  it.each(lookalikes)("handles a role named like the spoke role %s as anyone else", (_name, mutate) => {
    expect(isRejection(admitChange(change("AuthorizeSecurityGroupIngress", mutate), config))).toBe(false);
  });

  it("does not take the spoke role of one onboarded account for driftguard in another", () => {
    const cfg = testConfig(PAYMENTS_SPOKE, { accounts: [{ id: "111122223333", name: "payments-prod" }, { id: "444455556666", name: "shared" }] });
    const c = change("AuthorizeSecurityGroupIngress", (e) => (e.detail.userIdentity = assumedRoleIdentity("arn:aws:iam::444455556666:role/driftguard-spoke")));
    expect(isRejection(admitChange(c, cfg))).toBe(false);
  });

  it("knows the spoke role by its configured name", () => {
    const cfg = testConfig(PAYMENTS_SPOKE, { spoke: { roleName: "platform-drift" } });
    const c = change("AuthorizeSecurityGroupIngress", (e) => (e.detail.userIdentity = assumedRoleIdentity("arn:aws:iam::111122223333:role/platform-drift", "run")));
    expect(admitChange(c, cfg)).toMatchObject({ reason: "own-role" });
  });

  // Issue 17: the event path resolves an account as the scheduled scan does (config/resolve.ts).
  describe("with organizationalUnits", () => {
    // OU onboarding needs StackSet spokes (config/cross-checks.ts): terraform spokes exist only for listed accounts.
    const STACKSETS = { deployment: "stackset" as const, stackSet: { administratorAccountId: "999988887777" } };
    const OU = "ou-ab12-workload1";
    const CHILD = "ou-ab12-prodteam1";
    const byOu = testConfig(PAYMENTS_SPOKE, {
      spoke: STACKSETS,
      defaults: { regions: ["eu-west-1"], mode: "remediate" },
      organizationalUnits: [{ id: OU, mode: "report", regions: ["eu-west-1", "us-east-1"] }],
      accounts: [{ id: "555566667777", name: "listed", regions: ["eu-west-1"] }],
      exclude: ["444455556666"],
    });
    const inOu = (id: string, extra: Partial<{ state: string; parents: string[] }> = {}) => ({ id, name: "newcomer", state: "ACTIVE", parents: [CHILD, OU, "r-ab12"], ...extra });
    const from = (id: string, name = "CreateVpc") =>
      change(name, (e) => {
        e.account = id;
        e.detail.recipientAccountId = id;
      });

    it("admits a member of an onboarded OU (nested below it) that accounts: does not list, with the OU's settings", () => {
      const admission = admitChange(from(SPOKE), byOu, undefined, inOu(SPOKE));
      expect(admission).toMatchObject({ account: { id: SPOKE, name: "newcomer", mode: "report", regions: ["eu-west-1", "us-east-1"], organizationalUnit: OU } });
    });

    it("gives a listed account in an onboarded OU its OU's settings under its own, as the scan does", () => {
      const admission = admitChange(from("555566667777"), byOu, undefined, inOu("555566667777"));
      expect(admission).toMatchObject({ account: { name: "listed", mode: "report", regions: ["eu-west-1"], organizationalUnit: OU } });
    });

    const refused: [string, string, Parameters<typeof admitChange>[3]][] = [
      ["account-not-onboarded", "a member of no onboarded OU", inOu(SPOKE, { parents: ["ou-ab12-sandbox01", "r-ab12"] })],
      ["account-not-onboarded", "an account the organization does not know", "not-in-organization"],
      ["account-not-active", "a suspended member", inOu(SPOKE, { state: "SUSPENDED" })],
      ["organization-unavailable", "an account whose placement was not looked up", undefined],
    ];
    it.each(refused)("rejects %s: %s", (reason, _what, placement) => {
      expect(admitChange(from(SPOKE), byOu, undefined, placement)).toMatchObject({ rejected: true, reason });
    });

    it("rejects an excluded account even inside an onboarded OU", () => {
      expect(admitChange(from("444455556666"), byOu, undefined, inOu("444455556666"))).toMatchObject({ rejected: true, reason: "account-not-onboarded", detail: expect.stringContaining("exclude") });
    });
  });
});
