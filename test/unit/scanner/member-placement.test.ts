import "aws-sdk-client-mock-vitest/extend";
import { AccountNotFoundException, DescribeAccountCommand, ListParentsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { lookupPlacement, PLACEMENT_ACTIONS } from "../../../functions/scanner/member-placement.js";
import { orgAccount } from "./fixtures.js";

const org = mockClient(OrganizationsClient);
beforeEach(() => org.reset());

const ROOT = "r-ab12";
const WORKLOADS = "ou-ab12-workload1";
const PROD = "ou-ab12-prod0001";

/** ListParents answers as the API reference shows them: one parent, typed ROOT or ORGANIZATIONAL_UNIT (API_ListParents.html). */
function mockChain(accountId: string) {
  org
    .on(DescribeAccountCommand, { AccountId: accountId })
    .resolves({ Account: orgAccount(accountId, "newcomer") })
    .on(ListParentsCommand, { ChildId: accountId })
    .resolves({ Parents: [{ Id: PROD, Type: "ORGANIZATIONAL_UNIT" }] })
    .on(ListParentsCommand, { ChildId: PROD })
    .resolves({ Parents: [{ Id: WORKLOADS, Type: "ORGANIZATIONAL_UNIT" }] })
    .on(ListParentsCommand, { ChildId: WORKLOADS })
    .resolves({ Parents: [{ Id: ROOT, Type: "ROOT" }] });
}

describe("lookupPlacement (the event path's view of one member)", () => {
  it("walks up from the account to the root, with its name and state", async () => {
    mockChain("333333333333");
    expect(await lookupPlacement(new OrganizationsClient({ region: "us-east-1" }), "333333333333")).toEqual({
      id: "333333333333",
      name: "newcomer",
      state: "ACTIVE",
      parents: [PROD, WORKLOADS, ROOT],
    });
  });

  it("calls exactly the operations the scanner role is granted for it (PLACEMENT_ACTIONS)", async () => {
    mockChain("333333333333");
    await lookupPlacement(new OrganizationsClient({ region: "us-east-1" }), "333333333333");
    const called = new Set(org.calls().map((c) => `organizations:${(c.args[0] as object).constructor.name.replace(/Command$/, "")}`));
    expect(called).toEqual(new Set(PLACEMENT_ACTIONS));
  });

  it("answers undefined for an account the organization does not know", async () => {
    org.on(DescribeAccountCommand).rejects(new AccountNotFoundException({ message: "You specified an account that doesn't exist.", $metadata: {} }));
    expect(await lookupPlacement(new OrganizationsClient({ region: "us-east-1" }), "444444444444")).toBeUndefined();
    expect(org).toHaveReceivedCommandTimes(ListParentsCommand, 0);
  });

  it("throws any other failure: the caller drops the event loudly rather than guess the OU", async () => {
    mockChain("333333333333");
    org.on(ListParentsCommand, { ChildId: PROD }).rejects(Object.assign(new Error("You don't have permissions to access this resource."), { name: "AccessDeniedException" }));
    await expect(lookupPlacement(new OrganizationsClient({ region: "us-east-1", maxAttempts: 1 }), "333333333333")).rejects.toThrow(/permissions/);
  });
});
