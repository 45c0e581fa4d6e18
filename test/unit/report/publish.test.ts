import "aws-sdk-client-mock-vitest/extend";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { reportKeys, utcDayPath } from "../../../functions/aws/bucket-layout.js";
import { publishReport } from "../../../functions/report/publish.js";
import { MESSAGE_MAX_BYTES } from "../../../functions/report/summary.js";
import { silentLogger } from "../scanner/fixtures.js";
import { sampleReport } from "./sample.js";

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const target = { bucket: "driftguard-reports-111111111111-us-east-1", topicArn: "arn:aws:sns:us-east-1:111111111111:driftguard-summary" };
const ports = () => ({ s3: new S3Client({ region: "us-east-1" }), sns: new SNSClient({ region: "us-east-1" }), logger: silentLogger() });
const DIR = "reports/2026/01/02/20260102T030405Z-a1b2c3";

beforeEach(() => {
  s3.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e" });
});

describe("publishReport", () => {
  it("dates the keys by the run's UTC start", () => {
    expect(reportKeys({ runId: "r1", startedAt: "2026-11-30T23:59:59.000Z" })).toEqual({
      json: "reports/2026/11/30/r1/report.json",
      html: "reports/2026/11/30/r1/report.html",
      markdown: "reports/2026/11/30/r1/report.md",
      latest: "reports/latest.json",
    });
  });

  it("dates by the UTC day whatever offset a time is written with", () => {
    expect(utcDayPath("2026-01-01T23:30:00-02:00")).toBe("2026/01/02");
    expect(utcDayPath("2026-01-02T00:30:00+02:00")).toBe("2026/01/01");
  });

  it("stores JSON, HTML and Markdown, then latest.json, then notifies with a link", async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"etag"' });
    const report = sampleReport();
    const outcome = await publishReport(ports(), report, target);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Key, p.ContentType])).toEqual([
      [`${DIR}/report.json`, "application/json"],
      [`${DIR}/report.html`, "text/html; charset=utf-8"],
      [`${DIR}/report.md`, "text/markdown; charset=utf-8"],
      ["reports/latest.json", "application/json"],
    ]);
    expect(puts.every((p) => p.Bucket === target.bucket)).toBe(true);
    expect(JSON.parse(puts[3]!.Body as string)).toEqual(JSON.parse(puts[0]!.Body as string));
    expect(JSON.parse(puts[0]!.Body as string)).toEqual(report);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: target.topicArn,
      Subject: expect.stringMatching(/^driftguard: 1 account FAILED, INCOMPLETE/),
      Message: expect.stringContaining(`Full report: s3://${target.bucket}/${DIR}/report.html`),
    });
    expect(outcome).toMatchObject({ s3: { ok: true }, sns: { ok: true, messageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e" } });
    if (outcome.sns.ok) expect(outcome.sns.bytes).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
  });

  it("when S3 fails, leaves latest.json alone and the notification says so and carries the summary", async () => {
    s3.on(PutObjectCommand, { Key: `${DIR}/report.html` }).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
    s3.on(PutObjectCommand, { Key: `${DIR}/report.json` }).resolves({});
    s3.on(PutObjectCommand, { Key: `${DIR}/report.md` }).resolves({});
    const outcome = await publishReport(ports(), sampleReport(), target);
    expect(outcome.s3).toEqual({ ok: false, error: { code: "AccessDenied", message: "Access Denied" } });
    expect(s3).not.toHaveReceivedCommandWith(PutObjectCommand, { Key: "reports/latest.json" });
    const message = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(message).toContain("could NOT be written to S3 (AccessDenied: Access Denied)");
    expect(message).toContain("Totals");
    expect(outcome.sns.ok).toBe(true);
  });

  it("reports an SNS failure instead of throwing", async () => {
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).rejects(Object.assign(new Error("Topic does not exist"), { name: "NotFoundException" }));
    const outcome = await publishReport(ports(), sampleReport(), target);
    expect(outcome).toMatchObject({ s3: { ok: true }, sns: { ok: false, error: { code: "NotFoundException" } } });
  });
});
