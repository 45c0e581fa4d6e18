import "aws-sdk-client-mock-vitest/extend";
import { GetObjectCommand, PutObjectCommand, S3Client, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
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

/** S3's answer to a GetObject of a key that does not exist (S3 API reference, GetObject, Errors: NoSuchKey). */
const noSuchKey = () => Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
const body = (value: string) => ({ transformToString: async () => value }) as unknown as NonNullable<GetObjectCommandOutput["Body"]>;

beforeEach(() => {
  s3.reset();
  sns.reset();
  s3.on(GetObjectCommand).rejects(noSuchKey());
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
      // History last, once the report it points to is stored; the first index is created only if none appeared meanwhile.
      ["reports/index.json", "application/json"],
      ["reports/index.html", "text/html; charset=utf-8"],
    ]);
    expect(puts[4]!.IfNoneMatch).toBe("*");
    expect(puts.every((p) => p.Bucket === target.bucket)).toBe(true);
    expect(JSON.parse(puts[3]!.Body as string)).toEqual(JSON.parse(puts[0]!.Body as string));
    // The first run with history: every drifted resource is new, seen first at this run's start.
    const drifted = report.totals.resourcesDrifted;
    const stored = JSON.parse(puts[0]!.Body as string);
    expect(stored.history).toMatchObject({ new: drifted, still: 0, resolved: [], notChecked: 0, trend: [{ runId: report.runId, resourcesDrifted: drifted }] });
    expect({ ...stored, history: undefined, accounts: undefined }).toEqual({ ...report, history: undefined, accounts: undefined });
    expect(JSON.parse(puts[4]!.Body as string).findings).toHaveLength(drifted);
    const htmlUrl = `https://s3.console.aws.amazon.com/s3/object/${target.bucket}?region=us-east-1&prefix=${encodeURIComponent(`${DIR}/report.html`)}`;
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: target.topicArn,
      Subject: expect.stringMatching(/^driftguard: 1 account FAILED, INCOMPLETE/),
      MessageStructure: "json",
    });
    expect(JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!).email).toContain(`Full report: ${htmlUrl}\n`);
    expect(outcome).toMatchObject({ s3: { ok: true }, history: { ok: true }, sns: { ok: true, messageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e" } });
    if (outcome.sns.ok) expect(outcome.sns.bytes).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
  });

  it("when S3 fails, leaves latest.json alone and the notification says so and carries the summary", async () => {
    s3.on(PutObjectCommand, { Key: `${DIR}/report.html` }).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
    s3.on(PutObjectCommand, { Key: `${DIR}/report.json` }).resolves({});
    s3.on(PutObjectCommand, { Key: `${DIR}/report.md` }).resolves({});
    const outcome = await publishReport(ports(), sampleReport(), target);
    expect(outcome.s3).toEqual({ ok: false, error: { code: "AccessDenied", message: "Access Denied" } });
    expect(s3).not.toHaveReceivedCommandWith(PutObjectCommand, { Key: "reports/latest.json" });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!).email as string;
    expect(message).toContain("could NOT be written to S3 (AccessDenied: Access Denied)");
    expect(message).toContain("Totals");
    expect(outcome.sns.ok).toBe(true);
  });

  it("marks the next run against the stored index and writes it back only over the version read", async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"etag"' });
    await publishReport(ports(), sampleReport(), target);
    const index = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === "reports/index.json")!.args[0].input.Body as string;
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand, { Key: "reports/index.json" }).resolves({ Body: body(index), ETag: '"v1"' });
    const later = { ...sampleReport(), runId: "20260102T090405Z-d4e5f6", startedAt: "2026-01-02T09:04:05.000Z" };
    const outcome = await publishReport(ports(), later, target);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const stored = JSON.parse(puts.find((p) => p.Key?.endsWith("/report.json"))!.Body as string);
    expect(stored.history).toMatchObject({ previousRunId: "20260102T030405Z-a1b2c3", new: 0, still: later.totals.resourcesDrifted, resolved: [] });
    expect(stored.history.trend.map((p: { runId: string }) => p.runId)).toEqual(["20260102T030405Z-a1b2c3", later.runId]);
    expect(puts.find((p) => p.Key === "reports/index.json")!.IfMatch).toBe('"v1"');
    expect(outcome.history).toEqual({ ok: true });
  });

  it("leaves an invalid index alone, says why in the report, and still publishes", async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand, { Key: "reports/index.json" }).resolves({ Body: body('{"version":1,"runs":"x","findings":[]}'), ETag: '"v1"' });
    const outcome = await publishReport(ports(), sampleReport(), target);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).not.toContain("reports/index.json");
    const stored = JSON.parse(puts[0]!.Body as string);
    expect(stored.history.error.code).toBe("HistoryIndexInvalid");
    expect(stored.history.error.message).toContain(`s3://${target.bucket}/reports/index.json: runs:`);
    expect(outcome).toMatchObject({ s3: { ok: true }, history: { ok: false, error: { code: "HistoryIndexInvalid" } }, sns: { ok: true } });
  });

  it("reports an SNS failure instead of throwing", async () => {
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).rejects(Object.assign(new Error("Topic does not exist"), { name: "NotFoundException" }));
    const outcome = await publishReport(ports(), sampleReport(), target);
    expect(outcome).toMatchObject({ s3: { ok: true }, sns: { ok: false, error: { code: "NotFoundException" } } });
  });
});

describe("one message per subscription protocol", () => {
  it("sends https subscribers an Amazon Q Developer custom notification with hub.notifications.chatbot, the other machines the run summary, email the text", async () => {
    s3.on(PutObjectCommand).resolves({});
    const outcome = await publishReport(ports(), sampleReport(), { ...target, chatbot: true });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.MessageStructure).toBe("json");
    const perProtocol = JSON.parse(input.Message!) as Record<string, string>;
    expect(Object.keys(perProtocol).sort()).toEqual(["default", "email", "email-json", "http", "https", "lambda", "sms", "sqs"]);
    expect(perProtocol.email).toMatch(/^driftguard run 20260102T030405Z-a1b2c3/);
    expect(perProtocol.sms).toBe(input.Subject);
    expect(JSON.parse(perProtocol.sqs!)).toMatchObject({ schema: "driftguard.run-summary", report: { bucket: target.bucket, json: `${DIR}/report.json` } });
    const card = JSON.parse(perProtocol.https!);
    // Required fields and values (Administrator Guide, "Custom notifications", Parameter details).
    expect(card).toMatchObject({ version: "1.0", source: "custom", id: "20260102T030405Z-a1b2c3", content: { textType: "client-markdown", title: input.Subject } });
    expect(card.content.description.split("\n")[0]).toBe("*Needs you*");
    // Member-controlled names are Markdown-escaped: client-markdown would render them.
    expect(card.content.description).toContain(":x: data-dev \\(333333333333\\): AccessDenied");
    expect(card.content.nextSteps[0]).toMatch(/^Full report: https:\/\/s3\.console\.aws\.amazon\.com\/s3\/object\//);
    expect(card.content.description.length).toBeLessThanOrEqual(3_500);
    // What SNS counts against its limit: the whole structure.
    if (outcome.sns.ok) expect(outcome.sns.bytes).toBe(Buffer.byteLength(input.Message!, "utf8"));
  });

  it("without it, https subscribers get the run summary like the other machines", async () => {
    s3.on(PutObjectCommand).resolves({});
    await publishReport(ports(), sampleReport(), target);
    const perProtocol = JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!) as Record<string, string>;
    expect(perProtocol.https).toBe(perProtocol.sqs);
  });
});
