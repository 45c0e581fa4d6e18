import { describe, expect, it } from "vitest";
import { escapeHtml, renderHtml } from "../../../functions/report/html.js";
import { renderMarkdown } from "../../../functions/report/markdown.js";
import { resource, sampleAccounts, sampleReport } from "./sample.js";

function hostileReport() {
  const accounts = sampleAccounts();
  accounts[0]!.regions[0]!.stacks[0]!.resources.push(
    resource({
      logicalResourceId: "<script>alert(1)</script>",
      actual: { Description: "``` injected fence", Tags: [{ Key: "owner", Value: "a|b\nc" }] },
      action: { outcome: "planned", reason: 'would restore "x" & <y>', steps: ["echo '<b>'"] },
    }),
  );
  return sampleReport(accounts);
}

describe("HTML report", () => {
  it("is one self-contained page: no scripts, no external assets", () => {
    const html = renderHtml(hostileReport());
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!json-schema)/i);
  });

  it("escapes every value", () => {
    const html = renderHtml(hostileReport());
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("would restore &quot;x&quot; &amp; &lt;y&gt;");
    expect(escapeHtml(`<a href='x'>&`)).toBe("&lt;a href=&#39;x&#39;&gt;&amp;");
  });

  it("puts the summary first, then drifted resources with expected and actual side by side", () => {
    const html = renderHtml(sampleReport());
    const order = ["<h2>Summary</h2>", "<h2>Drifted resources</h2>", "<h2>Errors</h2>", "<h2>Not scanned</h2>", "<h2>Accounts</h2>"].map((h) => html.indexOf(h));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain("<code>/ManagedPolicyArns/1</code>");
    expect(html).toContain("<b>Expected</b><pre>{\n  &quot;ManagedPolicyArns&quot;");
    expect(html).toContain("arn:aws:iam::aws:policy/AdministratorAccess");
    expect(html).toContain("The run stopped early");
    expect(html).toContain("partial: Failed to detect drift on resource [Policy]: Internal Failure");
    expect(html).toContain("exempt (resource): INC-123 break-glass until 2026-12-31");
    expect(html).toContain("/VersioningConfiguration/Status");
    expect(html).toContain("<tr><th>Changed by</th><td>arn:aws:sts::222222222222:assumed-role/Admin/alice at 2026-01-02T02:00:00Z</td></tr>");
  });
});

describe("Markdown report", () => {
  it("has the same sections, and keeps tables and code fences intact", () => {
    const md = renderMarkdown(hostileReport());
    const order = ["## Summary", "## Errors", "## Not scanned", "## Drifted resources", "## Skipped, failed and partial stacks", "## Accounts"].map((h) => md.indexOf(h));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(md).toContain("| `/ManagedPolicyArns/1` | `null` | `arn:aws:iam::aws:policy/AdministratorAccess` | ADD |");
    // The JSON contains ```, so its fence is longer.
    expect(md).toContain("````json");
    expect(md).toContain("- Changed by: arn\\:aws\\:sts\\:\\:222222222222\\:assumed-role/Admin/alice at 2026-01-02T02\\:00\\:00Z");
    expect(md).toContain("| payments-prod \\(222222222222\\) / us-east-1 / gone | failed | Stack with id gone does not exist |");
  });
});
