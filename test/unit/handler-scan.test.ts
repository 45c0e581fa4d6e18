import "aws-sdk-client-mock-vitest/extend";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  ListStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { handler } from "../../functions/handler.js";
import { logger } from "../../functions/core/logger.js";
import { lambdaContext } from "../../sandbox/harness/lambda-context.js";
import { assumeRoleOutput, mockFlatOrganization, orgAccount, stackId, stackSummary } from "./scanner/fixtures.js";
import { testConfig } from "../support/config.js";
import { tempDir } from "../support/temp.js";

/**
 * The production wiring end to end, with every AWS client class mocked: settings from the
 * environment, the bundled config file, real engine, S3 report + flapping record, SNS summary.
 */
const org = mockClient(OrganizationsClient);
const sts = mockClient(STSClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const cfn = mockClient(CloudFormationClient);
const BUCKET = "driftguard-reports-111111111111-us-east-1";
const PAY = "222222222222";
const STACK = stackId(PAY, "us-east-1", "core-network");

beforeAll(() => {
  logger.setLogLevel("SILENT");
  const dir = tempDir("driftguard-handler-");
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify(testConfig(`accounts: [{ id: "${PAY}", name: payments-prod, regions: [us-east-1] }]`)));
  vi.stubEnv("DRIFTGUARD_CONFIG_FILE", file);
  vi.stubEnv("DRIFTGUARD_REPORT_BUCKET", BUCKET);
  vi.stubEnv("DRIFTGUARD_TOPIC_ARN", "arn:aws:sns:us-east-1:111111111111:driftguard-summary");

  mockFlatOrganization(org, [orgAccount(PAY, "payments-prod")]);
  sts.on(AssumeRoleCommand).resolves(assumeRoleOutput(PAY, new Date(Date.now() + 3_600_000)));
  cfn.on(ListStacksCommand).resolves({ StackSummaries: [stackSummary(PAY, "us-east-1", "core-network")] });
  cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: "b78ac9b0-dec1-11e7-a451-503a3407c0c6" });
  cfn.on(DescribeStackDriftDetectionStatusCommand).resolves({
    StackId: STACK,
    StackDriftDetectionId: "b78ac9b0-dec1-11e7-a451-503a3407c0c6",
    DetectionStatus: "DETECTION_COMPLETE",
    StackDriftStatus: "IN_SYNC",
    DriftedStackResourceCount: 0,
    Timestamp: new Date(),
  });
  s3.on(GetObjectCommand).rejects(Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" }));
  s3.on(PutObjectCommand).resolves({ ETag: '"etag"' });
  sns.on(PublishCommand).resolves({ MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e" });
});

afterAll(() => vi.unstubAllEnvs());

const context = lambdaContext(900_000, "driftguard-scanner");

describe("handler (production wiring)", () => {
  it("runs a scheduled scan and answers with a small summary", async () => {
    const result = (await handler({ "detail-type": "Scheduled Event", source: "aws.events", detail: {} }, context)) as Record<string, unknown>;
    expect(result).toMatchObject({ incomplete: false, s3: true, sns: true, totals: expect.objectContaining({ accounts: 1, stacksScanned: 1, stacksDrifted: 0 }) });
    expect(result.reportKey).toMatch(/^reports\/\d{4}\/\d{2}\/\d{2}\/\d{8}T\d{6}Z-[0-9a-f]{6}\/report\.json$/);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${PAY}:role/driftguard-spoke`, RoleSessionName: `driftguard-${String(result.runId)}` });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStackResourceDriftsCommand, 0);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toEqual(expect.arrayContaining(["state/flapping.json", result.reportKey, "reports/latest.json"]));
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: "reports/latest.json" });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });
});
