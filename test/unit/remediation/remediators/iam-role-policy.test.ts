import { GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import type { Attachment } from "../../../../functions/remediation/ownership/owned.js";
import { iamRolePolicyRemediator } from "../../../../functions/remediation/remediators/iam-role-policy.js";
import { awsError, spokeClients, writes, remediateWith } from "../helpers.js";

const iam = mockClient(IAMClient);
const clients = spokeClients();
const LOGS = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" }] };
const ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

// DELETED drift has no ExpectedProperties (API_StackResourceDrift.html): the content comes from the template.
const deleted: ResourceDrift = { logicalResourceId: "OpsInline", physicalResourceId: "ops-s-OpsIn-1AB2", resourceType: "AWS::IAM::RolePolicy", status: "DELETED", differences: [] };
const declared = (role: string, document: unknown): Attachment[] => [
  { kind: "inline-policy", origin: { stackName: "ops", logicalId: "OpsInline", resourceType: "AWS::IAM::RolePolicy" }, role, policyName: "ops-inline", document },
];

let live: unknown;
beforeEach(() => {
  iam.reset();
  live = undefined;
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({ Role: { RoleName, Path: "/", RoleId: "AROAEXAMPLE", Arn: `arn:aws:iam::111122223333:role/${RoleName}`, CreateDate: new Date(0) } }));
  iam.on(GetRolePolicyCommand).callsFake(({ RoleName, PolicyName }) => {
    if (live === undefined) throw awsError("NoSuchEntityException", `The role policy with name ${PolicyName} cannot be found.`);
    // IAM returns documents URL-encoded (API_GetRolePolicy.html).
    return { RoleName, PolicyName, PolicyDocument: encodeURIComponent(JSON.stringify(live)) };
  });
  iam.on(PutRolePolicyCommand).resolves({});
});

describe("AWS::IAM::RolePolicy remediator (the attachment itself)", () => {
  it("recreates the inline policy deleted by hand from the template's document", async () => {
    const action = await remediateWith(iamRolePolicyRemediator, deleted, clients, { declared: declared("ops-role", LOGS) });
    expect(action).toMatchObject({ outcome: "remediated", steps: ["PutRolePolicy RoleName=ops-role PolicyName=ops-inline"] });
    expect(JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!)).toEqual(LOGS);
  });

  it("plans nothing when the live document already matches", async () => {
    live = LOGS;
    expect((await remediateWith(iamRolePolicyRemediator, { ...deleted, status: "MODIFIED" }, clients, { declared: declared("ops-role", LOGS) })).outcome).toBe("skipped");
  });

  it("refuses an admin document and any write to a protected role, sending nothing", async () => {
    const admin = await remediateWith(iamRolePolicyRemediator, deleted, clients, { declared: declared("ops-role", ALL) });
    expect(admin).toMatchObject({ outcome: "refused", reason: "would put inline policy ops-inline on ops-role: it allows * on *; nothing was changed" });
    const protectedRole = await remediateWith(iamRolePolicyRemediator, deleted, clients, { declared: declared("OrganizationAccountAccessRole", LOGS) });
    expect(protectedRole.outcome).toBe("refused");
    expect(protectedRole.reason).toContain("OrganizationAccountAccessRole is a protected role");
    expect(writes(iam)).toEqual([]);
  });

  it("leaves a document it could not resolve to a person", async () => {
    const unresolved: Attachment[] = [{ kind: "inline-policy", origin: declared("r", LOGS)[0]!.origin, role: "ops-role", policyName: "ops-inline" }];
    expect(await remediateWith(iamRolePolicyRemediator, deleted, clients, { declared: unresolved })).toMatchObject({ outcome: "manual" });
  });
});
