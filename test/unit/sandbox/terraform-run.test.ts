import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../../cli/main.js";
import { EXIT } from "../../../cli/exit-codes.js";
import type { Io } from "../../../cli/io.js";
import { MIRROR_ENV, slowestCreates } from "../../../sandbox/harness/terraform.js";

function io(): Io & { out: string; err: string } {
  const self = {
    out: "",
    err: "",
    stdout: (t: string) => void (self.out += t),
    stderr: (t: string) => void (self.err += t),
    stderrIsTTY: false,
    stdinIsTTY: false,
    env: {},
    confirm: async () => false,
  };
  return self;
}

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

describe("npm start -- --deploy without terraform or the provider mirror", () => {
  const saved = { terraform: process.env.DRIFTGUARD_TERRAFORM, mirror: process.env[MIRROR_ENV] };
  afterEach(() => {
    for (const [key, value] of [["DRIFTGUARD_TERRAFORM", saved.terraform], [MIRROR_ENV, saved.mirror]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("says what is missing and how to provide both, exits EX_CONFIG, and starts nothing", async () => {
    process.env.DRIFTGUARD_TERRAFORM = "/nonexistent/terraform";
    process.env[MIRROR_ENV] = mkdtempSync(join(tmpdir(), "driftguard-empty-mirror-"));
    const out = io();
    expect(await main(["demo", "--deploy"], out)).toBe(EXIT.config);
    expect(out.err).toMatch(/--deploy applies the synthesized stacks with terraform, and cannot here/);
    expect(out.err).toMatch(/terraform CLI not runnable as "\/nonexistent\/terraform"[\s\S]*Install Terraform/);
    expect(out.err).toMatch(new RegExp(`${MIRROR_ENV}=\\S+ does not contain the provider[\\s\\S]*terraform providers mirror`));
    expect(out.err).toContain("`npm start` without --deploy needs neither.");
    expect(out.out).toBe("");
  });

  it("refuses --mode and --execution, which the deployment takes from the accounts file", async () => {
    const out = io();
    expect(await main(["demo", "--deploy", "--mode", "report"], out)).toBe(EXIT.usage);
    expect(out.err).toContain("set mode and hub.execution there instead of --mode/--execution");
  });
});
