import { describe, expect, it } from "vitest";
import { EMPTY_INDEX, INDEX_RUNS, TREND_RUNS, ageText, parseHistoryIndex, withHistory, type HistoryIndex } from "../../../functions/report/history.js";
import { renderHistoryPage } from "../../../functions/report/history-html.js";
import { renderHtml } from "../../../functions/report/html.js";
import { summaryText } from "../../../functions/report/summary.js";
import type { AccountReport, RunReport } from "../../../functions/core/types.js";
import { resource, sampleReport } from "./sample.js";
import { schemaErrors } from "./validate.js";

const PAY = "222222222222";
const DEV = "333333333333";

/** Two accounts, one stack each with the given drifted logical ids; `dev` may fail instead. */
function run(at: string, pay: string[], dev: string[] | "failed" = []): RunReport {
  const stack = (accountId: string, ids: string[]) => ({
    stackName: "app",
    stackId: `arn:aws:cloudformation:us-east-1:${accountId}:stack/app/d0a825a0-e4cd-11ee-b9fb-061c69e99204`,
    scan: "scanned" as const,
    driftStatus: ids.length > 0 ? ("DRIFTED" as const) : ("IN_SYNC" as const),
    exemption: { kind: "none" as const },
    resources: ids.map((id) => resource({ logicalResourceId: id })),
  });
  const accounts: AccountReport[] = [
    { accountId: PAY, name: "payments-prod", status: "scanned", mode: "remediate", regions: [{ region: "us-east-1", status: "scanned", stacks: [stack(PAY, pay)] }] },
    dev === "failed"
      ? { accountId: DEV, name: "data-dev", status: "failed", mode: "report", error: { code: "AccessDenied", message: "cannot assume" }, regions: [] }
      : { accountId: DEV, name: "data-dev", status: "scanned", mode: "report", regions: [{ region: "us-east-1", status: "scanned", stacks: [stack(DEV, dev)] }] },
  ];
  return { ...sampleReport(accounts, []), runId: `run-${at}`, startedAt: `2026-01-${at}T00:00:00.000Z` };
}

const marks = (r: RunReport) =>
  r.accounts.flatMap((a) => a.regions.flatMap((g) => g.stacks.flatMap((s) => s.resources.map((x) => `${a.accountId}/${x.logicalResourceId}:${x.seen?.status}@${x.seen?.firstSeen.slice(8, 10)}`))));

describe("run history", () => {
  it("marks new, still (with first seen) and resolved across runs; where the run did not look, a finding stays open", () => {
    const first = withHistory(run("01", ["A", "B"], ["C"]), EMPTY_INDEX, "reports/2026/01/01/run-01/report.html");
    expect(marks(first.report)).toEqual([`${PAY}/A:new@01`, `${PAY}/B:new@01`, `${DEV}/C:new@01`]);
    expect(first.index.findings).toHaveLength(3);

    // B fixed, D appears; data-dev cannot be scanned, so C is neither resolved nor forgotten.
    const second = withHistory(run("02", ["A", "D"], "failed"), first.index, "k2");
    expect(marks(second.report)).toEqual([`${PAY}/A:still@01`, `${PAY}/D:new@02`]);
    expect(second.report.history).toMatchObject({ previousRunId: "run-01", new: 1, still: 1, notChecked: 1 });
    expect(second.report.history!.resolved.map((r) => r.logicalResourceId)).toEqual(["B"]);
    expect(second.index.findings.map((f) => `${f.logicalResourceId}@${f.firstSeen.slice(8, 10)}`).sort()).toEqual(["A@01", "C@01", "D@02"]);

    // data-dev back and in sync: C resolved, first seen on the 1st.
    const third = withHistory(run("03", ["A", "D"], []), second.index, "k3");
    expect(third.report.history!.resolved).toEqual([expect.objectContaining({ accountId: DEV, logicalResourceId: "C", firstSeen: "2026-01-01T00:00:00.000Z" })]);
    expect(third.report.history!.trend.map((p) => [p.runId, p.resourcesDrifted])).toEqual([["run-01", 3], ["run-02", 2], ["run-03", 2]]);
    expect(schemaErrors(third.report)).toEqual([]);
  });

  it("shows new and age in the index, what was resolved, the trend and a link to all runs; the SNS summary says it too", () => {
    const first = withHistory(run("01", ["A", "B"]), EMPTY_INDEX, "k1");
    const { report } = withHistory(run("04", ["A", "D"]), first.index, "k2");
    const html = renderHtml(report);
    const row = (id: string) => html.match(new RegExp(`<tr data-outcome[^>]*>(?:(?!</tr>).)*>${id}</a>(?:(?!</tr>).)*</tr>`))![0];
    expect(row("A")).toContain('<td data-v="2026-01-01T00:00:00.000Z" title="first seen 2026-01-01T00:00:00.000Z">3 d</td>');
    expect(row("D")).toContain('<td data-v="2026-01-04T00:00:00.000Z" class="new">new</td>');
    expect(html).toContain('<span class="new">1 new</span>, 1 still drifted, 1 resolved since run run-01');
    expect(html).toContain('<a href="../../../../index.html">All runs</a>');
    expect(html).toMatch(/<svg class="trend" role="img" aria-label="Trend over 2 run\(s\): drifted 2, 2; remediated 2, 2"/);
    expect(html).toContain("<details><summary>1 resolved</summary>");
    expect(summaryText(report, { historyLocation: "https://h" })).toContain("Since the previous run: 1 new, 1 still drifted, 1 resolved\n");
  });

  it("drops a finding whose account left the configuration, without calling it resolved", () => {
    const first = withHistory(run("01", ["A"], ["C"]), EMPTY_INDEX, "k1");
    const onlyPay = run("02", ["A"]);
    const second = withHistory({ ...onlyPay, accounts: onlyPay.accounts.slice(0, 1) }, first.index, "k2");
    expect(second.report.history).toMatchObject({ resolved: [], notChecked: 0, still: 1 });
    expect(second.index.findings.map((f) => f.logicalResourceId)).toEqual(["A"]);
  });

  it(`keeps ${INDEX_RUNS} runs and draws the last ${TREND_RUNS}, oldest first`, () => {
    let index: HistoryIndex = EMPTY_INDEX;
    let last: RunReport | undefined;
    const base = run("01", ["A"]);
    for (let day = 1; day <= INDEX_RUNS + 5; day++) {
      const at = new Date(Date.UTC(2026, 0, 1) + day * 3_600_000).toISOString();
      const out = withHistory({ ...base, runId: `r${day}`, startedAt: at }, index, `k${day}`);
      index = out.index;
      last = out.report;
    }
    expect(index.runs).toHaveLength(INDEX_RUNS);
    expect(index.runs[0]!.runId).toBe(`r${INDEX_RUNS + 5}`);
    expect(last!.history!.trend).toHaveLength(TREND_RUNS);
    expect(last!.history!.trend.at(-1)!.runId).toBe(`r${INDEX_RUNS + 5}`);
    expect(last!.history!.trend[0]!.runId).toBe(`r${INDEX_RUNS + 5 - TREND_RUNS + 1}`);
    const page = renderHistoryPage(index);
    expect(page.match(/<tr><td><a href="k\d+">/g)).toHaveLength(INDEX_RUNS);
    expect(page.match(/<circle /g)).toHaveLength(2 * TREND_RUNS);
  });

  it("rejects an index it would misread, naming the key, the field and the fix", () => {
    const err = parseHistoryIndex({ version: 1, runs: [], findings: [{ accountId: "12", region: "r" }] }, "s3://b/reports/index.json");
    expect(err).toMatchObject({ code: "HistoryIndexInvalid", message: expect.stringMatching(/^s3:\/\/b\/reports\/index\.json: findings\.0\.accountId: .*delete the object to start history afresh/) });
    expect(parseHistoryIndex(EMPTY_INDEX, "x")).toEqual(EMPTY_INDEX);
  });

  it("writes a drift's age in the unit a person reads", () => {
    expect(ageText("2026-01-01T00:00:00Z", "2026-01-01T00:45:00Z")).toBe("45 min");
    expect(ageText("2026-01-01T00:00:00Z", "2026-01-01T20:00:00Z")).toBe("20 h");
    expect(ageText("2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z")).toBe("3 d");
  });
});
