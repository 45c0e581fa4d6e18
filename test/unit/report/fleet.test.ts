import { describe, expect, it } from "vitest";
import { fleetGroups, fleetText } from "../../../functions/report/fleet.js";
import { driftedItems } from "../../../functions/report/view.js";
import { renderHtml } from "../../../functions/report/html.js";
import { unpacked } from "./unpack.js";
import { summaryText } from "../../../functions/report/summary.js";
import type { AccountReport, ResourceReport } from "../../../functions/core/types.js";
import { resource, sampleReport } from "./sample.js";

const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const alice = (accountId: string) => ({ arn: `arn:aws:sts::${accountId}:assumed-role/AWSReservedSSO_Admin_0123/alice`, type: "AssumedRole", eventName: "AttachRolePolicy", source: "cloudtrail-lookup" as const });

/** AdministratorAccess attached to a role at list position `at` by alice in `accountId`. */
const attached = (accountId: string, id: string, at: number): ResourceReport =>
  resource({ logicalResourceId: id, differences: [{ propertyPath: `/ManagedPolicyArns/${at}`, expectedValue: "null", actualValue: ADMIN, differenceType: "ADD" }], changedBy: alice(accountId) });

function org(resources: Record<string, ResourceReport[]>): AccountReport[] {
  return Object.entries(resources).map(([accountId, rs]) => ({
    accountId,
    name: `team-${accountId.slice(-3)}`,
    status: "scanned",
    mode: "remediate",
    regions: [{ region: "us-east-1", status: "scanned", stacks: [{ stackName: "app", scan: "scanned", driftStatus: "DRIFTED", exemption: { kind: "none" }, resources: rs }] }],
  }));
}

describe("fleet grouping", () => {
  it("makes one row of the same change by the same person across roles and accounts, whatever the list position", () => {
    const report = sampleReport(
      org({
        "111111111111": [attached("111111111111", "RoleA", 1), attached("111111111111", "RoleB", 3)],
        "222222222222": [attached("222222222222", "RoleC", 0), resource({ logicalResourceId: "Other", changedBy: { ...alice("222222222222"), arn: "arn:aws:sts::222222222222:assumed-role/Admin/bob" } })],
      }),
      [],
    );
    const items = driftedItems(report);
    const groups = fleetGroups(items);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.items.map((i) => items[i]!.resource.logicalResourceId)).toEqual(["RoleA", "RoleB", "RoleC"]);
    const text = `${ADMIN} added at /ManagedPolicyArns/* on 3 AWS::IAM::Role in 2 accounts by arn:aws:sts::*:assumed-role/AWSReservedSSO_Admin_0123/alice (AttachRolePolicy)`;
    expect(fleetText(groups[0]!)).toBe(text);
    // One expandable row, each resource linking its detail.
    const html = unpacked(renderHtml(report));
    const fleet = html.slice(html.indexOf('id="fleet"'), html.indexOf("<nav>"));
    expect(fleet).toContain(`<details><summary>${text}</summary>`);
    for (const m of fleet.matchAll(/href="#(r-\d+)">(Role[ABC])</g)) expect(html).toMatch(new RegExp(`<div class="res" id="${m[1]}"[^>]*><h4>${m[2]} `));
    expect([...fleet.matchAll(/href="#r-\d+">/g)]).toHaveLength(3);
    expect(summaryText(report, {})).toContain(`Same change on many resources (1)\n- ${text}`);
  });

  it("keeps different values, properties and actors apart, and one-off changes out", () => {
    const other = (id: string, value: string) => ({ ...attached("111111111111", id, 1), differences: [{ propertyPath: "/ManagedPolicyArns/1", expectedValue: "null", actualValue: value, differenceType: "ADD" as const }] });
    const report = sampleReport(org({ "111111111111": [other("A", ADMIN), other("B", "arn:aws:iam::aws:policy/ReadOnlyAccess"), { ...attached("111111111111", "C", 1), changedBy: undefined }] }), []);
    expect(fleetGroups(driftedItems(report))).toEqual([]);
  });
});
