import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { eventReportKey } from "../../../functions/aws/bucket-layout.js";
import { publishEventReport } from "../../../functions/events/publish.js";
import { RecentIds } from "../../../functions/events/recent-ids.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import eventSummarySchema from "../../../functions/events/event-summary.schema.json" with { type: "json" };
import { EVENT_SUMMARY_VERSION, type EventSummary } from "../../../functions/events/event-summary.js";
import { eventMessage, eventSubject } from "../../../functions/events/summary.js";
import { messagesByProtocol } from "../../../sandbox/emulator/services/sns/delivery.js";
import { EVENT_REPORT_SCHEMA_VERSION, type EventActionReport } from "../../../functions/events/types.js";
import { awsError } from "./helpers.js";

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
beforeEach(() => {
  s3.reset();
  sns.reset();
});

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validSummary = ajv.compile(eventSummarySchema);
const summaryErrors = (value: unknown) => (validSummary(value) ? [] : (validSummary.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`));
/** What each protocol receives, read the way SNS (the sandbox) reads MessageStructure json. */
const received = (input: { Message?: string; MessageStructure?: string } | undefined) => messagesByProtocol(String(input?.Message), input?.MessageStructure);

const sink = { s3: new S3Client({ region: "eu-west-1" }), sns: new SNSClient({ region: "eu-west-1" }), bucket: "driftguard-reports-999988887777-eu-west-1", topicArn: "arn:aws:sns:eu-west-1:999988887777:driftguard" };

function report(finding: boolean): EventActionReport {
  return {
    schemaVersion: EVENT_REPORT_SCHEMA_VERSION,
    eventId: "eb-1",
    changeId: "ct-0316909e",
    account: "111122223333",
    accountName: "payments-prod",
    region: "eu-west-1",
    eventName: "AuthorizeSecurityGroupIngress",
    eventTime: "2025-03-14T23:59:59Z",
    actor: { arn: "arn:aws:iam::111122223333:user/bob", type: "IAMUser", sourceIp: "192.0.2.44", eventName: "AuthorizeSecurityGroupIngress", eventTime: "2025-03-14T23:59:59Z", source: "event" },
    results: [
      {
        resource: { resourceType: "AWS::EC2::SecurityGroup", physicalId: "sg-1" },
        region: "eu-west-1",
        stack: { stackName: "payments-api", stackId: "arn:stack" },
        logicalId: "AppSecurityGroup",
        driftStatus: finding ? "MODIFIED" : "IN_SYNC",
        differences: finding ? [{ propertyPath: "/SecurityGroupIngress/1", expectedValue: "null", actualValue: "0.0.0.0/0:22", differenceType: "ADD" }] : [],
        action: finding
          ? { outcome: "remediated", reason: "revoked tcp 22 from 0.0.0.0/0", steps: ["RevokeSecurityGroupIngress sg-1: tcp 22 from 0.0.0.0/0"] }
          : { outcome: "skipped", reason: "in sync with its stack template", steps: [] },
        finding,
      },
    ],
    finishedAt: "2025-03-15T00:00:02Z",
    latencyMs: 3000,
    handlingMs: 1200,
  };
}

describe("event report publishing", () => {
  it("keys the report by the call's UTC date and CloudTrail id", () => {
    expect(eventReportKey(report(true))).toBe("events/2025/03/14/ct-0316909e.json");
  });

  it("stores a finding (overwriting any earlier delivery) and notifies SNS with who and what", async () => {
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await publishEventReport(report(true), sink);

    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: sink.bucket, Key: "events/2025/03/14/ct-0316909e.json", ContentType: "application/json" });
    expect(put?.IfNoneMatch).toBeUndefined();
    expect(JSON.parse(put?.Body as string)).toEqual(report(true));

    const msg = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(msg?.TopicArn).toBe(sink.topicArn);
    expect(msg?.Subject).toBe("driftguard: remediated after AuthorizeSecurityGroupIngress in payments-prod eu-west-1");
    expect(msg?.MessageStructure).toBe("json");
    const email = received(msg)("email");
    expect(email).toContain("Changed by: arn:aws:iam::111122223333:user/bob (IAMUser) from 192.0.2.44");
    expect(email).toContain("- AWS::EC2::SecurityGroup sg-1 in stack payments-api (AppSecurityGroup): remediated: revoked tcp 22 from 0.0.0.0/0");
    expect(email).toContain("ADD /SecurityGroupIngress/1: expected null, found 0.0.0.0/0:22");
    expect(email).toContain(`Report: s3://${sink.bucket}/events/2025/03/14/ct-0316909e.json`);
    // No region in this sink: no console link for the record, the s3:// URI is the pointer.
    expect(received(msg)("application")).toContain("Changed by: arn:aws:iam::111122223333:user/bob");
  });

  it("gives email https links on their own lines and every machine protocol the versioned event summary; https the card when configured", async () => {
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await publishEventReport(report(true), { ...sink, region: "eu-west-1" });
    const msg = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    const forProtocol = received(msg);
    const email = forProtocol("email");
    expect(email).toMatch(/\nReport: https:\/\/s3\.console\.aws\.amazon\.com\/s3\/object\/driftguard-reports-999988887777-eu-west-1\?\S+$/);
    expect(email).toContain("CloudTrail event: https://");
    for (const line of email.split("\n").filter((l) => l.includes("https://"))) expect(line).toMatch(/https:\/\/\S+$/);
    for (const p of ["sqs", "lambda", "http", "https", "email-json"]) expect(forProtocol(p)).toBe(forProtocol("sqs"));
    const summary = JSON.parse(forProtocol("sqs")) as EventSummary;
    expect(summaryErrors(summary)).toEqual([]);
    expect(summary).toMatchObject({
      schema: "driftguard.event-summary",
      schemaVersion: EVENT_SUMMARY_VERSION,
      changeId: "ct-0316909e",
      accountId: "111122223333",
      subject: msg?.Subject,
      actor: { arn: "arn:aws:iam::111122223333:user/bob" },
      results: [{ physicalId: "sg-1", outcome: "remediated", finding: true, stackName: "payments-api" }],
      resultsTotal: 1,
      report: { bucket: sink.bucket, key: "events/2025/03/14/ct-0316909e.json" },
    });
    expect(summary.report?.url).toMatch(/^https:\/\//);
    expect(forProtocol("sms")).toBe(msg?.Subject);

    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: "m-2" });
    await publishEventReport(report(true), { ...sink, region: "eu-west-1", chatbot: true });
    const chat = received(sns.commandCalls(PublishCommand)[0]?.args[0].input);
    expect(JSON.parse(chat("https"))).toMatchObject({ version: "1.0", source: "custom", content: { textType: "client-markdown" } });
    expect(JSON.parse(chat("sqs"))).toMatchObject({ schema: "driftguard.event-summary" });
  });

  it("records a report without findings only where none exists yet, and does not notify", async () => {
    s3.on(PutObjectCommand).rejects(awsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"));
    await publishEventReport(report(false), sink);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.IfNoneMatch).toBe("*");
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("still notifies SNS when the bucket refuses the record, saying the message is the only copy (issue 12)", async () => {
    s3.on(PutObjectCommand).rejects(awsError("AccessDenied", "Access Denied"));
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const delivery = await publishEventReport(report(true), sink);
    expect(delivery).toEqual({
      record: { ok: false, key: eventReportKey(report(true)), error: { code: "AccessDenied", message: "Access Denied" } },
      notification: { ok: true, sent: true },
    });
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    const message = received(input)("email");
    const summary = JSON.parse(received(input)("sqs")) as EventSummary;
    expect(summaryErrors(summary)).toEqual([]);
    expect(summary.report).toBeUndefined();
    expect(summary.reportError).toEqual({ code: "AccessDenied", message: "Access Denied" });
    expect(message).toContain(`NOT stored: s3://${sink.bucket}/${eventReportKey(report(true))} was refused (AccessDenied: Access Denied)`);
    expect(message).toContain("arn:aws:iam::111122223333:user/bob");
  });

  it("keeps the record and reports the notification failure when SNS fails after a repair", async () => {
    sns.on(PublishCommand).rejects(awsError("InternalError", "Internal Error"));
    const delivery = await publishEventReport(report(true), sink);
    expect(delivery).toEqual({ record: { ok: true, key: eventReportKey(report(true)) }, notification: { ok: false, error: { code: "InternalError", message: "Internal Error" } } });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it("reports both failures without throwing when S3 and SNS are down", async () => {
    s3.on(PutObjectCommand).rejects(awsError("ServiceUnavailable", "Please reduce your request rate."));
    sns.on(PublishCommand).rejects(awsError("InternalError", "Internal Error"));
    const delivery = await publishEventReport(report(true), sink);
    expect(delivery.record.ok).toBe(false);
    expect(delivery.notification.ok).toBe(false);
  });

  it("keeps SNS subjects within limits", () => {
    const long = { ...report(true), accountName: "a".repeat(63), eventName: "UpdateAssumeRolePolicy" };
    expect(eventSubject(long).length).toBeLessThan(100);
    expect(eventMessage(long, "s3://b/k")).toContain("Event to action: 3000 ms");
  });
});

describe("RecentIds", () => {
  it("remembers up to its capacity, forgetting the least recently added", () => {
    const ids = new RecentIds(2);
    ids.add("a");
    ids.add("b");
    ids.add("a");
    ids.add("c");
    expect([ids.has("a"), ids.has("b"), ids.has("c")]).toEqual([true, false, true]);
  });
});
