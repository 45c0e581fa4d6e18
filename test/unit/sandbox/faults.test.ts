import { CloudFormationClient, ListStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { ListBucketsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultInjector } from "../../../sandbox/emulator/protocol/faults.js";
import type { ServiceDefinition } from "../../../sandbox/emulator/protocol/types.js";
import { scenarioFromObject } from "../../../sandbox/harness/scenario.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure, HUB, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

const ec2Service: ServiceDefinition = { name: "ec2", protocol: "ec2", actions: {} };
const target = { account: WORKLOAD, region: "us-east-1", service: "ec2", action: "DescribeVpcs", callerArn: `arn:aws:iam::${WORKLOAD}:root` };

describe("fault injection rules", () => {
  it("throttles with a token bucket per account-region that refills at rps", () => {
    let now = 0;
    const faults = new FaultInjector(() => now);
    faults.setRules([{ service: "ec2", throttle: { rps: 2 } }]);
    expect(faults.check(target, ec2Service)).toBeUndefined();
    expect(faults.check(target, ec2Service)).toBeUndefined();
    expect(faults.check(target, ec2Service)).toMatchObject({ code: "RequestLimitExceeded", status: 503 });
    expect(faults.check({ ...target, region: "eu-west-1" }, ec2Service)).toBeUndefined();
    now = 500;
    expect(faults.check(target, ec2Service)).toBeUndefined();
    expect(faults.check(target, ec2Service)).toBeDefined();
  });

  it("matches on account, region, service and action, and fails with the given code", () => {
    const faults = new FaultInjector(() => 0);
    faults.setRules([{ account: WORKLOAD, region: "eu-west-1", service: "ec2", action: "DescribeVpcs", error: "UnauthorizedOperation" }]);
    expect(faults.check(target, ec2Service)).toBeUndefined();
    expect(faults.check({ ...target, region: "eu-west-1", action: "DescribeSecurityGroups" }, ec2Service)).toBeUndefined();
    const err = faults.check({ ...target, region: "eu-west-1" }, ec2Service);
    expect(err).toMatchObject({ code: "UnauthorizedOperation", status: 403 });
    expect(err?.message).toBe(`User: arn:aws:iam::${WORKLOAD}:root is not authorized to perform: ec2:DescribeVpcs`);
  });

  it("fails only the first `times` matching calls of an error rule, counting again after setRules", () => {
    const faults = new FaultInjector(() => 0);
    const outage = { service: "ec2", action: "DescribeVpcs", error: "ServiceUnavailable", times: 2 };
    faults.setRules([outage]);
    expect(faults.check({ ...target, action: "DescribeSecurityGroups" }, ec2Service)).toBeUndefined();
    expect([1, 2, 3].map(() => faults.check(target, ec2Service)?.code)).toEqual(["ServiceUnavailable", "ServiceUnavailable", undefined]);
    faults.setRules([outage]);
    expect(faults.check(target, ec2Service)?.code).toBe("ServiceUnavailable");
  });

  it("scopes a rule to one S3 object key; `key` is refused for other services", () => {
    const faults = new FaultInjector(() => 0);
    faults.setRules([{ service: "s3", action: "PutObject", key: "runs/r1/parts/a.json", error: "InternalError" }]);
    const put = { ...target, service: "s3", action: "PutObject" };
    expect(faults.check({ ...put, key: "runs/r1/parts/b.json" }, ec2Service)).toBeUndefined();
    expect(faults.check(put, ec2Service)).toBeUndefined();
    expect(faults.check({ ...put, key: "runs/r1/parts/a.json" }, ec2Service)).toMatchObject({ code: "InternalError", status: 500 });
    expect(() => scenarioFromObject({ organization: { managementAccount: HUB }, faults: [{ service: "ec2", key: "x", error: "InternalError" }] })).toThrow(/faults\[0\]\.key.*use it with service: s3/s);
  });
});

describe("faults over the wire", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: { faults: [{ account: WORKLOAD, service: "sts", action: "AssumeRole", error: "AccessDenied" }] } });
  });
  afterAll(() => sandbox.close());

  it("fails AssumeRole into the faulted target account, whoever calls", async () => {
    const sts = new STSClient(clientConfig(sandbox, sandbox.hubCredentials));
    const err = await failure(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${WORKLOAD}:role/driftguard-spoke`, RoleSessionName: "scan" })));
    expect(err.name).toBe("AccessDenied");
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it("throttles with each service's real throttling error", async () => {
    sandbox.setFaults([
      { service: "ec2", throttle: { rps: 0.001, burst: 1 } },
      { service: "s3", throttle: { rps: 0.001, burst: 1 } },
      { service: "cloudformation", throttle: { rps: 0.001, burst: 1 } },
      { service: "organizations", throttle: { rps: 0.001, burst: 1 } },
    ]);
    const admin = sandbox.adminCredentials(WORKLOAD);
    const calls: [() => Promise<unknown>, string, number][] = [
      [() => new EC2Client(clientConfig(sandbox, admin)).send(new DescribeVpcsCommand({})), "RequestLimitExceeded", 503],
      [() => new S3Client(clientConfig(sandbox, admin)).send(new ListBucketsCommand({})), "SlowDown", 503],
      [() => new CloudFormationClient(clientConfig(sandbox, admin)).send(new ListStacksCommand({})), "Throttling", 400],
      [() => new OrganizationsClient(clientConfig(sandbox, sandbox.hubCredentials)).send(new DescribeOrganizationCommand({})), "TooManyRequestsException", 400],
    ];
    for (const [call, code, status] of calls) {
      await call();
      const err = await failure(call());
      expect([err.name, err.$metadata.httpStatusCode]).toEqual([code, status]);
    }
  });

  it("fails PutObject of the faulted key only, over the wire", async () => {
    sandbox.setFaults([{ service: "s3", action: "PutObject", key: "state/a.json", error: "InternalError", message: "We encountered an internal error. Please try again." }]);
    const s3 = new S3Client(clientConfig(sandbox, sandbox.adminCredentials(HUB)));
    const put = (Key: string) => s3.send(new PutObjectCommand({ Bucket: sandbox.hub.reportBucket, Key, Body: "{}" }));
    const err = await failure(put("state/a.json"));
    expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual(["InternalError", 500, "We encountered an internal error. Please try again."]);
    expect((await put("state/b.json")).ETag).toBeDefined();
    sandbox.setFaults([]);
  });

  it("lets the SDK's retries get through a throttled burst", async () => {
    // 2 rps: six calls sent at once outrun the bucket unless they arrive 500 ms apart, which even a
    // loaded machine does not do (at 50 rps a 20 ms gap was enough, and the test was flaky).
    sandbox.setFaults([{ account: HUB, service: "ec2", throttle: { rps: 2, burst: 2 } }]);
    const ec2 = new EC2Client({ endpoint: sandbox.endpoint, region: "us-east-1", credentials: sandbox.adminCredentials(HUB), maxAttempts: 8 });
    const results = await Promise.all(Array.from({ length: 6 }, () => ec2.send(new DescribeVpcsCommand({}))));
    expect(results.every((r) => r.Vpcs?.length === 1)).toBe(true);
    expect(results.some((r) => (r.$metadata.attempts ?? 1) > 1)).toBe(true);
    sandbox.setFaults([]);
  });

  it("adds the configured API latency to every call", async () => {
    sandbox.setLatency({ apiMs: 60 });
    const ec2 = new EC2Client(clientConfig(sandbox, sandbox.adminCredentials(HUB)));
    const started = Date.now();
    await ec2.send(new DescribeVpcsCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    sandbox.setLatency({ apiMs: 0 });
  });
});
