import "aws-sdk-client-mock-vitest/extend";
import { ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { resolveAccounts } from "../../../functions/config/resolve.js";
import { joinWithOrganization, listOrganizationAccounts, organizationUnavailable } from "../../../functions/scanner/organization.js";
import { orgAccount, testConfig } from "./fixtures.js";

const org = mockClient(OrganizationsClient);
beforeEach(() => org.reset());

const config = testConfig(`
accounts:
  - { id: "222222222222", name: payments-prod }
  - { id: "333333333333", name: data-dev }
  - { id: "444444444444", name: shared-services }
  - { id: "555555555555", name: old-team }
  - { id: "666666666666", name: closing }
`);

describe("organization", () => {
  it("follows NextToken through every page of ListAccounts", async () => {
    org
      .on(ListAccountsCommand, {})
      .resolves({ Accounts: [orgAccount("222222222222", "payments-prod")], NextToken: "AAEAAZ1-page2" })
      .on(ListAccountsCommand, { NextToken: "AAEAAZ1-page2" })
      .resolves({ Accounts: [orgAccount("333333333333", "data-dev"), orgAccount("777777777777", "not-onboarded")] });
    const accounts = await listOrganizationAccounts(new OrganizationsClient({ region: "us-east-1" }));
    expect(accounts.map((a) => a.Id)).toEqual(["222222222222", "333333333333", "777777777777"]);
    expect(org).toHaveReceivedCommandTimes(ListAccountsCommand, 2);
    expect(org).toHaveReceivedNthCommandWith(ListAccountsCommand, 2, { NextToken: "AAEAAZ1-page2" });
  });

  it("scans active members only and lists suspended, closed and missing accounts with the reason", () => {
    const plan = joinWithOrganization(resolveAccounts(config), [
      orgAccount("222222222222", "payments-prod"),
      orgAccount("333333333333", "data-dev", "SUSPENDED"),
      orgAccount("444444444444", "shared-services"),
      orgAccount("666666666666", "closing", "PENDING_CLOSURE"),
      orgAccount("888888888888", "not-onboarded"),
    ]);
    expect(plan.toScan.map((a) => a.id)).toEqual(["222222222222", "444444444444"]);
    expect(plan.listedOnly).toEqual([
      expect.objectContaining({ accountId: "333333333333", status: "suspended", regions: [], error: expect.objectContaining({ message: expect.stringContaining("SUSPENDED") }) }),
      expect.objectContaining({ accountId: "555555555555", status: "not-in-organization", error: expect.objectContaining({ code: "AccountNotInOrganization" }) }),
      expect.objectContaining({ accountId: "666666666666", status: "suspended", error: expect.objectContaining({ message: expect.stringContaining("PENDING_CLOSURE") }) }),
    ]);
  });

  it("reads the older Status field when State is absent, and CLOSED from State", () => {
    const legacy = { ...orgAccount("222222222222", "payments-prod"), State: undefined, Status: "SUSPENDED" as const };
    const plan = joinWithOrganization(resolveAccounts(config).slice(0, 2), [legacy, orgAccount("333333333333", "data-dev", "CLOSED")]);
    expect(plan.toScan).toEqual([]);
    expect(plan.listedOnly.map((a) => a.error?.message)).toEqual([expect.stringContaining("SUSPENDED"), expect.stringContaining("CLOSED")]);
  });

  it("without the member list, every account is a failed row that says why", () => {
    const plan = organizationUnavailable(resolveAccounts(config), { code: "AWSOrganizationsNotInUseException", message: "Your account is not a member of an organization." });
    expect(plan.toScan).toEqual([]);
    expect(plan.listedOnly).toHaveLength(5);
    expect(plan.listedOnly[0]).toMatchObject({ status: "failed", error: { code: "AWSOrganizationsNotInUseException" } });
  });
});
