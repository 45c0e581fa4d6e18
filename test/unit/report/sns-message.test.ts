import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import summarySchema from "../../../functions/report/run-summary.schema.json" with { type: "json" };
import { RUN_SUMMARY_ITEMS, RUN_SUMMARY_VERSION, type RunSummary } from "../../../functions/report/run-summary.js";
import { DEFAULT_MAX_BYTES, snsMessage, type SnsMessageContext } from "../../../functions/report/sns-message.js";
import { MESSAGE_MAX_BYTES, summarySubject } from "../../../functions/report/summary.js";
import { messagesByProtocol } from "../../../sandbox/emulator/services/sns/delivery.js";
import { resource, sampleAccounts, sampleReport } from "./sample.js";
import { schema as reportSchema } from "./validate.js";

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
ajv.addSchema(reportSchema);
const validSummary = ajv.compile(summarySchema);
const summaryErrors = (value: unknown) => (validSummary(value) ? [] : (validSummary.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`));

const BUCKET = "driftguard-reports-111111111111-us-east-1";
const HTML = "https://s3.console.aws.amazon.com/s3/object/driftguard-reports-111111111111-us-east-1?region=us-east-1&prefix=reports%2F2026%2F01%2F02%2F20260102T030405Z-a1b2c3%2Freport.html";
const HISTORY = "https://s3.console.aws.amazon.com/s3/object/driftguard-reports-111111111111-us-east-1?region=us-east-1&prefix=reports%2Findex.html";
const keys = { json: "reports/2026/01/02/20260102T030405Z-a1b2c3/report.json", html: "reports/2026/01/02/20260102T030405Z-a1b2c3/report.html", markdown: "reports/2026/01/02/20260102T030405Z-a1b2c3/report.md" };
const stored: SnsMessageContext = {
  text: { reportLocation: HTML, historyLocation: HISTORY },
  summary: { stored: { bucket: BUCKET, region: "us-east-1", keys: { ...keys, latest: "reports/latest.json" } as typeof keys, htmlUrl: HTML, historyUrl: HISTORY } },
};

describe("one SNS message per subscription protocol (Publish, MessageStructure json)", () => {
  it("gives email the readable text with its https links on their own lines, machines the versioned JSON summary, SMS the subject", () => {
    const report = sampleReport();
    const subject = summarySubject(report);
    const sent = snsMessage(report, subject, stored);
    // SNS's own reading of the structure (the sandbox's, which follows API_Publish.html): a default, strings only.
    const forProtocol = messagesByProtocol(sent.message, "json");
    expect(forProtocol("email")).toBe(sent.perProtocol.email);
    expect(forProtocol("application")).toBe(sent.perProtocol.default);
    const email = sent.perProtocol.email.split("\n");
    expect(email[0]).toBe(`driftguard run ${report.runId} (${report.trigger}, mode ${report.mode})`);
    expect(email).toContain(`Full report: ${HTML}`);
    expect(email).toContain(`All runs: ${HISTORY}`);
    // Every link a mail client would make is an https console URL ending its line (no trailing bracket or stop).
    // (An error message may quote an s3:// URI, as the sample's unreadable flapping record does: text, not a link.)
    const urls = sent.perProtocol.email.match(/https?:\/\/\S+/g) ?? [];
    expect(urls.length).toBeGreaterThan(2);
    for (const u of urls) expect(u).toMatch(/^https:\/\/[a-z0-9.-]*console\.aws\.amazon\.com\/\S*[^\s).,;]$/);
    for (const line of sent.perProtocol.email.split("\n").filter((l) => l.includes("https://"))) expect(line).toMatch(/https:\/\/\S+$/);

    for (const p of ["sqs", "lambda", "http", "https", "email-json"] as const) expect(sent.perProtocol[p]).toBe(sent.perProtocol.sqs);
    const summary = JSON.parse(sent.perProtocol.sqs) as RunSummary;
    expect(summaryErrors(summary)).toEqual([]);
    expect(summary).toMatchObject({ schema: "driftguard.run-summary", schemaVersion: RUN_SUMMARY_VERSION, runId: report.runId, subject, needsAttention: true, totals: report.totals });
    expect(summary.report).toEqual({ bucket: BUCKET, region: "us-east-1", ...keys, htmlUrl: HTML, historyUrl: HISTORY });
    // The sample: data-dev denied; the resources a person must look at are the ones report.md lists under "needs you".
    expect(summary.failedAccounts).toEqual([expect.objectContaining({ accountId: "333333333333", code: "AccessDenied" })]);
    expect(summary.needsYou.map((i) => i.outcome)).toEqual(expect.arrayContaining(["failed", "manual"]));
    expect(summary.needsYou.every((i) => i.url === undefined || i.url.startsWith("https://"))).toBe(true);
    expect(sent.perProtocol.sms).toBe(subject);
    expect(sent.perProtocol.default.length).toBeLessThanOrEqual(sent.perProtocol.email.length);
  });

  it("with hub.notifications.chatbot, https gets the Amazon Q Developer card and the other machines keep the summary", () => {
    const report = sampleReport();
    const sent = snsMessage(report, summarySubject(report), { ...stored, chatbot: { report: HTML, history: HISTORY } });
    expect(JSON.parse(sent.perProtocol.https)).toMatchObject({ version: "1.0", source: "custom", content: { textType: "client-markdown" } });
    expect(JSON.parse(sent.perProtocol.sqs)).toMatchObject({ schema: "driftguard.run-summary" });
  });

  it("when S3 failed, every format says so and the summary has no report location", () => {
    const s3Failure = { code: "AccessDenied", message: "Access Denied" };
    const sent = snsMessage(sampleReport(), "s", { text: { s3Failure }, summary: { s3Failure } });
    expect(sent.perProtocol.email).toContain("WARNING: the report could NOT be written to S3 (AccessDenied: Access Denied)");
    expect(sent.perProtocol.email).toContain("Drifted resources (6)");
    const summary = JSON.parse(sent.perProtocol.lambda) as RunSummary;
    expect(summaryErrors(summary)).toEqual([]);
    expect(summary.report).toBeUndefined();
    expect(summary.reportError).toEqual(s3Failure);
  });

  it("keeps the whole structure, escaping included, within the budget: the email is cut, the machines' summary stays whole", () => {
    const accounts = sampleAccounts();
    // 2,000 drifted resources with long multi-byte reasons and quotes: JSON escaping grows them.
    accounts[0]!.regions[0]!.stacks[0]!.resources = Array.from({ length: 2000 }, (_, i) =>
      resource({ logicalResourceId: `Role${i}`, action: { outcome: "failed", reason: `échec "${"€".repeat(200)}"\n${"\\".repeat(50)}`, steps: [] } }),
    );
    const report = sampleReport(accounts);
    const sent = snsMessage(report, summarySubject(report), stored);
    expect(sent.bytes).toBe(Buffer.byteLength(sent.message, "utf8"));
    expect(sent.bytes).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    // Most of the budget goes to the email (not cut far below it).
    expect(sent.bytes).toBeGreaterThan(MESSAGE_MAX_BYTES - 4 * 1024);
    expect(sent.perProtocol.email).toMatch(new RegExp(`\\n\\.\\.\\. truncated\\. The full report is at ${HTML.replace(/[?.]/g, "\\$&")}$`));
    expect(sent.message).not.toContain("\\ufffd");
    expect(Buffer.byteLength(sent.perProtocol.default, "utf8")).toBeLessThanOrEqual(DEFAULT_MAX_BYTES);
    const summary = JSON.parse(sent.perProtocol.sqs) as RunSummary;
    expect(summaryErrors(summary)).toEqual([]);
    expect(summary.needsYou).toHaveLength(RUN_SUMMARY_ITEMS);
    expect(summary.needsYouTotal).toBeGreaterThanOrEqual(2000);
    expect(summary.needsYou[0]!.reason.length).toBeLessThanOrEqual(300);
  });
});
