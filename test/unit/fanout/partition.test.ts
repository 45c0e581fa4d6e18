import { describe, expect, it } from "vitest";
import { resolveAccounts } from "../../../functions/config/resolve.js";
import { partitionRun } from "../../../functions/fanout/partition.js";
import { joinWithOrganization, organizationUnavailable } from "../../../functions/scanner/organization.js";
import { withModeOverride } from "../../../functions/remediation/mode.js";
import { orgAccount, rootMembers } from "../scanner/fixtures.js";
import { testConfig } from "../../support/config.js";

const RUN = "20260102T030405Z-a1b2c3";
const config = testConfig(`
accounts:
  - { id: "222222222222", name: payments-prod, mode: remediate }
  - { id: "444444444444", name: suspended-team }
  - { id: "333333333333", name: data-dev }
  - { id: "555555555555", name: gone-team }
`);
const accounts = resolveAccounts(config);
const members = [orgAccount("222222222222", "payments-prod"), orgAccount("333333333333", "data-dev"), orgAccount("444444444444", "suspended-team", "SUSPENDED")];
const startedAt = new Date("2026-01-02T03:04:05.000Z");
const snapshot = { available: true as const, members: [] };

describe("partitionRun", () => {
  it("gives one work item per active onboarded account and keeps the others as final rows, in accounts.yaml order", () => {
    const { manifest, items } = partitionRun({ runId: RUN, trigger: "schedule", startedAt, accounts, snapshot, organization: joinWithOrganization(accounts, rootMembers(members)) });

    expect(items).toEqual([
      { fanout: "scan", runId: RUN, accountId: "222222222222" },
      { fanout: "scan", runId: RUN, accountId: "333333333333" },
    ]);
    expect(manifest).toMatchObject({ version: 1, runId: RUN, trigger: "schedule", startedAt: "2026-01-02T03:04:05.000Z" });
    expect(manifest.modeOverride).toBeUndefined();
    expect(manifest.accounts.map((a) => [a.accountId, a.name, a.mode, a.listed?.status])).toEqual([
      ["222222222222", "payments-prod", "remediate", undefined],
      ["444444444444", "suspended-team", "report", "suspended"],
      ["333333333333", "data-dev", "report", undefined],
      ["555555555555", "gone-team", "report", "not-in-organization"],
    ]);
    expect(manifest.accounts[3]!.listed?.error).toMatchObject({ code: "AccountNotInOrganization" });
    // Workers read their account's resolved settings from the manifest: OU members are not in accounts.yaml.
    expect(manifest.accounts[0]).toMatchObject({ account: accounts[0] });
    expect(manifest.organization).toBe(snapshot);
  });

  it("carries a mode override to every worker and every row", () => {
    const overridden = accounts.map((a) => withModeOverride(a, "report"));
    const { manifest, items } = partitionRun({ runId: RUN, trigger: "manual", modeOverride: "report", startedAt, accounts: overridden, snapshot, organization: joinWithOrganization(overridden, rootMembers(members)) });
    expect(manifest.modeOverride).toBe("report");
    expect(items.every((i) => i.modeOverride === "report")).toBe(true);
    expect(manifest.accounts[0]!.mode).toBe("report");
  });

  it("partitions no worker when the organization cannot be listed, and says why on every row", () => {
    const { manifest, items } = partitionRun({
      runId: RUN,
      trigger: "schedule",
      startedAt,
      accounts,
      snapshot,
      organization: organizationUnavailable(accounts, { code: "AccessDeniedException", message: "not a delegated administrator" }),
    });
    expect(items).toEqual([]);
    expect(manifest.accounts.every((a) => a.listed?.status === "failed" && a.listed.error?.message.includes("not a delegated administrator"))).toBe(true);
  });
});
