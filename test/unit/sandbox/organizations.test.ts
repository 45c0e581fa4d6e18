import { DescribeOrganizationCommand, ListAccountsCommand, OrganizationsClient, paginateListAccounts } from "@aws-sdk/client-organizations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/server.js";
import { clientConfig, failure, HUB, MANAGEMENT, ORG_ID, OUTSIDER, startTestSandbox, WORKLOAD } from "./helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ accounts: [{ id: WORKLOAD, name: "workload" }, { id: OUTSIDER, name: "outsider", status: "SUSPENDED" }] });
});
afterAll(() => sandbox.close());

describe("organizations", () => {
  it("lists every account, page by page, for the hub as delegated administrator", async () => {
    const org = new OrganizationsClient(clientConfig(sandbox, sandbox.hubCredentials));
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
});
