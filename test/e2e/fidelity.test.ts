import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { administratorSession, HUB, ouScenario, PROD_OU, startTestSandbox, TEST_CONFIG, WORKLOAD, WORKLOADS_OU } from "../support/sandbox.js";
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
  // An OU tree for the Organizations checks: Workloads > Prod holds the workload account.
  sandbox = await startTestSandbox({ scenario: ouScenario() });
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
import urllib.request, urllib.error
from botocore.auth import SigV4Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
def raw(service, method, path, body=b"", headers={}):
    request = AWSRequest(method=method, url=INSECURE_ENDPOINT + path, data=body, headers=dict(headers))
    (S3SigV4Auth if service == "s3" else SigV4Auth)(session.get_credentials(), service, session.region_name).add_auth(request)
    try:
        urllib.request.urlopen(urllib.request.Request(request.url, data=body or None, method=method, headers=dict(request.headers.items())))
    except urllib.error.HTTPError as e:
        return {"status": e.code, "type": e.headers.get("x-amzn-ErrorType") or e.headers.get("x-amzn-query-error"), "body": e.read().decode()}
out({
  "query": err(lambda: client("iam").list_users()),
  "ec2": err(lambda: client("ec2").describe_images()),
  "json": err(lambda: client("organizations").list_policies(Filter="SERVICE_CONTROL_POLICY")),
  "rest-xml": err(lambda: client("s3").get_bucket_analytics_configuration(Bucket="${sandbox.hub.reportBucket}", Id="driftguard")),
  "json-1.0": err(lambda: client("sqs").list_dead_letter_source_queues(QueueUrl=ENDPOINT + "/${WORKLOAD}/nothing")),
  "rest-json": err(lambda: client("lambda").list_layers()),
  # Requests no operation of the model has, signed by botocore's own signer.
  "no-target": raw("sqs", "POST", "/", b"{}", {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.NoSuchOperation"}),
  "no-route": raw("lambda", "GET", "/2015-03-31/no-such-route"),
  "s3-method": raw("s3", "PUT", "/"),
  "s3-object-method": raw("s3", "PATCH", "/${sandbox.hub.reportBucket}/key"),
})`,
    );
    expect(result.query).toEqual({ code: "InvalidAction", status: 400, message: "The sandbox does not implement IAM.ListUsers" });
    expect(result.ec2).toEqual({ code: "InvalidAction", status: 400, message: "The sandbox does not implement EC2.DescribeImages" });
    expect(result.json).toMatchObject({ code: "UnknownOperationException", status: 400, message: "The sandbox does not implement Organizations.ListPolicies" });
    expect(result["rest-xml"]).toEqual({ code: "NotImplemented", status: 501, message: "The sandbox does not implement S3.GetBucketAnalyticsConfiguration" });
    // JSON 1.0 (SQS) and REST-JSON (Lambda): UnknownOperationException, 400 and 404 (protocol/errors.ts cites real answers).
    expect(result["json-1.0"]).toMatchObject({ status: 400, message: "The sandbox does not implement SQS.ListDeadLetterSourceQueues" });
    expect(result["rest-json"]).toEqual({ code: "UnknownOperationException", status: 404, message: "The sandbox does not implement Lambda.ListLayers" });
    expect(result["no-target"]).toMatchObject({ status: 400 });
    expect(JSON.parse(result["no-target"].body)).toEqual({ __type: "UnknownOperationException", message: "The sandbox does not implement SQS.NoSuchOperation" });
    expect(result["no-route"]).toMatchObject({ status: 404, type: "UnknownOperationException" });
    expect(JSON.parse(result["no-route"].body)).toMatchObject({ message: "The sandbox does not implement Lambda GET /2015-03-31/no-such-route" });
    // S3's own answer for a method no operation uses on that kind of resource (rest-xml.ts cites real ones).
    for (const [name, method, type] of [["s3-method", "PUT", "SERVICE"], ["s3-object-method", "PATCH", "OBJECT"]] as const) {
      expect(result[name].status, name).toBe(405);
      expect(result[name].body, name).toContain(
        `<Error><Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message><Method>${method}</Method><ResourceType>${type}</ResourceType><RequestId>`,
      );
    }
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

describe("CloudFormation's reads and rollbacks under a caller's own permissions, seen by boto3", () => {
  // Without a service role CloudFormation reads and writes with the caller's credentials (using-iam-servicerole.html; drift
  // detection always: using-cfn-stack-drift.md), so a caller's missing grant shows in CloudFormation's answers.
  it("a denied read: DETECTION_FAILED naming the resource, DetectStackResourceDrift failing, an IMPORT change set FAILED or, denied at execution, IMPORT_ROLLBACK_COMPLETE", async () => {
    sandbox.setLatency({ changeSetMs: [0, 0], detectionMs: [0, 0] });
    const admin = await administratorSession(sandbox, WORKLOAD, "reads");
    const result = await boto3(
      sandbox,
      admin,
      `
import time
iam, sts, cfn = client("iam"), client("sts"), client("cloudformation")
def caller(name, actions):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${WORKLOAD}:root"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    c = sts.assume_role(RoleArn="arn:aws:iam::${WORKLOAD}:role/" + name, RoleSessionName="boto3")["Credentials"]
    s = boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"], region_name="us-east-1")
    return s.client("cloudformation", endpoint_url=ENDPOINT, config=Config(retries={"max_attempts": 1}))
def until(read, pending):
    deadline = time.time() + 30
    while True:
        value = read()
        if value not in pending or time.time() > deadline:
            return value
        time.sleep(0.1)
role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}
cfn.create_stack(StackName="fid-reads", TemplateBody=json.dumps({"Resources": {"Role": role, "Topic": {"Type": "AWS::SNS::Topic"}}}), Capabilities=["CAPABILITY_IAM"])
auditor = caller("fid-auditor", ["cloudformation:*", "sns:*"])
detection = auditor.detect_stack_drift(StackName="fid-reads")["StackDriftDetectionId"]
until(lambda: auditor.describe_stack_drift_detection_status(StackDriftDetectionId=detection)["DetectionStatus"], ["DETECTION_IN_PROGRESS"])
status = auditor.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
drifts = auditor.describe_stack_resource_drifts(StackName="fid-reads")["StackResourceDrifts"]

group = {"Type": "AWS::EC2::SecurityGroup", "DeletionPolicy": "Retain", "Properties": {"GroupDescription": "fid-import"}}
cfn.create_stack(StackName="fid-loose", TemplateBody=json.dumps({"Resources": {"G": group}}))
group_id = cfn.describe_stack_resources(StackName="fid-loose")["StackResources"][0]["PhysicalResourceId"]
cfn.delete_stack(StackName="fid-loose")
def adopt(importer, stack):
    importer.create_change_set(StackName=stack, ChangeSetName="adopt", ChangeSetType="IMPORT", TemplateBody=json.dumps({"Resources": {"Adopted": group}}),
        ResourcesToImport=[{"ResourceType": "AWS::EC2::SecurityGroup", "LogicalResourceId": "Adopted", "ResourceIdentifier": {"Id": group_id}}])
    until(lambda: importer.describe_change_set(StackName=stack, ChangeSetName="adopt")["Status"], ["CREATE_PENDING", "CREATE_IN_PROGRESS"])
    return importer.describe_change_set(StackName=stack, ChangeSetName="adopt")
blind = adopt(caller("fid-blind", ["cloudformation:*"]), "fid-denied-blind")
importer = caller("fid-importer", ["cloudformation:*", "ec2:DescribeSecurityGroups"])
ready = adopt(importer, "fid-denied-claim")
iam.put_role_policy(RoleName="fid-importer", PolicyName="deny", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:DescribeSecurityGroups", "Resource": "*"}]}))
importer.execute_change_set(StackName="fid-denied-claim", ChangeSetName="adopt")
claim = until(lambda: importer.describe_stacks(StackName="fid-denied-claim")["Stacks"][0]["StackStatus"], ["IMPORT_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"])
import_failed = [e for e in importer.describe_stack_events(StackName="fid-denied-claim")["StackEvents"] if e["ResourceStatus"] == "IMPORT_FAILED"]
out({
  "status": {k: status.get(k) for k in ["DetectionStatus", "StackDriftStatus", "DetectionStatusReason"]},
  "drifts": sorted((d["LogicalResourceId"], d["StackResourceDriftStatus"]) for d in drifts),
  "resource": err(lambda: auditor.detect_stack_resource_drift(StackName="fid-reads", LogicalResourceId="Role")),
  "topic": auditor.detect_stack_resource_drift(StackName="fid-reads", LogicalResourceId="Topic")["StackResourceDrift"]["StackResourceDriftStatus"],
  "blind": {k: blind.get(k) for k in ["Status", "ExecutionStatus", "StatusReason"]},
  "ready": ready["Status"],
  "claim": claim,
  "execution": importer.describe_change_set(StackName="fid-denied-claim", ChangeSetName="adopt")["ExecutionStatus"],
  "importFailed": [(e["LogicalResourceId"], e["ResourceStatusReason"]) for e in import_failed],
  "adopted": importer.describe_stack_resources(StackName="fid-denied-claim")["StackResources"],
})`,
    );
    const handler = (action: string, role: string, why: string) =>
      new RegExp(String.raw`^Resource handler returned message: "(You are not authorized to perform this operation\. )?User: arn:aws:sts::${WORKLOAD}:assumed-role/${role}/boto3 is not authorized to perform: ${action}( on resource: \S+)? ${why}.*HandlerErrorCode: AccessDenied\)$`);
    expect(result.status).toMatchObject({ DetectionStatus: "DETECTION_FAILED", StackDriftStatus: "IN_SYNC" });
    expect(result.status.DetectionStatusReason).toMatch(/Failed to detect drift on resources \[Role\b/);
    expect(result.status.DetectionStatusReason).toContain("is not authorized to perform: iam:GetRole");
    expect(result.drifts).toEqual([["Topic", "IN_SYNC"]]);
    expect(result.resource).toMatchObject({ code: "AccessDenied", status: 403 });
    expect(result.resource.message).toMatch(handler("iam:GetRole", "fid-auditor", "because no identity-based policy allows the iam:GetRole action"));
    expect(result.topic).toBe("IN_SYNC");
    expect(result.blind).toMatchObject({ Status: "FAILED", ExecutionStatus: "UNAVAILABLE" });
    expect(result.blind.StatusReason).toMatch(handler("ec2:DescribeSecurityGroups", "fid-blind", "because no identity-based policy allows the ec2:DescribeSecurityGroups action"));
    expect(result.ready).toBe("CREATE_COMPLETE");
    expect(result.claim).toBe("IMPORT_ROLLBACK_COMPLETE");
    expect(result.execution).toBe("EXECUTE_FAILED");
    expect(result.importFailed).toHaveLength(1);
    expect(result.importFailed[0][0]).toBe("Adopted");
    expect(result.importFailed[0][1]).toMatch(handler("ec2:DescribeSecurityGroups", "fid-importer", "with an explicit deny in an identity-based policy"));
    expect(result.adopted).toEqual([]);
  });

  it("a denied rollback call: UPDATE_ROLLBACK_FAILED, then ContinueUpdateRollback with ResourcesToSkip (API_ContinueUpdateRollback.html)", async () => {
    const admin = await administratorSession(sandbox, WORKLOAD, "rollback");
    const result = await boto3(
      sandbox,
      admin,
      `
iam, sts = client("iam"), client("sts")
iam.create_role(RoleName="fid-deployer", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${WORKLOAD}:root"}, "Action": "sts:AssumeRole"}]}))
grant = lambda name, effect, actions: iam.put_role_policy(RoleName="fid-deployer", PolicyName=name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": actions, "Resource": "*"}]}))
grant("p", "Allow", ["cloudformation:*", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags", "ec2:Describe*", "sns:CreateTopic", "sns:SetTopicAttributes", "sns:TagResource"])
c = sts.assume_role(RoleArn="arn:aws:iam::${WORKLOAD}:role/fid-deployer", RoleSessionName="boto3")["Credentials"]
cfn = boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"], region_name="us-east-1").client("cloudformation", endpoint_url=ENDPOINT, config=Config(retries={"max_attempts": 1}))
def template(ports, name):
    return json.dumps({"Resources": {
      "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "fid-rollback", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "CidrIp": "10.0.0.0/8"} for p in ports]}},
      "Topic": {"Type": "AWS::SNS::Topic", "DependsOn": "Sg", "Properties": {"DisplayName": name}}}})
stack = lambda: cfn.describe_stacks(StackName="fid-rollback")["Stacks"][0]
cfn.create_stack(StackName="fid-rollback", TemplateBody=template([443], "one"))
grant("deny", "Deny", ["sns:SetTopicAttributes"])
cfn.update_stack(StackName="fid-rollback", TemplateBody=template([443, 22], "two"))
failed = stack()
sg = cfn.describe_stack_resource(StackName="fid-rollback", LogicalResourceId="Sg")["StackResourceDetail"]
update = err(lambda: cfn.update_stack(StackName="fid-rollback", TemplateBody=template([443], "three")))
wrong = err(lambda: cfn.continue_update_rollback(StackName="fid-rollback", ResourcesToSkip=["Topic"]))
cfn.continue_update_rollback(StackName="fid-rollback", ResourcesToSkip=["Sg"])
out({"failed": [failed["StackStatus"], failed["StackStatusReason"]], "sg": [sg["ResourceStatus"], sg["ResourceStatusReason"]], "update": update,
     "wrong": wrong, "continued": stack()["StackStatus"], "again": err(lambda: cfn.continue_update_rollback(StackName="fid-rollback")),
     "ports": sorted(p["FromPort"] for p in client("ec2").describe_security_groups(GroupIds=[sg["PhysicalResourceId"]])["SecurityGroups"][0]["IpPermissions"])})`,
    );
    expect(result.failed).toEqual(["UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [Sg]. "]);
    expect(result.sg[0]).toBe("UPDATE_FAILED");
    expect(result.sg[1]).toMatch(/is not authorized to perform: ec2:RevokeSecurityGroupIngress .*HandlerErrorCode: AccessDenied\)$/);
    expect(result.update).toMatchObject({ code: "ValidationError", status: 400 });
    expect(result.update.message).toMatch(/ is in UPDATE_ROLLBACK_FAILED state and can not be updated\.$/);
    expect(result.wrong).toMatchObject({ code: "ValidationError", status: 400 });
    expect(result.continued).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(result.again).toEqual({ code: "ValidationError", status: 400, message: "ContinueUpdateRollback cannot be called from current stack status" });
    // Skipped, the group keeps what the failed update opened: "inconsistent with the state of the resources in the stack template".
    expect(result.ports).toEqual([22, 443]);
  });
});

describe("S3 as it is today, seen by boto3", () => {
  it("objects: metadata and SSE headers, ranges, SSE-C blocking, multipart, url-encoded listings, presigned URLs, re-creating a bucket", async () => {
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
import hashlib, urllib.request, urllib.error, datetime
from unittest import mock
s3 = client("s3")
B = "fidelity-objects"
s3.create_bucket(Bucket=B)
def status(r): return r["ResponseMetadata"]["HTTPStatusCode"]
def fetch(url):
    try:
        with urllib.request.urlopen(url) as r:
            return {"status": r.status, "body": r.read().decode()}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode()}
put = s3.put_object(Bucket=B, Key="meta.txt", Body=b"0123456789", ContentType="text/plain", CacheControl="max-age=60", Metadata={"Owner": "alice"})
head = s3.head_object(Bucket=B, Key="meta.txt")
ranged = s3.get_object(Bucket=B, Key="meta.txt", Range="bytes=2-5")
suffix = s3.get_object(Bucket=B, Key="meta.txt", Range="bytes=-3")
key = os.urandom(32)
sse_c = lambda: s3.put_object(Bucket=B, Key="sse-c.txt", Body=b"secret", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
blocked = err(sse_c)
s3.put_bucket_encryption(Bucket=B, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/fidelity"}, "BucketKeyEnabled": True, "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]})
sse_c()
kms = s3.put_object(Bucket=B, Key="kms.txt", Body=b"k")
deleted = s3.delete_bucket_encryption(Bucket=B)
after_delete = s3.get_bucket_encryption(Bucket=B)["ServerSideEncryptionConfiguration"]["Rules"]
part1, part2 = os.urandom(5 * 1024 * 1024), b"tail"
up = s3.create_multipart_upload(Bucket=B, Key="big.bin", ContentType="application/octet-stream", Metadata={"job": "42"})
e1 = s3.upload_part(Bucket=B, Key="big.bin", UploadId=up["UploadId"], PartNumber=1, Body=part1)["ETag"]
e2 = s3.upload_part(Bucket=B, Key="big.bin", UploadId=up["UploadId"], PartNumber=2, Body=part2)["ETag"]
parts = s3.list_parts(Bucket=B, Key="big.bin", UploadId=up["UploadId"])["Parts"]
unordered = err(lambda: s3.complete_multipart_upload(Bucket=B, Key="big.bin", UploadId=up["UploadId"], MultipartUpload={"Parts": [{"ETag": e2, "PartNumber": 2}, {"ETag": e1, "PartNumber": 1}]}))
wrong_etag = err(lambda: s3.complete_multipart_upload(Bucket=B, Key="big.bin", UploadId=up["UploadId"], MultipartUpload={"Parts": [{"ETag": e2, "PartNumber": 1}, {"ETag": e2, "PartNumber": 2}]}))
done = s3.complete_multipart_upload(Bucket=B, Key="big.bin", UploadId=up["UploadId"], MultipartUpload={"Parts": [{"ETag": e1, "PartNumber": 1}, {"ETag": e2, "PartNumber": 2}]})
expected_etag = '"%s-2"' % hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).hexdigest()
big = s3.get_object(Bucket=B, Key="big.bin")
big_body = big["Body"].read()
small = s3.create_multipart_upload(Bucket=B, Key="small.bin")
s1 = s3.upload_part(Bucket=B, Key="small.bin", UploadId=small["UploadId"], PartNumber=1, Body=b"a")["ETag"]
s2 = s3.upload_part(Bucket=B, Key="small.bin", UploadId=small["UploadId"], PartNumber=2, Body=b"b")["ETag"]
too_small = err(lambda: s3.complete_multipart_upload(Bucket=B, Key="small.bin", UploadId=small["UploadId"], MultipartUpload={"Parts": [{"ETag": s1, "PartNumber": 1}, {"ETag": s2, "PartNumber": 2}]}))
s3.abort_multipart_upload(Bucket=B, Key="small.bin", UploadId=small["UploadId"])
aborted = err(lambda: s3.list_parts(Bucket=B, Key="small.bin", UploadId=small["UploadId"]))
control = "ctl/bell\\x07 tab\\t line\\nfeed\\r+%.txt"
s3.put_object(Bucket=B, Key=control, Body=b"c")
listed = s3.list_objects_v2(Bucket=B, Prefix="ctl/")
raw = []
s3.meta.events.register("after-call.s3.ListObjectsV2", lambda http_response, **kw: raw.append(http_response.content.decode()))
s3.list_objects_v2(Bucket=B, Prefix="ctl/", EncodingType="url")
sigv2_url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "meta.txt"}, ExpiresIn=60)
s3 = client("s3", signature_version="s3v4")
url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "meta.txt"}, ExpiresIn=60)
real = datetime.datetime
class Past(real):
    @classmethod
    def utcnow(cls):
        return real.utcnow() - datetime.timedelta(minutes=10)
    @classmethod
    def now(cls, tz=None):
        return real.now(tz) - datetime.timedelta(minutes=10)
with mock.patch("botocore.auth.datetime.datetime", Past):
    old_url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "meta.txt"}, ExpiresIn=60)
    long_url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "meta.txt"}, ExpiresIn=3600)
eu = session.client("s3", endpoint_url=ENDPOINT, region_name="eu-west-1", config=Config(retries={"max_attempts": 1}))
eu.create_bucket(Bucket="fidelity-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
out({
  "put": {k: put.get(k) for k in ("ServerSideEncryption",)},
  "head": {k: head.get(k) for k in ("ContentType", "CacheControl", "Metadata", "ServerSideEncryption", "AcceptRanges", "ContentLength")},
  "ranged": {"status": status(ranged), "ContentRange": ranged.get("ContentRange"), "ContentLength": ranged["ContentLength"], "body": ranged["Body"].read().decode()},
  "suffix": {"status": status(suffix), "ContentRange": suffix.get("ContentRange"), "body": suffix["Body"].read().decode()},
  "unsatisfiable": err(lambda: s3.get_object(Bucket=B, Key="meta.txt", Range="bytes=20-")),
  "blocked": blocked,
  "sse_c_without_key": err(lambda: s3.get_object(Bucket=B, Key="sse-c.txt")),
  "sse_c_with_key": s3.get_object(Bucket=B, Key="sse-c.txt", SSECustomerAlgorithm="AES256", SSECustomerKey=key)["Body"].read().decode(),
  "kms": {k: kms.get(k) for k in ("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled")},
  "deleted": status(deleted), "after_delete": after_delete,
  "parts": [(p["PartNumber"], p["Size"], p["ETag"]) for p in parts], "e1": e1, "e2": e2,
  "unordered": unordered, "wrong_etag": wrong_etag, "too_small": too_small, "aborted": aborted,
  "done_etag": done["ETag"], "expected_etag": expected_etag,
  "big": {"same": big_body == part1 + part2, "Metadata": big.get("Metadata"), "ContentType": big.get("ContentType")},
  "listed": [o["Key"] for o in listed["Contents"]], "control": control,
  "raw": raw[0],
  "presigned": fetch(url), "expired": fetch(old_url), "sigv2": fetch(sigv2_url), "long": fetch(long_url)["status"],
  "tampered": fetch(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))["status"],
  "again_us_east_1": status(s3.create_bucket(Bucket=B)),
  "again_eu": err(lambda: eu.create_bucket(Bucket="fidelity-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})),
})`,
    );
    // UsingServerSideEncryption.html: every object is encrypted, SSE-S3 by default, and says so.
    expect(result.put).toEqual({ ServerSideEncryption: "AES256" });
    // API_HeadObject.html: system metadata and x-amz-meta-* come back as stored (user keys lower-cased).
    expect(result.head).toEqual({ ContentType: "text/plain", CacheControl: "max-age=60", Metadata: { owner: "alice" }, ServerSideEncryption: "AES256", AcceptRanges: "bytes", ContentLength: 10 });
    // API_GetObject.html Range, RFC 9110 §14: 206 with the exact bytes and Content-Range; past the end 416 InvalidRange.
    expect(result.ranged).toEqual({ status: 206, ContentRange: "bytes 2-5/10", ContentLength: 4, body: "2345" });
    expect(result.suffix).toEqual({ status: 206, ContentRange: "bytes 7-9/10", body: "789" });
    expect(result.unsatisfiable).toMatchObject({ code: "InvalidRange", status: 416 });
    // blocking-unblocking-s3-c-encryption-gpb.html: SSE-C refused with 403 AccessDenied while blocked (the new-bucket default).
    expect(result.blocked).toMatchObject({ code: "AccessDenied", status: 403 });
    // API_GetObject.html: an SSE-C object is read with its key.
    expect(result.sse_c_without_key).toMatchObject({ code: "InvalidRequest", status: 400 });
    expect(result.sse_c_with_key).toBe("secret");
    expect(result.kms).toEqual({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/fidelity", BucketKeyEnabled: true });
    // API_DeleteBucketEncryption.html: "resets the default encryption for the bucket as … (SSE-S3)"; 204.
    expect(result.deleted).toBe(204);
    expect(result.after_delete).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }]);
    // API_ListParts.html, API_CompleteMultipartUpload.html (InvalidPartOrder, InvalidPart, EntityTooSmall), API_AbortMultipartUpload.html (NoSuchUpload).
    expect(result.parts).toEqual([[1, 5 * 1024 * 1024, result.e1], [2, 4, result.e2]]);
    expect(result.unordered).toMatchObject({ code: "InvalidPartOrder", status: 400 });
    expect(result.wrong_etag).toMatchObject({ code: "InvalidPart", status: 400 });
    expect(result.too_small).toMatchObject({ code: "EntityTooSmall", status: 400 });
    expect(result.aborted).toMatchObject({ code: "NoSuchUpload", status: 404 });
    // checking-object-integrity.html: a multipart ETag is the MD5 of the parts' MD5s, "-" and the part count.
    expect(result.done_etag).toBe(result.expected_etag);
    expect(result.big).toEqual({ same: true, Metadata: { job: "42" }, ContentType: "application/octet-stream" });
    // object-keys.html (control characters), API_ListObjectsV2.html EncodingType=url: botocore asks for url encoding and decodes.
    expect(result.listed).toEqual([result.control]);
    expect(result.raw).toContain("<EncodingType>url</EncodingType>");
    expect(result.raw).toContain("<Key>ctl/bell%07%20tab%09%20line%0Afeed%0D%2B%25.txt</Key>");
    // sigv4-query-string-auth.html: valid within X-Amz-Expires (even when signed over 15 minutes ago), then "Request has expired".
    expect(result.presigned).toEqual({ status: 200, body: "0123456789" });
    expect(result.expired.status).toBe(403);
    expect(result.expired.body).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired<\/Message><X-Amz-Expires>60<\/X-Amz-Expires><Expires>\S+Z<\/Expires><ServerTime>\S+Z<\/ServerTime>/);
    expect(result.long).toBe(200);
    // UsingAWSSDK.html#UsingAWSSDK-sig2-deprecation: botocore's default (SigV2) presigning is refused by buckets created since June 2020.
    expect(result.sigv2.status).toBe(400);
    expect(result.sigv2.body).toContain("<Code>InvalidRequest</Code><Message>The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.</Message>");
    expect(result.tampered).toBe(403);
    // API_CreateBucket.html: re-creating your own bucket is 200 in us-east-1, BucketAlreadyOwnedByYou elsewhere.
    expect(result.again_us_east_1).toBe(200);
    expect(result.again_eu).toMatchObject({ code: "BucketAlreadyOwnedByYou", status: 409 });
  });
});

describe("EC2 managed prefix lists and ip-permission filters, seen by boto3", () => {
  it("lists the AWS-managed S3 list, lets rules reference lists that exist, and filters groups by their rules (API_DescribeSecurityGroups.html)", async () => {
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
ec2 = client("ec2")
s3_list = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}])["PrefixLists"]
pl = s3_list[0]["PrefixListId"]
entries = ec2.get_managed_prefix_list_entries(PrefixListId=pl)["Entries"]
dry = err(lambda: ec2.create_managed_prefix_list(PrefixListName="office", AddressFamily="IPv4", MaxEntries=5, DryRun=True))
before = [p["PrefixListName"] for p in ec2.describe_managed_prefix_lists()["PrefixLists"]]
mine = ec2.create_managed_prefix_list(PrefixListName="office", AddressFamily="IPv4", MaxEntries=5, Entries=[{"Cidr": "198.51.100.0/24", "Description": "office"}])["PrefixList"]
a = ec2.create_security_group(GroupName="pfx-a", Description="a")["GroupId"]
b = ec2.create_security_group(GroupName="pfx-b", Description="b")["GroupId"]
ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=[
  {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": pl}]},
  {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]},
  {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]},
  {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": b}]},
])
ec2.authorize_security_group_egress(GroupId=b, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": mine["PrefixListId"]}]}])
def names(*filters):
    groups = ec2.describe_security_groups(Filters=[{"Name": n, "Values": v} for n, v in filters])["SecurityGroups"]
    return sorted(g["GroupName"] for g in groups if g["GroupName"].startswith("pfx-"))
rule = lambda pid: [{"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "PrefixListIds": [{"PrefixListId": pid}]}]
out({
  "s3_list": {k: s3_list[0].get(k) for k in ("PrefixListName", "OwnerId", "AddressFamily", "State", "PrefixListArn")}, "pl": pl,
  "entries": [e["Cidr"] for e in entries], "dry": dry, "office_before": "office" in before,
  "mine": {k: mine.get(k) for k in ("PrefixListName", "OwnerId", "MaxEntries", "Version")},
  "filters": {
    "cidr": names(("ip-permission.cidr", ["203.0.113.0/24"])),
    "ipv6-cidr": names(("ip-permission.ipv6-cidr", ["2001:db8::/32"])),
    "from-port": names(("ip-permission.from-port", ["5432"])),
    "to-port": names(("ip-permission.to-port", ["53"])),
    "protocol": names(("ip-permission.protocol", ["udp"])),
    "protocol-number": names(("ip-permission.protocol", ["17"])),
    "group-id": names(("ip-permission.group-id", [b])),
    "group-name": names(("ip-permission.group-name", ["pfx-b"])),
    "prefix-list-id": names(("ip-permission.prefix-list-id", [pl])),
    "user-id": names(("ip-permission.user-id", ["${WORKLOAD}"])),
    "egress-prefix-list-id": names(("egress.ip-permission.prefix-list-id", [mine["PrefixListId"]])),
    "egress-cidr": names(("egress.ip-permission.cidr", ["0.0.0.0/0"])),
    "and": names(("ip-permission.from-port", ["22"]), ("ip-permission.cidr", ["203.0.113.*"])),
    "none": names(("ip-permission.cidr", ["10.0.0.0/8"])),
  },
  "unknown_list": err(lambda: ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=rule("pl-0123456789abcdef0"))),
  "malformed_list": err(lambda: ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=rule("pl-nope"))),
  "describe_unknown_list": err(lambda: ec2.describe_managed_prefix_lists(PrefixListIds=["pl-00000000"])),
  "reserved_name": err(lambda: ec2.create_managed_prefix_list(PrefixListName="com.amazonaws.mine", AddressFamily="IPv4", MaxEntries=1)),
  "unknown_group_name": err(lambda: ec2.describe_security_groups(GroupNames=["no-such-group"])),
  "unknown_filter": err(lambda: ec2.describe_security_groups(Filters=[{"Name": "ip-permission.colour", "Values": ["x"]}])),
})`,
    );
    // working-with-aws-managed-prefix-lists.html: com.amazonaws.<region>.s3, owned by AWS.
    expect(result.s3_list).toEqual({
      PrefixListName: "com.amazonaws.us-east-1.s3",
      OwnerId: "AWS",
      AddressFamily: "IPv4",
      State: "create-complete",
      PrefixListArn: `arn:aws:ec2:us-east-1:aws:prefix-list/${result.pl}`,
    });
    expect(result.pl).toMatch(/^pl-[0-9a-f]{8}$/);
    expect(result.entries.length).toBeGreaterThan(0);
    // CommonParameters.html DryRun: DryRunOperation, and nothing is created.
    expect(result.dry).toMatchObject({ code: "DryRunOperation", status: 412 });
    expect(result.office_before).toBe(false);
    expect(result.mine).toEqual({ PrefixListName: "office", OwnerId: WORKLOAD, MaxEntries: 5, Version: 1 });
    expect(result.filters).toEqual({
      cidr: ["pfx-a"],
      "ipv6-cidr": ["pfx-a"],
      "from-port": ["pfx-a"],
      "to-port": ["pfx-a"],
      protocol: ["pfx-a"],
      "protocol-number": ["pfx-a"],
      "group-id": ["pfx-a"],
      "group-name": ["pfx-a"],
      "prefix-list-id": ["pfx-a"],
      "user-id": ["pfx-a"],
      "egress-prefix-list-id": ["pfx-b"],
      // Both keep the allow-all egress rule every new group gets (default-custom-security-groups.html).
      "egress-cidr": ["pfx-a", "pfx-b"],
      and: ["pfx-a"],
      none: [],
    });
    // errors-overview.html; the NotFound message as CloudFormation relays it (aws-cloudformation/rain#308).
    expect(result.unknown_list).toEqual({ code: "InvalidPrefixListID.NotFound", status: 400, message: "The prefix list ID 'pl-0123456789abcdef0' does not exist" });
    expect(result.malformed_list).toMatchObject({ code: "InvalidPrefixListId.Malformed", status: 400 });
    expect(result.describe_unknown_list).toMatchObject({ code: "InvalidPrefixListID.NotFound", status: 400 });
    expect(result.reserved_name).toMatchObject({ code: "InvalidParameterValue", status: 400 });
    expect(result.unknown_group_name).toMatchObject({ code: "InvalidGroup.NotFound", status: 400 });
    expect(result.unknown_filter).toMatchObject({ code: "InvalidParameterValue", status: 400 });
  });
});

describe("SNS subscriptions and Publish limits, seen by boto3", () => {
  it("pages subscriptions 100 at a time, shows PendingConfirmation, accepts UTF-8 subjects under 100 characters and counts the 256 KB in bytes", async () => {
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(HUB),
      `
sns = client("sns")
t = sns.create_topic(Name="fid-subs")["TopicArn"]
pending = sns.subscribe(TopicArn=t, Protocol="email", Endpoint="a@example.com")["SubscriptionArn"]
returned = sns.subscribe(TopicArn=t, Protocol="email", Endpoint="b@example.com", ReturnSubscriptionArn=True)["SubscriptionArn"]
for i in range(99):
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:${HUB}:q%d" % i)
first = sns.list_subscriptions_by_topic(TopicArn=t)
second = sns.list_subscriptions_by_topic(TopicArn=t, NextToken=first["NextToken"])
pages = list(sns.get_paginator("list_subscriptions").paginate())
publish = lambda **kw: err(lambda: sns.publish(TopicArn=t, **kw))
out({
  "pending": pending, "returned": returned, "topic": t,
  "first": len(first["Subscriptions"]), "second": len(second["Subscriptions"]), "second_token": second.get("NextToken"),
  "listed_pending": sorted(s["Endpoint"] for s in first["Subscriptions"] + second["Subscriptions"] if s["SubscriptionArn"] == "PendingConfirmation"),
  "all_pages": [len(p["Subscriptions"]) for p in pages],
  "utf8_subject": publish(Subject="drift \u2717 " + "\u00fc" * 91, Message="m"),
  "subject_100": publish(Subject="x" * 100, Message="m"),
  "subject_newline": publish(Subject="two\\nlines", Message="m"),
  "bytes_ok": publish(Message="\u00e9" * 131072),
  "bytes_over": publish(Message="\u00e9" * 131073),
})`,
    );
    // API_Subscribe.html: "pending confirmation", or with ReturnSubscriptionArn the ARN itself.
    expect(result.pending).toBe("pending confirmation");
    expect(result.returned).toMatch(new RegExp(`^${result.topic}:[0-9a-f-]{36}$`));
    // API_ListSubscriptionsByTopic.html / API_ListSubscriptions.html: up to 100 per call, then NextToken.
    expect([result.first, result.second, result.second_token]).toEqual([100, 1, null]);
    // Listed unconfirmed subscriptions read "PendingConfirmation" (mozilla/frost#428).
    expect(result.listed_pending).toEqual(["a@example.com", "b@example.com"]);
    // 101 here plus accounts.yaml's notification email on driftguard's topic.
    expect(result.all_pages).toEqual([100, 2]);
    // API_Publish.html: Subject "UTF-8 text with no line breaks or control characters, and less than 100 characters long".
    expect(result.utf8_subject).toBeNull();
    expect(result.subject_100).toEqual({ code: "InvalidParameter", status: 400, message: "Invalid parameter: Subject" });
    expect(result.subject_newline).toMatchObject({ code: "InvalidParameter", status: 400 });
    // API_Publish.html Message: "262,144 bytes, not 262,144 characters".
    expect(result.bytes_ok).toBeNull();
    expect(result.bytes_over).toMatchObject({ code: "InvalidParameter", status: 400 });
  });
});

describe("Organizations OUs, seen by boto3 (for onboarding by OU)", () => {
  it("walks root → OU → OU → account and answers OrganizationalUnitNotFoundException for an unknown OU", async () => {
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(HUB),
      `
org = client("organizations")
root = org.list_roots()["Roots"][0]
top = org.list_organizational_units_for_parent(ParentId=root["Id"])["OrganizationalUnits"]
children = org.list_children(ParentId="${WORKLOADS_OU}", ChildType="ORGANIZATIONAL_UNIT")["Children"]
out({
  "root": root["Id"], "org": org.describe_organization()["Organization"]["Id"],
  "top": [(u["Id"], u["Name"]) for u in top],
  "children": children,
  "prod": org.describe_organizational_unit(OrganizationalUnitId="${PROD_OU}")["OrganizationalUnit"],
  "accounts": [a["Id"] for a in org.list_accounts_for_parent(ParentId="${PROD_OU}")["Accounts"]],
  "parents": org.list_parents(ChildId="${WORKLOAD}")["Parents"],
  "ou_parents": org.list_parents(ChildId="${PROD_OU}")["Parents"],
  "missing": err(lambda: org.describe_organizational_unit(OrganizationalUnitId="ou-test-nope0000")),
})`,
    );
    // API_ListOrganizationalUnitsForParent.html, API_ListChildren.html, API_DescribeOrganizationalUnit.html, API_ListParents.html
    expect(result.top).toEqual([[WORKLOADS_OU, "Workloads"]]);
    expect(result.children).toEqual([{ Id: PROD_OU, Type: "ORGANIZATIONAL_UNIT" }]);
    expect(result.prod).toEqual({ Id: PROD_OU, Name: "Prod", Arn: expect.stringMatching(new RegExp(`^arn:aws:organizations::\\d{12}:ou/${result.org}/${PROD_OU}$`)) });
    expect(result.accounts).toEqual([WORKLOAD]);
    expect(result.parents).toEqual([{ Id: PROD_OU, Type: "ORGANIZATIONAL_UNIT" }]);
    expect(result.ou_parents).toEqual([{ Id: WORKLOADS_OU, Type: "ORGANIZATIONAL_UNIT" }]);
    expect(result.missing).toMatchObject({ code: "OrganizationalUnitNotFoundException", status: 400 });
  });
});

describe("principals that do not exist, seen by boto3 (iam/principal-existence.ts)", () => {
  it("are refused by S3 bucket policies, KMS key policies and IAM trust policies, each with its service's error", async () => {
    const missingRole = `arn:aws:iam::${WORKLOAD}:role/fid-missing`;
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
s3, kms, iam = client("s3"), client("kms"), client("iam")
s3.create_bucket(Bucket="fid-principals")
def doc(aws, action, resource=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": aws}, "Action": action, **({"Resource": resource} if resource else {})}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
bucket = lambda aws: err(lambda: s3.put_bucket_policy(Bucket="fid-principals", Policy=doc(aws, "s3:GetObject", "arn:aws:s3:::fid-principals/*")))
key_id = kms.create_key(Description="fid")["KeyMetadata"]["KeyId"]
out({
  "s3_role": bucket("${missingRole}"),
  "s3_account": bucket("444455556666"),
  "s3_hub_root": bucket("arn:aws:iam::${HUB}:root"),
  "kms_create": err(lambda: kms.create_key(Policy=doc("${missingRole}", "kms:*", "*"))),
  "kms_put": err(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=doc("arn:aws:iam::444455556666:root", "kms:*", "*"))),
  "iam_root": err(lambda: iam.create_role(RoleName="fid-trusts-nobody", AssumeRolePolicyDocument=doc("arn:aws:iam::444455556666:root", "sts:AssumeRole"))),
})`,
    );
    expect(result.s3_role).toEqual({ code: "MalformedPolicy", message: "Invalid principal in policy", status: 400 });
    expect(result.s3_account).toEqual({ code: "MalformedPolicy", message: "Invalid principal in policy", status: 400 });
    expect(result.s3_hub_root).toBeNull();
    const kms = { code: "MalformedPolicyDocumentException", message: "Policy contains a statement with one or more invalid principals.", status: 400 };
    expect(result.kms_create).toEqual(kms);
    expect(result.kms_put).toEqual(kms);
    expect(result.iam_root).toEqual({ code: "MalformedPolicyDocument", message: 'Invalid principal in policy: "AWS":"arn:aws:iam::444455556666:root"', status: 400 });
  });

  it("are refused by SNS topic policies and SQS queue policies, accepted by EventBridge bus policies; a key policy that is not JSON is malformed", async () => {
    const missingRole = `arn:aws:iam::${WORKLOAD}:role/fid-missing`;
    const result = await boto3(
      sandbox,
      sandbox.adminCredentials(WORKLOAD),
      `
sns, sqs, events, kms = client("sns"), client("sqs"), client("events"), client("kms")
def doc(aws, action):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": aws}, "Action": action, "Resource": "*"}]})
topic = sns.create_topic(Name="fid-principals")["TopicArn"]
queue = sqs.create_queue(QueueName="fid-principals")["QueueUrl"]
out({
  "sns_set": err(lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=doc("${missingRole}", "sns:Publish"))),
  "sns_create": err(lambda: sns.create_topic(Name="fid-refused", Attributes={"Policy": doc("arn:aws:iam::444455556666:root", "sns:Publish")})),
  "sns_hub": err(lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=doc("arn:aws:iam::${HUB}:root", "sns:Publish"))),
  "sqs_set": err(lambda: sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": doc("${missingRole}", "sqs:SendMessage")})),
  "sqs_create": err(lambda: sqs.create_queue(QueueName="fid-refused", Attributes={"Policy": doc("444455556666", "sqs:SendMessage")})),
  "sqs_hub": err(lambda: sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": doc("${HUB}", "sqs:SendMessage")})),
  "events": err(lambda: events.put_permission(StatementId="fid-missing", Action="events:PutEvents", Principal="444455556666")),
  "kms_json": err(lambda: kms.create_key(Policy="not a real policy statement")),
})`,
    );
    const sns = { code: "InvalidParameter", message: "Invalid parameter: Policy Error: PrincipalNotFound", status: 400 };
    expect([result.sns_set, result.sns_create, result.sns_hub]).toEqual([sns, sns, null]);
    // botocore reads the query-compatible code (x-amzn-query-error) SQS sends with its JSON errors.
    const sqs = { code: "InvalidAttributeValue", message: "Invalid value for the parameter Policy.", status: 400 };
    expect([result.sqs_set, result.sqs_create, result.sqs_hub]).toEqual([sqs, sqs, null]);
    expect(result.events).toBeNull();
    expect(result.kms_json).toEqual({ code: "MalformedPolicyDocumentException", message: "", status: 400 });
  });
});
