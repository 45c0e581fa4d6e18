import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../../functions/report/markdown.js";
import { hostileReport } from "./sample.js";

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
