import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../functions/core/types.js";
import { renderHtml } from "../../functions/report/html.js";
import { fleetReport } from "../unit/report/generate.js";
import { sampleReport } from "../unit/report/sample.js";
import { cloudTrailUrl, resourceUrl } from "../../functions/report/console-links.js";
import { driftedItems } from "../../functions/report/view.js";
import { ARTIFACTS, detailsReady, launch, type Session } from "./page.js";

let session: Session;
beforeAll(async () => {
  session = await launch();
});
afterAll(async () => {
  await session?.close();
});

/** Resources counted from the report JSON itself, not from the page's own totals. */
// Rows that are not drift (false positives, ignored differences) are listed apart, not in the index.
const driftedCount = (report: RunReport) => report.accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources))).filter((r) => !["in-sync", "ignored"].includes(r.action.outcome as string)).length;

async function openReport(name: string, report: RunReport) {
  const opened = await session.open(name, renderHtml(report));
  await detailsReady(opened.page);
  await opened.page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  return opened;
}

async function firstScreenHasNeedsMe(page: Page) {
  const box = await page.locator("#needs-me").boundingBox();
  expect(box).not.toBeNull();
  expect(box!.y).toBeLessThan(768);
}

const visibleRows = (page: Page) => page.locator("#index tbody tr:not([hidden])").count();

describe("HTML report in chromium: demo-shaped report", () => {
  const report = sampleReport();

  it("opens with what needs a person on the first screen, without console errors or network", async () => {
    const { page, consoleErrors } = await openReport("demo", report);
    await firstScreenHasNeedsMe(page);
    await expect(page.locator("#needs-me").innerText()).resolves.toMatch(/data-dev \(333333333333\)/);
    await page.locator("#needs-me a", { hasText: "WorkQueue" }).click();
    expect(new URL(page.url()).hash).toMatch(/^#r-\d+$/);
    await expect(page.locator(`${new URL(page.url()).hash} h4`).innerText()).resolves.toContain("WorkQueue");
    expect(consoleErrors).toEqual([]);
  });

  it("indexes every drifted resource and the filter narrows it", async () => {
    const { page } = await openReport("demo-filter", report);
    expect(await visibleRows(page)).toBe(driftedCount(report));
    await page.fill("#filter", "AWS::S3::Bucket");
    expect(await visibleRows(page)).toBe(1);
    expect(await page.locator("#shown").innerText()).toBe("1");
    await page.fill("#filter", "");
    await page.selectOption("#filter-outcome", "planned");
    expect(await visibleRows(page)).toBe(report.totals.planned);
  });

  it("links each resource to the right console pages", async () => {
    const { page } = await openReport("demo-links", report);
    const stackId = "arn:aws:cloudformation:us-east-1:222222222222:stack/payments-api/d0a825a0-e4cd-11ee-b9fb-061c69e99204";
    // Built by the page's script from compact ids (html.ts); these literals are the consoles' own shapes.
    const hrefs = await page.locator(".stack a, .res a").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
    // Formats from the consoles themselves (see functions/report/console-links.ts for the sources).
    expect(hrefs).toContain(`https://us-east-1.console.aws.amazon.com/cloudformation/home?region=us-east-1#/stacks/drifts?stackId=${encodeURIComponent(stackId)}`);
    expect(hrefs).toContain("https://console.aws.amazon.com/iam/home#/roles/details/payments-api-AppRole-1R2XMPL3Q4W5E");
    expect(hrefs).toContain("https://s3.console.aws.amazon.com/s3/buckets/payments-api-bucket-1vc62xmplgguf?region=us-east-1");
    expect(hrefs).toContain("https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events?EventName=AttachRolePolicy");
    expect(hrefs).toContain("https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#SecurityGroup:groupId=sg-0a1b2c3d4e5f67890");
    // Every resource's links are exactly what the TypeScript builds for the SNS summary.
    const items = driftedItems(report);
    for (const [i, item] of items.entries()) {
      const links = await page.locator(`#r-${i} h4 .links a`).evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      const expected = [resourceUrl(item.resource.resourceType, item.resource.physicalResourceId, item.region, item.stack.stackId), cloudTrailUrl(item.resource.changedBy, item.resource.resourceType, item.region)].filter((u) => u !== undefined);
      expect(links).toEqual(expected);
    }
  });

  it("opens the folded expected and actual documents on demand, from the page itself", async () => {
    const { page, consoleErrors } = await openReport("demo-docs", report);
    const item = driftedItems(report).findIndex((x) => x.resource.expected !== undefined);
    const folded = page.locator(`#r-${item} details`);
    await folded.locator("summary").click();
    await expect.poll(() => folded.locator("pre").innerText()).toContain('"expected"');
    const shown = JSON.parse(await folded.locator("pre").innerText()) as { expected: unknown; actual: unknown };
    const { resource } = driftedItems(report)[item]!;
    expect(shown).toEqual({ expected: resource.expected ?? null, actual: resource.actual ?? null });
    expect(consoleErrors).toEqual([]);
  });
});

describe("HTML report in chromium: 300 accounts", () => {
  const report = fleetReport({ accounts: 300, stacksPerAccount: 16 });

  it("rolls up every account, sortable, with counts that match report.json", async () => {
    const { page, consoleErrors } = await openReport("fleet-300", report);
    await firstScreenHasNeedsMe(page);
    expect(await page.locator("#accounts tbody tr").count()).toBe(report.accounts.length);
    const drifted = await page.locator("#accounts tbody tr td:nth-child(4)").allInnerTexts();
    expect(drifted.map(Number).reduce((a, b) => a + b, 0)).toBe(driftedCount(report));
    expect(await visibleRows(page)).toBe(driftedCount(report));
    const header = page.locator("#accounts th", { hasText: "Drifted" });
    await header.click();
    await header.click();
    expect(await header.getAttribute("aria-sort")).toBe("descending");
    const sorted = (await page.locator("#accounts tbody tr td:nth-child(4)").allInnerTexts()).map(Number);
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    expect(consoleErrors).toEqual([]);
  });

  it("filters the index to one account and downloads exactly the rows shown as CSV", async () => {
    const { page } = await openReport("fleet-300-filter", report);
    const account = report.accounts.find((a) => a.regions.some((r) => r.stacks.some((s) => s.resources.length > 0)))!;
    const expected = account.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources)).length;
    await page.fill("#filter", `(${account.accountId})`);
    expect(await visibleRows(page)).toBe(expected);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
    const csv = readFileSync((await download.path())!, "utf8").trimEnd().split("\r\n");
    expect(csv[0]).toBe("Account,Region,Stack,Type,Resource,Outcome,Changed by,Drifted for");
    expect(csv).toHaveLength(expected + 1);
    expect(csv.slice(1).every((line) => line.startsWith(`${account.name} (${account.accountId})`))).toBe(true);
  });
});
