import { describe, expect, it } from "vitest";
import type { EffectiveAccount } from "../../../functions/config/resolve.js";
import type { AccountReport, StackReport } from "../../../functions/core/types.js";
import { mergeAccounts, type WorkerResult } from "../../../functions/fanout/merge.js";
import type { RunManifest } from "../../../functions/fanout/types.js";
import { computeTotals } from "../../../functions/report/build.js";

const RUN = "20260102T030405Z-a1b2c3";

function stack(stackName: string, driftStatus: StackReport["driftStatus"], outcomes: string[] = []): StackReport {
  return {
    stackName,
    scan: "scanned",
    driftStatus,
    exemption: { kind: "none" },
    resources: outcomes.map((outcome, i) => ({
      logicalResourceId: `R${i}`,
      physicalResourceId: `r-${i}`,
      resourceType: "AWS::EC2::SecurityGroup",
      status: "MODIFIED",
      differences: [],
      exemption: { kind: "none" },
      action: { outcome: outcome as "remediated", reason: "test", steps: [] },
    })),
  };
}

function scanned(accountId: string, name: string, stacks: StackReport[]): AccountReport {
  return { accountId, name, status: "scanned", mode: "remediate", regions: [{ region: "us-east-1", status: "scanned", stacks }] };
}

const suspended: AccountReport = {
  accountId: "444444444444",
  name: "suspended-team",
  status: "suspended",
  mode: "report",
  error: { code: "AccountNotActive", message: "Organizations reports account 444444444444 as SUSPENDED; it is not scanned" },
  regions: [],
};

const effective = (id: string, name: string, mode: "report" | "remediate"): EffectiveAccount => ({
  id,
  name,
  mode,
  regions: ["us-east-1"],
  stacks: { include: ["*"], exclude: [] },
  modeRules: [],
  revertDriftStacks: [],
  cloudTrailLookup: false,
  ignore: [],
});

const manifest: RunManifest = {
  version: 1,
  runId: RUN,
  trigger: "schedule",
  startedAt: "2026-01-02T03:04:05.000Z",
  accounts: [
    { accountId: "222222222222", name: "payments-prod", mode: "remediate", account: effective("222222222222", "payments-prod", "remediate") },
    { accountId: "444444444444", name: "suspended-team", mode: "report", listed: suspended },
    { accountId: "333333333333", name: "data-dev", mode: "remediate", account: effective("333333333333", "data-dev", "remediate") },
    { accountId: "555555555555", name: "edge", mode: "report", account: effective("555555555555", "edge", "report") },
    { accountId: "666666666666", name: "lake", mode: "report", account: effective("666666666666", "lake", "report") },
  ],
  organization: { available: true, members: [] },
};

const pay = scanned("222222222222", "payments-prod", [stack("web-tier", "DRIFTED", ["remediated", "manual"]), stack("core", "IN_SYNC")]);
const data = scanned("333333333333", "data-dev", [stack("lake", "DRIFTED", ["remediated"])]);
const part = (account: AccountReport, runId = RUN): WorkerResult => ({
  kind: "part",
  part: { version: 1, runId, accountId: account.accountId, finishedAt: "2026-01-02T03:05:00.000Z", account },
});

describe("mergeAccounts", () => {
  it("puts the workers' parts and the listed-only rows together in accounts.yaml order, and the totals add up", () => {
    const results = new Map<string, WorkerResult>([
      ["222222222222", part(pay)],
      ["333333333333", part(data)],
      ["555555555555", part(scanned("555555555555", "edge", []))],
      ["666666666666", part(scanned("666666666666", "lake", [stack("a", "IN_SYNC")]))],
    ]);
    const merged = mergeAccounts(manifest, results);
    expect(merged.map((a) => [a.accountId, a.status])).toEqual([
      ["222222222222", "scanned"],
      ["444444444444", "suspended"],
      ["333333333333", "scanned"],
      ["555555555555", "scanned"],
      ["666666666666", "scanned"],
    ]);
    expect(computeTotals(merged)).toMatchObject({ accounts: 5, accountsFailed: 0, regions: 4, stacksScanned: 4, stacksDrifted: 2, resourcesDrifted: 3, remediated: 2, manual: 1, errors: 0 });
  });

  it("turns a failed, missing, unreadable or foreign part into that account's error row, and keeps the rest", () => {
    const results = new Map<string, WorkerResult>([
      ["222222222222", part(pay)],
      [
        "333333333333",
        {
          kind: "failed",
          failure: {
            Error: "Sandbox.Timedout",
            Cause: JSON.stringify({ errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 900.00 seconds", trace: ["at …"] }),
          },
        },
      ],
      ["666666666666", part(scanned("666666666666", "lake", []), "20260101T000000Z-ffffff")],
    ]);
    results.set("555555555555", { kind: "unreadable", error: { code: "AccessDenied", message: "Access Denied" } });
    const merged = mergeAccounts(manifest, results);

    expect(merged[0]).toBe(pay);
    expect(merged[2]).toEqual({
      accountId: "333333333333",
      name: "data-dev",
      status: "failed",
      mode: "remediate",
      regions: [],
      error: { code: "FanoutWorkerFailed", message: "the worker scanning this account failed (Sandbox.Timedout: Task timed out after 900.00 seconds); it is not scanned in this run" },
    });
    expect(merged[3]!.error).toMatchObject({ code: "FanoutPartUnreadable", message: expect.stringContaining("AccessDenied: Access Denied") });
    expect(merged[4]!.error).toMatchObject({ code: "FanoutPartMismatch" });

    const withoutLake = new Map(results);
    withoutLake.delete("666666666666");
    expect(mergeAccounts(manifest, withoutLake)[4]!.error).toMatchObject({ code: "FanoutWorkerMissing" });
    expect(computeTotals(merged)).toMatchObject({ accounts: 5, accountsFailed: 3, errors: 3, remediated: 1 });
  });

  it("keeps a plain-text cause and shortens a long one", () => {
    const long = "x".repeat(2_000);
    const merged = mergeAccounts(manifest, new Map<string, WorkerResult>([["222222222222", { kind: "failed", failure: { Error: "States.Timeout", Cause: long } }]]));
    expect(merged[0]!.error!.message).toContain(`States.Timeout: ${"x".repeat(500)}…)`);
  });
});
