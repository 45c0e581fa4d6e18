import { Marked } from "marked";
import { describe, expect, it } from "vitest";
import { MARKDOWN_MAX_CHARS, renderMarkdown, text } from "../../../functions/report/markdown.js";
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
