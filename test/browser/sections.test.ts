import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountReport, RunReport } from "../../functions/core/types.js";
import { reportKeys } from "../../functions/aws/bucket-layout.js";
import { coverageHeadline } from "../../functions/report/coverage-view.js";
import { fleetGroups } from "../../functions/report/fleet.js";
import { EMPTY_INDEX, withHistory, type HistoryIndex } from "../../functions/report/history.js";
import { renderHistoryPage } from "../../functions/report/history-html.js";
import { renderHtml } from "../../functions/report/html.js";
import { unmanagedTables } from "../../functions/report/unmanaged.js";
import { coverageLines, driftedItems } from "../../functions/report/view.js";
import { fleetReport } from "../unit/report/generate.js";
import { resource, sampleReport } from "../unit/report/sample.js";
import { ARTIFACTS, detailsReady, launch, type Session } from "./page.js";

/**
 * The report's newer sections in chromium (issue 18): history marks, fleet rows, unmanaged
 * resources, coverage, reports/index.html, and the time a 300-account page takes to answer its filter.
 */
let session: Session;
beforeAll(async () => {
  session = await launch();
});
afterAll(async () => {
  await session?.close();
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** One account, one stack, the given drifted logical ids, at 2026-01-<day>. */
function run(day: string, ids: string[]): RunReport {
  const accounts: AccountReport[] = [
    {
      accountId: "222222222222",
      name: "payments-prod",
      status: "scanned",
      mode: "report",
      regions: [
        {
          region: "us-east-1",
          status: "scanned",
          stacks: [{ stackName: "app", stackId: "arn:aws:cloudformation:us-east-1:222222222222:stack/app/d0a825a0-e4cd-11ee-b9fb-061c69e99204", scan: "scanned", driftStatus: ids.length > 0 ? "DRIFTED" : "IN_SYNC", exemption: { kind: "none" }, resources: ids.map((id) => resource({ logicalResourceId: id })) }],
        },
      ],
    },
  ];
  return { ...sampleReport(accounts, []), runId: `run-${day}`, startedAt: `2026-01-${day}T00:00:00.000Z`, finishedAt: `2026-01-${day}T00:05:00.000Z` };
}

/** Runs through withHistory in order, as publishReport does: the reports as stored and the final index. */
function runs(...list: RunReport[]): { reports: RunReport[]; index: HistoryIndex } {
  let index = EMPTY_INDEX;
  const reports: RunReport[] = [];
  for (const built of list) {
    const out = withHistory(built, index, reportKeys(built).html);
    reports.push(out.report);
    index = out.index;
  }
  return { reports, index };
}

describe("HTML report in chromium: history, fleet, unmanaged, coverage", () => {
  it("marks resources new or still drifted with their first-seen time, and lists what was resolved", async () => {
    const { reports } = runs(run("01", ["Kept", "Fixed"]), run("04", ["Kept", "Fresh"]));
    const report = reports[1]!;
    const { page, consoleErrors } = await session.open("history-marks", renderHtml(report));
    await detailsReady(page);
    await shot(page, "history-marks");
    await expect(page.locator("#history-counts").innerText()).resolves.toMatch(/^1 new, 1 still drifted, 1 resolved since run run-01 \(2026-01-01T00:00:00.000Z\)/);
    const row = (id: string) => page.locator("#index tbody tr", { has: page.locator("a", { hasText: new RegExp(`^${id}$`) }) });
    await expect(row("Fresh").locator("td").last().innerText()).resolves.toBe("new");
    const kept = row("Kept").locator("td").last();
    await expect(kept.innerText()).resolves.toBe("3 d");
    await expect(kept.getAttribute("title")).resolves.toBe("first seen 2026-01-01T00:00:00.000Z");
    const resolved = page.locator("#history ~ details", { hasText: "resolved" }).first();
    await resolved.locator("summary").click();
    await expect(resolved.innerText()).resolves.toMatch(/Fixed \(AWS::IAM::Role\)\s+222222222222 \/ us-east-1 \/ app\s+3 d/);
    expect(consoleErrors).toEqual([]);
  });

  it("folds the same change on many resources into one row that expands to them", async () => {
    const report = fleetReport({ accounts: 60, stacksPerAccount: 4 });
    const groups = fleetGroups(driftedItems(report));
    expect(groups.length).toBeGreaterThan(0);
    const { page, consoleErrors } = await session.open("fleet-rows", renderHtml(report));
    await detailsReady(page);
    const rows = page.locator("#fleet + ul > li > details");
    expect(await rows.count()).toBe(groups.length);
    const first = rows.first();
    expect(await first.locator("a").first().isVisible()).toBe(false);
    await first.locator("summary").click();
    await shot(page, "fleet-rows");
    const links = first.locator("a[href^='#r-']");
    expect(await links.count()).toBe(Math.min(groups[0]!.items.length, 50));
    expect(await links.first().isVisible()).toBe(true);
    const target = (await links.first().getAttribute("href"))!;
    await links.first().click();
    await expect(page.locator(`${target} h4`).innerText()).resolves.toContain(driftedItems(report)[groups[0]!.items[0]!]!.resource.logicalResourceId);
    expect(consoleErrors).toEqual([]);
  });

  it("lists unmanaged resources and coverage gaps as report.json has them", async () => {
    const report = sampleReport();
    const { page, consoleErrors } = await session.open("unmanaged-coverage", renderHtml(report));
    await detailsReady(page);
    const tables = unmanagedTables(report.unmanaged);
    expect(tables.length).toBeGreaterThan(0);
    await page.locator("#unmanaged").scrollIntoViewIfNeeded();
    await shot(page, "unmanaged");
    const headings = await page.locator("h2").allInnerTexts();
    for (const t of tables) {
      const table = page.locator(`xpath=//h2[normalize-space()="${t.title}"]/following-sibling::*[1]`);
      expect(headings).toContain(t.title);
      expect(await table.locator("tbody tr").count()).toBe(t.rows.length);
    }
    const finding = report.unmanaged.actions[0]!;
    await expect(page.locator("body").innerText()).resolves.toContain(finding.physicalId);
    expect(await page.locator("#coverage + table tbody tr").count()).toBe(coverageLines(report).length);
    await expect(page.locator("#coverage-headline").innerText()).resolves.toBe(coverageHeadline(report)!);
    await page.locator("#coverage-headline a").click();
    expect(new URL(page.url()).hash).toBe("#organization-coverage");
    expect(consoleErrors).toEqual([]);
  });

  it("highlights the resource a link names once the details are unpacked", async () => {
    const report = sampleReport();
    const name = "deep-link";
    const { page } = await session.open(name, renderHtml(report));
    await detailsReady(page);
    await page.goto(`${page.url()}#r-1`);
    await page.reload();
    await detailsReady(page);
    await expect(page.locator("#r-1").getAttribute("class")).resolves.toContain("hl");
    expect(await page.evaluate<number>("window.scrollY")).toBeGreaterThan(0);
  });
});

describe("reports/index.html in chromium", () => {
  it("draws the trend of the kept runs and links each run's report, which links back", async () => {
    const { reports, index } = runs(run("01", ["A", "B"]), run("02", ["A"]), run("03", ["A", "C", "D"]));
    const tree: Record<string, string> = { "reports/index.html": renderHistoryPage(index) };
    for (const r of reports) tree[reportKeys(r).html] = renderHtml(r);
    const { page, consoleErrors } = await session.openTree("history-page", tree, "reports/index.html");
    await shot(page, "history-page");
    // One point per run and series, oldest first: drifted 2, 1, 3.
    const series = await page.locator("svg.trend polyline").evaluateAll((ps) => ps.map((p) => p.getAttribute("points")!.split(" ").length));
    expect(series).toEqual([3, 3]);
    const remediated = reports.map((r) => r.totals.remediated).join(", ");
    await expect(page.locator("svg.trend").getAttribute("aria-label")).resolves.toBe(`Trend over 3 run(s): drifted 2, 1, 3; remediated ${remediated}`);
    const links = page.locator("#runs tbody a");
    await expect(links.allInnerTexts()).resolves.toEqual(["run-03", "run-02", "run-01"]);
    await links.nth(1).click();
    await detailsReady(page);
    expect(page.url()).toMatch(/\/reports\/2026\/01\/02\/run-02\/report\.html$/);
    await expect(page.locator("h1").innerText()).resolves.toBe("driftguard report run-02");
    await page.locator("#history-counts a", { hasText: "All runs" }).click();
    expect(page.url()).toMatch(/\/reports\/index\.html$/);
    expect(consoleErrors).toEqual([]);
  });
});

describe("HTML report in chromium: 300 accounts, 5,000 stacks, 2,000 drifted resources", () => {
  it("answers its filter within a second of navigation (measured, printed)", async () => {
    const report = fleetReport({ accounts: 300, stacksPerAccount: 17, driftEvery: 5 });
    const html = renderHtml(report);
    const { page, consoleErrors } = await session.open("fleet-2000", html);
    const account = report.accounts.find((a) => a.regions.some((r) => r.stacks.some((s) => s.resources.length > 0)))!;
    const expected = account.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources)).length;
    // The page is interactive once its script has run (data-interactive, ms since navigation start);
    // then one filter keystroke, timed in the page up to the next frame (style, layout and paint included).
    const interactive = Number(await page.locator("html[data-interactive]").getAttribute("data-interactive"));
    // Page-side code as a string: this project compiles without the DOM library.
    const keystroke = (query: string) =>
      page.evaluate<number>(`(async () => {
        const input = document.getElementById("filter");
        const t0 = performance.now();
        input.value = ${JSON.stringify(query)};
        input.dispatchEvent(new Event("input"));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return Math.round(performance.now() - t0);
      })()`);
    const filterMs = await keystroke(`(${account.accountId})`);
    expect(await page.locator("#shown").innerText()).toBe(String(expected));
    expect(await page.locator("#index tbody tr:not([hidden])").count()).toBe(expected);
    const loaded = await page.evaluate<number>(`Math.round(performance.getEntriesByType("navigation")[0].loadEventEnd)`);
    await detailsReady(page);
    const unpacked = Number(await page.locator("#details-body").getAttribute("data-ready"));
    const settledMs = await keystroke("team-1");
    await shot(page, "fleet-2000");
    console.info(
      `${report.totals.stacksScanned}-stack report, ${report.totals.resourcesDrifted} drifted, ${(Buffer.byteLength(html) / 2 ** 20).toFixed(2)} MiB: interactive ${interactive} ms after navigation start, one filter keystroke ${filterMs} ms (to the next frame), so the filter answers ${interactive + filterMs} ms after navigation (target < 1,000 ms); load event ${loaded} ms; details unpacked ${unpacked} ms; a keystroke once unpacked ${settledMs} ms; machine load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
    );
    expect(await page.locator("#details-body .res").count()).toBe(report.totals.resourcesDrifted);
    expect(consoleErrors).toEqual([]);
  });
});
