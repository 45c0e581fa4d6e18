import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigError, configObjectBody } from "../../functions/config/load.js";
import type { Config } from "../../functions/config/schema.js";
import { createDeadline, MIN_MARGIN_MS, NO_DEADLINE, safetyMarginMs } from "../../functions/core/deadline.js";
import { newRunId } from "../../functions/runtime/run-id.js";
import { readConfig, settingsFromEnv } from "../../functions/runtime/settings.js";
import { testConfig } from "../support/config.js";
import { tempDir } from "../support/temp.js";

const env = { DRIFTGUARD_REPORT_BUCKET: "driftguard-reports-111111111111-us-east-1", DRIFTGUARD_TOPIC_ARN: "arn:aws:sns:us-east-1:111111111111:driftguard-summary" };

describe("settings", () => {
  it("reads the bucket, topic, identity, mode override and where the configuration is", () => {
    expect(settingsFromEnv({ ...env, DRIFTGUARD_CONFIG_KEY: "config/driftguard-config.json", DRIFTGUARD_ORGANIZATION_ID: "o-example0001", DRIFTGUARD_HUB_ACCOUNT_ID: "111111111111" })).toEqual({
      config: { kind: "s3", key: "config/driftguard-config.json" },
      reportBucket: env.DRIFTGUARD_REPORT_BUCKET,
      topicArn: env.DRIFTGUARD_TOPIC_ARN,
      identity: { organizationId: "o-example0001", hubAccountId: "111111111111" },
      modeOverride: undefined,
    });
    expect(settingsFromEnv({ ...env, DRIFTGUARD_CONFIG_FILE: "/tmp/c.json", DRIFTGUARD_MODE: "report" })).toMatchObject({ config: { kind: "file", file: "/tmp/c.json" }, modeOverride: "report" });
  });

  it("refuses a missing variable or an unknown mode with a message that says what to do", () => {
    expect(() => settingsFromEnv({ DRIFTGUARD_TOPIC_ARN: env.DRIFTGUARD_TOPIC_ARN, DRIFTGUARD_CONFIG_KEY: "k" })).toThrow("DRIFTGUARD_REPORT_BUCKET is not set");
    expect(() => settingsFromEnv({ ...env, DRIFTGUARD_CONFIG_KEY: "k", DRIFTGUARD_MODE: "fix" })).toThrow('DRIFTGUARD_MODE is "fix"; use one of report, remediate');
    expect(() => settingsFromEnv(env)).toThrow(/neither DRIFTGUARD_CONFIG_KEY .* nor DRIFTGUARD_CONFIG_FILE/);
    expect(() => settingsFromEnv({ ...env, DRIFTGUARD_CONFIG_KEY: "k", DRIFTGUARD_ORGANIZATION_ID: "o-example0001" })).toThrow(/set together/);
  });
});

describe("run-time configuration", () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const settings = settingsFromEnv({ ...env, DRIFTGUARD_CONFIG_KEY: "config/driftguard-config.json", DRIFTGUARD_ORGANIZATION_ID: "o-example0001", DRIFTGUARD_HUB_ACCOUNT_ID: "111111111111" });
  // GetObject's Body as the SDK gives it: a stream with transformToString.
  const body = (value: unknown) => ({ transformToString: async () => JSON.stringify(value) }) as never;
  // What the hub stack writes (aws_s3_object): pretty-printed, so organization.id has a line of its own.
  const deployed = (config: Config) => ({ transformToString: async () => configObjectBody(config) }) as never;

  it("reads the hub stack's object from the report bucket, re-validates it and keeps its version", async () => {
    const config = testConfig("accounts: []");
    s3.on(GetObjectCommand, { Bucket: env.DRIFTGUARD_REPORT_BUCKET, Key: "config/driftguard-config.json" }).resolves({ Body: deployed(config), VersionId: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY" });
    const loaded = await readConfig(settings, new S3Client({ region: "us-east-1" }));
    // The organization check names this line when the id is not the organization's (issue 16).
    const line = configObjectBody(config).split("\n").findIndex((l) => l.includes(`"id": "${config.organization.id}"`)) + 1;
    expect(line).toBeGreaterThan(1);
    expect(loaded).toEqual({ config, version: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", source: `s3://${env.DRIFTGUARD_REPORT_BUCKET}/config/driftguard-config.json`, organizationIdLine: line });
  });

  it("refuses a configuration for another organization or another hub, naming both", async () => {
    const other = { ...testConfig("accounts: []"), organization: { id: "o-otherorg0001" }, hub: { ...testConfig("accounts: []").hub, accountId: "222222222222" } };
    s3.on(GetObjectCommand).resolves({ Body: body(other) });
    const err = await readConfig(settings, new S3Client({ region: "us-east-1" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toMatch(/organization\.id is not this deployment's organization \(o-example0001\).*"o-otherorg0001"/);
    expect(String((err as Error).message)).toMatch(/hub\.accountId is not the account this scanner runs in \(111111111111\)/);
  });

  it("re-validates the configuration and says what is wrong where", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body({ ...testConfig("accounts: []"), accounts: [{ id: "12345", name: "x" }] }) });
    await expect(readConfig(settings, new S3Client({ region: "us-east-1" }))).rejects.toThrow(/driftguard-config\.json: accounts\[0\]\.id must be exactly 12 digits/);
    const dir = tempDir("driftguard-settings-");
    const notJson = join(dir, "not.json");
    writeFileSync(notJson, "version: 1");
    await expect(readConfig({ ...settings, config: { kind: "file", file: notJson } }, new S3Client({ region: "us-east-1" }))).rejects.toThrow("cannot be read as JSON");
  });
});

describe("deadline", () => {
  it("keeps a margin of max(30 s, 10 %) for the report", () => {
    expect(safetyMarginMs(60_000)).toBe(MIN_MARGIN_MS);
    expect(safetyMarginMs(900_000)).toBe(90_000);
  });

  it("stops starting work inside the margin and stops waiting at half of it", () => {
    let now = 1_000_000;
    const deadline = createDeadline(900_000, () => now);
    expect(deadline.canStart()).toBe(true);
    now += 810_000 - 1;
    expect(deadline.canStart()).toBe(true);
    now += 1;
    expect(deadline.canStart()).toBe(false);
    expect(deadline.expired()).toBe(false);
    now += 45_000;
    expect(deadline.expired()).toBe(true);
    expect(deadline.remainingMs()).toBe(45_000);
    expect(NO_DEADLINE.canStart() && !NO_DEADLINE.expired()).toBe(true);
  });
});

describe("run id", () => {
  it("sorts by start time and is valid in a session name and an S3 key", () => {
    expect(newRunId(new Date("2026-01-02T03:04:05.678Z"), "a1b2c3")).toBe("20260102T030405Z-a1b2c3");
    expect(newRunId(new Date())).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(newRunId(new Date("2026-01-02T03:04:05Z"))).not.toBe(newRunId(new Date("2026-01-02T03:04:05Z")));
  });
});
