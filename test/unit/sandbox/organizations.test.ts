import {
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListParentsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListChildren,
} from "@aws-sdk/client-organizations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure, HUB, MANAGEMENT, ORG_ID, ouScenario, OUTSIDER, PROD_OU, startTestSandbox, WORKLOAD, WORKLOADS_OU } from "../../support/sandbox.js";

const WORKLOADS = WORKLOADS_OU;
const PROD = PROD_OU;
const ROOT = "r-test";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: ouScenario({ status: "SUSPENDED", ou: WORKLOADS }) });
});
afterAll(() => sandbox.close());

/**
 * A person in the hub (the delegated administrator), not the scanner role: these prove the
 * emulator's Organizations, including calls the scanner role is not granted (ListAccounts,
 * ListChildren, DescribeOrganizationalUnit), which the sandbox's IAM evaluation would refuse it.
 */
const hubAdmin = () => new OrganizationsClient(clientConfig(sandbox, sandbox.adminCredentials(HUB)));

describe("organizations", () => {
  it("lists every account, page by page, for the hub as delegated administrator", async () => {
    const org = hubAdmin();
    const first = await org.send(new ListAccountsCommand({ MaxResults: 2 }));
    expect(first.Accounts).toHaveLength(2);
    expect(first.NextToken).toBeDefined();
    const all = [];
    for await (const page of paginateListAccounts({ client: org, pageSize: 2 }, {})) all.push(...(page.Accounts ?? []));
    expect(all.map((a) => a.Id).sort()).toEqual([HUB, WORKLOAD, OUTSIDER, MANAGEMENT].sort());
    const outsider = all.find((a) => a.Id === OUTSIDER)!;
    expect(outsider).toMatchObject({ Name: "outsider", Status: "SUSPENDED", Arn: `arn:aws:organizations::${MANAGEMENT}:account/${ORG_ID}/${OUTSIDER}` });
    expect(outsider.JoinedTimestamp).toBeInstanceOf(Date);
  });

  it("gives each account its State, and the retiring Status only where AccountStatus has the value: a CLOSED account has none (API_Account.html, orgs_manage_accounts_account_state.html)", async () => {
    const outsider = sandbox.world.accounts.get(OUTSIDER)!;
    const before = outsider.status;
    outsider.status = "CLOSED";
    try {
      const { Account: closed } = await hubAdmin().send(new DescribeAccountCommand({ AccountId: OUTSIDER }));
      expect(closed).toMatchObject({ Id: OUTSIDER, State: "CLOSED" });
      expect(closed).not.toHaveProperty("Status");
    } finally {
      outsider.status = before;
    }
    const { Account: active } = await hubAdmin().send(new DescribeAccountCommand({ AccountId: WORKLOAD }));
    expect(active).toMatchObject({ State: "ACTIVE", Status: "ACTIVE" });
  });

  it("is refused to member accounts that are not delegated administrators", async () => {
    const org = new OrganizationsClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const err = await failure(org.send(new ListAccountsCommand({})));
    expect(err.name).toBe("AccessDeniedException");
  });

  it("validates MaxResults and describes the organization", async () => {
    const org = new OrganizationsClient(clientConfig(sandbox, sandbox.adminCredentials(MANAGEMENT)));
    expect((await failure(org.send(new ListAccountsCommand({ MaxResults: 50 })))).name).toBe("InvalidInputException");
    const described = await org.send(new DescribeOrganizationCommand({}));
    expect(described.Organization).toMatchObject({ Id: ORG_ID, MasterAccountId: MANAGEMENT, FeatureSet: "ALL" });
  });

  // Shapes, ARNs and errors as the Organizations API reference documents them
  // (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListRoots.html, API_ListChildren.html,
  // API_ListAccountsForParent.html, API_ListOrganizationalUnitsForParent.html, API_DescribeOrganizationalUnit.html).
  it("has one root, derived from the organization id, with the management account and the hub under it", async () => {
    const org = hubAdmin();
    const { Roots } = await org.send(new ListRootsCommand({}));
    expect(Roots).toEqual([{ Id: ROOT, Arn: `arn:aws:organizations::${MANAGEMENT}:root/${ORG_ID}/${ROOT}`, Name: "Root", PolicyTypes: [] }]);
    const { Accounts } = await org.send(new ListAccountsForParentCommand({ ParentId: ROOT }));
    expect(Accounts!.map((a) => a.Id).sort()).toEqual([HUB, MANAGEMENT].sort());
  });

  it("lists child OUs and accounts per parent, page by page", async () => {
    const org = hubAdmin();
    const ous = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: WORKLOADS }));
    expect(ous.OrganizationalUnits).toEqual([{ Id: PROD, Arn: `arn:aws:organizations::${MANAGEMENT}:ou/${ORG_ID}/${PROD}`, Name: "Prod" }]);
    const children = [];
    for await (const page of paginateListChildren({ client: org, pageSize: 1 }, { ParentId: WORKLOADS, ChildType: "ACCOUNT" })) children.push(...(page.Children ?? []));
    expect(children).toEqual([{ Id: OUTSIDER, Type: "ACCOUNT" }]);
    const nested = await org.send(new ListChildrenCommand({ ParentId: ROOT, ChildType: "ORGANIZATIONAL_UNIT" }));
    expect(nested.Children).toEqual([{ Id: WORKLOADS, Type: "ORGANIZATIONAL_UNIT" }]);
    const inProd = await org.send(new ListAccountsForParentCommand({ ParentId: PROD }));
    expect(inProd.Accounts).toEqual([expect.objectContaining({ Id: WORKLOAD, Name: "workload", Status: "ACTIVE" })]);
  });

  // API_ListParents.html: one parent per child, typed ROOT or ORGANIZATIONAL_UNIT.
  it("walks up from an account to the root with ListParents, and names unknown children", async () => {
    const org = hubAdmin();
    expect((await org.send(new ListParentsCommand({ ChildId: WORKLOAD }))).Parents).toEqual([{ Id: PROD, Type: "ORGANIZATIONAL_UNIT" }]);
    expect((await org.send(new ListParentsCommand({ ChildId: PROD }))).Parents).toEqual([{ Id: WORKLOADS, Type: "ORGANIZATIONAL_UNIT" }]);
    expect((await org.send(new ListParentsCommand({ ChildId: WORKLOADS }))).Parents).toEqual([{ Id: ROOT, Type: "ROOT" }]);
    expect((await failure(org.send(new ListParentsCommand({ ChildId: "000000000000" })))).name).toBe("ChildNotFoundException");
    expect((await failure(org.send(new ListParentsCommand({ ChildId: "r-abc" })))).name).toBe("InvalidInputException");
  });

  it("describes an OU and fails with the service's codes for unknown or malformed ids", async () => {
    const org = hubAdmin();
    expect((await org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: PROD }))).OrganizationalUnit).toMatchObject({ Id: PROD, Name: "Prod" });
    expect((await failure(org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: "ou-test-missing01" })))).name).toBe("OrganizationalUnitNotFoundException");
    expect((await failure(org.send(new ListAccountsForParentCommand({ ParentId: "ou-test-missing01" })))).name).toBe("ParentNotFoundException");
    expect((await failure(org.send(new ListChildrenCommand({ ParentId: "not-an-id", ChildType: "ACCOUNT" })))).name).toBe("InvalidInputException");
    const member = new OrganizationsClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    expect((await failure(member.send(new ListRootsCommand({})))).name).toBe("AccessDeniedException");
  });
});
