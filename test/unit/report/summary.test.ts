import { describe, expect, it } from "vitest";
import { fitMessage, SUBJECT_MAX_CHARS, summarySubject, summaryText, toSnsSubject } from "../../../functions/report/summary.js";
import { resource, sampleAccounts, sampleReport } from "./sample.js";

const LOCATION = "https://s3.console.aws.amazon.com/s3/object/driftguard-reports-111111111111-us-east-1?region=us-east-1&prefix=reports%2F2026%2F01%2F02%2F20260102T030405Z-a1b2c3%2Freport.html";

/** SNS's documented Subject rule. */
const VALID_SUBJECT = /^[\x20-\x7E]{1,99}$/;

/** One scanned account, one region, one scanned stack, no errors: a run where nothing else needs a person. */
function oneCleanStack() {
  const [account] = sampleAccounts();
  const region = account!.regions[0]!;
  const stack = { ...region.stacks.find((s) => s.scan === "scanned")!, error: undefined };
  return [{ ...account!, status: "scanned" as const, error: undefined, regions: [{ region: region.region, status: "scanned" as const, stacks: [stack] }] }];
}

describe("SNS subject", () => {
  it("leads with what needs a person, in printable ASCII under 100 characters", () => {
    const subject = summarySubject(sampleReport());
    // Whole informational items are dropped to fit; the urgent half is never cut.
    // The sample also has a contested resource and a run error (an unreadable flapping record).
    expect(subject).toBe("driftguard: 1 account FAILED, INCOMPLETE, 1 contested, 1 failed, 1 manual, 4 errors | 6 drifted");
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(subject).toMatch(VALID_SUBJECT);
  });

  it("names refused, contested and guard holds, which the totals alone do not show", () => {
    const accounts = oneCleanStack();
    const stack = accounts[0]!.regions[0]!.stacks[0]!;
    const held = (guard: "blast-radius" | "guard-state", reason: string) => resource({ action: { outcome: "skipped", reason, steps: [], guard } });
    stack.resources = [
      resource({ action: { outcome: "refused", reason: "would grant iam:PassRole", steps: [] } }),
      // Contested is the guards' mark on whatever the action was (remediation/guards.ts).
      resource({ action: { outcome: "remediated", reason: "reverted again", steps: ["x"], contested: { scans: 3, lastRepairedAt: "2026-01-02T03:00:00.000Z", changedBy: [] } } }),
      ...Array.from({ length: 50 }, () => held("blast-radius", "blast radius: one more repair would exceed the limit of 50 per run (50 made)")),
      held("guard-state", "flapping record s3://b/state/flapping.json unreadable (AccessDenied: no); only security-critical drift is reverted until it can be read"),
      resource({ action: { outcome: "remediated", reason: "detached", steps: ["x"] } }),
    ];
    const subject = summarySubject(sampleReport(accounts, []));
    // The urgent half is never cut, the first refusal reason included; SNS truncates to 99 characters.
    expect(subject).toBe("driftguard: 1 REFUSED (would grant iam:PassRole), 1 contested, 1 held by a broken guard | 54 dri...");
    expect(summaryText(sampleReport(accounts, []), {})).toContain("held by guards: 50 by blast radius");
  });

  it("says OK when nothing needs a person", () => {
    const accounts = oneCleanStack();
    accounts[0]!.regions[0]!.stacks[0]!.resources = [resource()];
    expect(summarySubject(sampleReport(accounts, []))).toBe("driftguard: OK | 1 drifted, 1 remediated");
  });

  it("strips newlines and control or non-ASCII characters and shortens long text", () => {
    const subject = toSnsSubject(`driftguard:\n drift in «payments» \u0007${"x".repeat(200)}`);
    expect(subject).toMatch(VALID_SUBJECT);
    expect(subject.length).toBe(SUBJECT_MAX_CHARS);
    expect(subject.endsWith("...")).toBe(true);
  });
});

describe("SNS message", () => {
  it("leads with the run, where the report is, and warnings, then totals and the drifted items with who changed them", () => {
    const text = summaryText(sampleReport(), { reportLocation: LOCATION });
    const lines = text.split("\n");
    expect(lines[0]).toBe("driftguard run 20260102T030405Z-a1b2c3 (schedule, mode remediate)");
    expect(lines[2]).toBe(`Full report: ${LOCATION}`);
    expect(lines[3]).toContain("stopped early");
    expect(text.indexOf("Totals")).toBeLessThan(text.indexOf("Drifted resources (6)"));
    // Failures first.
    const drifted = lines.slice(lines.indexOf("Drifted resources (6)") + 1, lines.indexOf("Drifted resources (6)") + 6);
    expect(drifted[0]).toContain("Bucket (AWS::S3::Bucket) MODIFIED -> failed");
    expect(drifted[1]).toContain("WorkQueue (AWS::SQS::Queue) DELETED -> manual");
    expect(text).toContain("AppRole (AWS::IAM::Role) MODIFIED -> remediated: detached arn:aws:iam::aws:policy/AdministratorAccess; changed by arn:aws:sts::222222222222:assumed-role/Admin/alice at 2026-01-02T02:00:00Z");
    expect(text).toContain("data-dev (333333333333): AccessDenied: cannot assume");
    expect(text).toContain("late-team (666666666666): account not started before the deadline");
    expect(text).toContain("suspended-team (444444444444): Organizations reports account 444444444444 as SUSPENDED");
    // An account missing from the organization is an error, named once (not again under accounts not scanned).
    expect(text.split("\n").filter((l) => l.includes("gone-team (555555555555)"))).toEqual(["- gone-team (555555555555): AccountNotInOrganization: not in the organization"]);
    // Guard trips, contested resources and run errors are errors a person sees, with where and why.
    expect(text).toContain("- run: GuardStateUnreadable: flapping record s3://reports/state/flapping.json unreadable");
    expect(text).toContain("payments-prod (222222222222) / us-east-1 / payments-api-Queues-1A2B / FnRole: BlastRadiusGuard: blast radius:");
    expect(text).toContain(
      "payments-prod (222222222222) / us-east-1 / payments-api / AppRole: Contested: re-drifted in 3 consecutive scans, changed by arn:aws:sts::222222222222:assumed-role/Admin/alice",
    );
    expect(text).toContain("guard trips 1, contested 1, run errors 1, retried 1");
    expect(text).toContain(
      "Active exemptions (1)\n- payments-prod (222222222222) / us-east-1 / payments-api / WebSg: INC-123 break-glass (until 2026-12-31); set by arn:aws:sts::222222222222:assumed-role/Admin/bob at 2026-01-01T09:00:00Z",
    );
  });

  it("leads with what needs a person, each item with its https console link, before the totals", () => {
    const text = summaryText(sampleReport(), { reportLocation: LOCATION });
    const at = (heading: string) => text.indexOf(`\n${heading}`);
    expect(at("ACCOUNTS with errors")).toBeGreaterThan(0);
    expect(at("ACCOUNTS with errors")).toBeLessThan(at("NEEDS YOU"));
    expect(at("NEEDS YOU")).toBeLessThan(at("Totals"));
    const needs = text.slice(at("NEEDS YOU"), at("Totals")).split("\n").filter((l) => l.startsWith("- "));
    expect(needs.some((l) => l.startsWith("- failed: Bucket (AWS::S3::Bucket)") && l.endsWith("https://s3.console.aws.amazon.com/s3/buckets/payments-api-bucket-1vc62xmplgguf?region=us-east-1"))).toBe(true);
    expect(needs.some((l) => l.startsWith("- manual: WorkQueue (AWS::SQS::Queue)") && l.includes(" https://us-east-1.console.aws.amazon.com/cloudformation/home?region=us-east-1#/stacks/resources?stackId="))).toBe(true);
    // Every needs-you line carries a link a person can click; none is an s3:// URI.
    for (const l of needs) expect(l).toMatch(/ https:\/\/\S+$/);
    expect(text).not.toContain("s3://driftguard-reports");
  });

  it("shows accounts that failed for one shared reason as one error", () => {
    const error = { code: "OrganizationMismatch", message: "these credentials are in organization o-real7h2k9x, but accounts.yaml:8 organization.id is o-example0001" };
    const accounts = sampleAccounts().map((a) => ({ ...a, status: "failed" as const, error, regions: [] }));
    const text = summaryText(sampleReport(accounts), {});
    const lines = text.split("\n").filter((l) => l.includes("OrganizationMismatch"));
    expect(lines).toEqual([`- ${accounts.length} accounts (payments-prod (222222222222), data-dev (333333333333), suspended-team (444444444444), gone-team (555555555555), late-team (666666666666)): OrganizationMismatch: ${error.message}`]);
    expect(summarySubject(sampleReport(accounts, []))).toBe(`driftguard: ${accounts.length} accounts FAILED | 0 drifted`);
  });

  it("caps long lists at 50 with a count of the rest", () => {
    const accounts = sampleAccounts();
    const stack = accounts[0]!.regions[0]!.stacks[0]!;
    stack.resources = Array.from({ length: 2000 }, (_, i) => resource({ logicalResourceId: `Role${i}`, action: { outcome: "failed", reason: "échec", steps: [] } }));
    const report = sampleReport(accounts);
    expect(summaryText(report, { reportLocation: LOCATION })).toContain(`... and ${report.totals.resourcesDrifted - 50} more in the full report`);
  });

  it("fitMessage cuts at a line boundary, never inside a character, and ends with the pointer", () => {
    const text = ["line one", "line two €€€", "line three"].join("\n");
    expect(fitMessage(text, 1000, "see s3://b/k")).toBe(text);
    expect(fitMessage(text, 30, "p")).toBe("line one\n... truncated. p");
    // 51 bytes leave 34 for text: 11 three-byte characters and one byte that must not become U+FFFD.
    expect(fitMessage("€".repeat(100), 51, "p")).toBe(`${"€".repeat(11)}\n... truncated. p`);
  });
});
