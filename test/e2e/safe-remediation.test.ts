import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/accounts-file/index.js";
import { REPORT_SCHEMA_VERSION, type ResourceReport, type RunReport, type StackReport } from "../../functions/core/types.js";
import { hubS3, invokeHub, publishedMessages } from "../../sandbox/harness/run-local.js";
import { startSandbox, type Sandbox } from "../../sandbox/harness/server.js";
import { regionOf, type AccountState } from "../../sandbox/emulator/state.js";

/**
 * Safe remediation on real stack shapes, end to end (issue 11): the real handler in remediate
 * mode against the sandbox, whose CloudFormation applies attachment resources to live state and
 * analyses same-stack attachments before the drift comparison, as the user guide documents.
 * - A role with a separate AWS::IAM::Policy and an AWS::IAM::ManagedPolicy attachment (the
 *   shapes CDK's role.addToPolicy and ManagedPolicy({ roles }) synthesize), drifted by hand.
 * - A security group whose rule comes from an AWS::EC2::SecurityGroupIngress in another stack,
 *   drifted by hand (CloudFormation reports the other stack's rule as drift: it "cannot perform
 *   this analysis across stacks").
 * - Escalation attempts, each a stack claiming what it does not own. A claim is what resource
 *   import produces (import "does not check the resource's properties against the template"); the
 *   sandbox has no IMPORT change sets, so the test points the claiming stack's resource at the
 *   existing physical resource, which is the state an import leaves.
 */

const HUB = "111111111111";
const WORKLOAD = "222222222222";
const OUTSIDE = "555566667777";
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

const trust = (principal: unknown) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] });
const allow = (action: string, resource = "*") => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: resource }] });
const template = (resources: Record<string, unknown>, parameters: Record<string, unknown> = {}) => JSON.stringify({ Parameters: parameters, Resources: resources });

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
const claimRole = (placeholder: string) =>
  template({ Claimed: { Type: "AWS::IAM::Role", Properties: { RoleName: placeholder, AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${OUTSIDE}:root` }), ManagedPolicyArns: [ADMIN] } } });
const CLAIM_SG = template({ Claimed: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "claim", SecurityGroupIngress: [{ IpProtocol: "-1", CidrIp: "0.0.0.0/0" }] } } });
const REVERT_TRUST = template({ PartnerRole: { Type: "AWS::IAM::Role", Properties: { RoleName: "partner-role", AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${OUTSIDE}:root` }) } } });

let sandbox: Sandbox;
let report: RunReport;
let before: { orgAccess: string; spoke: string; partnerTrust: string };

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

/** The state resource import leaves: the stack's resource is the existing physical resource. */
function claim(stackName: string, target: string, removeCreated: () => void) {
  removeCreated();
  region().stacks.find((s) => s.stackName === stackName)!.resources[0]!.physicalId = target;
}

const roleState = (name: string) => {
  const r = account().roles.get(name)!;
  return JSON.stringify({ trust: r.assumeRolePolicyDocument, managed: [...r.managedPolicyArns].sort(), inline: r.inlinePolicies });
};
const stack = (name: string): StackReport => report.accounts[0]!.regions[0]!.stacks.find((s) => s.stackName === name)!;
const resource = (stackName: string, logicalId: string): ResourceReport => stack(stackName).resources.find((r) => r.logicalResourceId === logicalId)!;

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: { organization: { managementAccount: "999999999999", id: ORG }, accounts: [{ id: WORKLOAD, name: "workload" }] }, config });
  await call("iam", "CreateRole", { RoleName: "OrganizationAccountAccessRole", AssumeRolePolicyDocument: JSON.stringify(trust({ AWS: "arn:aws:iam::999999999999:root" })) });
  await call("iam", "AttachRolePolicy", { RoleName: "OrganizationAccountAccessRole", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" });

  await createStack("app-iam", APP_IAM);
  await createStack("db", DB);
  await createStack("app-net", APP_NET);
  await createStack("claim-org-access", claimRole("claim-placeholder-1"));
  await createStack("claim-spoke", claimRole("claim-placeholder-2"));
  await createStack("claim-db-sg", CLAIM_SG);
  await createStack("revert-partner", REVERT_TRUST);
  claim("claim-org-access", "OrganizationAccountAccessRole", () => account().roles.delete("claim-placeholder-1"));
  claim("claim-spoke", config.spoke.roleName, () => account().roles.delete("claim-placeholder-2"));
  claim("claim-db-sg", physical("db", "DbSg"), () => region().securityGroups.delete(physical("claim-db-sg", "Claimed")));

  // Drift by hand: real drift on the role and the group, a trust policy narrowed to the organization.
  await call("iam", "AttachRolePolicy", { RoleName: "app-role", PolicyArn: ADMIN });
  await call("iam", "PutRolePolicy", { RoleName: "app-role", PolicyName: "base", PolicyDocument: JSON.stringify(allow("s3:*")) });
  await call("ec2", "AuthorizeSecurityGroupIngress", { GroupId: physical("db", "DbSg"), IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] });
  await call("iam", "UpdateAssumeRolePolicy", { RoleName: "partner-role", PolicyDocument: JSON.stringify(trust({ AWS: `arn:aws:iam::${WORKLOAD}:root` })) });

  before = { orgAccess: roleState("OrganizationAccountAccessRole"), spoke: roleState(config.spoke.roleName), partnerTrust: roleState("partner-role") };
  const summary = await invokeHub(sandbox, config, "remediate");
  const object = await hubS3(sandbox).send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: summary.reportKey }));
  report = JSON.parse(await object.Body!.transformToString()) as RunReport;
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
  });
});

describe("escalation attempts end refused with nothing changed", () => {
  it("a stack claiming OrganizationAccountAccessRole with an outside trust and AdministratorAccess", () => {
    const action = resource("claim-org-access", "Claimed").action;
    expect(action.outcome).toBe("refused");
    expect(action.reason).toMatch(/^would detach arn:aws:iam::aws:policy\/ReadOnlyAccess from OrganizationAccountAccessRole: OrganizationAccountAccessRole is a protected role/);
    expect(action.reason).toContain(`would attach ${ADMIN} to OrganizationAccountAccessRole`);
    expect(roleState("OrganizationAccountAccessRole")).toBe(before.orgAccess);
  });

  it("a stack claiming another stack's security group with all traffic from 0.0.0.0/0", () => {
    const action = resource("claim-db-sg", "Claimed").action;
    expect(action.outcome).toBe("refused");
    expect(action.reason).toContain("would authorize all traffic from 0.0.0.0/0 on sg-");
    expect(action.reason).toContain("it would open all traffic to the internet (0.0.0.0/0)");
    const group = region().securityGroups.get(physical("db", "DbSg"))!;
    expect(group.ingress.some((r) => r.ipProtocol === "-1")).toBe(false);
  });

  it("a stack claiming the spoke role", () => {
    const action = resource("claim-spoke", "Claimed").action;
    expect(action.outcome).toBe("refused");
    expect(action.reason).toContain(`${config.spoke.roleName} is a protected role (driftguard's spoke role)`);
    expect(roleState(config.spoke.roleName)).toBe(before.spoke);
  });

  it("a REVERT_DRIFT change set that would widen a trust policy, and the per-resource repair after it", () => {
    expect(stack("revert-partner").stackAction).toMatchObject({ outcome: "refused", by: "revert-drift-change-set" });
    expect(stack("revert-partner").stackAction!.reason).toContain(`it would trust arn:aws:iam::${OUTSIDE}:root, and account ${OUTSIDE} is not in the organization`);
    expect(stack("revert-partner").stackAction!.steps.map((s) => s.split(" ")[0])).toEqual(["CreateChangeSet", "DeleteChangeSet"]);
    expect(resource("revert-partner", "PartnerRole").action.outcome).toBe("refused");
    expect(roleState("partner-role")).toBe(before.partnerTrust);
  });

  it("puts refusals first: the totals, the report order and the notification subject", () => {
    expect(report.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(report.totals.refused).toBe(5);
    const subject = publishedMessages(sandbox).at(-1)!.subject ?? "";
    expect(subject).toMatch(/^driftguard: 5 REFUSED \(would /);
    const message = publishedMessages(sandbox).at(-1)!.message;
    expect(message.indexOf("REFUSED")).toBeLessThan(message.indexOf("Totals"));
  });
});
