import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { driftguardNames } from "../../modules/names.js";
import { startBareSandbox, type BareSandbox, type SandboxCredentials } from "../../sandbox/harness/server.js";
import { MANAGEMENT_ADMIN_ROLE, ORGANIZATION_ACCESS_ROLE } from "../../sandbox/harness/world.js";
import { EXAMPLE_FILE } from "../constructs/synth.js";
import { boto3 } from "./boto3.js";

/**
 * The bare sandbox (`npm run sandbox -- --bare`) and the services terraform deploys driftguard
 * with (CloudWatch Logs, EventBridge, KMS, SQS), driven by boto3: botocore's own serializers,
 * signer and error parsing, so the sandbox cannot agree with our SDK by accident. Expected
 * values come from each API reference page cited in the service's handler. One sandbox for the file.
 */

const config = loadConfig(EXAMPLE_FILE);
const names = driftguardNames(config);
const MANAGEMENT = "999999999999";
const SPOKE = config.accounts[0]!.id;
let sandbox: BareSandbox & { deployerCredentials: SandboxCredentials };

beforeAll(async () => {
  sandbox = await startBareSandbox({
    config,
    scenario: {
      organization: { managementAccount: MANAGEMENT },
      accounts: [{ id: config.hub.accountId, name: "driftguard-hub" }, ...config.accounts.map((a) => ({ id: a.id, name: a.name }))],
    },
  });
});

afterAll(() => sandbox?.close());

let spokeCredentials: Promise<SandboxCredentials> | undefined;

/** A session of the bootstrap role in the spoke, assumed once from the deployer as terraform does. */
function spokeSession(): Promise<SandboxCredentials> {
  return (spokeCredentials ??= assumeSpokeRole());
}

async function assumeSpokeRole(): Promise<SandboxCredentials> {
  const out = await boto3(sandbox, sandbox.deployerCredentials, `
c = client("sts").assume_role(RoleArn="arn:aws:iam::${SPOKE}:role/${ORGANIZATION_ACCESS_ROLE}", RoleSessionName="deploy")["Credentials"]
out(c)`);
  return { accessKeyId: out.AccessKeyId, secretAccessKey: out.SecretAccessKey, sessionToken: out.SessionToken };
}

/**
 * The start of the Lambda and Step Functions scripts below: `zipped({path: source})` builds a
 * deployment package in memory, `trusting(service)` is the trust policy that lets one service
 * assume a role, and `execution_role(name)` creates a role Lambda may assume
 * (lambda-intro-execution-role.html).
 */
const ROLE_AND_ZIP_PRELUDE = `
import base64, hashlib, io, zipfile
iam, lam = client("iam"), client("lambda")
def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, source in files.items():
            z.writestr(path, source)
    return buf.getvalue()
def trusting(service):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
def execution_role(name):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting("lambda.amazonaws.com"))["Role"]["Arn"]
`;

describe("--bare: the organization without driftguard", () => {
  it("has the bootstrap roles Organizations creates and nothing of driftguard", async () => {
    const spoke = await spokeSession();
    const inSpoke = await boto3(sandbox, spoke, `
iam = client("iam")
role = iam.get_role(RoleName="${ORGANIZATION_ACCESS_ROLE}")["Role"]
out(dict(
  trust=role["AssumeRolePolicyDocument"],
  attached=[p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="${ORGANIZATION_ACCESS_ROLE}")["AttachedPolicies"]],
  spoke_role=err(lambda: iam.get_role(RoleName="${names.spokeRole}")),
  caller=client("sts").get_caller_identity()["Arn"],
))`);
    expect(inSpoke.trust.Statement[0].Principal.AWS).toBe(`arn:aws:iam::${MANAGEMENT}:root`);
    expect(inSpoke.attached).toEqual(["arn:aws:iam::aws:policy/AdministratorAccess"]);
    expect(inSpoke.spoke_role?.code).toBe("NoSuchEntity");
    expect(inSpoke.caller).toBe(`arn:aws:sts::${SPOKE}:assumed-role/${ORGANIZATION_ACCESS_ROLE}/deploy`);
    expect(sandbox.deployerCredentials.sessionToken).toBeDefined();
    expect(sandbox.world.accounts.get(MANAGEMENT)!.roles.has(MANAGEMENT_ADMIN_ROLE)).toBe(true);
    expect(sandbox.world.accounts.get(config.hub.accountId)!.roles.has(names.scannerRole)).toBe(false);
    expect(sandbox.world.buckets.size).toBe(0);
  });
});

describe("services the deployment needs, through boto3", () => {
  it("CloudWatch Logs: log groups, retention, tags, and the real error codes", async () => {
    const r = await boto3(sandbox, await spokeSession(), `
logs = client("logs")
logs.create_log_group(logGroupName="/aws/lambda/fn", tags={"team": "a"})
logs.put_retention_policy(logGroupName="/aws/lambda/fn", retentionInDays=30)
g = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"][0]
arn = g["logGroupArn"]
logs.tag_resource(resourceArn=arn, tags={"env": "prod"})
out(dict(
  group=g,
  tags=logs.list_tags_for_resource(resourceArn=arn)["tags"],
  dup=err(lambda: logs.create_log_group(logGroupName="/aws/lambda/fn")),
  bad_retention=err(lambda: logs.put_retention_policy(logGroupName="/aws/lambda/fn", retentionInDays=31)),
  deleted=logs.delete_log_group(logGroupName="/aws/lambda/fn") and None,
  gone=err(lambda: logs.delete_log_group(logGroupName="/aws/lambda/fn")),
))`);
    expect(r.group).toMatchObject({ logGroupName: "/aws/lambda/fn", retentionInDays: 30, arn: `arn:aws:logs:us-east-1:${SPOKE}:log-group:/aws/lambda/fn:*`, logGroupClass: "STANDARD" });
    expect(r.group.logGroupArn).toBe(`arn:aws:logs:us-east-1:${SPOKE}:log-group:/aws/lambda/fn`);
    expect(r.tags).toEqual({ team: "a", env: "prod" });
    expect(r.dup.code).toBe("ResourceAlreadyExistsException");
    expect(r.bad_retention.code).toBe("InvalidParameterException");
    expect(r.gone.code).toBe("ResourceNotFoundException");
  });

  it("EventBridge: buses with policies, pattern and schedule rules, targets with RoleArn, DLQ and retry policy", async () => {
    const r = await boto3(sandbox, await spokeSession(), `
ev = client("events")
bus_arn = ev.create_event_bus(Name="hub", Tags=[{"Key": "k", "Value": "v"}])["EventBusArn"]
policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "org", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": bus_arn}]})
ev.put_permission(EventBusName="hub", Policy=policy)
rule_arn = ev.put_rule(Name="fwd", EventPattern=json.dumps({"source": ["aws.ec2"]}))["RuleArn"]
custom_rule = ev.put_rule(Name="r", EventBusName="hub", EventPattern=json.dumps({"source": ["aws.iam"]}))["RuleArn"]
ev.put_targets(Rule="fwd", Targets=[{"Id": "hub", "Arn": bus_arn, "RoleArn": "arn:aws:iam::${SPOKE}:role/fwd", "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:${SPOKE}:dlq"}, "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}}])
out(dict(
  bus=ev.describe_event_bus(Name="hub"),
  bus_tags=ev.list_tags_for_resource(ResourceARN=bus_arn)["Tags"],
  rule_arn=rule_arn, custom_rule=custom_rule,
  rule=ev.describe_rule(Name="fwd"),
  targets=ev.list_targets_by_rule(Rule="fwd")["Targets"],
  schedule_on_custom=err(lambda: ev.put_rule(Name="s", EventBusName="hub", ScheduleExpression="rate(6 hours)")),
  schedule=ev.put_rule(Name="s", ScheduleExpression="rate(6 hours)")["RuleArn"],
  bad_pattern=err(lambda: ev.put_rule(Name="x", EventPattern="{not json")),
  delete_with_targets=err(lambda: ev.delete_rule(Name="fwd")),
  removed=ev.remove_targets(Rule="fwd", Ids=["hub"])["FailedEntryCount"],
  deleted=ev.delete_rule(Name="fwd") and None,
  missing=err(lambda: ev.describe_rule(Name="fwd")),
  unpermitted=ev.remove_permission(EventBusName="hub", RemoveAllPermissions=True) and None,
  after="Policy" in ev.describe_event_bus(Name="hub"),
))`);
    expect(r.bus.Arn).toBe(`arn:aws:events:us-east-1:${SPOKE}:event-bus/hub`);
    expect(JSON.parse(r.bus.Policy).Statement[0].Sid).toBe("org");
    expect(r.bus_tags).toEqual([{ Key: "k", Value: "v" }]);
    expect(r.rule_arn).toBe(`arn:aws:events:us-east-1:${SPOKE}:rule/fwd`);
    expect(r.custom_rule).toBe(`arn:aws:events:us-east-1:${SPOKE}:rule/hub/r`);
    expect(r.rule).toMatchObject({ Name: "fwd", State: "ENABLED", EventBusName: "default" });
    expect(JSON.parse(r.rule.EventPattern)).toEqual({ source: ["aws.ec2"] });
    expect(r.targets).toEqual([
      { Id: "hub", Arn: r.bus.Arn, RoleArn: `arn:aws:iam::${SPOKE}:role/fwd`, DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${SPOKE}:dlq` }, RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
    ]);
    expect(r.schedule_on_custom.code).toBe("ValidationException");
    expect(r.schedule).toBe(`arn:aws:events:us-east-1:${SPOKE}:rule/s`);
    expect(r.bad_pattern.code).toBe("InvalidEventPatternException");
    expect(r.delete_with_targets.code).toBe("ValidationException");
    expect(r.removed).toBe(0);
    expect(r.missing.code).toBe("ResourceNotFoundException");
    expect(r.after).toBe(false);
  });

  it("KMS: keys with policy, rotation, tags, aliases and scheduled deletion", async () => {
    const r = await boto3(sandbox, await spokeSession(), `
kms = client("kms")
key = kms.create_key(Description="topic key", Tags=[{"TagKey": "a", "TagValue": "b"}])["KeyMetadata"]
kid = key["KeyId"]
kms.enable_key_rotation(KeyId=kid, RotationPeriodInDays=180)
kms.create_alias(AliasName="alias/driftguard", TargetKeyId=kid)
out(dict(
  key=key,
  by_alias=kms.describe_key(KeyId="alias/driftguard")["KeyMetadata"]["Arn"],
  policy=json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]),
  rotation=kms.get_key_rotation_status(KeyId=kid),
  tags=kms.list_resource_tags(KeyId=kid)["Tags"],
  aliases=[a["AliasName"] for a in kms.list_aliases(KeyId=kid)["Aliases"]],
  off=kms.disable_key_rotation(KeyId=kid) and None,
  rotation_off=kms.get_key_rotation_status(KeyId=kid),
  dup_alias=err(lambda: kms.create_alias(AliasName="alias/driftguard", TargetKeyId=kid)),
  deletion=kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)["KeyState"],
  after=kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"],
  missing=err(lambda: kms.describe_key(KeyId="00000000-0000-4000-8000-000000000000")),
))`);
    expect(r.key).toMatchObject({ AWSAccountId: SPOKE, KeyState: "Enabled", KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT", KeyManager: "CUSTOMER", Description: "topic key" });
    expect(r.by_alias).toBe(r.key.Arn);
    // key-policy-default.html: the default policy gives the account root kms:*.
    expect(r.policy.Statement[0]).toMatchObject({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${SPOKE}:root` }, Action: "kms:*" });
    expect(r.rotation).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });
    expect(r.tags).toEqual([{ TagKey: "a", TagValue: "b" }]);
    expect(r.aliases).toEqual(["alias/driftguard"]);
    // botocore refuses a RotationPeriodInDays outside 90-2560 before sending; disabling drops the period.
    expect(r.rotation_off.KeyRotationEnabled).toBe(false);
    expect(r.rotation_off.RotationPeriodInDays).toBeUndefined();
    expect(r.dup_alias.code).toBe("AlreadyExistsException");
    expect(r.deletion).toBe("PendingDeletion");
    expect(r.after).toBe("PendingDeletion");
    expect(r.missing.code).toBe("NotFoundException");
  });

  it("SQS: queues, attributes, policies and tags, over the JSON protocol", async () => {
    const r = await boto3(sandbox, await spokeSession(), `
sqs = client("sqs")
url = sqs.create_queue(QueueName="dlq", Attributes={"MessageRetentionPeriod": "1209600"}, tags={"t": "1"})["QueueUrl"]
policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "*"}]})
sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
out(dict(
  url=url, attrs=attrs,
  policy_after="Policy" in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"],
  tags=sqs.list_queue_tags(QueueUrl=url)["Tags"],
  same=sqs.create_queue(QueueName="dlq", Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"],
  differs=err(lambda: sqs.create_queue(QueueName="dlq", Attributes={"MessageRetentionPeriod": "60"})),
  bad_value=err(lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "43201"})),
  deleted=sqs.delete_queue(QueueUrl=url) and None,
  gone=err(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])),
))`);
    expect(r.url).toBe(`https://sqs.us-east-1.amazonaws.com/${SPOKE}/dlq`);
    expect(r.attrs).toMatchObject({ QueueArn: `arn:aws:sqs:us-east-1:${SPOKE}:dlq`, MessageRetentionPeriod: "1209600", VisibilityTimeout: "30", DelaySeconds: "0" });
    expect(JSON.parse(r.attrs.Policy).Statement[0].Action).toBe("sqs:SendMessage");
    expect(r.policy_after).toBe(false);
    expect(r.tags).toEqual({ t: "1" });
    expect(r.same).toBe(r.url);
    expect(r.differs.code).toBe("QueueAlreadyExists");
    expect(r.bad_value.code).toBe("InvalidAttributeValue");
    // botocore reports the query-compatible code from x-amzn-query-error, as for real SQS.
    expect(r.gone.code).toBe("AWS.SimpleQueueService.NonExistentQueue");
  });
});

describe("Lambda, through boto3 (restJson1)", () => {
  it("creates from a zip, reads back, updates, takes permissions, event-invoke config and tags, and deletes", async () => {
    const r = await boto3(sandbox, await spokeSession(), `${ROLE_AND_ZIP_PRELUDE}
package = zipped({"index.mjs": "export const handler = async () => 1;"})
role = execution_role("fn-role")
other = iam.create_role(RoleName="not-for-lambda", AssumeRolePolicyDocument=trusting("events.amazonaws.com"))["Role"]["Arn"]
created = lam.create_function(FunctionName="fn", Role=role, Runtime="nodejs22.x", Handler="index.handler", Code={"ZipFile": package},
    Environment={"Variables": {"A": "1"}}, Architectures=["arm64"], Tags={"team": "a"}, Timeout=30)
arn = created["FunctionArn"]
got = lam.get_function(FunctionName="fn")
rule = "arn:aws:events:us-east-1:${SPOKE}:rule/r"
stmt = json.loads(lam.add_permission(FunctionName="fn", StatementId="events", Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule)["Statement"])
lam.add_permission(FunctionName=arn, StatementId="acct", Action="lambda:InvokeFunction", Principal="${config.hub.accountId}")
missing_account = err(lambda: lam.add_permission(FunctionName="fn", StatementId="missing", Action="lambda:InvokeFunction", Principal="444455556666"))
missing_role = err(lambda: lam.add_permission(FunctionName="fn", StatementId="missing-role", Action="lambda:InvokeFunction", Principal="arn:aws:iam::${SPOKE}:role/fn-missing"))
policy = json.loads(lam.get_policy(FunctionName="fn")["Policy"])
dup = err(lambda: lam.add_permission(FunctionName="fn", StatementId="events", Action="lambda:InvokeFunction", Principal="events.amazonaws.com"))
lam.remove_permission(FunctionName="fn", StatementId="events")
lam.remove_permission(FunctionName="fn", StatementId="acct")
no_policy = err(lambda: lam.get_policy(FunctionName="fn"))
no_eic = err(lambda: lam.get_function_event_invoke_config(FunctionName="fn"))
eic = lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:${SPOKE}:failures"}})
bad_eic = err(lambda: lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=5))
eic_read = lam.get_function_event_invoke_config(FunctionName="fn")
lam.delete_function_event_invoke_config(FunctionName="fn")
lam.tag_resource(Resource=arn, Tags={"env": "prod"})
lam.untag_resource(Resource=arn, TagKeys=["team"])
tags = lam.list_tags(Resource=arn)["Tags"]
updated = lam.update_function_configuration(FunctionName="fn", Environment={"Variables": {"A": "2"}}, MemorySize=256)
package2 = zipped({"index.mjs": "export const handler = async () => 2;"})
code = lam.update_function_code(FunctionName="fn", ZipFile=package2)
stale = err(lambda: lam.update_function_configuration(FunctionName="fn", Timeout=5, RevisionId=created["RevisionId"]))
versions = lam.list_versions_by_function(FunctionName="fn")["Versions"]
signing = lam.get_function_code_signing_config(FunctionName="fn")
out(dict(
  created=created, got=got, stmt=stmt, policy=policy, dup=dup, missing_account=missing_account, missing_role=missing_role, no_policy=no_policy, no_eic=no_eic, eic=eic, bad_eic=bad_eic, eic_read=eic_read, tags=tags,
  updated=updated, code=code, stale=stale, versions=[v["Version"] for v in versions], signing=signing,
  sha=base64.b64encode(hashlib.sha256(package).digest()).decode(), sha2=base64.b64encode(hashlib.sha256(package2).digest()).decode(),
  untrusted=err(lambda: lam.create_function(FunctionName="fn2", Role=other, Runtime="nodejs22.x", Handler="index.handler", Code={"ZipFile": package})),
  not_zip=err(lambda: lam.create_function(FunctionName="fn3", Role=role, Runtime="nodejs22.x", Handler="index.handler", Code={"ZipFile": b"not a zip"})),
  again=err(lambda: lam.create_function(FunctionName="fn", Role=role, Runtime="nodejs22.x", Handler="index.handler", Code={"ZipFile": package})),
  reserved=err(lambda: lam.update_function_configuration(FunctionName="fn", Environment={"Variables": {"AWS_REGION": "x"}})),
  deleted=lam.delete_function(FunctionName="fn")["ResponseMetadata"]["HTTPStatusCode"],
  gone=err(lambda: lam.get_function(FunctionName="fn")),
))`);
    const fnArn = `arn:aws:lambda:us-east-1:${SPOKE}:function:fn`;
    // API_CreateFunction.html / API_FunctionConfiguration.html: the configuration as Lambda returns it.
    expect(r.created).toMatchObject({ FunctionName: "fn", FunctionArn: fnArn, Runtime: "nodejs22.x", Handler: "index.handler", Timeout: 30, MemorySize: 128, Version: "$LATEST", State: "Active", PackageType: "Zip", Architectures: ["arm64"], Environment: { Variables: { A: "1" } } });
    expect(r.created.CodeSha256).toBe(r.sha);
    expect(r.created.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(r.got.Configuration.FunctionArn).toBe(fnArn);
    expect(r.got.Tags).toEqual({ team: "a" });
    expect(r.got.Code.RepositoryType).toBe("S3");
    // access-control-resource-based.html: the statement Lambda writes for a service principal scoped to a rule.
    expect(r.stmt).toEqual({ Sid: "events", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "lambda:InvokeFunction", Resource: fnArn, Condition: { ArnLike: { "AWS:SourceArn": `arn:aws:events:us-east-1:${SPOKE}:rule/r` } } });
    expect(r.policy.Id).toBe("default");
    expect(r.policy.Statement[1].Principal).toEqual({ AWS: `arn:aws:iam::${config.hub.accountId}:root` });
    // iam/principal-existence.ts: an account or role that does not exist (dev.to "Resolving 'provided principal was invalid'").
    const invalidPrincipal = { code: "InvalidParameterValueException", status: 400, message: "The provided principal was invalid. Please check the principal and try again." };
    expect([r.missing_account, r.missing_role]).toEqual([invalidPrincipal, invalidPrincipal]);
    expect(r.policy.Statement).toHaveLength(2);
    expect(r.dup).toMatchObject({ code: "ResourceConflictException", status: 409, message: "The statement id (events) provided already exists. Please provide a new statement id, or remove the existing statement." });
    expect(r.no_policy).toEqual({ code: "ResourceNotFoundException", status: 404, message: "The resource you requested does not exist." });
    expect(r.no_eic.code).toBe("ResourceNotFoundException");
    expect(r.eic).toMatchObject({ FunctionArn: `${fnArn}:$LATEST`, MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: `arn:aws:sqs:us-east-1:${SPOKE}:failures` } } });
    expect(r.bad_eic.code).toBe("ValidationException");
    expect(r.eic_read.MaximumRetryAttempts).toBe(0);
    expect(r.tags).toEqual({ env: "prod" });
    expect(r.updated).toMatchObject({ MemorySize: 256, Environment: { Variables: { A: "2" } }, Timeout: 30 });
    expect(r.code.CodeSha256).toBe(r.sha2);
    expect(r.stale).toMatchObject({ code: "PreconditionFailedException", status: 412 });
    expect(r.versions).toEqual(["$LATEST"]);
    expect(r.signing).toMatchObject({ FunctionName: "fn", CodeSigningConfigArn: "" });
    expect(r.untrusted).toMatchObject({ code: "InvalidParameterValueException", message: "The role defined for the function cannot be assumed by Lambda." });
    expect(r.not_zip.code).toBe("InvalidParameterValueException");
    expect(r.again).toMatchObject({ code: "ResourceConflictException", status: 409 });
    expect(r.reserved.code).toBe("InvalidParameterValueException");
    expect(r.deleted).toBe(204);
    expect(r.gone).toEqual({ code: "ResourceNotFoundException", status: 404, message: `Function not found: ${fnArn}` });
  });

  it("invokes the function's own zip in-process: handler, environment, context, and errors as FunctionError", async () => {
    const r = await boto3(sandbox, await spokeSession(), `${ROLE_AND_ZIP_PRELUDE}
code = """
export const handler = async (event, context) => ({
  event, a: process.env.A, region: process.env.AWS_REGION, name: process.env.AWS_LAMBDA_FUNCTION_NAME,
  keyed: (process.env.AWS_ACCESS_KEY_ID || "").startsWith("ASIA"), hostHome: process.env.HOME === undefined,
  arn: context.invokedFunctionArn, left: context.getRemainingTimeInMillis() > 0,
});
export const fails = async () => { throw new TypeError("bad input"); };
export const slow = () => new Promise((r) => setTimeout(r, 5000));
"""
package = zipped({"src/app.mjs": code})
role = execution_role("invoked-role")
def make(name, handler, timeout=3):
    lam.create_function(FunctionName=name, Role=role, Runtime="nodejs22.x", Handler=handler, Code={"ZipFile": package}, Environment={"Variables": {"A": name}}, Timeout=timeout)
make("ok", "src/app.handler")
make("throws", "src/app.fails")
make("missing", "src/app.nothere")
make("slow", "src/app.slow", timeout=1)
def call(name, **kw):
    r = lam.invoke(FunctionName=name, Payload=json.dumps({"n": 1}), **kw)
    return dict(status=r["StatusCode"], error=r.get("FunctionError"), payload=json.loads(r["Payload"].read() or "null"))
out(dict(
  ok=call("ok"), throws=call("throws"), missing=call("missing"), slow=call("slow"),
  event=lam.invoke(FunctionName="ok", InvocationType="Event", Payload=b"{}")["StatusCode"],
  dry=lam.invoke(FunctionName="ok", InvocationType="DryRun")["StatusCode"],
  bad_json=err(lambda: lam.invoke(FunctionName="ok", Payload=b"{not json")),
))`);
    expect(r.ok).toEqual({
      status: 200,
      error: null,
      payload: { event: { n: 1 }, a: "ok", region: "us-east-1", name: "ok", keyed: true, hostHome: true, arn: `arn:aws:lambda:us-east-1:${SPOKE}:function:ok`, left: true },
    });
    // API_Invoke.html: a function error is a 200 with X-Amz-Function-Error and the runtime's error object.
    expect(r.throws).toMatchObject({ status: 200, error: "Unhandled", payload: { errorType: "TypeError", errorMessage: "bad input" } });
    expect(r.missing).toMatchObject({ error: "Unhandled", payload: { errorType: "Runtime.HandlerNotFound", errorMessage: "src/app.nothere is undefined or not exported" } });
    expect(r.slow.error).toBe("Unhandled");
    expect(r.slow.payload.errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    expect(r.event).toBe(202);
    expect(r.dry).toBe(204);
    expect(r.bad_json.code).toBe("InvalidRequestContentException");
  });

  it("sends what a function writes to CloudWatch Logs, readable with DescribeLogStreams and GetLogEvents", async () => {
    const r = await boto3(sandbox, await spokeSession(), `${ROLE_AND_ZIP_PRELUDE}
package = zipped({"index.mjs": 'export const handler = async () => { console.log("scan started"); console.error("a warning"); return 1; };'})
role = execution_role("logging-role")
logs = client("logs")
logs.create_log_group(logGroupName="/aws/lambda/logging")
lam.create_function(FunctionName="logging", Role=role, Runtime="nodejs22.x", Handler="index.handler", Code={"ZipFile": package})
lam.invoke(FunctionName="logging")
lam.invoke(FunctionName="logging")
streams = logs.describe_log_streams(logGroupName="/aws/lambda/logging")["logStreams"]
out(dict(
  streams=[s["logStreamName"] for s in streams],
  events=[e["message"] for s in streams for e in logs.get_log_events(logGroupName="/aws/lambda/logging", logStreamName=s["logStreamName"], startFromHead=True)["events"]],
  missing=err(lambda: logs.get_log_events(logGroupName="/aws/lambda/logging", logStreamName="nope")),
))`);
    // "YYYY/MM/DD/[$LATEST]<32 hex>", the stream name Lambda gives an execution environment (monitoring-cloudwatchlogs.html);
    // the sandbox opens one per invocation, AWS one per environment, so only the events' order is asserted.
    for (const name of r.streams) expect(name).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(r.events).toEqual(["scan started", "a warning", "scan started", "a warning"]);
    expect(r.missing).toMatchObject({ code: "ResourceNotFoundException", status: 400 });
  });

  it("authorizes each call on the function's ARN", async () => {
    const r = await boto3(sandbox, await spokeSession(), `${ROLE_AND_ZIP_PRELUDE}
package = zipped({"index.mjs": "export const handler = async () => 1;"})
role = execution_role("fn-role-2")
for name in ["readable", "hidden"]:
    lam.create_function(FunctionName=name, Role=role, Runtime="nodejs22.x", Handler="index.handler", Code={"ZipFile": package})
iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${SPOKE}:root"}, "Action": "sts:AssumeRole"}]}))
iam.put_role_policy(RoleName="reader", PolicyName="one", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "arn:aws:lambda:us-east-1:${SPOKE}:function:readable"}]}))
c = client("sts").assume_role(RoleArn="arn:aws:iam::${SPOKE}:role/reader", RoleSessionName="reader")["Credentials"]
reader = boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"], region_name="us-east-1").client("lambda", endpoint_url=ENDPOINT, config=Config(retries={"max_attempts": 1}))
out(dict(
  allowed=reader.get_function(FunctionName="readable")["Configuration"]["FunctionName"],
  denied=err(lambda: reader.get_function(FunctionName="hidden")),
  delete=err(lambda: reader.delete_function(FunctionName="readable")),
))`);
    expect(r.allowed).toBe("readable");
    expect(r.denied).toMatchObject({ code: "AccessDeniedException", status: 403 });
    expect(r.denied.message).toContain(`is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:${SPOKE}:function:hidden`);
    expect(r.delete.message).toContain("lambda:DeleteFunction");
  });

  it("CreateFunction and UpdateFunctionConfiguration need iam:PassRole on the execution role, passed to lambda.amazonaws.com", async () => {
    // id_roles_use_passrole.html and the condition key iam:PassedToService (reference_policies_iam-condition-keys.html).
    const r = await boto3(sandbox, await spokeSession(), `${ROLE_AND_ZIP_PRELUDE}
package = zipped({"index.mjs": "export const handler = async () => 1;"})
role = execution_role("fn-role-3")
other = execution_role("fn-role-4")
def developer(name, passed_to):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${SPOKE}:root"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=name, PolicyName="dev", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role, "Condition": {"StringEquals": {"iam:PassedToService": passed_to}}}]}))
    c = client("sts").assume_role(RoleArn=f"arn:aws:iam::${SPOKE}:role/{name}", RoleSessionName=name)["Credentials"]
    return boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"], region_name="us-east-1").client("lambda", endpoint_url=ENDPOINT, config=Config(retries={"max_attempts": 1}))
wrong = developer("passes-to-ec2", "ec2.amazonaws.com")
right = developer("passes-to-lambda", "lambda.amazonaws.com")
create = lambda lam, name: lam.create_function(FunctionName=name, Role=role, Runtime="nodejs22.x", Handler="index.handler", Code={"ZipFile": package})
out(dict(
  wrong=err(lambda: create(wrong, "not-passed")),
  created=create(right, "passed")["Role"],
  other=err(lambda: right.update_function_configuration(FunctionName="passed", Role=other)),
  same=right.update_function_configuration(FunctionName="passed", Timeout=10)["Timeout"],
))`);
    expect(r.wrong).toMatchObject({ code: "AccessDeniedException", status: 403 });
    expect(r.wrong.message).toContain(`assumed-role/passes-to-ec2/passes-to-ec2 is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${SPOKE}:role/fn-role-3`);
    expect(r.created).toBe(`arn:aws:iam::${SPOKE}:role/fn-role-3`);
    expect(r.other.message).toContain(`iam:PassRole on resource: arn:aws:iam::${SPOKE}:role/fn-role-4`);
    expect(r.same).toBe(10);
  });
});

/**
 * The hub stack's services (m15a): S3 bucket sub-resources as the report bucket uses them, SNS
 * topic attributes, tags and subscriptions, CloudWatch alarms (botocore 1.43 speaks awsJson1_0 to
 * CloudWatch, whose model lists rpcv2Cbor, json and query) and Step Functions state machines with
 * executions, all through boto3. Expected values are those of the API pages cited in each handler.
 */
describe("the hub's services, through boto3", () => {
  const HUB = config.hub.accountId;
  const hubRoot = () => sandbox.adminCredentials(HUB);

  it("S3: versioning, SSE-KMS, lifecycle, ownership controls, public access block and bucket policy, each read back and removed", async () => {
    const r = await boto3(sandbox, hubRoot(), `
s3 = client("s3")
b = "m15a-bucket-${HUB}"
s3.create_bucket(Bucket=b)
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/reports"}, "BucketKeyEnabled": True}]})
s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [{"ID": "reports", "Status": "Enabled", "Filter": {"Prefix": "reports/"}, "Expiration": {"Days": 90}, "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::" + b, "arn:aws:s3:::" + b + "/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
s3.put_bucket_policy(Bucket=b, Policy=policy)
read = dict(
  versioning=s3.get_bucket_versioning(Bucket=b)["Status"],
  encryption=s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0],
  lifecycle=s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"],
  ownership=s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"],
  block=s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"],
  policy=json.loads(s3.get_bucket_policy(Bucket=b)["Policy"]),
)
s3.delete_bucket_lifecycle(Bucket=b)
s3.delete_bucket_ownership_controls(Bucket=b)
s3.delete_bucket_policy(Bucket=b)
out(dict(read=read,
  no_lifecycle=err(lambda: s3.get_bucket_lifecycle_configuration(Bucket=b)),
  no_ownership=err(lambda: s3.get_bucket_ownership_controls(Bucket=b)),
  no_policy=err(lambda: s3.get_bucket_policy(Bucket=b)),
))`);
    expect(r.read.versioning).toBe("Enabled");
    expect(r.read.encryption).toMatchObject({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/reports" }, BucketKeyEnabled: true });
    expect(r.read.lifecycle).toEqual([{ ID: "reports", Status: "Enabled", Filter: { Prefix: "reports/" }, Expiration: { Days: 90 }, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }]);
    expect(r.read.ownership).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
    expect(r.read.block).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(r.read.policy.Statement[0].Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    expect(r.no_lifecycle).toMatchObject({ code: "NoSuchLifecycleConfiguration", status: 404 });
    expect(r.no_ownership).toMatchObject({ code: "OwnershipControlsNotFoundError", status: 404 });
    expect(r.no_policy).toMatchObject({ code: "NoSuchBucketPolicy", status: 404 });
  });

  it("SNS: CreateTopic keeps its attributes and tags (terraform sends its default tags there), subscriptions read back, tag APIs name unknown topics ResourceNotFound", async () => {
    const r = await boto3(sandbox, hubRoot(), `
sns = client("sns")
arn = sns.create_topic(Name="m15a-topic", Attributes={"DisplayName": "driftguard", "KmsMasterKeyId": "alias/aws/sns"}, Tags=[{"Key": "managed-by", "Value": "driftguard"}])["TopicArn"]
sub = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="ops@example.com", ReturnSubscriptionArn=True)["SubscriptionArn"]
attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
out(dict(
  arn=arn,
  tags=sns.list_tags_for_resource(ResourceArn=arn)["Tags"],
  display=attrs["DisplayName"], kms=attrs["KmsMasterKeyId"], pending=attrs["SubscriptionsPending"],
  sub=sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"],
  unknown=err(lambda: sns.list_tags_for_resource(ResourceArn=arn + "-gone")),
  bad=err(lambda: sns.create_topic(Name="m15a-bad", Attributes={"NoSuchAttribute": "x"})),
))`);
    expect(r.tags).toEqual([{ Key: "managed-by", Value: "driftguard" }]);
    expect([r.display, r.kms, r.pending, r.sub]).toEqual(["driftguard", "alias/aws/sns", "1", "true"]);
    expect(r.unknown).toMatchObject({ code: "ResourceNotFound", status: 404 });
    expect(r.bad).toMatchObject({ code: "InvalidParameter" });
  });

  it("CloudWatch over awsJson1_0 (what botocore 1.43 sends): alarms put, described, tagged and deleted", async () => {
    const r = await boto3(sandbox, hubRoot(), `
cw = client("cloudwatch")
protocol = cw.meta.service_model.resolved_protocol
cw.put_metric_alarm(AlarmName="m15a-errors", Namespace="AWS/Lambda", MetricName="Errors", Dimensions=[{"Name": "FunctionName", "Value": "driftguard-scanner"}],
  Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
  AlarmActions=["arn:aws:sns:us-east-1:${HUB}:driftguard-notifications"], Tags=[{"Key": "managed-by", "Value": "driftguard"}])
alarm = cw.describe_alarms(AlarmNames=["m15a-errors"])["MetricAlarms"][0]
tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
cw.delete_alarms(AlarmNames=["m15a-errors"])
out(dict(protocol=protocol, alarm=dict(name=alarm["AlarmName"], dims=alarm["Dimensions"], actions=alarm["AlarmActions"], arn=alarm["AlarmArn"], missing=alarm["TreatMissingData"]), tags=tags,
  after=cw.describe_alarms(AlarmNames=["m15a-errors"])["MetricAlarms"]))`);
    expect(r.protocol).toBe("json");
    expect(r.alarm).toEqual({ name: "m15a-errors", dims: [{ Name: "FunctionName", Value: "driftguard-scanner" }], actions: [`arn:aws:sns:us-east-1:${HUB}:driftguard-notifications`], arn: `arn:aws:cloudwatch:us-east-1:${HUB}:alarm:m15a-errors`, missing: "notBreaching" });
    expect(r.tags).toEqual([{ Key: "managed-by", Value: "driftguard" }]);
    expect(r.after).toEqual([]);
  });

  it("Step Functions: a state machine created with a role that trusts states.amazonaws.com, executed, its history read, a second execution stopped; an untrusted role refused", async () => {
    const r = await boto3(sandbox, hubRoot(), `${ROLE_AND_ZIP_PRELUDE}
import time
sfn = client("stepfunctions")
role = iam.create_role(RoleName="m15a-states", AssumeRolePolicyDocument=trusting("states.amazonaws.com"))["Role"]["Arn"]
other = execution_role("m15a-not-states")
definition = json.dumps({"StartAt": "Greet", "States": {"Greet": {"Type": "Pass", "Parameters": {"hello.$": "$.who", "run.$": "$$.Execution.Name", "wait.$": "$.wait"}, "Next": "Wait"}, "Wait": {"Type": "Wait", "SecondsPath": "$.wait", "End": True}}})
sm = sfn.create_state_machine(name="m15a-hello", definition=definition, roleArn=role)["stateMachineArn"]
ex = sfn.start_execution(stateMachineArn=sm, name="first", input=json.dumps({"who": "boto3", "wait": 0}))["executionArn"]
for _ in range(200):
    d = sfn.describe_execution(executionArn=ex)
    if d["status"] != "RUNNING": break
    time.sleep(0.05)
history = sfn.get_execution_history(executionArn=ex)["events"]
long = sfn.start_execution(stateMachineArn=sm, input=json.dumps({"who": "x", "wait": 100000}))["executionArn"]
sfn.stop_execution(executionArn=long, error="Manual", cause="by boto3")
out(dict(status=d["status"], output=json.loads(d["output"]), types=[e["type"] for e in history],
  stopped=sfn.describe_execution(executionArn=long)["status"],
  listed=sorted(e["status"] for e in sfn.list_executions(stateMachineArn=sm)["executions"]),
  untrusted=err(lambda: sfn.create_state_machine(name="m15a-untrusted", definition=definition, roleArn=other)),
  missing=err(lambda: sfn.describe_execution(executionArn=ex + "-gone")),
))`);
    expect(r.status).toBe("SUCCEEDED");
    expect(r.output).toEqual({ hello: "boto3", run: "first", wait: 0 });
    expect(r.types).toEqual(["ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]);
    expect(r.stopped).toBe("ABORTED");
    expect(r.listed).toEqual(["ABORTED", "SUCCEEDED"]);
    expect(r.untrusted).toMatchObject({ code: "AccessDeniedException", message: "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role." });
    expect(r.missing).toMatchObject({ code: "ExecutionDoesNotExist" });
  });
});
