import {
  AttachRolePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import type { Attachment } from "../../../../functions/remediation/ownership/owned.js";
import { iamManagedPolicyRemediator } from "../../../../functions/remediation/remediators/iam-managed-policy.js";
import { spokeClients, writes, remediateWith } from "../helpers.js";
import { TEST_SAFETY } from "../helpers.js";

const iam = mockClient(IAMClient);
const clients = spokeClients();
const ARN = "arn:aws:iam::111122223333:policy/ops-read";

// A role detached by hand: drift detection reports a REMOVE on Roles (the shape of PropertyDifferences, API_PropertyDifference.html).
const detached: ResourceDrift = {
  logicalResourceId: "OpsRead",
  physicalResourceId: ARN,
  resourceType: "AWS::IAM::ManagedPolicy",
  status: "MODIFIED",
  differences: [{ propertyPath: "/Roles/0", expectedValue: "ops-role", actualValue: "null", differenceType: "REMOVE" }],
};
const declared = (...roles: string[]): Attachment[] =>
  roles.map((role) => ({ kind: "managed-policy", origin: { stackName: "ops", logicalId: "OpsRead", resourceType: "AWS::IAM::ManagedPolicy" }, role, policyArn: ARN }));

let document: unknown;
beforeEach(() => {
  iam.reset();
  document = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] };
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({ Role: { RoleName, Path: "/", RoleId: "AROAEXAMPLE", Arn: `arn:aws:iam::111122223333:role/${RoleName}`, CreateDate: new Date(0) } }));
  iam.on(ListAttachedRolePoliciesCommand).callsFake(({ RoleName }) => ({ AttachedPolicies: RoleName === "other-role" ? [{ PolicyArn: ARN, PolicyName: "ops-read" }] : [] }));
  iam.on(GetPolicyCommand).resolves({ Policy: { Arn: ARN, DefaultVersionId: "v2" } });
  iam.on(GetPolicyVersionCommand).callsFake(() => ({ PolicyVersion: { VersionId: "v2", IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(document)) } }));
  iam.on(AttachRolePolicyCommand).resolves({});
});

describe("AWS::IAM::ManagedPolicy remediator (the attachment itself)", () => {
  it("re-attaches the policy to the declared roles it was detached from, only those", async () => {
    const action = await remediateWith(iamManagedPolicyRemediator, detached, clients, { declared: declared("ops-role", "other-role") });
    expect(action).toMatchObject({ outcome: "remediated", steps: [`AttachRolePolicy RoleName=ops-role PolicyArn=${ARN}`] });
  });

  it("refuses to re-attach when the policy's default version is admin-equivalent", async () => {
    document = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }] };
    const action = await remediateWith(iamManagedPolicyRemediator, detached, clients, { declared: declared("ops-role") });
    expect(action).toMatchObject({ outcome: "refused", reason: `would attach ${ARN} to ops-role: it allows iam:* on *; nothing was changed` });
    expect(writes(iam)).toEqual([]);
  });

  it("leaves a deleted policy and an unresolved role to a person", async () => {
    expect(await remediateWith(iamManagedPolicyRemediator, { ...detached, status: "DELETED", differences: [] }, clients, { declared: declared("ops-role") })).toMatchObject({ outcome: "manual" });
    const unresolved: Attachment[] = [{ kind: "managed-policy", origin: declared("x")[0]!.origin, policyArn: ARN }];
    expect(await remediateWith(iamManagedPolicyRemediator, detached, clients, { declared: unresolved })).toMatchObject({ outcome: "manual" });
  });
});

/**
 * A new default version made by hand (CreatePolicyVersion --set-as-default): drift detection
 * reports a NOT_EQUAL on PolicyDocument, ExpectedProperties carrying the template's document as
 * CloudFormation resolved it (API_StackResourceDrift.html, API_PropertyDifference.html). Version
 * lists in ListPolicyVersions' shape (IAM API Reference: VersionId, IsDefaultVersion, CreateDate).
 */
describe("AWS::IAM::ManagedPolicy remediator: a document changed by hand", () => {
  const TEMPLATE = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::ops-logs" }] };
  const WIDER = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:ListBucket", "s3:GetObject"], Resource: ["arn:aws:s3:::ops-logs", "arn:aws:s3:::ops-logs/*"] }] };
  const changed = (template: unknown): ResourceDrift => ({
    ...detached,
    expected: { PolicyDocument: template, Roles: ["ops-role"] },
    differences: [{ propertyPath: "/PolicyDocument/Statement/0/Action", expectedValue: "s3:ListBucket", actualValue: JSON.stringify(["s3:GetObject", "s3:ListBucket"]), differenceType: "NOT_EQUAL" }],
  });
  const version = (n: number, isDefault = false) => ({ VersionId: `v${n}`, IsDefaultVersion: isDefault, CreateDate: new Date(Date.UTC(2026, 0, n)) });
  let attachedTo: string[];

  beforeEach(() => {
    document = WIDER;
    attachedTo = ["ops-role"];
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: ARN, PolicyName: "ops-read" }] });
    iam.on(ListPolicyVersionsCommand).resolves({ Versions: [version(1), version(2, true)] });
    iam.on(ListEntitiesForPolicyCommand).callsFake(() => ({ PolicyRoles: attachedTo.map((RoleName) => ({ RoleName, RoleId: "AROAEXAMPLE" })), PolicyUsers: [], PolicyGroups: [] }));
    iam.on(CreatePolicyVersionCommand).resolves({ PolicyVersion: { VersionId: "v3", IsDefaultVersion: true } });
    iam.on(DeletePolicyVersionCommand).resolves({});
  });

  it("makes the template's narrower document the default version again: taking permissions away is routine", async () => {
    const action = await remediateWith(iamManagedPolicyRemediator, changed(TEMPLATE), clients, { declared: declared("ops-role") });
    expect(action).toMatchObject({ outcome: "remediated", steps: [`CreatePolicyVersion PolicyArn=${ARN} SetAsDefault=true`] });
    const sent = iam.commandCalls(CreatePolicyVersionCommand)[0]!.args[0].input;
    expect({ ...sent, PolicyDocument: JSON.parse(sent.PolicyDocument!) }).toEqual({ PolicyArn: ARN, PolicyDocument: TEMPLATE, SetAsDefault: true });
  });

  it("shows the same steps in report mode and sends nothing", async () => {
    const action = await remediateWith(iamManagedPolicyRemediator, changed(TEMPLATE), clients, { declared: declared("ops-role"), dryRun: true });
    expect(action).toMatchObject({ outcome: "planned", steps: [`CreatePolicyVersion PolicyArn=${ARN} SetAsDefault=true`] });
    expect(writes(iam)).toEqual([]);
  });

  it("with five versions, first deletes the oldest one that is not the default (IAM keeps five)", async () => {
    // The oldest version, v3, is the default again (SetDefaultPolicyVersion by hand): the oldest one not in effect is v4.
    iam.on(ListPolicyVersionsCommand).resolves({ Versions: [version(3, true), version(4), version(5), version(6), version(7)] });
    const action = await remediateWith(iamManagedPolicyRemediator, changed(TEMPLATE), clients, { declared: declared("ops-role") });
    expect(action.steps).toEqual([`DeletePolicyVersion PolicyArn=${ARN} VersionId=v4`, `CreatePolicyVersion PolicyArn=${ARN} SetAsDefault=true`]);
    expect(writes(iam)).toEqual(["DeletePolicyVersion", "CreatePolicyVersion"]);
  });

  it("refuses a restore that would grant what the live document does not, whatever the template says", async () => {
    // A person narrowed the policy by hand; the template would widen it again.
    document = TEMPLATE;
    const action = await remediateWith(iamManagedPolicyRemediator, changed(WIDER), clients, { declared: declared("ops-role") });
    expect(action).toMatchObject({
      outcome: "refused",
      reason: `would make the template's document the default version of ${ARN}: it would allow s3:ListBucket, s3:GetObject on arn:aws:s3:::ops-logs, arn:aws:s3:::ops-logs/*, which the live document does not; nothing was changed`,
    });
    expect(writes(iam)).toEqual([]);
  });

  it("refuses one that would drop a Deny a person added, and any when the policy is attached to a protected role", async () => {
    document = { Version: "2012-10-17", Statement: [...TEMPLATE.Statement, { Effect: "Deny", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] };
    expect((await remediateWith(iamManagedPolicyRemediator, changed(TEMPLATE), clients, { declared: declared("ops-role") })).reason).toContain("it would drop the live Deny of s3:* on * under a condition");
    document = WIDER;
    attachedTo = ["ops-role", "OrganizationAccountAccessRole"];
    const action = await remediateWith(iamManagedPolicyRemediator, changed(TEMPLATE), clients, { declared: declared("ops-role") });
    expect(action).toMatchObject({ outcome: "refused" });
    expect(action.reason).toContain("it is attached to a protected role: OrganizationAccountAccessRole is a protected role");
    expect(writes(iam)).toEqual([]);
  });

  it("leaves a document it cannot judge to a person", async () => {
    iam.on(GetPolicyVersionCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));
    expect(await remediateWith(iamManagedPolicyRemediator, changed(TEMPLATE), clients, { declared: declared("ops-role") })).toMatchObject({ outcome: "manual" });
    expect(TEST_SAFETY.protectedRoles.length).toBeGreaterThan(0);
  });
});
