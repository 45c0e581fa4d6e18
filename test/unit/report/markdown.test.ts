import { Marked } from "marked";
import { describe, expect, it } from "vitest";
import { MARKDOWN_MAX_CHARS, renderMarkdown, text } from "../../../functions/report/markdown.js";
import { EMPTY_INDEX, withHistory } from "../../../functions/report/history.js";
import type { RunReport } from "../../../functions/core/types.js";
import { fleetReport } from "./generate.js";
import { resource, sampleAccounts, sampleReport } from "./sample.js";

// The oracle is an independent GFM renderer (marked, gfm on by default): what matters is the HTML
// GitHub would make of the ticket, not the characters we wrote.
const gfm = new Marked({ gfm: true });
const toHtml = (md: string) => gfm.parse(md, { async: false });

const HOSTILE = {
  heading: "# Owned by attacker",
  image: "![pixel](https://evil.example/t.gif)",
  link: "[click me](https://evil.example/phish)",
  bare: "see www.evil.example or https://evil.example/x",
  html: "<img src=x onerror=alert(1)><script>alert(2)</script>",
  pipe: "a|b|c",
  backticks: "``` fence",
  emphasis: "**loud** _x_",
};

function hostileReport() {
  const accounts = sampleAccounts();
  accounts[0]!.name = HOSTILE.heading;
  accounts[0]!.regions[0]!.stacks[0]!.resources.push(
    resource({
      logicalResourceId: HOSTILE.link,
      physicalResourceId: HOSTILE.backticks,
      differences: [{ propertyPath: "/Tags/0/Value", expectedValue: HOSTILE.pipe, actualValue: HOSTILE.html, differenceType: "NOT_EQUAL" }],
      action: { outcome: "manual", reason: `${HOSTILE.image}\n${HOSTILE.heading} ${HOSTILE.emphasis} ${HOSTILE.bare}`, steps: [] },
    }),
  );
  return sampleReport(accounts);
}

describe("Markdown escaping of member-controlled values", () => {
  const md = renderMarkdown(hostileReport());
  const html = toHtml(md);

  it("lets no value become a link, an image, raw HTML, a heading or emphasis", () => {
    expect(html).not.toMatch(/<a\s/);
    expect(html).not.toMatch(/<img/);
    expect(html).not.toMatch(/<script/);
    expect(html).not.toMatch(/<h\d[^>]*>\s*Owned by attacker/);
    expect(html).not.toMatch(/<strong>loud<\/strong>|<em>x<\/em>/);
    // The only headings are ours: one title, sections, one per drifted resource.
    const headings = [...html.matchAll(/<h(\d)[^>]*>/g)].map((m) => m[1]);
    expect(headings.filter((h) => h === "1")).toHaveLength(1);
  });

  it("keeps every table row at its column count despite pipes and newlines", () => {
    for (const row of html.match(/<table>[\s\S]*?<\/table>/g)!) {
      const widths = (row.match(/<tr>[\s\S]*?<\/tr>/g) ?? []).map((tr) => (tr.match(/<t[hd][\s>]/g) ?? []).length);
      expect(new Set(widths).size).toBe(1);
    }
    expect(html).toContain("<code>a|b|c</code>");
  });

  it("shows the values as the text they are", () => {
    const plain = html.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&#39;/g, "'");
    for (const v of [HOSTILE.heading, HOSTILE.image, HOSTILE.link, HOSTILE.emphasis, HOSTILE.bare]) expect(plain).toContain(v);
    expect(plain).toContain(HOSTILE.html);
    expect(text("a\nb")).toBe("a<br>b");
  });
});

describe("Markdown size cap", () => {
  it("keeps a 300-account report under 60,000 characters and points to the full report", () => {
    const report = fleetReport({ accounts: 300, stacksPerAccount: 16 });
    const md = renderMarkdown(report, { fullReport: "s3://bucket/reports/2026/01/02/r/report.html" });
    expect(report.totals.resourcesDrifted).toBeGreaterThan(500);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);
    expect(md.length).toBeGreaterThan(MARKDOWN_MAX_CHARS * 0.9);
    expect(md).toMatch(/Cut to 60,000 characters:\*\* \d+ section\(s\) or row\(s\) left out; see the full report: s3:\/\/bucket\/reports\/2026\/01\/02\/r\/report\.html/);
    // Errors come before the resource detail, so the cut never hides a failed account.
    expect(md.indexOf("## Errors")).toBeLessThan(md.indexOf("## Drifted resources"));
    expect(md).toContain("team-049 \\(");
    console.info(`300-account report.md: ${md.length} characters, ${Buffer.byteLength(md)} bytes`);
  });

  it("does not cut a report that fits", () => {
    const md = renderMarkdown(sampleReport());
    expect(md).not.toContain("Cut to");
    expect(renderMarkdown(sampleReport(), { maxChars: 3_000 }).length).toBeLessThanOrEqual(3_000);
  });
});

describe("Markdown history and fleet grouping", () => {
  const twoRuns = (first: RunReport, second: RunReport) => withHistory(second, withHistory(first, EMPTY_INDEX, "k1").index, "k2").report;
  const at = (report: RunReport, day: string) => ({ ...report, runId: `run-${day}`, startedAt: `2026-01-${day}T00:00:00.000Z` });
  const withIds = (ids: string[], value = "900") => {
    const accounts = sampleAccounts().slice(0, 1);
    accounts[0]!.regions = [accounts[0]!.regions[0]!];
    const stack = accounts[0]!.regions[0]!.stacks[0]!;
    stack.resources = ids.map((id) =>
      resource({
        logicalResourceId: id,
        differences: [{ propertyPath: "/Description", expectedValue: "owned by platform", actualValue: value, differenceType: "NOT_EQUAL" }],
        changedBy: { arn: "arn:aws:sts::222222222222:assumed-role/Admin/alice", eventName: "UpdateRole", source: "cloudtrail-lookup" },
      }),
    );
    accounts[0]!.regions[0]!.stacks = [stack];
    return sampleReport(accounts, []);
  };

  it("says what is new, still drifted (first seen) and resolved since the previous run", () => {
    const report = twoRuns(at(withIds(["Kept", "Fixed"]), "01"), at(withIds(["Kept", "Fresh"]), "04"));
    const md = renderMarkdown(report);
    // Read as GitHub shows it (the oracle renderer), not as the escaped characters we wrote.
    const shown = (part: string) => toHtml(part).replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
    expect(md).toContain("## Since the previous run");
    expect(shown(md)).toContain("1 new , 1 still drifted, 1 resolved since run run-01 (2026-01-01T00:00:00.000Z).");
    expect(shown(md)).toContain("Fixed (AWS::IAM::Role) 222222222222 / us-east-1 / payments-api 2026-01-01T00:00:00.000Z 3 d");
    const section = (id: string) => shown(md.slice(md.indexOf(`### ${id} `), md.indexOf("</details>", md.indexOf(`### ${id} `))));
    expect(section("Kept")).toContain("Seen: still drifted, first seen 2026-01-01T00:00:00.000Z (3 d)");
    expect(section("Fresh")).toContain("Seen: new since the previous run (first seen 2026-01-04T00:00:00.000Z)");
    expect(md.indexOf("## Since the previous run")).toBeLessThan(md.indexOf("## Drifted resources"));
  });

  it("folds the same change into one row, with the member's value escaped", () => {
    const md = renderMarkdown(withIds(["RoleA", "RoleB", "RoleC"], HOSTILE.image + HOSTILE.html));
    const row = md.split("\n").find((l) => l.includes("on 3 AWS\\:\\:IAM\\:\\:Role"))!;
    expect(row).toMatch(/\| 3 \| 1 \|$/);
    const html = toHtml(md);
    expect(html).not.toMatch(/<img|<a\s|<script/);
    expect(html.replace(/<[^>]+>/g, "")).toContain("on 3 AWS::IAM::Role by arn:aws:sts::*:assumed-role/Admin/alice (UpdateRole)");
  });

  it("keeps a 300-account report with history and fleet rows under 60,000 characters", () => {
    const first = fleetReport({ accounts: 300, stacksPerAccount: 16 });
    const second = fleetReport({ accounts: 300, stacksPerAccount: 16, driftEvery: 7 });
    const md = renderMarkdown(twoRuns(first, { ...second, runId: "second", startedAt: "2026-02-01T00:00:00.000Z" }), { fullReport: "https://s3.console.aws.amazon.com/s3/object/b?region=us-east-1&prefix=r" });
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);
    expect(md).toMatch(/\*\*\d+ new\*\*, \d+ still drifted, \d+ resolved since run/);
    expect(md).toContain("## Same change on many resources");
    console.info(`300-account report.md with history: ${md.length} characters`);
  });
});
