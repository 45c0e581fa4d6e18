import {
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
  type PolicyVersion,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import { NOTHING_OWNED, type Attachment } from "../../../../functions/remediation/ownership/owned.js";
import type { Plan, PlannedStep } from "../../../../functions/remediation/plan.js";
import { iamManagedPolicyRemediator, versionToMakeRoomFor } from "../../../../functions/remediation/remediators/iam-managed-policy.js";
import { spokeClients } from "../helpers.js";

/**
 * The ManagedPolicy remediator's document restore, step by step: which version makes room, what
 * each step does and tells the invariants, when a person gets the drift, and which document the
 * roles re-attached after a restore get. Found missing by `npm run mutation` (issue 20): the
 * remediator's own tests checked the restore's call lines and outcome, so the version order, the
 * effects the invariants judge and the manual reasons could all change unnoticed.
 *
 * Shapes: ListPolicyVersions' PolicyVersion (VersionId, IsDefaultVersion, CreateDate) and
 * ListEntitiesForPolicy's PolicyRoles (RoleName, RoleId), IAM API Reference; drift as
 * DetectStackResourceDrift reports it (API_StackResourceDrift.html, API_PropertyDifference.html).
 */

const iam = mockClient(IAMClient);
const clients = spokeClients();
const ARN = "arn:aws:iam::111122223333:policy/ops-read";
const TEMPLATE = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::ops-logs" }] };
const WIDER = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:ListBucket", "s3:GetObject"], Resource: "arn:aws:s3:::ops-logs" }] };
const origin = { stackName: "ops", logicalId: "OpsRead", resourceType: "AWS::IAM::ManagedPolicy" };
const declared = (...roles: string[]): Attachment[] => roles.map((role) => ({ kind: "managed-policy", origin, role, policyArn: ARN }));
const day = (n: number) => new Date(Date.UTC(2026, 0, n));
const version = (n: number, isDefault = false): PolicyVersion => ({ VersionId: `v${n}`, IsDefaultVersion: isDefault, CreateDate: day(n) });
const roleTarget = (name: string) => ({ name, path: "/" });

const documentDrift = (propertyPath = "/PolicyDocument/Statement/0/Action", expected: Record<string, unknown> | null = { PolicyDocument: TEMPLATE, Roles: ["ops-role"] }): ResourceDrift => ({
  logicalResourceId: "OpsRead",
  physicalResourceId: ARN,
  resourceType: "AWS::IAM::ManagedPolicy",
  status: "MODIFIED",
  ...(expected ? { expected } : {}),
  differences: [{ propertyPath, expectedValue: "s3:ListBucket", actualValue: JSON.stringify(["s3:ListBucket", "s3:GetObject"]), differenceType: "NOT_EQUAL" }],
});

let live: unknown;
let attached: string[];
beforeEach(() => {
  iam.reset();
  live = WIDER;
  attached = ["ops-role"];
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({ Role: { RoleName, Path: "/", RoleId: "AROAEXAMPLE", Arn: `arn:aws:iam::111122223333:role/${RoleName}`, CreateDate: new Date(0) } }));
  iam.on(ListAttachedRolePoliciesCommand).callsFake(({ RoleName }) => ({ AttachedPolicies: attached.includes(RoleName) ? [{ PolicyArn: ARN, PolicyName: "ops-read" }] : [] }));
  iam.on(GetPolicyCommand).resolves({ Policy: { Arn: ARN, DefaultVersionId: "v2" } });
  iam.on(GetPolicyVersionCommand).callsFake(() => ({ PolicyVersion: { VersionId: "v2", IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(live)) } }));
  iam.on(ListPolicyVersionsCommand).resolves({ Versions: [version(1), version(2, true)] });
  iam.on(ListEntitiesForPolicyCommand).resolves({ PolicyRoles: [{ RoleName: "ops-role", RoleId: "AROAEXAMPLE1" }] });
  iam.on(CreatePolicyVersionCommand).resolves({ PolicyVersion: { VersionId: "v3", IsDefaultVersion: true } });
  iam.on(DeletePolicyVersionCommand).resolves({});
});

const plan = (drift: ResourceDrift, attachments: readonly Attachment[] = declared("ops-role")): Promise<Plan> =>
  iamManagedPolicyRemediator.plan({ drift, clients, owned: NOTHING_OWNED, declared: attachments });
async function steps(drift: ResourceDrift, attachments?: readonly Attachment[]): Promise<PlannedStep[]> {
  const planned = await plan(drift, attachments);
  if ("manual" in planned) throw new Error(`expected steps, got manual: ${planned.manual}`);
  return planned.steps;
}

describe("versionToMakeRoomFor", () => {
  it("makes no room while IAM holds fewer than five versions", () => {
    expect(versionToMakeRoomFor([version(1), version(2), version(3), version(4, true)])).toBeUndefined();
  });

  it("picks the oldest version by CreateDate that is not the default, whatever order IAM lists them in", () => {
    const list = [version(6), version(4), version(3, true), version(7), version(5)];
    expect(versionToMakeRoomFor(list)?.VersionId).toBe("v4");
    expect(list.map((v) => v.VersionId)).toEqual(["v6", "v4", "v3", "v7", "v5"]); // the caller's list is left as it was
  });

  it("counts a version without a CreateDate as the oldest", () => {
    const undated: PolicyVersion = { VersionId: "v9", IsDefaultVersion: false };
    expect(versionToMakeRoomFor([version(6), version(4, true), undated, version(7), version(5)])?.VersionId).toBe("v9");
    expect(versionToMakeRoomFor([version(6), undated, version(4, true), version(7), version(5)])?.VersionId).toBe("v9");
  });
});

describe("AWS::IAM::ManagedPolicy remediator: the document restore's steps", () => {
  it("restores the document whether CloudFormation reports the whole document or a path inside it", async () => {
    for (const path of ["/PolicyDocument", "/PolicyDocument/Statement/0/Action"]) {
      expect((await steps(documentDrift(path))).map((s) => s.call)).toEqual([`CreatePolicyVersion PolicyArn=${ARN} SetAsDefault=true`]);
    }
  });

  it("says what the restore does and gives the invariants the template's document, the live one and every role it is attached to", async () => {
    iam.on(ListEntitiesForPolicyCommand).resolvesOnce({ PolicyRoles: [{ RoleName: "ops-role", RoleId: "AROAEXAMPLE1" }], IsTruncated: true, Marker: "m1" }).resolvesOnce({ PolicyRoles: [{ RoleName: "audit-role", RoleId: "AROAEXAMPLE2" }, { RoleId: "AROAEXAMPLE3" }] });
    const [create] = await steps(documentDrift());
    expect(create!.summary).toBe(`restore the document of ${ARN} as its default version`);
    expect(create!.effect).toEqual({ kind: "set-policy-document", policyArn: ARN, document: TEMPLATE, previous: WIDER, attachedTo: [roleTarget("ops-role"), roleTarget("audit-role")] });
    expect(create!.effects).toEqual([{ path: "/PolicyDocument", value: TEMPLATE }]);
    // Both pages asked for roles of this policy (the paginator reuses one input object, so only these fields are compared).
    expect(iam.commandCalls(ListEntitiesForPolicyCommand).map((c) => ({ PolicyArn: c.args[0].input.PolicyArn, EntityFilter: c.args[0].input.EntityFilter }))).toEqual([
      { PolicyArn: ARN, EntityFilter: "Role" },
      { PolicyArn: ARN, EntityFilter: "Role" },
    ]);
    expect(iam.commandCalls(ListPolicyVersionsCommand).map((c) => c.args[0].input)).toEqual([{ PolicyArn: ARN }]);
  });

  it("reads a page of the policy's entities that has no roles as none", async () => {
    iam.on(ListEntitiesForPolicyCommand).resolves({ PolicyUsers: [{ UserName: "dev", UserId: "AIDAEXAMPLE" }] });
    const [create] = await steps(documentDrift());
    expect(create!.effect).toMatchObject({ kind: "set-policy-document", attachedTo: [] });
  });

  it("with five versions, the step that makes room names and deletes exactly the version it picked", async () => {
    iam.on(ListPolicyVersionsCommand).resolves({ Versions: [version(6), version(4), version(3, true), version(7), version(5)] });
    const planned = await steps(documentDrift());
    expect(planned.map((s) => s.call)).toEqual([`DeletePolicyVersion PolicyArn=${ARN} VersionId=v4`, `CreatePolicyVersion PolicyArn=${ARN} SetAsDefault=true`]);
    const [remove] = planned;
    expect(remove!.summary).toBe(`delete version v4 of ${ARN} (IAM keeps 5)`);
    expect(remove!.effect).toEqual({ kind: "delete-policy-version", policyArn: ARN, versionId: "v4" });
    await remove!.send();
    expect(iam.commandCalls(DeletePolicyVersionCommand).map((c) => c.args[0].input)).toEqual([{ PolicyArn: ARN, VersionId: "v4" }]);
  });

  it("with four versions deletes none", async () => {
    iam.on(ListPolicyVersionsCommand).resolves({ Versions: [version(1), version(2), version(3), version(4, true)] });
    expect((await steps(documentDrift())).map((s) => s.call)).toEqual([`CreatePolicyVersion PolicyArn=${ARN} SetAsDefault=true`]);
  });

  it("plans nothing when the live default version already says what the template says", async () => {
    live = TEMPLATE;
    expect(await steps(documentDrift())).toEqual([]);
    expect(iam.commandCalls(ListPolicyVersionsCommand)).toEqual([]);
  });

  it("gives roles re-attached after a restore the restored document, never the one made by hand", async () => {
    attached = [];
    const drift: ResourceDrift = {
      ...documentDrift(),
      differences: [...documentDrift().differences, { propertyPath: "/Roles/0", expectedValue: "ops-role", actualValue: "null", differenceType: "REMOVE" }],
    };
    const planned = await steps(drift);
    expect(planned.map((s) => s.call)).toEqual([`CreatePolicyVersion PolicyArn=${ARN} SetAsDefault=true`, `AttachRolePolicy RoleName=ops-role PolicyArn=${ARN}`]);
    expect(planned[1]!.effect).toEqual({ kind: "attach-role-policy", role: roleTarget("ops-role"), policyArn: ARN, document: TEMPLATE });
  });

  it("leaves to a person a document drift without the template's document, and one whose live document cannot be read", async () => {
    expect(await plan(documentDrift(undefined, null))).toEqual({ manual: `CloudFormation reported no expected PolicyDocument for ${ARN}: update the stack` });
    expect(await plan(documentDrift(undefined, { Roles: ["ops-role"] }))).toEqual({ manual: `CloudFormation reported no expected PolicyDocument for ${ARN}: update the stack` });
    iam.on(GetPolicyCommand).resolves({ Policy: { Arn: ARN } });
    expect(await plan(documentDrift())).toEqual({ manual: `the default version of ${ARN} could not be read, so a restore cannot be judged: update the stack` });
    expect(iam.commandCalls(CreatePolicyVersionCommand)).toEqual([]);
  });
});
