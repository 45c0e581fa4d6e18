import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { administratorSession, clientConfig, failure, HUB, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.close());

const SPOKE = `arn:aws:iam::${WORKLOAD}:role/driftguard-spoke`;

describe("sts", () => {
  it("identifies the hub credentials as the scanner role's session", async () => {
    const sts = new STSClient(clientConfig(sandbox, sandbox.hubCredentials));
    const me = await sts.send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Account: HUB, Arn: `arn:aws:sts::${HUB}:assumed-role/driftguard-scanner/sandbox` });
    expect(me.UserId).toMatch(/^AROA[A-Z0-9]+:sandbox$/);
  });

  it("assumes the spoke role from the scanner and mints keys bound to the target account", async () => {
    const sts = new STSClient(clientConfig(sandbox, sandbox.hubCredentials));
    const before = Date.now();
    const res = await sts.send(new AssumeRoleCommand({ RoleArn: SPOKE, RoleSessionName: "scan-1", DurationSeconds: 900 }));
    expect(res.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${WORKLOAD}:assumed-role/driftguard-spoke/scan-1`);
    expect(res.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(res.Credentials!.Expiration!.getTime()).toBeGreaterThanOrEqual(before + 899_000);
    const spoke = new STSClient(
      clientConfig(sandbox, { accessKeyId: res.Credentials!.AccessKeyId!, secretAccessKey: res.Credentials!.SecretAccessKey!, sessionToken: res.Credentials!.SessionToken }),
    );
    expect((await spoke.send(new GetCallerIdentityCommand({}))).Account).toBe(WORKLOAD);
  });

  it("refuses root user credentials whatever the trust policy says (API_AssumeRole.html: \"You cannot use AWS account root user credentials to call AssumeRole\")", async () => {
    // The role trusts the account's root, and still root may not assume it.
    const root = new STSClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    await administratorSession(sandbox, WORKLOAD, "creates-admin");
    const err = await failure(root.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${WORKLOAD}:role/Admin`, RoleSessionName: "x1" })));
    expect({ name: err.name, status: err.$metadata.httpStatusCode, message: err.message }).toEqual({ name: "AccessDenied", status: 403, message: "Roles may not be assumed by root accounts." });
  });

  it("refuses callers the trust policy does not name, and roles that do not exist", async () => {
    const outsider = new STSClient(clientConfig(sandbox, await administratorSession(sandbox, WORKLOAD, "outsider")));
    const err = await failure(outsider.send(new AssumeRoleCommand({ RoleArn: SPOKE, RoleSessionName: "x1" })));
    expect(err.name).toBe("AccessDenied");
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toContain(`User: arn:aws:sts::${WORKLOAD}:assumed-role/Admin/outsider is not authorized to perform: sts:AssumeRole`);
    const hub = new STSClient(clientConfig(sandbox, sandbox.hubCredentials));
    expect((await failure(hub.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${WORKLOAD}:role/missing`, RoleSessionName: "x1" })))).name).toBe("AccessDenied");
  });

  it("limits role chaining to one hour and validates the session name", async () => {
    const sts = new STSClient(clientConfig(sandbox, sandbox.hubCredentials));
    const chained = await failure(sts.send(new AssumeRoleCommand({ RoleArn: SPOKE, RoleSessionName: "long", DurationSeconds: 7200 })));
    expect(chained.name).toBe("ValidationError");
    expect(chained.message).toContain("role chaining");
    expect((await failure(sts.send(new AssumeRoleCommand({ RoleArn: SPOKE, RoleSessionName: "bad name!" })))).name).toBe("ValidationError");
  });

  it("rejects expired session credentials with ExpiredToken", async () => {
    const sts = new STSClient(clientConfig(sandbox, sandbox.hubCredentials));
    const res = await sts.send(new AssumeRoleCommand({ RoleArn: SPOKE, RoleSessionName: "expiring", DurationSeconds: 900 }));
    sandbox.world.credentials.get(res.Credentials!.AccessKeyId!)!.expiresAt = Date.now() - 1;
    const spoke = new STSClient(
      clientConfig(sandbox, { accessKeyId: res.Credentials!.AccessKeyId!, secretAccessKey: res.Credentials!.SecretAccessKey!, sessionToken: res.Credentials!.SessionToken }),
    );
    const err = await failure(spoke.send(new GetCallerIdentityCommand({})));
    expect(err.name).toBe("ExpiredToken");
    expect(err.$metadata.httpStatusCode).toBe(403);
  });
});
