import { fileURLToPath } from "node:url";
import { CloudFormationClient, DescribeStacksCommand, ListStacksCommand } from "@aws-sdk/client-cloudformation";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure } from "./helpers.js";

const ACCOUNTS_YAML = fileURLToPath(new URL("../../../accounts.yaml", import.meta.url));

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ accountsFile: ACCOUNTS_YAML, latency: { apiMs: 0 } });
});
afterAll(() => sandbox.close());

function region(account: string, name: string) {
  return sandbox.world.accounts.get(account)!.regions.get(name)!;
}

function physicalId(account: string, regionName: string, stack: string, logicalId: string): string {
  return region(account, regionName).stacks.find((s) => s.stackName === stack)!.resources.find((r) => r.logicalId === logicalId)!.physicalId;
}

describe("the demo scenario with the repository's accounts.yaml", () => {
  it("deploys every stack through CloudFormation", async () => {
    const cfn = new CloudFormationClient(clientConfig(sandbox, sandbox.adminCredentials("444444444444")));
    const stacks = (await cfn.send(new DescribeStacksCommand({}))).Stacks!;
    expect(stacks.map((s) => [s.StackName, s.StackStatus])).toEqual([
      ["network-core", "CREATE_COMPLETE"],
      ["edge-security", "CREATE_COMPLETE"],
    ]);
    const total = [...sandbox.world.accounts.values()].flatMap((a) => [...a.regions.values()].flatMap((r) => r.stacks));
    expect(total.map((s) => s.status)).toEqual(Array(sandbox.scenario.stacks.length).fill("CREATE_COMPLETE"));
  });

  it("applies the out-of-band changes after the stacks exist", () => {
    const appRole = sandbox.world.accounts.get("222222222222")!.roles.get("app-role")!;
    expect(appRole.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"]);
    expect(appRole.inlinePolicies["app-data-access"]).toMatchObject({ Statement: [{ Action: "s3:*", Resource: "*" }] });
    const web = region("222222222222", "us-east-1").securityGroups.get(physicalId("222222222222", "us-east-1", "web-tier", "WebSecurityGroup"))!;
    expect(web.ingress).toContainEqual(expect.objectContaining({ ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }));
    // DeleteBucketEncryption resets to SSE-S3 (API_DeleteBucketEncryption.html): the template's KMS is gone.
    expect(sandbox.world.buckets.get(physicalId("222222222222", "us-east-1", "web-tier", "AssetsBucket"))!.encryption).toEqual([expect.objectContaining({ sseAlgorithm: "AES256" })]);
    const exempt = region("444444444444", "us-east-1").securityGroups.get(physicalId("444444444444", "us-east-1", "edge-security", "BreakGlassGroup"))!;
    expect(exempt.tags["driftguard:exempt"]).toBe("reason=INC-4711 break-glass");
    expect(exempt.ingress).toContainEqual(expect.objectContaining({ fromPort: 3389, cidrIpv4: "0.0.0.0/0" }));
  });

  it("records who made the drift in CloudTrail", () => {
    const events = region("222222222222", "us-east-1").cloudTrail!;
    // The out-of-band one, not those CloudFormation made while creating the stacks' groups (invokedBy cloudformation.amazonaws.com).
    const byHand = (e: (typeof events)[number]) => (e.record.userIdentity as { invokedBy?: string } | undefined)?.invokedBy === undefined;
    const ssh = events.find((e) => e.eventName === "AuthorizeSecurityGroupIngress" && byHand(e))!;
    expect(ssh.username).toBe("alice@example.com");
  });

  it("onboards only the accounts listed in accounts.yaml", () => {
    expect(sandbox.world.accounts.get("222222222222")!.roles.has("driftguard-spoke")).toBe(true);
    expect(sandbox.world.accounts.get("555555555555")!.roles.has("driftguard-spoke")).toBe(false);
    expect(sandbox.world.accounts.get("666666666666")!.status).toBe("SUSPENDED");
  });

  it("turns the scenario's faults on once setup is done", async () => {
    const sts = new STSClient(clientConfig(sandbox, sandbox.hubCredentials));
    const denied = await failure(sts.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::333333333333:role/driftguard-spoke", RoleSessionName: "scan" })));
    expect(denied.name).toBe("AccessDenied");
    const ok = await sts.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::222222222222:role/driftguard-spoke", RoleSessionName: "scan" }));
    const cfn = new CloudFormationClient(
      clientConfig(sandbox, { accessKeyId: ok.Credentials!.AccessKeyId!, secretAccessKey: ok.Credentials!.SecretAccessKey!, sessionToken: ok.Credentials!.SessionToken }, "eu-west-1"),
    );
    // The fault is a token bucket of 5 requests per second with a burst of 5: 30 calls sent at once
    // overflow it unless they take more than 5 s to arrive, which even a machine at load 20 does not.
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => cfn.send(new ListStacksCommand({}))));
    expect(outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason.name)).toContain("Throttling");
  });
});
