import { describe, expect, it } from "vitest";
import { slowestCreates } from "../../../sandbox/harness/terraform.js";

describe("terraform output", () => {
  it("names the slowest creates from terraform's own 'Creation complete after' lines", () => {
    // Lines as terraform 1.x prints them (internal/command/views/hook_ui.go: "%s: Creation complete after %s%s").
    const output = [
      "aws_s3_bucket.reports_bucket_0A1B: Creation complete after 1s [id=driftguard-reports-111111111111-us-east-1]",
      "aws_s3_bucket_lifecycle_configuration.reports_lifecycle_9C8D: Creation complete after 55s [id=driftguard-reports-111111111111-us-east-1]",
      "aws_sqs_queue.scanner_failures_1234: Creation complete after 25s [id=https://sqs.us-east-1.amazonaws.com/111111111111/driftguard-scanner-failures]",
      "aws_kms_key.notifications_key_5678: Creation complete after 1m2s [id=0c7e…]",
      "aws_sqs_queue.scanner_failures_1234: Still creating... [20s elapsed]",
    ].join("\n");
    expect(slowestCreates(output, 2)).toBe("aws_kms_key.notifications_key_5678 (62 s), aws_s3_bucket_lifecycle_configuration.reports_lifecycle_9C8D (55 s)");
    expect(slowestCreates("", 3)).toBe("");
  });
});
