import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDeadline, MIN_MARGIN_MS, NO_DEADLINE, safetyMarginMs } from "../../functions/core/deadline.js";
import { newRunId } from "../../functions/runtime/run-id.js";
import { loadBundledConfig, settingsFromEnv } from "../../functions/runtime/settings.js";
import { testConfig } from "./scanner/fixtures.js";

const env = { DRIFTGUARD_REPORT_BUCKET: "driftguard-reports-111111111111-us-east-1", DRIFTGUARD_TOPIC_ARN: "arn:aws:sns:us-east-1:111111111111:driftguard-summary" };

describe("settings", () => {
  it("reads the bucket, topic and mode override; the config defaults to config.json in the task root", () => {
    expect(settingsFromEnv({ ...env, LAMBDA_TASK_ROOT: "/var/task" })).toEqual({
      configFile: "/var/task/config.json",
      reportBucket: env.DRIFTGUARD_REPORT_BUCKET,
      topicArn: env.DRIFTGUARD_TOPIC_ARN,
      modeOverride: undefined,
    });
    expect(settingsFromEnv({ ...env, DRIFTGUARD_CONFIG_FILE: "/tmp/c.json", DRIFTGUARD_MODE: "report" })).toMatchObject({ configFile: "/tmp/c.json", modeOverride: "report" });
    expect(settingsFromEnv(env).configFile).toMatch(/functions[/\\]runtime[/\\]config\.json$/);
  });

  it("refuses a missing variable or an unknown mode with a message that says what to do", () => {
    expect(() => settingsFromEnv({ DRIFTGUARD_TOPIC_ARN: env.DRIFTGUARD_TOPIC_ARN })).toThrow("DRIFTGUARD_REPORT_BUCKET is not set");
    expect(() => settingsFromEnv({ ...env, DRIFTGUARD_MODE: "fix" })).toThrow('DRIFTGUARD_MODE is "fix"; use one of report, remediate');
  });

  it("re-validates the bundled config", () => {
    const dir = mkdtempSync(join(tmpdir(), "driftguard-settings-"));
    const good = join(dir, "config.json");
    writeFileSync(good, JSON.stringify(testConfig("accounts: []")));
    expect(loadBundledConfig(good)).toEqual(testConfig("accounts: []"));

    const broken = join(dir, "broken.json");
    writeFileSync(broken, JSON.stringify({ ...testConfig("accounts: []"), accounts: [{ id: "12345", name: "x" }] }));
    expect(() => loadBundledConfig(broken)).toThrow(/broken\.json: accounts\[0\]\.id must be exactly 12 digits/);

    const notJson = join(dir, "not.json");
    writeFileSync(notJson, "version: 1");
    expect(() => loadBundledConfig(notJson)).toThrow("cannot be read as JSON");
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
