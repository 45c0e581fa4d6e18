import { describe, expect, it } from "vitest";
import { buildReport } from "../../../functions/report/build.js";
import { foldInSync, inSyncCount, isInSyncStack } from "../../../functions/report/in-sync.js";
import { renderHtml } from "../../../functions/report/html.js";
import type { StackReport } from "../../../functions/core/types.js";
import { fleetAccounts } from "./generate.js";
import { config } from "./sample.js";
import { schemaErrors } from "./validate.js";
import { parseConfig } from "../../../functions/accounts-file/index.js";
import { configProblems } from "../../support/config.js";

const inSync: StackReport = { stackName: "s", scan: "scanned", driftStatus: "IN_SYNC", exemption: { kind: "none" }, resources: [] };

describe("in-sync stacks as counts", () => {
  it("folds only stacks with nothing else to say", () => {
    expect(isInSyncStack(inSync)).toBe(true);
    // Each of these keeps the stack listed: coverage, a partial detection, a nested stack, an error.
    for (const extra of [
      { unchecked: [{ logicalResourceId: "X", resourceType: "AWS::SQS::Queue", status: "NOT_CHECKED" as const }] },
      { detectionStatusReason: "Failed to detect drift on resource [X]" },
      { parentStackId: "arn:aws:cloudformation:us-east-1:111111111111:stack/p/1" },
      { uncheckedError: { code: "Throttling", message: "Rate exceeded" } },
      { scan: "skipped" as const },
      { driftStatus: "DRIFTED" as const },
    ]) {
      expect(isInSyncStack({ ...inSync, ...extra })).toBe(false);
    }
  });

  it("is idempotent: a region folded by the scanner and again by buildReport keeps its count", () => {
    const region = { region: "us-east-1", status: "scanned" as const, stacks: [inSync, { ...inSync, stackName: "t" }, { ...inSync, stackName: "u", scan: "skipped" as const }] };
    const once = foldInSync(region, false);
    expect(once).toMatchObject({ inSyncStacks: 2, stacks: [{ stackName: "u" }] });
    expect(foldInSync(once, false)).toBe(once);
    expect(inSyncCount(once)).toBe(2);
    expect(foldInSync(region, true)).toBe(region);
    expect(inSyncCount(region)).toBe(2);
  });

  it("counts a 300-account organization's in-sync stacks, totals unchanged; includeInSync lists them all", () => {
    const accounts = fleetAccounts({ accounts: 300, stacksPerAccount: 17, driftEvery: 10 });
    // Oracle: the generator's own parameters (6 of 300 accounts fail, 17 stacks in each other one).
    const generated = 294 * 17;
    const input = { runId: "r1", trigger: "schedule", mode: "remediate" as const, startedAt: new Date("2026-01-02T03:04:05Z"), finishedAt: new Date("2026-01-02T03:14:05Z"), accounts };
    const counted = buildReport({ ...input, config });
    const listed = buildReport({ ...input, config: { ...config, report: { includeInSync: true } } });
    expect(counted.totals).toEqual(listed.totals);
    expect(counted.totals.stacksScanned).toBe(generated);
    const rows = (r: typeof counted) => r.accounts.flatMap((a) => a.regions.flatMap((g) => g.stacks)).length;
    expect(rows(listed)).toBe(generated);
    expect(rows(counted)).toBe(counted.totals.stacksDrifted);
    expect(schemaErrors(counted)).toEqual([]);
    const bytes = (r: typeof counted) => Buffer.byteLength(JSON.stringify(r, null, 2));
    console.info(`report.json, ${generated} stacks: ${bytes(listed)} bytes listed, ${bytes(counted)} bytes counted`);
    expect(bytes(counted)).toBeLessThan(bytes(listed));
    expect(renderHtml(counted)).toContain(`${generated - counted.totals.stacksDrifted} stack(s) in sync in 294 account(s)`);
  });
});

describe("report.includeInSync in accounts.yaml", () => {
  it("defaults to counting, and a wrong value names the field and what is allowed", () => {
    const yaml = (extra: string) => `version: 1\norganization: { id: o-example0001 }\nhub: { accountId: "111111111111", region: us-east-1 }\naccounts: []\n${extra}`;
    expect(parseConfig(yaml(""), "accounts.yaml").report).toEqual({ includeInSync: false });
    expect(configProblems(yaml("report: { includeInSync: yes please }\n"))).toEqual([
      expect.objectContaining({ file: "accounts.yaml", path: "report.includeInSync", line: 5, message: expect.stringContaining("must be true (list every in-sync stack in report.json) or false (count them)") }),
    ]);
  });
});
