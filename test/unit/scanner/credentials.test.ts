import "aws-sdk-client-mock-vitest/extend";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  assumeRoleCredentials,
  assumeRoleError,
  REFRESH_BEFORE_MS,
  roleSessionName,
  SESSION_SECONDS,
  spokeRoleArn,
} from "../../../functions/scanner/credentials.js";
import { accessDenied, assumeRoleOutput } from "./fixtures.js";

const sts = mockClient(STSClient);
beforeEach(() => sts.reset());

const roleArn = "arn:aws:iam::222222222222:role/driftguard-spoke";
const T0 = Date.parse("2026-01-02T03:00:00.000Z");
const HOUR = 3_600_000;

describe("spoke credentials", () => {
  it("builds the role ARN in the hub's partition and a valid session name naming the run", () => {
    expect(spokeRoleArn("222222222222", "driftguard-spoke", "eu-west-1")).toBe(roleArn);
    expect(spokeRoleArn("222222222222", "driftguard-spoke", "cn-north-1")).toBe("arn:aws-cn:iam::222222222222:role/driftguard-spoke");
    expect(spokeRoleArn("222222222222", "driftguard-spoke", "us-gov-west-1")).toBe("arn:aws-us-gov:iam::222222222222:role/driftguard-spoke");
    expect(roleSessionName("20260102T030405Z-a1b2c3")).toBe("driftguard-20260102T030405Z-a1b2c3");
    const long = roleSessionName(`run id/with spaces:${"x".repeat(80)}`);
    expect(long).toMatch(/^[\w+=,.@-]{2,64}$/);
  });

  it("assumes once for a one-hour session and serves every caller from it", async () => {
    sts.on(AssumeRoleCommand).resolves(assumeRoleOutput("222222222222", new Date(T0 + HOUR)));
    let now = T0;
    const provider = assumeRoleCredentials(new STSClient({ region: "us-east-1" }), { roleArn, sessionName: "driftguard-run" }, () => now);
    const [a, b] = await Promise.all([provider(), provider()]);
    now += 30 * 60_000;
    const c = await provider();
    expect(a.accessKeyId).toBe("ASIA222222222222EXAMPLE");
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: roleArn, RoleSessionName: "driftguard-run", DurationSeconds: SESSION_SECONDS });
    expect(SESSION_SECONDS).toBe(3600);
  });

  it("re-assumes shortly before the session expires, so a run longer than an hour keeps going", async () => {
    const second = assumeRoleOutput("222222222222", new Date(T0 + 2 * HOUR));
    second.Credentials.AccessKeyId = "ASIASECONDSESSION";
    sts.on(AssumeRoleCommand).resolvesOnce(assumeRoleOutput("222222222222", new Date(T0 + HOUR))).resolves(second);
    let now = T0;
    const provider = assumeRoleCredentials(new STSClient({ region: "us-east-1" }), { roleArn, sessionName: "s" }, () => now);
    expect((await provider()).accessKeyId).toBe("ASIA222222222222EXAMPLE");
    now = T0 + HOUR - REFRESH_BEFORE_MS - 1;
    expect((await provider()).accessKeyId).toBe("ASIA222222222222EXAMPLE");
    now = T0 + HOUR - REFRESH_BEFORE_MS;
    expect((await provider()).accessKeyId).toBe("ASIASECONDSESSION");
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it("does not cache a failure, and explains AccessDenied", async () => {
    sts.on(AssumeRoleCommand).rejectsOnce(accessDenied("222222222222")).resolves(assumeRoleOutput("222222222222", new Date(T0 + HOUR)));
    const provider = assumeRoleCredentials(new STSClient({ region: "us-east-1" }), { roleArn, sessionName: "s" }, () => T0);
    const err = await provider().catch((e: unknown) => e);
    const info = assumeRoleError(err, roleArn);
    expect(info.code).toBe("AccessDenied");
    expect(info.message).toContain(`cannot assume ${roleArn}`);
    expect(info.message).toContain("is not authorized to perform: sts:AssumeRole");
    // The causes, in the order they happen in practice.
    const causes = ["(1) the spoke role driftguard-spoke is not deployed in 222222222222", "(2) its trust policy names another scanner role", "(3) organization.id in accounts.yaml"];
    const at = causes.map((c) => info.message.indexOf(c));
    expect(at.every((i) => i > 0), info.message).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    await expect(provider()).resolves.toMatchObject({ accessKeyId: "ASIA222222222222EXAMPLE" });
  });
});
