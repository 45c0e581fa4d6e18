import "aws-sdk-client-mock-vitest/extend";
import {
  DescribeOrganizationCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
  TooManyRequestsException,
} from "@aws-sdk/client-organizations";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { resolveAccounts, resolveOnboarded } from "../../../functions/config/resolve.js";
import {
  checkOrganization,
  joinWithOrganization,
  ORGANIZATION_ACTIONS,
  organizationUnavailable,
  placements,
  snapshotOf,
  walkOrganization,
} from "../../../functions/scanner/organization.js";
import { describeOrganizationOutput, orgAccount, rootMembers } from "./fixtures.js";
import { testConfig } from "../../support/config.js";

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

// Shapes as the Organizations API reference gives them (ListRoots, ListOrganizationalUnitsForParent,
// ListAccountsForParent examples): https://docs.aws.amazon.com/organizations/latest/APIReference/
const ROOT = { Id: "r-examplerootid111", Arn: "arn:aws:organizations::111111111111:root/o-exampleorgid/r-examplerootid111", Name: "Root", PolicyTypes: [] };
const WORKLOADS = { Id: "ou-examplerootid111-exampleouid111", Arn: "arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-examplerootid111-exampleouid111", Name: "Workloads" };
const PROD = { Id: "ou-examplerootid111-exampleouid222", Arn: "arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-examplerootid111-exampleouid222", Name: "Prod" };

function mockTree(): void {
  org
    .on(ListRootsCommand)
    .resolves({ Roots: [ROOT] })
    .on(ListOrganizationalUnitsForParentCommand, { ParentId: ROOT.Id })
    .resolves({ OrganizationalUnits: [WORKLOADS] })
    .on(ListOrganizationalUnitsForParentCommand, { ParentId: WORKLOADS.Id })
    .resolves({ OrganizationalUnits: [PROD] })
    .on(ListOrganizationalUnitsForParentCommand, { ParentId: PROD.Id })
    .resolves({ OrganizationalUnits: [] })
    .on(ListAccountsForParentCommand, { ParentId: ROOT.Id })
    .resolves({ Accounts: [orgAccount("111111111111", "management")] })
    .on(ListAccountsForParentCommand, { ParentId: WORKLOADS.Id })
    .resolves({ Accounts: [orgAccount("222222222222", "payments-prod")], NextToken: "AAEAAZ1-page2" })
    .on(ListAccountsForParentCommand, { ParentId: WORKLOADS.Id, NextToken: "AAEAAZ1-page2" })
    .resolves({ Accounts: [orgAccount("333333333333", "data-dev", "SUSPENDED")] })
    .on(ListAccountsForParentCommand, { ParentId: PROD.Id })
    .resolves({ Accounts: [orgAccount("888888888888", "new-prod-team")] });
}

describe("walkOrganization", () => {
  it("walks every OU from the root, follows NextToken, and knows each member's parents and the management account", async () => {
    mockTree();
    const tree = await walkOrganization(new OrganizationsClient({ region: "us-east-1" }));
    expect(tree.managementAccountId).toBe("111111111111");
    expect(tree.members.map((m) => [m.account.Id, m.parents])).toEqual([
      ["111111111111", [ROOT.Id]],
      ["222222222222", [WORKLOADS.Id, ROOT.Id]],
      ["333333333333", [WORKLOADS.Id, ROOT.Id]],
      ["888888888888", [PROD.Id, WORKLOADS.Id, ROOT.Id]],
    ]);
    expect(tree.units.get(PROD.Id)).toEqual({ id: PROD.Id, name: "Prod", path: "Root/Workloads/Prod" });
    expect(org).toHaveReceivedCommandWith(ListAccountsForParentCommand, { ParentId: WORKLOADS.Id, NextToken: "AAEAAZ1-page2" });
  });

  it("calls exactly the operations the scanner role is granted (ORGANIZATION_ACTIONS): the organization check, then the walk", async () => {
    mockTree();
    org.on(DescribeOrganizationCommand).resolves(describeOrganizationOutput());
    const client = new OrganizationsClient({ region: "us-east-1" });
    expect(await checkOrganization(client, "o-example0001", { file: "accounts.yaml" })).toBeUndefined();
    await walkOrganization(client);
    const called = new Set(org.calls().map((c) => `organizations:${(c.args[0] as object).constructor.name.replace(/Command$/, "")}`));
    expect(called).toEqual(new Set(ORGANIZATION_ACTIONS));
  });

  it("fails as a whole when a parent cannot be listed: half a tree would under-report who is onboarded", async () => {
    mockTree();
    org.on(ListAccountsForParentCommand, { ParentId: PROD.Id }).rejects(new TooManyRequestsException({ message: "AWS Organizations can't complete your request because another request is already in progress.", $metadata: {} }));
    await expect(walkOrganization(new OrganizationsClient({ region: "us-east-1", maxAttempts: 1 }))).rejects.toThrow(/another request/);
  });

  it("resolves OU onboarding and the coverage snapshot from the walk", async () => {
    mockTree();
    const tree = await walkOrganization(new OrganizationsClient({ region: "us-east-1" }));
    const withOus = testConfig(`
spoke: { deployment: stackset, stackSet: { administratorAccountId: "111111111111" } }
organizationalUnits:
  - { id: ${WORKLOADS.Id}, mode: remediate }
accounts:
  - { id: "222222222222", name: payments-prod, regions: [eu-west-1] }
`);
    const onboarded = resolveOnboarded(withOus, placements(tree));
    expect(onboarded.map((a) => [a.id, a.name, a.mode, a.regions, a.organizationalUnit])).toEqual([
      ["222222222222", "payments-prod", "remediate", ["eu-west-1"], WORKLOADS.Id],
      ["333333333333", "data-dev", "remediate", ["us-east-1", "eu-west-1"], WORKLOADS.Id],
      ["888888888888", "new-prod-team", "remediate", ["us-east-1", "eu-west-1"], WORKLOADS.Id],
    ]);
    const snapshot = snapshotOf(tree);
    expect(snapshot.available && snapshot.members.find((m) => m.accountId === "888888888888")).toEqual({
      accountId: "888888888888",
      name: "new-prod-team",
      state: "ACTIVE",
      organizationalUnit: { id: PROD.Id, name: "Prod", path: "Root/Workloads/Prod" },
    });
  });
});

describe("joinWithOrganization", () => {
  it("scans active members only and lists suspended, closed and missing accounts with the reason", () => {
    const plan = joinWithOrganization(
      resolveAccounts(config),
      rootMembers([
        orgAccount("222222222222", "payments-prod"),
        orgAccount("333333333333", "data-dev", "SUSPENDED"),
        orgAccount("444444444444", "shared-services"),
        orgAccount("666666666666", "closing", "PENDING_CLOSURE"),
        orgAccount("888888888888", "not-onboarded"),
      ]),
    );
    expect(plan.toScan.map((a) => a.id)).toEqual(["222222222222", "444444444444"]);
    expect(plan.listedOnly).toEqual([
      expect.objectContaining({ accountId: "333333333333", status: "suspended", regions: [], error: expect.objectContaining({ message: expect.stringContaining("SUSPENDED") }) }),
      expect.objectContaining({ accountId: "555555555555", status: "not-in-organization", error: expect.objectContaining({ code: "AccountNotInOrganization" }) }),
      expect.objectContaining({ accountId: "666666666666", status: "suspended", error: expect.objectContaining({ message: expect.stringContaining("PENDING_CLOSURE") }) }),
    ]);
  });

  it("reads the older Status field when State is absent, and CLOSED from State", () => {
    const legacy = { ...orgAccount("222222222222", "payments-prod"), State: undefined, Status: "SUSPENDED" as const };
    const plan = joinWithOrganization(resolveAccounts(config).slice(0, 2), rootMembers([legacy, orgAccount("333333333333", "data-dev", "CLOSED")]));
    expect(plan.toScan).toEqual([]);
    expect(plan.listedOnly.map((a) => a.error?.message)).toEqual([expect.stringContaining("SUSPENDED"), expect.stringContaining("CLOSED")]);
  });

  it("with StackSet spokes, reports listed accounts outside every onboarded OU and the management account instead of trying them", () => {
    const stackSets = testConfig(`
spoke: { deployment: stackset, stackSet: { administratorAccountId: "111111111111" } }
organizationalUnits: [{ id: ${WORKLOADS.Id} }]
accounts:
  - { id: "222222222222", name: payments-prod }
  - { id: "444444444444", name: shared-services }
  - { id: "111111111111", name: management, isHub: true }
`);
    const tree = {
      managementAccountId: "111111111111",
      members: [
        { account: orgAccount("111111111111", "management"), parents: [ROOT.Id] },
        { account: orgAccount("222222222222", "payments-prod"), parents: [WORKLOADS.Id, ROOT.Id] },
        { account: orgAccount("444444444444", "shared-services"), parents: [ROOT.Id] },
      ],
    };
    const plan = joinWithOrganization(resolveOnboarded(stackSets, tree.members.map((m) => ({ id: m.account.Id!, name: m.account.Name!, parents: m.parents }))), tree, stackSets);
    expect(plan.toScan.map((a) => a.id)).toEqual(["222222222222"]);
    expect(plan.listedOnly.map((a) => [a.accountId, a.status, a.error?.code])).toEqual([
      ["444444444444", "failed", "OutsideOnboardedOrganizationalUnits"],
      ["111111111111", "failed", "NoSpokeInManagementAccount"],
    ]);
  });

  it("without the member list, every account is a failed row that says why", () => {
    const plan = organizationUnavailable(resolveAccounts(config), { code: "AWSOrganizationsNotInUseException", message: "Your account is not a member of an organization." });
    expect(plan.toScan).toEqual([]);
    expect(plan.listedOnly).toHaveLength(5);
    expect(plan.listedOnly[0]).toMatchObject({ status: "failed", error: { code: "AWSOrganizationsNotInUseException" } });
  });
});
