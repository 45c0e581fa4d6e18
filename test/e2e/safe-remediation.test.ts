import { Logger } from "@aws-lambda-powertools/logger";
import { createHubClients } from "../../functions/aws/clients.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/accounts-file/index.js";
import { REPORT_SCHEMA_VERSION, type ResourceReport, type RunReport, type StackReport } from "../../functions/core/types.js";
import { invokeHub, publishedMessages } from "../../sandbox/harness/run-local.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { allow, publishedReport, template, trust } from "../support/e2e.js";
import { startTestSandbox } from "../support/sandbox.js";
import { regionOf, type AccountState } from "../../sandbox/emulator/state.js";
import type { CloudTrailBridgeEvent } from "../../sandbox/emulator/services/cloudtrail/record.js";
import { handleChangeEvent } from "../../functions/events/handle.js";
import { RecentIds } from "../../functions/events/recent-ids.js";
import type { EventDeps } from "../../functions/events/types.js";
import { eventDeps } from "../../functions/runtime/wiring.js";
import { fakeMetrics } from "../unit/events/helpers.js";

/**
 * Safe remediation on real stack shapes, end to end (issue 11): the real handler in remediate
 * mode against the sandbox, whose CloudFormation applies attachment resources to live state and
 * analyses same-stack attachments before the drift comparison, as the user guide documents.
 * - A role with a separate AWS::IAM::Policy and an AWS::IAM::ManagedPolicy attachment (the
 *   shapes CDK's role.addToPolicy and ManagedPolicy({ roles }) synthesize), drifted by hand.
 * - A security group whose rule comes from an AWS::EC2::SecurityGroupIngress in another stack,
 *   drifted by hand (CloudFormation reports the other stack's rule as drift: it "cannot perform
 *   this analysis across stacks").
 * - Escalation attempts, each made the way a member-account user with CloudFormation rights can
 *   in AWS: resource import (IMPORT change sets: "During an import operation, CloudFormation
 *   doesn't check that the template configuration matches the actual configuration", AWS
 *   CloudFormation User Guide, resource-import.html) of resources no stack owns —
 *   OrganizationAccountAccessRole, the spoke role (terraform owns it, not CloudFormation), a
 *   security group made by hand — with a template that grants; and, for another stack's group,
 *   which IMPORT refuses ("already exists in stack", the resource belongs to one stack only), an
 *   AWS::EC2::SecurityGroupIngress in the attacker's own stack targeting it. Each is then
 *   drifted by hand, and driftguard's "repair" would grant: it must end `refused` with no write
 *   sent.
 */

const HUB = "111111111111";
const WORKLOAD = "222222222222";
const OUTSIDE = "555566667777";
/** Listed in accounts.yaml, no longer in the organization: it still exists, as a standalone account. */
const LEFT = "333344445555";
const ORG = "o-safety00001";
const REGION = "us-east-1";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const SSM = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

const config = parseConfig(
  `
version: 1
organization: { id: ${ORG} }
hub: { accountId: "${HUB}", region: ${REGION} }
defaults: { regions: [${REGION}], mode: remediate, revertDrift: { stacks: ["revert-*"] } }
accounts:
  - { id: "${WORKLOAD}", name: workload }
`,
  "safe-remediation-accounts.yaml",
);


const APP_IAM = template({
  AppRole: {
    Type: "AWS::IAM::Role",
    Properties: {
      RoleName: "app-role",
      AssumeRolePolicyDocument: trust({ Service: "ec2.amazonaws.com" }),
      ManagedPolicyArns: [SSM],
      Policies: [{ PolicyName: "base", PolicyDocument: allow("s3:GetObject", "arn:aws:s3:::app-artifacts/*") }],
    },
  },
  AppRoleDefaultPolicy: { Type: "AWS::IAM::Policy", Properties: { PolicyName: "AppRoleDefaultPolicy", PolicyDocument: allow("sqs:SendMessage"), Roles: [{ Ref: "AppRole" }] } },
  ReadLedger: { Type: "AWS::IAM::ManagedPolicy", Properties: { ManagedPolicyName: "read-ledger", PolicyDocument: allow("dynamodb:GetItem"), Roles: [{ Ref: "AppRole" }] } },
});
// The cross-stack shape CDK synthesizes: the producer exports the group id, the consumer imports it.
const DB = JSON.stringify({
  Resources: {
    DbSg: {
      Type: "AWS::EC2::SecurityGroup",
      Properties: { GroupDescription: "database", SecurityGroupIngress: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIp: "10.0.0.0/16" }] },
    },
  },
  Outputs: { DbSgGroupId: { Value: { "Fn::GetAtt": ["DbSg", "GroupId"] }, Export: { Name: "db:ExportsOutputFnGetAttDbSgGroupId" } } },
});
const APP_NET = template({
  AppToDb: {
    Type: "AWS::EC2::SecurityGroupIngress",
    Properties: { GroupId: { "Fn::ImportValue": "db:ExportsOutputFnGetAttDbSgGroupId" }, IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIp: "10.1.0.0/16", Description: "app subnets" },
  },
});
const retained = (type: string, properties: Record<string, unknown>) => ({ Claimed: { Type: type, DeletionPolicy: "Retain", Properties: properties } });
const CLAIM_ROLE = (roleName: string) =>
  template(retained("AWS::IAM::Role", { RoleName: roleName, AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${OUTSIDE}:root` }), ManagedPolicyArns: [ADMIN] }));
const WORLD_OPEN = { IpProtocol: "-1", CidrIp: "0.0.0.0/0" };
const CLAIM_SG = template(retained("AWS::EC2::SecurityGroup", { GroupDescription: "claim", SecurityGroupIngress: [WORLD_OPEN] }));
// The attacker's own stack opens the victim's group through an attachment (the shape CDK's connections.allowFrom emits).
const OPEN_DB = template({ OpenDb: { Type: "AWS::EC2::SecurityGroupIngress", Properties: { GroupId: { "Fn::ImportValue": "db:ExportsOutputFnGetAttDbSgGroupId" }, ...WORLD_OPEN } } });
// CDK's shapes for a role whose permissions live in attachments only: role.addToPolicy with a
// RolePolicy-style inline policy, and ManagedPolicy({ roles }).
const OPS_IAM = template({
  OpsRole: { Type: "AWS::IAM::Role", Properties: { RoleName: "ops-role", AssumeRolePolicyDocument: trust({ Service: "lambda.amazonaws.com" }) } },
  OpsInline: { Type: "AWS::IAM::RolePolicy", Properties: { RoleName: { Ref: "OpsRole" }, PolicyName: "ops-inline", PolicyDocument: allow("logs:PutLogEvents") } },
  OpsRead: { Type: "AWS::IAM::ManagedPolicy", Properties: { ManagedPolicyName: "ops-read", PolicyDocument: allow("s3:ListBucket"), Roles: [{ Ref: "OpsRole" }] } },
});
// The attacker's own stack puts an admin inline policy on another team's role.
const BACKDOOR = template({ Backdoor: { Type: "AWS::IAM::RolePolicy", Properties: { RoleName: "ops-role", PolicyName: "backdoor", PolicyDocument: allow("*") } } });
const LEDGER = `arn:aws:iam::${WORKLOAD}:policy/read-ledger`;
const SHARED = `arn:aws:iam::${WORKLOAD}:policy/shared-write`;
const SHARED_IAM = template({ SharedWrite: { Type: "AWS::IAM::ManagedPolicy", Properties: { ManagedPolicyName: "shared-write", PolicyDocument: allow("s3:*", "arn:aws:s3:::shared/*") } } });
const REVERT_TRUST = template({ PartnerRole: { Type: "AWS::IAM::Role", Properties: { RoleName: "partner-role", AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${OUTSIDE}:root` }) } } });

let sandbox: Sandbox;
let report: RunReport;
let before: Record<"orgAccess" | "spoke" | "partnerTrust" | "handMade" | "dbSg", string>;
let imports: Record<"orgAccess" | "spoke" | "handMade" | "dbSg", ChangeSetView>;
let handMadeGroup: string;
let trailMark: number;

const account = (): AccountState => sandbox.world.accounts.get(WORKLOAD)!;
const region = () => regionOf(account(), REGION);
const call = (service: string, action: string, params: unknown) => sandbox.dispatch(WORKLOAD, REGION, service, action, params);
const createStack = (StackName: string, TemplateBody: string, parameters: Record<string, string> = {}) =>
  call("cloudformation", "CreateStack", {
    StackName,
    TemplateBody,
    Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    Capabilities: ["CAPABILITY_NAMED_IAM"],
  });
const physical = (stackName: string, logicalId: string) => region().stacks.find((s) => s.stackName === stackName)!.resources.find((r) => r.logicalId === logicalId)!.physicalId;

interface ChangeSetView {
  Status: string;
  StatusReason?: string;
}

/** A new stack that imports one existing resource (resource-import-new-stack.html): IMPORT change set, then execute. */
async function importInto(stackName: string, templateBody: string, resourceType: string, identifier: Record<string, string>): Promise<ChangeSetView> {
  const names = { StackName: stackName, ChangeSetName: "claim" };
  await call("cloudformation", "CreateChangeSet", {
    ...names,
    ChangeSetType: "IMPORT",
    TemplateBody: templateBody,
    ResourcesToImport: [{ ResourceType: resourceType, LogicalResourceId: "Claimed", ResourceIdentifier: identifier }],
    Capabilities: ["CAPABILITY_NAMED_IAM"],
  });
  const view = (await call("cloudformation", "DescribeChangeSet", names)) as ChangeSetView;
  if (view.Status === "CREATE_COMPLETE") await call("cloudformation", "ExecuteChangeSet", names);
  return view;
}

const roleState = (name: string) => {
  const r = account().roles.get(name)!;
  return JSON.stringify({ trust: r.assumeRolePolicyDocument, managed: [...r.managedPolicyArns].sort(), inline: r.inlinePolicies });
};
const groupState = (groupId: string) => JSON.stringify(region().securityGroups.get(groupId)!.ingress.map((r) => ({ ...r, ruleId: undefined })));
/** The workload account's CloudTrail in REGION, us-east-1, where IAM's events live too. */
const trail = () => region().cloudTrail ?? [];
/** Writes sent during the run whose request names `target` (CloudFormation's own calls aside). */
const writesNaming = (target: string) =>
  trail()
    .slice(trailMark)
    .filter((e) => !e.readOnly && e.eventSource !== "cloudformation.amazonaws.com" && JSON.stringify(e.record.requestParameters ?? {}).includes(target))
    .map((e) => e.eventName);
const stack = (name: string): StackReport => report.accounts[0]!.regions[0]!.stacks.find((s) => s.stackName === name)!;
const resource = (stackName: string, logicalId: string): ResourceReport => stack(stackName).resources.find((r) => r.logicalResourceId === logicalId)!;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: { organization: { managementAccount: "999999999999", id: ORG }, accounts: [{ id: WORKLOAD, name: "workload" }], accountsOutsideOrganization: [OUTSIDE, LEFT] }, config });
  // AWS Organizations creates the role in accounts it creates; this one was invited and made it by hand.
  if (!account().roles.has("OrganizationAccountAccessRole")) {
    await call("iam", "CreateRole", { RoleName: "OrganizationAccountAccessRole", AssumeRolePolicyDocument: JSON.stringify(trust({ AWS: "arn:aws:iam::999999999999:root" })) });
  }
  await call("iam", "AttachRolePolicy", { RoleName: "OrganizationAccountAccessRole", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
  const handMade = (await call("ec2", "CreateSecurityGroup", { GroupName: "hand-made", Description: "made in the console" })) as { GroupId: string };

  await createStack("app-iam", APP_IAM);
  await createStack("db", DB);
  await createStack("app-net", APP_NET);
  await createStack("revert-partner", REVERT_TRUST);
  await createStack("ops-iam", OPS_IAM);
  await createStack("backdoor", BACKDOOR);
  await createStack("shared-iam", SHARED_IAM);
  imports = {
    orgAccess: await importInto("claim-org-access", CLAIM_ROLE("OrganizationAccountAccessRole"), "AWS::IAM::Role", { RoleName: "OrganizationAccountAccessRole" }),
    spoke: await importInto("claim-spoke", CLAIM_ROLE(config.spoke.roleName), "AWS::IAM::Role", { RoleName: config.spoke.roleName }),
    handMade: await importInto("claim-hand-made-sg", CLAIM_SG, "AWS::EC2::SecurityGroup", { Id: handMade.GroupId }),
    dbSg: await importInto("claim-db-sg-import", CLAIM_SG, "AWS::EC2::SecurityGroup", { Id: physical("db", "DbSg") }),
  };
  handMadeGroup = handMade.GroupId;
  // Real IMPORT refuses the other stack's group, so the attacker attaches a rule from a stack of their own.
  await createStack("open-db", OPEN_DB);

  // Drift by hand: real drift on the role and the group, a trust policy narrowed to the organization.
  await call("iam", "AttachRolePolicy", { RoleName: "app-role", PolicyArn: ADMIN });
  await call("iam", "PutRolePolicy", { RoleName: "app-role", PolicyName: "base", PolicyDocument: JSON.stringify(allow("s3:*")) });
  await call("ec2", "AuthorizeSecurityGroupIngress", { GroupId: physical("db", "DbSg"), IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] });
  await call("iam", "UpdateAssumeRolePolicy", { RoleName: "partner-role", PolicyDocument: JSON.stringify(trust({ AWS: `arn:aws:iam::${WORKLOAD}:root` })) });
  // Attachments' own drift: a person removes the inline policy and detaches the managed policy, and removes the backdoor.
  await call("iam", "DeleteRolePolicy", { RoleName: "ops-role", PolicyName: "ops-inline" });
  await call("iam", "DetachRolePolicy", { RoleName: "ops-role", PolicyArn: `arn:aws:iam::${WORKLOAD}:policy/ops-read` });
  await call("iam", "DeleteRolePolicy", { RoleName: "ops-role", PolicyName: "backdoor" });
  // A person widens read-ledger four times (IAM keeps five versions; the last is the default), and
  // narrows a shared policy whose template is wider (restoring it would grant).
  for (const action of ["dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:*"]) {
    await call("iam", "CreatePolicyVersion", { PolicyArn: LEDGER, PolicyDocument: JSON.stringify(allow(action)), SetAsDefault: "true" });
  }
  await call("iam", "CreatePolicyVersion", { PolicyArn: SHARED, PolicyDocument: JSON.stringify(allow("s3:GetObject", "arn:aws:s3:::shared/*")), SetAsDefault: "true" });
  // A person closes the world-open rule the attacker's stack added; the attachment has drifted.
  await call("ec2", "RevokeSecurityGroupIngress", { GroupId: physical("db", "DbSg"), IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] });

  before = {
    orgAccess: roleState("OrganizationAccountAccessRole"),
    spoke: roleState(config.spoke.roleName),
    partnerTrust: roleState("partner-role"),
    handMade: groupState(handMadeGroup),
    dbSg: groupState(physical("db", "DbSg")),
  };
  trailMark = trail().length;
  report = await publishedReport(sandbox, await invokeHub(sandbox, config, "remediate"));
}, 120_000);

afterAll(() => sandbox?.close());

describe("attachments are owned state, not drift", () => {
  it("repairs the role's real drift and keeps its AWS::IAM::Policy and ManagedPolicy attachments, verified IN_SYNC", () => {
    const action = resource("app-iam", "AppRole").action;
    expect(action, action.reason).toMatchObject({ outcome: "remediated", by: "AWS::IAM::Role" });
    expect(action.reason).toMatch(/verified IN_SYNC$/);
    const role = account().roles.get("app-role")!;
    expect([...role.managedPolicyArns].sort()).toEqual([SSM, `arn:aws:iam::${WORKLOAD}:policy/read-ledger`].sort());
    expect(Object.keys(role.inlinePolicies).sort()).toEqual(["AppRoleDefaultPolicy", "base"]);
    expect(role.inlinePolicies.base).toEqual(allow("s3:GetObject", "arn:aws:s3:::app-artifacts/*"));
  });

  it("revokes the hand-made SSH rule, keeps the rule another stack's SecurityGroupIngress owns, and says so", () => {
    const action = resource("db", "DbSg").action;
    expect(action, action.reason).toMatchObject({ outcome: "remediated", by: "AWS::EC2::SecurityGroup" });
    expect(action.steps).toEqual([expect.stringMatching(/^RevokeSecurityGroupIngress .*\(tcp 22 from 0\.0\.0\.0\/0\)$/)]);
    expect(action.reason).toContain("verified IN_SYNC apart from 1 item(s) owned by attachments in other stacks");
    expect(action.honoured).toEqual(["tcp 5432 from 10.1.0.0/16 from AWS::EC2::SecurityGroupIngress AppToDb in stack app-net"]);
    const group = region().securityGroups.get(physical("db", "DbSg"))!;
    expect(group.ingress.map((r) => `${r.fromPort} ${r.cidrIpv4}`).sort()).toEqual(["5432 10.0.0.0/16", "5432 10.1.0.0/16"]);
    // The oracle the refusals below use sees this repair's write.
    expect(writesNaming(physical("db", "DbSg"))).toEqual(["RevokeSecurityGroupIngress"]);
  });
});

describe("attachments' own drift: CloudFormation checks them, driftguard repairs them through the invariants", () => {
  it("puts back an AWS::IAM::RolePolicy deleted by hand and re-attaches an AWS::IAM::ManagedPolicy, verified IN_SYNC", () => {
    expect(resource("ops-iam", "OpsInline")).toMatchObject({ status: "DELETED", action: { outcome: "remediated", by: "AWS::IAM::RolePolicy" } });
    expect(resource("ops-iam", "OpsInline").action.reason).toMatch(/recreate inline policy ops-inline on ops-role; verified IN_SYNC$/);
    expect(resource("ops-iam", "OpsRead")).toMatchObject({ status: "MODIFIED", action: { outcome: "remediated", by: "AWS::IAM::ManagedPolicy" } });
    const role = account().roles.get("ops-role")!;
    expect(role.inlinePolicies["ops-inline"]).toEqual(allow("logs:PutLogEvents"));
    expect(role.managedPolicyArns).toEqual([`arn:aws:iam::${WORKLOAD}:policy/ops-read`]);
  });

  it("restores a managed policy's document widened by hand as a new default version, making room among IAM's five, verified IN_SYNC", () => {
    const action = resource("app-iam", "ReadLedger").action;
    expect(action, action.reason).toMatchObject({ outcome: "remediated", by: "AWS::IAM::ManagedPolicy" });
    expect(action.steps).toEqual([`DeletePolicyVersion PolicyArn=${LEDGER} VersionId=v1`, `CreatePolicyVersion PolicyArn=${LEDGER} SetAsDefault=true`]);
    expect(action.reason).toMatch(/verified IN_SYNC$/);
    const policy = account().policies.get(LEDGER)!;
    expect(policy.document).toEqual(allow("dynamodb:GetItem"));
    expect(policy.defaultVersionId).toBe("v6");
    expect(policy.versions?.map((v) => v.versionId)).toEqual(["v2", "v3", "v4", "v5", "v6"]);
  });

  it("AWS::IAM::Policy is not drift-checked by CloudFormation, and the report says so", () => {
    expect(stack("app-iam").unchecked).toEqual([{ logicalResourceId: "AppRoleDefaultPolicy", resourceType: "AWS::IAM::Policy", status: "NOT_CHECKED" }]);
  });
});

describe("escalation attempts end refused with nothing changed", () => {
  it("a stack whose AWS::EC2::SecurityGroupIngress opened another stack's group to all traffic from 0.0.0.0/0, closed by hand", () => {
    expect(resource("open-db", "OpenDb").status).toBe("DELETED");
    const action = resource("open-db", "OpenDb").action;
    expect(action, action.reason).toMatchObject({ outcome: "refused", by: "AWS::EC2::SecurityGroupIngress" });
    expect(action.reason).toContain(`would authorize all traffic from 0.0.0.0/0 on ${physical("db", "DbSg")}: it would open all traffic to the internet (0.0.0.0/0)`);
    expect(region().securityGroups.get(physical("db", "DbSg"))!.ingress.some((r) => r.ipProtocol === "-1")).toBe(false);
    expect(writesNaming("AuthorizeSecurityGroupIngress")).toEqual([]);
  });

  it("a stack whose AWS::IAM::RolePolicy put an admin policy on another team's role, deleted by hand", () => {
    const action = resource("backdoor", "Backdoor").action;
    expect(action, action.reason).toMatchObject({ outcome: "refused", by: "AWS::IAM::RolePolicy" });
    expect(action.reason).toContain("would put inline policy backdoor on ops-role: it allows * on *");
    expect(account().roles.get("ops-role")!.inlinePolicies.backdoor).toBeUndefined();
    expect(writesNaming("backdoor")).toEqual([]);
  });

  it("resource import takes the unowned resources on trust and refuses the group another stack owns", () => {
    expect([imports.orgAccess, imports.spoke, imports.handMade].map((v) => v.Status)).toEqual(["CREATE_COMPLETE", "CREATE_COMPLETE", "CREATE_COMPLETE"]);
    expect(imports.dbSg).toMatchObject({ Status: "FAILED", StatusReason: expect.stringMatching(/already exists in stack arn:aws:cloudformation:.*:stack\/db\//) });
  });

  it("a stack importing OrganizationAccountAccessRole with an outside trust and AdministratorAccess", () => {
    const action = resource("claim-org-access", "Claimed").action;
    expect(action.outcome).toBe("refused");
    expect(action.reason).toContain("OrganizationAccountAccessRole is a protected role");
    expect(action.reason).toContain(`would attach ${ADMIN} to OrganizationAccountAccessRole`);
    expect(roleState("OrganizationAccountAccessRole")).toBe(before.orgAccess);
    expect(writesNaming("OrganizationAccountAccessRole")).toEqual([]);
  });

  it("a stack importing the spoke role, which terraform owns", () => {
    const action = resource("claim-spoke", "Claimed").action;
    expect(action.outcome).toBe("refused");
    expect(action.reason).toContain(`${config.spoke.roleName} is a protected role (driftguard's spoke role)`);
    expect(roleState(config.spoke.roleName)).toBe(before.spoke);
    expect(writesNaming(config.spoke.roleName)).toEqual([]);
  });

  it("a stack importing a hand-made security group with all traffic from 0.0.0.0/0", () => {
    const action = resource("claim-hand-made-sg", "Claimed").action;
    expect(action.outcome).toBe("refused");
    expect(action.reason).toContain(`would authorize all traffic from 0.0.0.0/0 on ${handMadeGroup}: it would open all traffic to the internet (0.0.0.0/0)`);
    expect(groupState(handMadeGroup)).toBe(before.handMade);
    expect(writesNaming(handMadeGroup)).toEqual([]);
  });

  it("a REVERT_DRIFT change set that would widen a trust policy, and the per-resource repair after it", () => {
    expect(stack("revert-partner").stackAction).toMatchObject({ outcome: "refused", by: "revert-drift-change-set" });
    expect(stack("revert-partner").stackAction!.reason).toContain(`it would trust arn:aws:iam::${OUTSIDE}:root, and account ${OUTSIDE} is not in the organization`);
    expect(stack("revert-partner").stackAction!.steps.map((s) => s.split(" ")[0])).toEqual(["CreateChangeSet", "DeleteChangeSet"]);
    expect(resource("revert-partner", "PartnerRole").action.outcome).toBe("refused");
    expect(roleState("partner-role")).toBe(before.partnerTrust);
  });

  it("a managed policy narrowed by hand whose template would widen it again", () => {
    const action = resource("shared-iam", "SharedWrite").action;
    expect(action, action.reason).toMatchObject({ outcome: "refused", by: "AWS::IAM::ManagedPolicy" });
    expect(action.reason).toContain(`would make the template's document the default version of ${SHARED}: it would allow s3:* on arn:aws:s3:::shared/*, which the live document does not`);
    expect(account().policies.get(SHARED)!.document).toEqual(allow("s3:GetObject", "arn:aws:s3:::shared/*"));
    expect(writesNaming(SHARED)).toEqual([]);
  });

  it("puts refusals first: the totals, the report order and the notification subject", () => {
    expect(report.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(report.totals.refused).toBe(8);
    const subject = publishedMessages(sandbox).at(-1)!.subject ?? "";
    expect(subject).toMatch(/^driftguard: 8 REFUSED \(would /);
    const message = publishedMessages(sandbox).at(-1)!.message;
    expect(message.indexOf("REFUSED")).toBeLessThan(message.indexOf("Totals"));
  });
});

/**
 * The event path on the same sandbox, with the production wiring (eventDeps): the ownership cache
 * across events and the organization's real membership. CloudTrail events are taken from the
 * sandbox as EventBridge would deliver them and handed to the handler one by one, so a stack
 * operation's own event can be withheld, as a late delivery would.
 */
describe("the event path: ownership kept across events, trust judged against the organization", () => {
  const MANAGEMENT = "999999999999"; // in the organization, not listed in accounts.yaml
  const eventConfig = parseConfig(
    `
version: 1
organization: { id: ${ORG} }
hub: { accountId: "${HUB}", region: ${REGION} }
defaults: { regions: [${REGION}], mode: remediate }
accounts:
  - { id: "${WORKLOAD}", name: workload }
  - { id: "${LEFT}", name: left-the-organization }
`,
    "safe-remediation-events-accounts.yaml",
  );
  const VENDOR = template({ VendorRole: { Type: "AWS::IAM::Role", Properties: { RoleName: "vendor-role", AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${LEFT}:root` }) } } });
  const AUDIT = template({
    AuditRole: {
      Type: "AWS::IAM::Role",
      Properties: { RoleName: "audit-role", AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${MANAGEMENT}:root` }), Policies: [{ PolicyName: "audit-base", PolicyDocument: allow("cloudtrail:GetTrail") }] },
    },
  });
  // Another team's stack, later updated to put an inline policy on audit-role (CDK's role.addToPolicy from a second stack).
  const EXTRA = (withPolicy: boolean) =>
    template({
      Marker: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "extra" } },
      ...(withPolicy ? { AuditExtra: { Type: "AWS::IAM::Policy", Properties: { PolicyName: "audit-extra", PolicyDocument: allow("cloudtrail:LookupEvents"), Roles: ["audit-role"] } } } : {}),
    });
  const events: CloudTrailBridgeEvent[] = [];
  const counts: Record<string, number>[] = [];
  let deps: EventDeps;
  let uncached: EventDeps;
  const previousEndpoint = process.env.AWS_ENDPOINT_URL;

  /** Every CloudFormation request the event path's spoke clients send, by command, for one event. */
  const counting = (base: EventDeps): EventDeps => {
    const counted = new WeakSet<object>();
    return {
      ...base,
      async clientsFor(accountId, r) {
        const clients = await base.clientsFor(accountId, r);
        if (!counted.has(clients.cloudformation)) {
          counted.add(clients.cloudformation);
          clients.cloudformation.middlewareStack.add(
            (next, context) => (args) => {
              const current = counts.at(-1);
              if (current) current[context.commandName ?? "?"] = (current[context.commandName ?? "?"] ?? 0) + 1;
              return next(args);
            },
            { step: "initialize", name: "countCloudFormationCalls" },
          );
        }
        return clients;
      },
    };
  };

  /** The event of `action` EventBridge delivers (asynchronously) after `mark`. */
  async function delivered(mark: number, action: string): Promise<CloudTrailBridgeEvent> {
    for (let i = 0; i < 400; i++) {
      const event = events.slice(mark).find((e) => e.detail.eventName === action);
      if (event) return event;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no ${action} event delivered`);
  }

  /** Makes a change by hand and hands its event to the handler; returns the report and the CloudFormation calls it cost. */
  async function changeAndHandle(with_: EventDeps, service: string, action: string, params: unknown) {
    const mark = events.length;
    await call(service, action, params);
    const event = await delivered(mark, action);
    counts.push({});
    const outcome = await handleChangeEvent(event, with_);
    if (outcome.status !== "handled") throw new Error(`${action}: ${JSON.stringify(outcome)}`);
    return { report: outcome.report, calls: counts.at(-1)! };
  }
  const ownershipCalls = (c: Record<string, number>) => (c.GetTemplateCommand ?? 0) + (c.ListStackResourcesCommand ?? 0) + (c.ListExportsCommand ?? 0);
  const narrowTrust = (roleName: string) => ({ RoleName: roleName, PolicyDocument: JSON.stringify(trust({ AWS: `arn:aws:iam::${WORKLOAD}:root` })) });

  beforeAll(async () => {
    process.env.AWS_ENDPOINT_URL = sandbox.endpoint;
    const hub = createHubClients(REGION, sandbox.hubCredentials);
    const runtime = { settings: { config: { kind: "file" as const, file: "(in memory)" }, reportBucket: sandbox.hub.reportBucket, topicArn: sandbox.hub.topicArn }, config: eventConfig, hub };
    const logger = new Logger({ serviceName: "driftguard", logLevel: "SILENT" });
    deps = counting({ ...eventDeps(runtime, logger, new RecentIds()), metrics: fakeMetrics().metrics });
    const { ownershipCache: _none, ...rest } = eventDeps(runtime, logger, new RecentIds());
    uncached = counting({ ...rest, metrics: fakeMetrics().metrics });
    sandbox.onEvent((event) => void events.push(event));
    await createStack("vendor", VENDOR);
    await createStack("audit", AUDIT);
    await createStack("extra", EXTRA(false));
  }, 60_000);

  afterAll(() => {
    if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = previousEndpoint;
  });

  it("refuses to restore trust in an account accounts.yaml lists but the organization no longer has", async () => {
    const { report } = await changeAndHandle(deps, "iam", "UpdateAssumeRolePolicy", narrowTrust("vendor-role"));
    const action = report.results[0]!.action;
    expect(action, action.reason).toMatchObject({ outcome: "refused" });
    expect(action.reason).toContain(`it would trust arn:aws:iam::${LEFT}:root, and account ${LEFT} is not in the organization`);
    expect(account().roles.get("vendor-role")!.assumeRolePolicyDocument).toEqual(trust({ AWS: `arn:aws:iam::${WORKLOAD}:root` }));
  });

  it("restores trust in a member accounts.yaml does not list, and reads attachments once per stack version", async () => {
    const before = await changeAndHandle(uncached, "iam", "UpdateAssumeRolePolicy", narrowTrust("audit-role"));
    expect(before.report.results[0]!.action, before.report.results[0]!.action.reason).toMatchObject({ outcome: "remediated" });
    // The previous test's event warmed the cache: start this measurement cold.
    deps.ownershipCache!.invalidate(WORKLOAD, REGION);
    const cold = await changeAndHandle(deps, "iam", "UpdateAssumeRolePolicy", narrowTrust("audit-role"));
    const warm = await changeAndHandle(deps, "iam", "UpdateAssumeRolePolicy", narrowTrust("audit-role"));
    expect(warm.report.results[0]!.action).toMatchObject({ outcome: "remediated" });
    expect(account().roles.get("audit-role")!.assumeRolePolicyDocument).toEqual(trust({ AWS: `arn:aws:iam::${MANAGEMENT}:root` }));
    console.log(`CloudFormation calls per role event: without cache ${JSON.stringify(before.calls)}; cold cache ${JSON.stringify(cold.calls)}; warm cache ${JSON.stringify(warm.calls)}`);
    const stacks = region().stacks.filter((st) => !st.status.startsWith("DELETE")).length;
    expect(ownershipCalls(before.calls)).toBeGreaterThan(stacks);
    expect(ownershipCalls(cold.calls)).toBe(ownershipCalls(before.calls));
    expect(ownershipCalls(warm.calls)).toBe(0);
  });

  it("keeps an attachment added by a stack update whose event has not arrived, though the cache was warm", async () => {
    const stackMark = events.length;
    await call("cloudformation", "UpdateStack", { StackName: "extra", TemplateBody: EXTRA(true), Capabilities: ["CAPABILITY_NAMED_IAM"] });
    await delivered(stackMark, "UpdateStack"); // and withheld from the handler, as a late delivery would be
    expect(account().roles.get("audit-role")!.inlinePolicies["audit-extra"]).toBeDefined();
    const { report, calls } = await changeAndHandle(deps, "iam", "UpdateAssumeRolePolicy", narrowTrust("audit-role"));
    const action = report.results[0]!.action;
    expect(action, action.reason).toMatchObject({ outcome: "remediated" });
    expect(action.honoured).toEqual(["inline policy audit-extra from AWS::IAM::Policy AuditExtra in stack extra"]);
    expect(account().roles.get("audit-role")!.inlinePolicies["audit-extra"]).toEqual(allow("cloudtrail:LookupEvents"));
    // Only the updated stack was read again.
    expect(calls.GetTemplateCommand).toBe(1);
  });

  it("drops the account-region's cache on a stack operation event, CloudFormation's own included", async () => {
    const update = events.filter((e) => e.detail.eventName === "UpdateStack").at(-1)!;
    const cache = deps.ownershipCache!;
    const invalidated = cache.stats.invalidated;
    expect(await handleChangeEvent(update, deps)).toEqual({ status: "noted", detail: `UpdateStack in ${WORKLOAD} ${REGION}: attachments there are read again on next use` });
    expect(cache.stats.invalidated).toBe(invalidated + 1);
    // The nested-stack shape: CloudFormation's own CreateStack (invokedBy cloudformation.amazonaws.com).
    const nested = { ...update, detail: { ...update.detail, eventName: "CreateStack", userIdentity: { ...(update.detail.userIdentity as object), invokedBy: "cloudformation.amazonaws.com" } } };
    expect((await handleChangeEvent(nested, deps)).status).toBe("noted");
    expect(cache.stats.invalidated).toBe(invalidated + 2);
  });
});
