import { DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogStreamsCommand, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeOrganizationCommand, ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spokeRoleActions } from "../../../functions/permissions.js";
import { awsManagedPolicies } from "../../../sandbox/emulator/authorization/managed-policies.js";
import type { Sandbox, SandboxCredentials } from "../../../sandbox/harness/server.js";
import { administratorSession, clientConfig, failure, HUB, ORG_ID, startTestSandbox, WORKLOAD } from "./helpers.js";

/**
 * IAM evaluation of role sessions, following the policy evaluation logic
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) and the
 * access-denied messages of docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html.
 * The roles under test are driftguard's own, as the synthesized stacks deploy them.
 */

let sandbox: Sandbox;
let spoke: SandboxCredentials;

async function assume(from: SandboxCredentials, roleArn: string, session = "test"): Promise<SandboxCredentials> {
  const { Credentials: c } = await new STSClient(clientConfig(sandbox, from)).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session }));
  return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  spoke = await assume(sandbox.hubCredentials, `arn:aws:iam::${WORKLOAD}:role/${sandbox.hub.spokeRoleName}`, "driftguard");
});
afterAll(() => sandbox.close());

const admin = () => new IAMClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
const trust = (accountId: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "sts:AssumeRole" }] });

describe("driftguard's roles carry the synthesized policies", () => {
  it("gives the spoke role exactly the inline grants of the spoke stack plus ReadOnlyAccess", () => {
    const role = sandbox.world.accounts.get(WORKLOAD)!.roles.get(sandbox.hub.spokeRoleName)!;
    expect(role.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    const statements = (Object.values(role.inlinePolicies)[0] as { Statement: { Sid: string; Action: string[] }[] }).Statement;
    expect(statements.find((s) => s.Sid === "ScanAndRemediate")!.Action).toEqual(spokeRoleActions());
  });

  it("lets the spoke role remediate other roles but never its own (explicit Deny)", async () => {
    await admin().send(new CreateRoleCommand({ RoleName: "workload-app", AssumeRolePolicyDocument: trust(WORKLOAD) }));
    const iam = new IAMClient(clientConfig(sandbox, spoke));
    const doc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: "workload-app", PolicyName: "p", PolicyDocument: doc }));
    const own = await failure(iam.send(new PutRolePolicyCommand({ RoleName: sandbox.hub.spokeRoleName, PolicyName: "escalate", PolicyDocument: doc })));
    expect([own.name, own.$metadata.httpStatusCode]).toEqual(["AccessDenied", 403]);
    expect(own.message).toBe(
      `User: arn:aws:sts::${WORKLOAD}:assumed-role/${sandbox.hub.spokeRoleName}/driftguard is not authorized to perform: iam:PutRolePolicy on resource: arn:aws:iam::${WORKLOAD}:role/${sandbox.hub.spokeRoleName} with an explicit deny in an identity-based policy`,
    );
    expect(Object.keys(sandbox.world.accounts.get(WORKLOAD)!.roles.get(sandbox.hub.spokeRoleName)!.inlinePolicies)).not.toContain("escalate");
  });

  it("grants reads through ReadOnlyAccess (vendored v178) and refuses writes no policy grants", async () => {
    expect(awsManagedPolicies().get("arn:aws:iam::aws:policy/ReadOnlyAccess")?.versionId).toBe("v178");
    const sns = new SNSClient(clientConfig(sandbox, spoke));
    await sns.send(new ListTopicsCommand({}));
    const denied = await failure(sns.send(new CreateTopicCommand({ Name: "not-allowed" })));
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(["AuthorizationErrorException", 403]);
    expect(denied.message).toContain("is not authorized to perform: SNS:CreateTopic on resource: arn:aws:sns:us-east-1:222222222222:not-allowed because no identity-based policy allows the SNS:CreateTopic action");
  });

  it("answers EC2's UnauthorizedOperation for an EC2 action the role lacks", async () => {
    const ec2 = new EC2Client(clientConfig(sandbox, sandbox.hubCredentials));
    const denied = await failure(ec2.send(new DescribeSecurityGroupsCommand({})));
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(["UnauthorizedOperation", 403]);
    expect(denied.message).toMatch(/^You are not authorized to perform this operation\. User: .* is not authorized to perform: ec2:DescribeSecurityGroups because no identity-based policy allows the ec2:DescribeSecurityGroups action\. Encoded authorization failure message: /);
    // The spoke role has it; revoking a rule that does not exist fails on the rule, not on IAM.
    const allowed = await failure(new EC2Client(clientConfig(sandbox, spoke)).send(new RevokeSecurityGroupIngressCommand({ GroupId: "sg-0123456789abcdef0", IpPermissions: [] })));
    expect(allowed.name).not.toBe("UnauthorizedOperation");
  });

  it("limits the scanner role to its report bucket paths, the notification topic and the organization walk (not ListAccounts)", async () => {
    const s3 = new S3Client(clientConfig(sandbox, sandbox.hubCredentials));
    await s3.send(new PutObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: "reports/x.json", Body: "{}" }));
    const elsewhere = await failure(s3.send(new GetObjectCommand({ Bucket: "some-other-bucket", Key: "k" })));
    expect([elsewhere.name, elsewhere.$metadata.httpStatusCode]).toEqual(["AccessDenied", 403]);
    expect(elsewhere.message).toContain('on resource: "arn:aws:s3:::some-other-bucket/k" because no identity-based policy allows the s3:GetObject action');
    const scanner = new OrganizationsClient(clientConfig(sandbox, sandbox.hubCredentials));
    await scanner.send(new DescribeOrganizationCommand({}));
    // The walk (ListRoots, ListChildren, …) replaced ListAccounts in the scanner role's policy.
    const list = await failure(scanner.send(new ListAccountsCommand({})));
    expect([list.name, list.$metadata.httpStatusCode]).toEqual(["AccessDeniedException", 400]);
    const orgs = await failure(new OrganizationsClient(clientConfig(sandbox, spoke)).send(new ListAccountsCommand({})));
    expect([orgs.name, orgs.$metadata.httpStatusCode]).toEqual(["AccessDeniedException", 400]);
  });
});

describe("policy evaluation", () => {
  it("caps a role by its permissions boundary, whatever its identity policies allow", async () => {
    const iam = admin();
    const { Policy } = await iam.send(
      new CreatePolicyCommand({ PolicyName: "only-s3-reads", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }] }) }),
    );
    await iam.send(new CreateRoleCommand({ RoleName: "bounded", AssumeRolePolicyDocument: trust(WORKLOAD) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "bounded", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: "bounded", PermissionsBoundary: Policy!.Arn }));
    expect((await iam.send(new GetRoleCommand({ RoleName: "bounded" }))).Role!.PermissionsBoundary).toEqual({ PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: Policy!.Arn });
    const session = await assume(await administratorSession(sandbox, WORKLOAD, "admin"), `arn:aws:iam::${WORKLOAD}:role/bounded`);
    const denied = await failure(new SNSClient(clientConfig(sandbox, session)).send(new ListTopicsCommand({})));
    expect(denied.message).toContain("because no permissions boundary allows the SNS:ListTopics action");
  });

  it("evaluates aws:PrincipalOrgID and aws:ResourceOrgID against the organization the caller and the resource belong to", async () => {
    const iam = admin();
    const condition = (key: string, org: string) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sns:ListTopics", Resource: "*", Condition: { StringEquals: { [key]: org } } }] });
    for (const [name, key, org, allowed] of [
      ["in-org", "aws:PrincipalOrgID", ORG_ID, true],
      ["other-org", "aws:PrincipalOrgID", "o-someoneelse", false],
      ["resource-in-org", "aws:ResourceOrgID", ORG_ID, true],
      ["resource-other-org", "aws:ResourceOrgID", "o-someoneelse", false],
    ] as const) {
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(WORKLOAD) }));
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: condition(key, org) }));
      const session = await assume(await administratorSession(sandbox, WORKLOAD, "admin"), `arn:aws:iam::${WORKLOAD}:role/${name}`);
      const call = new SNSClient(clientConfig(sandbox, session)).send(new ListTopicsCommand({}));
      if (allowed) await call;
      else expect((await failure(call)).name, name).toBe("AuthorizationErrorException");
    }
  });

  it("holds the report bucket's DenyInsecureTransport for requests over plain HTTP, even for the account root", async () => {
    const key = "reports/tls.json";
    await new S3Client(clientConfig(sandbox, sandbox.hubCredentials)).send(new PutObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: key, Body: "{}" }));
    for (const credentials of [sandbox.hubCredentials, sandbox.adminCredentials(HUB)]) {
      const plain = new S3Client({ ...clientConfig(sandbox, credentials), endpoint: sandbox.insecureEndpoint });
      const denied = await failure(plain.send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: key })));
      expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(["AccessDenied", 403]);
      expect(denied.message).toContain("with an explicit deny in a resource-based policy");
    }
  });

  it("keeps trust policies and AssumeRole in step: the scanner may assume only the spoke role", async () => {
    await admin().send(new UpdateAssumeRolePolicyCommand({ RoleName: "workload-app", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${HUB}:role/driftguard-scanner` }, Action: "sts:AssumeRole" }] }) }));
    const denied = await failure(assume(sandbox.hubCredentials, `arn:aws:iam::${WORKLOAD}:role/workload-app`));
    expect(denied.message).toBe(`User: arn:aws:sts::${HUB}:assumed-role/driftguard-scanner/sandbox is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${WORKLOAD}:role/workload-app because no identity-based policy allows the sts:AssumeRole action`);
  });
});

describe("CloudWatch Logs reads are authorized on their group and stream, not on *", () => {
  it("denies GetLogEvents and DescribeLogStreams on a group the role is not allowed on (log-stream* and log-group*, list_amazoncloudwatchlogs.html)", async () => {
    const iam = admin();
    await iam.send(new CreateRoleCommand({ RoleName: "reads-one-group", AssumeRolePolicyDocument: trust(WORKLOAD) }));
    const group = `arn:aws:logs:us-east-1:${WORKLOAD}:log-group:allowed`;
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["logs:GetLogEvents", "logs:DescribeLogStreams"], Resource: [group, `${group}:log-stream:*`] }] };
    await iam.send(new PutRolePolicyCommand({ RoleName: "reads-one-group", PolicyName: "one-group", PolicyDocument: JSON.stringify(policy) }));
    const adminLogs = new CloudWatchLogsClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    for (const name of ["allowed", "other"]) await adminLogs.send(new CreateLogGroupCommand({ logGroupName: name }));
    const logs = new CloudWatchLogsClient(clientConfig(sandbox, await assume(await administratorSession(sandbox, WORKLOAD, "admin"), `arn:aws:iam::${WORKLOAD}:role/reads-one-group`)));
    const events = await failure(logs.send(new GetLogEventsCommand({ logGroupName: "other", logStreamName: "s" })));
    expect(events.name).toBe("AccessDeniedException");
    expect(events.message).toContain(`on resource: arn:aws:logs:us-east-1:${WORKLOAD}:log-group:other:log-stream:s`);
    const streams = await failure(logs.send(new DescribeLogStreamsCommand({ logGroupName: "other" })));
    expect(streams.name).toBe("AccessDeniedException");
    expect(streams.message).toContain(`on resource: arn:aws:logs:us-east-1:${WORKLOAD}:log-group:other`);
    // Allowed on its own group: authorization passes and the service answers.
    expect((await logs.send(new DescribeLogStreamsCommand({ logGroupName: "allowed" }))).logStreams).toEqual([]);
    expect((await failure(logs.send(new GetLogEventsCommand({ logGroupName: "allowed", logStreamName: "s" })))).name).toBe("ResourceNotFoundException");
  });
});
