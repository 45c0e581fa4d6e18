import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { administratorSession, startTestSandbox, TEST_CONFIG, WORKLOAD } from "../unit/sandbox/helpers.js";
import { admitChange } from "../../functions/events/admit.js";
import { isRejection, parseChangeEvent } from "../../functions/events/parse.js";
import type { CloudTrailBridgeEvent } from "../../sandbox/emulator/services/cloudtrail/record.js";
import { principalOfAccessKey } from "../../sandbox/harness/running-worlds.js";
import { boto3 } from "./boto3.js";

/**
 * The sandbox against boto3, an independent client: where driftguard's safety depends on AWS
 * behaving as documented, botocore must see the same answers AWS gives. Each case names the
 * AWS documentation it follows.
 */

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox?.close());

describe("IAM evaluation, seen by boto3", () => {
  it("denies the scanner role what its synthesized policy does not grant (troubleshoot_access-denied.html)", async () => {
    const result = await boto3(
      sandbox,
      sandbox.hubCredentials,
      `
s3 = client("s3")
s3.put_object(Bucket="${sandbox.hub.reportBucket}", Key="reports/boto3.json", Body=b"{}")
out({
  "delete": err(lambda: s3.delete_object(Bucket="${sandbox.hub.reportBucket}", Key="reports/boto3.json")),
  "insecure": err(lambda: client("s3", INSECURE_ENDPOINT).get_object(Bucket="${sandbox.hub.reportBucket}", Key="reports/boto3.json")),
  "ec2": err(lambda: client("ec2").describe_vpcs()),
})`,
    );
    expect(result.delete).toMatchObject({ code: "AccessDenied", status: 403 });
    expect(result.delete.message).toContain("because no identity-based policy allows the s3:DeleteObject action");
    expect(result.insecure).toMatchObject({ code: "AccessDenied", status: 403 });
    expect(result.insecure.message).toContain("with an explicit deny in a resource-based policy");
    expect(result.ec2).toMatchObject({ code: "UnauthorizedOperation", status: 403 });
  });

  it("enforces the policy grammar and refuses policies that do not exist (reference_policies_grammar.html, API_AttachRolePolicy.html)", async () => {
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
iam = client("iam")
iam.create_role(RoleName="grammar", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
put = lambda doc: err(lambda: iam.put_role_policy(RoleName="grammar", PolicyName="p", PolicyDocument=json.dumps(doc)))
out({
  "effect": put({"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}),
  "principal": put({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
  "string": put({"Version": "2012-10-17", "Statement": "s3:*"}),
  "attach": err(lambda: iam.attach_role_policy(RoleName="grammar", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")),
})`,
    );
    expect(result.effect).toEqual({ code: "MalformedPolicyDocument", status: 400, message: "Syntax errors in policy." });
    expect(result.principal).toEqual({ code: "MalformedPolicyDocument", status: 400, message: "Policy document should not specify a principal." });
    expect(result.string).toEqual({ code: "MalformedPolicyDocument", status: 400, message: "Syntax errors in policy." });
    expect(result.attach).toEqual({ code: "NoSuchEntity", status: 404, message: "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable." });
  });
});

describe("STS AssumeRole, seen by boto3", () => {
  it('refuses root user credentials: AccessDenied "Roles may not be assumed by root accounts." (API_AssumeRole.html)', async () => {
    // A role whose trust policy names the account's root: an admin's session may assume it, root itself may not.
    const admin = await administratorSession(sandbox, WORKLOAD, "trusts-root");
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
assume = lambda sts: err(lambda: sts.assume_role(RoleArn="arn:aws:iam::${WORKLOAD}:role/Admin", RoleSessionName="boto3"))
admin = boto3.session.Session(aws_access_key_id="${admin.accessKeyId}", aws_secret_access_key="${admin.secretAccessKey}", aws_session_token="${admin.sessionToken}", region_name="us-east-1")
out({"root": assume(client("sts")), "admin": assume(admin.client("sts", endpoint_url=ENDPOINT))})`,
    );
    expect(result).toEqual({ root: { code: "AccessDenied", status: 403, message: "Roles may not be assumed by root accounts." }, admin: null });
  });
});

describe("EC2 DryRun (CommonParameters.html: DryRunOperation or UnauthorizedOperation)", () => {
  it("answers DryRunOperation and changes nothing; an unauthorized caller gets UnauthorizedOperation", async () => {
    const admin = await administratorSession(sandbox, WORKLOAD, "dry-run");
    const group = [...sandbox.world.accounts.get(WORKLOAD)!.regions.get("us-east-1")!.securityGroups.values()].find((g) => g.groupName === "default")!;
    const before = JSON.stringify(group.ingress);
    const script = `
ec2 = client("ec2")
out(err(lambda: ec2.authorize_security_group_ingress(GroupId="${group.groupId}", IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], DryRun=True)))`;
    expect(await boto3(sandbox, admin, script)).toEqual({ code: "DryRunOperation", status: 412, message: "Request would have succeeded, but DryRun flag is set." });
    expect(JSON.stringify(group.ingress)).toBe(before);
    expect((await boto3(sandbox, sandbox.hubCredentials, script)).code).toBe("UnauthorizedOperation");
  });
});

describe("SigV4 requests signed more than 15 minutes ago (signing-elements.html)", () => {
  it("are refused with each protocol's own error", async () => {
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
import datetime
from unittest import mock
real = datetime.datetime
class Past(real):
    @classmethod
    def utcnow(cls):
        return real.utcnow() - datetime.timedelta(minutes=16)
    @classmethod
    def now(cls, tz=None):
        return real.now(tz) - datetime.timedelta(minutes=16)
with mock.patch("botocore.auth.datetime.datetime", Past):
    out({
      "query": err(lambda: client("sts").get_caller_identity()),
      "ec2": err(lambda: client("ec2").describe_vpcs()),
      "json": err(lambda: client("organizations").describe_organization()),
      "rest-xml": err(lambda: client("s3").list_buckets()),
    })`,
    );
    expect(result.query).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
    expect(result.query.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    expect(result.ec2).toEqual({ code: "RequestExpired", status: 400, message: "Request has expired." });
    expect(result.json).toMatchObject({ code: "InvalidSignatureException", status: 400 });
    expect(result["rest-xml"]).toMatchObject({ code: "RequestTimeTooSkewed", status: 403 });
  });
});

describe("operations the sandbox does not implement", () => {
  it('say "the sandbox does not implement <Service>.<Action>" in every protocol, with the protocol\'s code', async () => {
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
out({
  "query": err(lambda: client("iam").list_users()),
  "ec2": err(lambda: client("ec2").describe_images()),
  "json": err(lambda: client("organizations").list_policies(Filter="SERVICE_CONTROL_POLICY")),
  "rest-xml": err(lambda: client("s3").get_bucket_policy(Bucket="${sandbox.hub.reportBucket}")),
})`,
    );
    expect(result.query).toEqual({ code: "InvalidAction", status: 400, message: "The sandbox does not implement IAM.ListUsers" });
    expect(result.ec2).toEqual({ code: "InvalidAction", status: 400, message: "The sandbox does not implement EC2.DescribeImages" });
    expect(result.json).toMatchObject({ code: "UnknownOperationException", status: 400, message: "The sandbox does not implement Organizations.ListPolicies" });
    expect(result["rest-xml"]).toEqual({ code: "NotImplemented", status: 501, message: "The sandbox does not implement S3.GetBucketPolicy" });
  });
});

describe("CloudFormation, seen by boto3", () => {
  it("exports and imports, DeletionPolicy Retain, stack events, ValidateTemplate and IMPORT change sets behave as documented", async () => {
    // Long enough that a loaded machine still observes each status between boto3 calls.
    sandbox.setLatency({ changeSetMs: [3000, 3000] });
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
import time
cfn = client("cloudformation")
group = lambda policy="": {"Type": "AWS::EC2::SecurityGroup", **({"DeletionPolicy": policy} if policy else {}), "Properties": {"GroupDescription": "fidelity"}}
cfn.create_stack(StackName="fid-db", TemplateBody=json.dumps({"Resources": {"Db": group("Retain")}, "Outputs": {"Id": {"Value": {"Fn::GetAtt": ["Db", "GroupId"]}, "Export": {"Name": "fid-db:Id"}}}}))
cfn.create_stack(StackName="fid-app", TemplateBody=json.dumps({"Resources": {"In": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::ImportValue": "fid-db:Id"}, "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.1.0.0/16"}}}}))
exports = [e for e in cfn.list_exports()["Exports"] if e["Name"].startswith("fid-")]
imports = cfn.list_imports(ExportName="fid-db:Id")["Imports"]
cfn.delete_stack(StackName="fid-db")
refused = cfn.describe_stacks(StackName="fid-db")["Stacks"][0]
cfn.delete_stack(StackName="fid-app")
db_id = refused["StackId"]
db_group = exports[0]["Value"]
cfn.delete_stack(StackName="fid-db")
events = cfn.describe_stack_events(StackName=db_id)["StackEvents"]
validated = cfn.validate_template(TemplateBody=json.dumps({"Description": "d", "Parameters": {"P": {"Type": "String", "Default": "x"}}, "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}}}))
cfn.create_change_set(StackName="fid-claim", ChangeSetName="adopt", ChangeSetType="IMPORT", TemplateBody=json.dumps({"Resources": {"Adopted": group("Retain")}}),
    ResourcesToImport=[{"ResourceType": "AWS::EC2::SecurityGroup", "LogicalResourceId": "Adopted", "ResourceIdentifier": {"Id": db_group}}])
statuses = [cfn.describe_change_set(StackName="fid-claim", ChangeSetName="adopt")["Status"]]
while statuses[-1] in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
    time.sleep(0.2)
    statuses.append(cfn.describe_change_set(StackName="fid-claim", ChangeSetName="adopt")["Status"])
cfn.execute_change_set(StackName="fid-claim", ChangeSetName="adopt")
out({
  "exports": [{k: e[k] for k in ("Name", "ExportingStackId")} for e in exports], "db_id": db_id, "imports": imports,
  "refused": {k: refused.get(k) for k in ("StackStatus", "StackStatusReason")},
  "events": [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events][:3],
  "missing": err(lambda: cfn.create_stack(StackName="fid-bad", TemplateBody=json.dumps({"Resources": {"In": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::ImportValue": "nope"}, "IpProtocol": "-1", "CidrIp": "10.0.0.0/8"}}}}))),
  "validated": {k: validated.get(k) for k in ("Parameters", "Description", "Capabilities", "CapabilitiesReason")},
  "statuses": sorted(set(statuses)), "claimed": cfn.describe_stacks(StackName="fid-claim")["Stacks"][0]["StackStatus"],
  "claimed_resource": cfn.describe_stack_resources(StackName="fid-claim")["StackResources"][0]["PhysicalResourceId"], "db_group": db_group,
})`,
    );
    sandbox.setLatency({ changeSetMs: [0, 0] });
    // outputs-section-structure.html, API_ListExports.html, API_ListImports.html
    expect(result.exports).toEqual([{ Name: "fid-db:Id", ExportingStackId: result.db_id }]);
    expect(result.imports).toEqual(["fid-app"]);
    expect(result.refused).toEqual({ StackStatus: "CREATE_COMPLETE", StackStatusReason: "Export fid-db:Id cannot be deleted as it is in use by fid-app" });
    // aws-attribute-deletionpolicy.html, API_DescribeStackEvents.html (newest first)
    expect(result.events).toEqual([["fid-db", "DELETE_COMPLETE"], ["Db", "DELETE_SKIPPED"], ["fid-db", "DELETE_IN_PROGRESS"]]);
    // intrinsic-function-reference-importvalue.html
    expect(result.missing).toEqual({ code: "ValidationError", status: 400, message: "No export named nope found." });
    // API_ValidateTemplate.html
    expect(result.validated).toEqual({
      Parameters: [{ ParameterKey: "P", DefaultValue: "x", NoEcho: false }],
      Description: "d",
      Capabilities: ["CAPABILITY_IAM"],
      CapabilitiesReason: "The following resource(s) require capabilities: [AWS::IAM::Role]",
    });
    // API_CreateChangeSet.html (asynchronous), resource-import-new-stack.html (the retained group adopted)
    expect(result.statuses).toEqual(["CREATE_COMPLETE", "CREATE_IN_PROGRESS", "CREATE_PENDING"]);
    expect(result.claimed).toBe("IMPORT_COMPLETE");
    expect(result.claimed_resource).toBe(result.db_group);
  });
});

describe("EC2 malformed ids and CIDRs, seen by boto3 (errors-overview.html)", () => {
  it("answers InvalidGroupId.Malformed and InvalidParameterValue, and a well-formed unknown id InvalidGroup.NotFound", async () => {
    const group = [...sandbox.world.accounts.get(WORKLOAD)!.regions.get("us-east-1")!.securityGroups.values()].find((g) => g.groupName === "default")!;
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
ec2 = client("ec2")
rule = lambda cidr: [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]}]
out({
  "malformed": err(lambda: ec2.describe_security_groups(GroupIds=["sg-nope"])),
  "unknown": err(lambda: ec2.describe_security_groups(GroupIds=["sg-0123456789abcdef0"])),
  "cidr": err(lambda: ec2.authorize_security_group_ingress(GroupId="${group.groupId}", IpPermissions=rule("10.0.0.0/33"))),
  "ipv6": err(lambda: ec2.authorize_security_group_ingress(GroupId="${group.groupId}", IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::g/64"}]}])),
})`,
    );
    expect(result.malformed).toEqual({ code: "InvalidGroupId.Malformed", status: 400, message: 'Invalid id: "sg-nope" (expecting "sg-...")' });
    expect(result.unknown).toMatchObject({ code: "InvalidGroup.NotFound", status: 400 });
    expect(result.cidr).toEqual({ code: "InvalidParameterValue", status: 400, message: "Value (10.0.0.0/33) for parameter cidrIp is invalid. This is not a valid CIDR block." });
    expect(result.ipv6).toMatchObject({ code: "InvalidParameterValue", status: 400 });
  });
});

describe("CloudFormation updates and CloudFormation's own calls, seen by boto3", () => {
  it("updates stacks and change sets as documented, and records each call it makes in CloudTrail with invokedBy cloudformation.amazonaws.com (API_UpdateStack.html, cloudtrail-event-reference-user-identity.html)", async () => {
    const admin = await administratorSession(sandbox, WORKLOAD, "alice");
    const delivered: CloudTrailBridgeEvent[] = [];
    const stop = sandbox.onEvent((event) => delivered.push(event));
    const result = await boto3(
      sandbox,
      admin,
      `
cfn = client("cloudformation")
def template(policies, description):
    return json.dumps({"Resources": {
      "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "fid-update-role", "ManagedPolicyArns": policies,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
      "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": description}}}})
caps = ["CAPABILITY_NAMED_IAM"]
cfn.create_stack(StackName="fid-update", TemplateBody=template(["arn:aws:iam::aws:policy/ReadOnlyAccess"], "one"), Capabilities=caps)
no_change = err(lambda: cfn.update_stack(StackName="fid-update", UsePreviousTemplate=True, Capabilities=caps))
cfn.create_change_set(StackName="fid-update", ChangeSetName="next", TemplateBody=template(["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"], "two"), Capabilities=caps)
described = cfn.describe_change_set(StackName="fid-update", ChangeSetName="next")
cfn.execute_change_set(StackName="fid-update", ChangeSetName="next")
status = cfn.describe_stacks(StackName="fid-update")["Stacks"][0]["StackStatus"]
events = [e["ResourceStatus"] for e in cfn.describe_stack_events(StackName="fid-update")["StackEvents"] if e["LogicalResourceId"] == "fid-update"]
trail = client("cloudtrail", region_name="us-east-1").lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AttachRolePolicy"}])["Events"]
records = [json.loads(e["CloudTrailEvent"]) for e in trail]
out({"noChange": no_change, "changes": sorted([(c["ResourceChange"]["LogicalResourceId"], c["ResourceChange"]["Action"], c["ResourceChange"].get("Replacement")) for c in described["Changes"]]),
     "status": status, "stackEvents": events[:3], "attach": [(r["userIdentity"].get("invokedBy"), r["userIdentity"]["arn"], r["sourceIPAddress"], r["userAgent"], r["requestParameters"]) for r in records if r["requestParameters"]["roleName"] == "fid-update-role"]})`,
    );
    stop();
    expect(result.noChange).toEqual({ code: "ValidationError", status: 400, message: "No updates are to be performed." });
    expect(result.changes).toEqual([["Group", "Modify", "True"], ["Role", "Modify", "False"]]);
    expect(result.status).toBe("UPDATE_COMPLETE");
    expect(result.stackEvents).toEqual(["UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_IN_PROGRESS"]);
    const alice = `arn:aws:sts::${WORKLOAD}:assumed-role/Admin/alice`;
    const cfnCall = (arn: string) => ["cloudformation.amazonaws.com", arn, "cloudformation.amazonaws.com", "cloudformation.amazonaws.com"];
    expect(result.attach).toEqual([
      [...cfnCall(alice), { roleName: "fid-update-role", policyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }],
      [...cfnCall(alice), { roleName: "fid-update-role", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
    ]);

    // A person's stack update is not drift: driftguard's event path drops what CloudFormation did.
    const made = delivered.filter((e) => e.detail.userIdentity && (e.detail.userIdentity as { invokedBy?: string }).invokedBy === "cloudformation.amazonaws.com");
    expect(made.map((e) => e.detail.eventName)).toEqual(expect.arrayContaining(["CreateRole", "AttachRolePolicy", "DetachRolePolicy", "CreateSecurityGroup", "DeleteSecurityGroup"]));
    for (const event of made) {
      const parsed = parseChangeEvent(event);
      if (!isRejection(parsed)) expect(admitChange(parsed, TEST_CONFIG), String(event.detail.eventName)).toMatchObject({ rejected: true, reason: "cloudformation" });
    }
  });

  it("records a REVERT_DRIFT driftguard's spoke role executes as that role's calls, which the event path drops as its own", async () => {
    const spoke = principalOfAccessKey(
      (
        (await sandbox.dispatch(WORKLOAD, "us-east-1", "sts", "AssumeRole", { RoleArn: `arn:aws:iam::${WORKLOAD}:role/${sandbox.hub.spokeRoleName}`, RoleSessionName: "driftguard" }, principalOfAccessKey(sandbox.hubCredentials.accessKeyId))) as {
          Credentials: { AccessKeyId: string };
        }
      ).Credentials.AccessKeyId,
    )!;
    const admin = principalOfAccessKey((await administratorSession(sandbox, WORKLOAD, "bob")).accessKeyId)!;
    const call = (action: string, params: unknown, as = admin) => sandbox.dispatch(WORKLOAD, "us-east-1", "cloudformation", action, params, as);
    await call("CreateStack", { StackName: "fid-revert", TemplateBody: JSON.stringify({ Resources: { Group: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "revert", SecurityGroupIngress: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "10.0.0.0/8" }] } } } }) });
    const groupId = ((await call("DescribeStackResources", { StackName: "fid-revert" })) as { StackResources: { PhysicalResourceId: string }[] }).StackResources[0]!.PhysicalResourceId;
    await sandbox.dispatch(WORKLOAD, "us-east-1", "ec2", "AuthorizeSecurityGroupIngress", { GroupId: groupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }, admin);
    const delivered: CloudTrailBridgeEvent[] = [];
    const stop = sandbox.onEvent((event) => delivered.push(event));
    sandbox.setLatency({ changeSetMs: [0, 0] });
    await call("CreateChangeSet", { StackName: "fid-revert", ChangeSetName: "revert", UsePreviousTemplate: true, DeploymentMode: "REVERT_DRIFT" }, spoke);
    expect(await call("DescribeChangeSet", { StackName: "fid-revert", ChangeSetName: "revert" }, spoke)).toMatchObject({ Status: "CREATE_COMPLETE" });
    await call("ExecuteChangeSet", { StackName: "fid-revert", ChangeSetName: "revert" }, spoke);
    await new Promise((resolve) => setImmediate(resolve));
    stop();
    const revoke = delivered.find((e) => e.detail.eventName === "RevokeSecurityGroupIngress")!;
    expect(revoke.detail).toMatchObject({ sourceIPAddress: "cloudformation.amazonaws.com", userIdentity: { type: "AssumedRole", invokedBy: "cloudformation.amazonaws.com", arn: spoke.arn } });
    // The repair's own calls never start a second repair: rejected as driftguard's own role first.
    const parsed = parseChangeEvent(revoke);
    expect(isRejection(parsed) ? parsed : admitChange(parsed, TEST_CONFIG)).toMatchObject({ rejected: true, reason: "own-role" });
  });
});
