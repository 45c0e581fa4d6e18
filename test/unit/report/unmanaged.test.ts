import { describe, expect, it } from "vitest";
import { renderHtml, renderMarkdown } from "../../../functions/report/index.js";
import { sampleReport } from "./sample.js";

describe("report: unmanaged resources section", () => {
  const report = sampleReport();

  it("counts findings per guardrail and account, lists each action with who and when, and what was not swept", () => {
    expect(report.unmanaged.counts).toEqual([{ guardrail: "open-ingress", accountId: "222222222222", findings: 1, exempt: 0, outcomes: { remediated: 1 } }]);
    expect(report.unmanaged.actions).toEqual([
      expect.objectContaining({ accountId: "222222222222", region: "eu-north-1", physicalId: "sg-0a1b2c3d4e5f60718", at: "2026-04-01T06:01:10.000Z", createdBy: expect.objectContaining({ arn: "arn:aws:iam::222222222222:user/bob" }) }),
    ]);
    // The sweep's own gap, and every region that was not scanned (so not swept either).
    expect(report.unmanaged.notSwept).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ accountId: "222222222222", region: "eu-north-1", resourceType: "AWS::EC2::Instance", error: expect.objectContaining({ code: "UnauthorizedOperation" }) }),
        expect.objectContaining({ accountId: "222222222222", region: "eu-central-1", resourceType: "*", reason: "region not scanned (the run's time budget)" }),
      ]),
    );
    // Sweep findings are not drift: the drift totals do not move.
    expect(report.totals.remediated).toBe(report.accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources))).filter((r) => r.action.outcome === "remediated").length);
  });

  it("renders the section in Markdown and HTML, escaping member-controlled text", () => {
    const md = renderMarkdown(report);
    expect(md).toContain("## Unmanaged resources: guardrail findings per account");
    expect(md).toContain("| open-ingress | 222222222222 | 1 | 0 |");
    expect(md).toContain("arn\\:aws\\:iam\\:\\:222222222222\\:user/bob");
    const html = renderHtml(report);
    expect(html).toContain('<h2 id="unmanaged">Unmanaged resources: guardrail findings per account</h2>');
    expect(html).toContain("driftguard guardrail:open-ingress");
  });
});
