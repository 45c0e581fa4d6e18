import { GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import { NOTHING_OWNED, type Attachment } from "../../../../functions/remediation/ownership/owned.js";
import type { Plan } from "../../../../functions/remediation/plan.js";
import { iamRolePolicyRemediator } from "../../../../functions/remediation/remediators/iam-role-policy.js";
import { awsError, spokeClients } from "../helpers.js";

/**
 * The RolePolicy remediator's plan beyond "recreate what was deleted": a document changed by hand
 * is restored (and said so), CloudFormation is told the declared document is back, only the
 * inline-policy attachment is used, and an IAM failure other than "not found" is not mistaken for
 * a deleted policy. Found missing by `npm run mutation` (issue 20).
 */

const iam = mockClient(IAMClient);
const clients = spokeClients();
const LOGS = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" }] };
const WIDER = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["logs:PutLogEvents", "s3:GetObject"], Resource: "*" }] };
const origin = { stackName: "ops", logicalId: "OpsInline", resourceType: "AWS::IAM::RolePolicy" };

// A document edited by hand: MODIFIED on PolicyDocument (API_StackResourceDrift.html).
const modified: ResourceDrift = {
  logicalResourceId: "OpsInline",
  physicalResourceId: "ops-s-OpsIn-1AB2",
  resourceType: "AWS::IAM::RolePolicy",
  status: "MODIFIED",
  differences: [{ propertyPath: "/PolicyDocument/Statement/0/Action", expectedValue: "logs:PutLogEvents", actualValue: '["logs:PutLogEvents","s3:GetObject"]', differenceType: "NOT_EQUAL" }],
};
const inline = (over: Partial<Attachment & { kind: "inline-policy" }> = {}): Attachment => ({ kind: "inline-policy", origin, role: "ops-role", policyName: "ops-inline", document: LOGS, ...over });

let live: unknown;
let failure: Error | undefined;
beforeEach(() => {
  iam.reset();
  live = WIDER;
  failure = undefined;
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({ Role: { RoleName, Path: "/", RoleId: "AROAEXAMPLE", Arn: `arn:aws:iam::111122223333:role/${RoleName}`, CreateDate: new Date(0) } }));
  iam.on(GetRolePolicyCommand).callsFake(({ RoleName, PolicyName }) => {
    if (failure) throw failure;
    // IAM returns documents URL-encoded (API_GetRolePolicy.html).
    return { RoleName, PolicyName, PolicyDocument: encodeURIComponent(JSON.stringify(live)) };
  });
  iam.on(PutRolePolicyCommand).resolves({});
});

const plan = (declared: readonly Attachment[], drift: ResourceDrift = modified): Promise<Plan> => iamRolePolicyRemediator.plan({ drift, clients, owned: NOTHING_OWNED, declared });

describe("AWS::IAM::RolePolicy remediator: restoring a changed document", () => {
  it("restores the declared document over one widened by hand, and tells CloudFormation the declared document is back", async () => {
    const planned = await plan([inline()]);
    expect("steps" in planned && planned.steps).toMatchObject([
      { call: "PutRolePolicy RoleName=ops-role PolicyName=ops-inline", summary: "restore inline policy ops-inline on ops-role", effects: [{ path: "/PolicyDocument", value: LOGS }] },
    ]);
    if (!("steps" in planned)) throw new Error("expected steps");
    await planned.steps[0]!.send();
    expect(iam.commandCalls(PutRolePolicyCommand).map((c) => ({ ...c.args[0].input, PolicyDocument: JSON.parse(c.args[0].input.PolicyDocument!) }))).toEqual([
      { RoleName: "ops-role", PolicyName: "ops-inline", PolicyDocument: LOGS },
    ]);
  });

  it("says it recreates a policy that is gone (NoSuchEntity, the error code IAM's query API returns)", async () => {
    failure = awsError("NoSuchEntity", "The role policy with name ops-inline cannot be found.");
    const planned = await plan([inline()], { ...modified, status: "DELETED", differences: [] });
    expect("steps" in planned && planned.steps.map((s) => s.summary)).toEqual(["recreate inline policy ops-inline on ops-role"]);
  });

  it("fails the plan on an IAM error other than not found, instead of recreating a policy that may exist", async () => {
    failure = awsError("AccessDenied", "User is not authorized to perform: iam:GetRolePolicy");
    await expect(plan([inline()])).rejects.toThrow("not authorized");
  });

  it("uses the inline-policy attachment even when another kind is declared first", async () => {
    const managed: Attachment = { kind: "managed-policy", origin, role: "other-role", policyArn: "arn:aws:iam::111122223333:policy/x" };
    const planned = await plan([managed, inline()]);
    expect("steps" in planned && planned.steps.map((s) => s.call)).toEqual(["PutRolePolicy RoleName=ops-role PolicyName=ops-inline"]);
  });

  it("leaves a role or a policy name it could not resolve to a person, naming the resource", async () => {
    const reason = "the role, name or document of AWS::IAM::RolePolicy OpsInline could not be resolved from its template: update the stack";
    const { role: _role, ...noRole } = inline() as Attachment & { kind: "inline-policy" };
    const { policyName: _name, ...noName } = inline() as Attachment & { kind: "inline-policy" };
    expect(await plan([noRole])).toEqual({ manual: reason });
    expect(await plan([noName])).toEqual({ manual: reason });
    expect(await plan([])).toEqual({ manual: reason });
  });
});
