import { describe, expect, it } from "vitest";
import { organizationCoverage } from "../../../functions/report/coverage.js";
import { renderHtml } from "../../../functions/report/html.js";
import { renderMarkdown } from "../../../functions/report/markdown.js";
import { summaryText } from "../../../functions/report/summary.js";
import { testConfig } from "../../support/config.js";
import { config, sampleAccounts, sampleReport } from "./sample.js";

describe("organization coverage", () => {
  it("counts active members, who of them was scanned, and lists every gap with its OU", () => {
    const coverage = sampleReport().coverage.organization!;
    // Members (sample.ts): 5 ACTIVE (hub, payments, data-dev, late-team, marketing), 1 SUSPENDED.
    // Scanned: payments-prod only (data-dev failed, late-team not started) -> 1 / 5 = 20%.
    expect(coverage).toMatchObject({ available: true, activeAccounts: 5, scannedAccounts: 1, percent: 20 });
    expect(coverage.notOnboarded).toEqual([
      { accountId: "111111111111", name: "driftguard-hub", organizationalUnit: { id: "r-ab12", name: "Root", path: "Root" }, reason: "not-onboarded" },
      { accountId: "777777777777", name: "marketing", organizationalUnit: { id: "ou-ab12-mktg0001", name: "Marketing", path: "Root/Marketing" }, reason: "not-onboarded" },
    ]);
    expect(coverage.onboardedNotActive).toEqual([
      { accountId: "444444444444", name: "suspended-team", status: "suspended", state: "SUSPENDED" },
      { accountId: "555555555555", name: "gone-team", status: "not-in-organization" },
    ]);
    // payments-prod scans us-east-1, eu-west-1, eu-central-1 of its enabled four.
    expect(coverage.regionsNotScanned).toEqual([{ accountId: "222222222222", name: "payments-prod", regions: ["us-west-2"] }]);
  });

  it("says why an active member is not onboarded: excluded or retired in accounts.yaml", () => {
    const withChoices = testConfig(`
exclude: ["777777777777"]
accounts:
  - { id: "888888888888", name: old-team, status: retired }
`);
    const snapshot = {
      available: true as const,
      members: [
        { accountId: "777777777777", name: "marketing", state: "ACTIVE" },
        { accountId: "888888888888", name: "old-team", state: "ACTIVE" },
        { accountId: "999999999999", name: "closed", state: "CLOSED" },
      ],
    };
    const coverage = organizationCoverage(snapshot, [], withChoices);
    expect(coverage.notOnboarded.map((a) => [a.accountId, a.reason])).toEqual([
      ["777777777777", "excluded"],
      ["888888888888", "retired"],
    ]);
    expect(coverage).toMatchObject({ activeAccounts: 2, scannedAccounts: 0, percent: 0 });
  });

  it("is marked unavailable, loudly, when the organization could not be walked", () => {
    const coverage = organizationCoverage({ available: false, error: { code: "AccessDeniedException", message: "not a delegated administrator" } }, sampleAccounts(), config);
    expect(coverage).toMatchObject({ available: false, activeAccounts: 0, percent: 0, notOnboarded: [], error: { code: "AccessDeniedException" } });
  });

  it("appears in the SNS summary, the Markdown report and on the HTML report's first screen", () => {
    const report = sampleReport();
    const headline = "Organization coverage 20%: 1 of 5 active accounts scanned; 2 not onboarded, 2 onboarded but not active, 1 enabled account-regions not scanned";
    const text = summaryText(report, {});
    expect(text).toContain(headline);
    expect(text).toContain("marketing (777777777777) in Root/Marketing (ou-ab12-mktg0001): not onboarded");
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("## Coverage: organization members and regions not scanned");
    // Markdown escapes punctuation (markdown.ts `text`); unescaped, the headline is the summary's.
    const unescaped = markdown.replace(/\\(.)/g, "$1");
    expect(unescaped).toContain(headline);
    expect(unescaped).toContain("enabled regions not scanned: us-west-2");
    const html = renderHtml(report);
    const header = html.slice(0, html.indexOf("</header>"));
    expect(header).toContain(`<p id="coverage-headline"><a href="#organization-coverage">${headline}</a></p>`);
    expect(html).toContain('<h2 id="organization-coverage">');
  });
});
