import { describe, expect, it } from "vitest";
import { configSchema } from "../../functions/accounts-file/index.js";
import { ORGANIZATION_ACTIONS } from "../../functions/scanner/organization.js";
import { PLACEMENT_ACTIONS } from "../../functions/scanner/member-placement.js";
import { exampleConfig, exampleInput } from "../support/config.js";
import { synthHub, type PolicyStatement } from "./synth.js";

const config = exampleConfig({
  hub: {
    notifications: {
      emails: ["platform-oncall@example.com", "sec@example.com"],
      subscriptions: [{ protocol: "https", endpoint: "https://hooks.example.com/driftguard" }],
    },
    lambda: { timeoutSeconds: 600, memoryMb: 2048, logRetentionDays: 90 },
    reportBucket: { prefix: "acme-drift", retentionDays: 180 },
  },
});
const { synth } = synthHub(config);
const BUCKET = "acme-drift-111111111111-us-east-1";

const statementWith = (statements: PolicyStatement[], action: string) => statements.filter((s) => s.actions?.includes(action));

describe("HubStack report bucket", () => {
  const bucket = synth.only("aws_s3_bucket");
  const bucketId = synth.ref("aws_s3_bucket", bucket, "id");
  const bucketArn = synth.ref("aws_s3_bucket", bucket, "arn");

  it("is named <prefix>-<hub account>-<region>", () => {
    expect(bucket.bucket).toBe(BUCKET);
  });

  it("is versioned, encrypted and blocks every kind of public access", () => {
    expect(synth.only("aws_s3_bucket_versioning")).toMatchObject({ bucket: bucketId, versioning_configuration: { status: "Enabled" } });
    expect(synth.only("aws_s3_bucket_server_side_encryption_configuration")).toMatchObject({
      bucket: bucketId,
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    expect(synth.only("aws_s3_bucket_public_access_block")).toEqual({
      bucket: bucketId,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synth.only("aws_s3_bucket_ownership_controls")).toMatchObject({ rule: { object_ownership: "BucketOwnerEnforced" } });
  });

  it("denies every request that is not over TLS", () => {
    const policy = synth.only("aws_s3_bucket_policy");
    expect(policy.bucket).toBe(bucketId);
    expect(synth.policy(policy.policy)).toEqual([
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        actions: ["s3:*"],
        resources: [bucketArn, `${bucketArn}/*`],
        principals: [{ type: "*", identifiers: ["*"] }],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
  });

  it("expires reports and event records after the retention, but never the state/ prefix", () => {
    const rules = synth.only("aws_s3_bucket_lifecycle_configuration").rule as Record<string, unknown>[];
    const expiring = rules.filter((r) => (r.expiration as { days?: number }[] | undefined)?.[0]?.days !== undefined);
    expect(expiring.map((r) => r.filter)).toEqual([[{ prefix: "reports/" }], [{ prefix: "events/" }], [{ prefix: "runs/" }]]);
    for (const rule of expiring.slice(0, 2)) expect(rule.expiration).toEqual([{ days: 180 }]);
    // Fan-out working data is only needed while its run lasts.
    expect(expiring[2]!.expiration).toEqual([{ days: 7 }]);
    expect(rules.find((r) => r.id === "tidy-versions")).toMatchObject({
      noncurrent_version_expiration: [{ noncurrent_days: 30 }],
      abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
    });
  });
});

describe("HubStack notifications", () => {
  const topic = synth.only("aws_sns_topic");
  const key = synth.only("aws_kms_key");

  it("encrypts the topic with a rotated customer-managed key", () => {
    expect(topic.kms_master_key_id).toBe(synth.ref("aws_kms_key", key, "arn"));
    expect(key.enable_key_rotation).toBe(true);
    const keyPolicy = synth.policy(key.policy);
    expect(keyPolicy.map((s) => s.principals)).toEqual([
      [{ type: "AWS", identifiers: ["arn:aws:iam::111111111111:root"] }],
      // Alarms publish to the encrypted topic as the CloudWatch service, from this account only.
      [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
    ]);
    expect(keyPolicy[1]).toMatchObject({ actions: ["kms:Decrypt", "kms:GenerateDataKey*"], condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: ["111111111111"] }] });
  });

  it("subscribes every configured email and endpoint", () => {
    const subs = Object.values(synth.resources("aws_sns_topic_subscription"));
    expect(subs.map((s) => [s.protocol, s.endpoint]).sort()).toEqual([
      ["email", "platform-oncall@example.com"],
      ["email", "sec@example.com"],
      ["https", "https://hooks.example.com/driftguard"],
    ]);
    for (const s of subs) expect(s.topic_arn).toBe(synth.ref("aws_sns_topic", topic, "arn"));
  });
});

describe("HubStack scanner Lambda", () => {
  const fn = synth.only("aws_lambda_function");
  const role = synth.only("aws_iam_role");
  const permissions = synth.policy(synth.only("aws_iam_role_policy").policy);
  const bucketArn = synth.ref("aws_s3_bucket", synth.only("aws_s3_bucket"), "arn");

  it("runs the bundled archive on Node 22 with the configured timeout and memory", () => {
    expect(fn).toMatchObject({ runtime: "nodejs22.x", handler: "index.handler", timeout: 600, memory_size: 2048 });
    expect(fn.filename).toMatch(/^assets\/.+\/[0-9a-f]{16}\.zip$/);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${String(fn.filename)}")}`);
    expect(fn.role).toBe(synth.ref("aws_iam_role", role, "arn"));
  });

  it("gets the bucket, topic and Powertools settings from its environment", () => {
    expect((fn.environment as { variables: Record<string, string> }).variables).toMatchObject({
      DRIFTGUARD_REPORT_BUCKET: synth.ref("aws_s3_bucket", synth.only("aws_s3_bucket"), "bucket"),
      DRIFTGUARD_TOPIC_ARN: synth.ref("aws_sns_topic", synth.only("aws_sns_topic"), "arn"),
      POWERTOOLS_SERVICE_NAME: "driftguard",
      POWERTOOLS_LOG_LEVEL: "INFO",
    });
  });

  it("bounds its V8 heap from its 2,048 MB: 3/8 for the old space, V8's 16 MB semi-spaces (Lambda's bootstrap keeps NODE_OPTIONS' heap flags)", () => {
    expect((fn.environment as { variables: Record<string, string> }).variables.NODE_OPTIONS).toBe("--enable-source-maps --max-old-space-size=768 --max-semi-space-size=16");
  });

  it("logs to a group with the configured retention", () => {
    const logs = synth.only("aws_cloudwatch_log_group");
    expect(logs).toMatchObject({ name: "/aws/lambda/driftguard-scanner", retention_in_days: 90 });
    expect(fn.logging_config).toMatchObject({ log_group: synth.ref("aws_cloudwatch_log_group", logs, "name") });
  });

  it("sends failed asynchronous invocations to an encrypted queue", () => {
    const queue = synth.only("aws_sqs_queue");
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(synth.only("aws_lambda_function_event_invoke_config")).toMatchObject({
      destination_config: { on_failure: { destination: synth.ref("aws_sqs_queue", queue, "arn") } },
    });
    expect(statementWith(permissions, "sqs:SendMessage")[0]!.resources).toEqual([synth.ref("aws_sqs_queue", queue, "arn")]);
  });

  it("is trusted by Lambda only", () => {
    expect(synth.policy(role.assume_role_policy)).toEqual([
      { effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] },
    ]);
  });

  it("may assume only the spoke role name, in any account", () => {
    const assume = statementWith(permissions, "sts:AssumeRole");
    expect(assume).toHaveLength(1);
    expect(assume[0]!.actions).toEqual(["sts:AssumeRole"]);
    expect(assume[0]!.resources).toEqual(["arn:aws:iam::*:role/driftguard-spoke"]);
  });

  it("may check the organization's id, walk its OU tree and place one account, and only with the calls they make", () => {
    expect(statementWith(permissions, "organizations:DescribeOrganization")).toEqual([
      { sid: "WalkOrganization", actions: [...ORGANIZATION_ACTIONS, ...PLACEMENT_ACTIONS], resources: ["*"] },
    ]);
  });

  it("may write and read reports, publish to the topic and use its key, nothing wider", () => {
    expect(statementWith(permissions, "s3:PutObject")[0]!.resources).toEqual([`${bucketArn}/*`]);
    expect(statementWith(permissions, "s3:GetObject")[0]!.resources).toEqual([`${bucketArn}/*`]);
    expect(statementWith(permissions, "s3:ListBucket")[0]!.resources).toEqual([bucketArn]);
    expect(statementWith(permissions, "sns:Publish")[0]!.resources).toEqual([synth.ref("aws_sns_topic", synth.only("aws_sns_topic"), "arn")]);
    expect(statementWith(permissions, "kms:GenerateDataKey*")[0]!.resources).toEqual([synth.ref("aws_kms_key", synth.only("aws_kms_key"), "arn")]);
    const wildcard = permissions.filter((s) => s.resources?.includes("*")).map((s) => s.sid);
    expect(wildcard).toEqual(["WalkOrganization"]);
  });
});

describe("HubStack triggers", () => {
  const fnArn = synth.ref("aws_lambda_function", synth.only("aws_lambda_function"), "arn");
  const rules = Object.values(synth.resources("aws_cloudwatch_event_rule"));
  const targets = Object.values(synth.resources("aws_cloudwatch_event_target"));
  const permissions = Object.values(synth.resources("aws_lambda_permission"));

  it("runs the scan on the configured schedule", () => {
    const schedule = rules.find((r) => r.schedule_expression !== undefined)!;
    expect(schedule.schedule_expression).toBe("rate(6 hours)");
    const ruleName = synth.ref("aws_cloudwatch_event_rule", schedule, "name");
    expect(targets.find((t) => t.rule === ruleName)).toMatchObject({ arn: fnArn });
    expect(permissions.find((p) => p.source_arn === synth.ref("aws_cloudwatch_event_rule", schedule, "arn"))).toMatchObject({
      principal: "events.amazonaws.com",
      action: "lambda:InvokeFunction",
    });
  });

  it("has a central bus that only principals of the organization may put events on", () => {
    const bus = synth.only("aws_cloudwatch_event_bus");
    expect(bus.name).toBe("driftguard-hub");
    const policy = synth.only("aws_cloudwatch_event_bus_policy");
    expect(policy.event_bus_name).toBe(synth.ref("aws_cloudwatch_event_bus", bus, "name"));
    expect(synth.policy(policy.policy)).toEqual([
      {
        sid: "OrganizationPutEvents",
        effect: "Allow",
        actions: ["events:PutEvents"],
        resources: [synth.ref("aws_cloudwatch_event_bus", bus, "arn")],
        principals: [{ type: "AWS", identifiers: ["*"] }],
        condition: [{ test: "StringEquals", variable: "aws:PrincipalOrgID", values: ["o-example0001"] }],
      },
    ]);
  });

  it("hands forwarded CloudTrail events on the bus to the scanner", () => {
    const busName = synth.ref("aws_cloudwatch_event_bus", synth.only("aws_cloudwatch_event_bus"), "name");
    const busRule = rules.find((r) => r.event_bus_name === busName)!;
    expect(JSON.parse(String(busRule.event_pattern))).toEqual({
      source: ["aws.ec2", "aws.iam", "aws.s3", "aws.cloudformation"],
      "detail-type": ["AWS API Call via CloudTrail"],
    });
    const ruleName = synth.ref("aws_cloudwatch_event_rule", busRule, "name");
    expect(targets.find((t) => t.rule === ruleName)).toMatchObject({ arn: fnArn, event_bus_name: busName });
    expect(permissions.find((p) => p.source_arn === synth.ref("aws_cloudwatch_event_rule", busRule, "arn"))).toBeDefined();
  });
});

describe("HubStack deployment settings", () => {
  it("deploys into the hub account only, through its bootstrap role", () => {
    expect(synth.json.provider!.aws).toEqual([
      expect.objectContaining({
        region: "us-east-1",
        allowed_account_ids: ["111111111111"],
        assume_role: [{ role_arn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole", session_name: "driftguard-deploy" }],
      }),
    ]);
  });

  it("configures an S3 backend only when accounts.yaml asks (cdktf adds local state otherwise, see app.test.ts)", () => {
    expect((synth.json.terraform as unknown as { backend?: object }).backend).toBeUndefined();
    const remote = synthHub(
      exampleConfig({ hub: { backend: { s3: { bucket: "acme-tf-state", region: "eu-west-1", dynamodbTable: "tf-locks" } } } }),
    ).synth;
    expect((remote.json.terraform as unknown as { backend: Record<string, unknown> }).backend).toEqual({
      s3: { bucket: "acme-tf-state", key: "driftguard/driftguard-hub.tfstate", region: "eu-west-1", encrypt: true, dynamodb_table: "tf-locks" },
    });
  });

  it("uses an exact bucket name and hub deploy role when given", () => {
    const custom = synthHub(
      exampleConfig({ hub: { reportBucket: { name: "acme-drift-reports" }, bootstrapRoleName: "HubDeployer" } }),
    ).synth;
    expect(custom.only("aws_s3_bucket").bucket).toBe("acme-drift-reports");
    expect(custom.json.provider!.aws).toEqual([
      expect.objectContaining({ assume_role: [expect.objectContaining({ role_arn: "arn:aws:iam::111111111111:role/HubDeployer" })] }),
    ]);
  });

  it("creates no event bus when change events are disabled", () => {
    const quiet = synthHub(
      exampleConfig({ defaults: { events: { enabled: false } } }),
    ).synth;
    expect(quiet.resources("aws_cloudwatch_event_bus")).toEqual({});
    expect(Object.values(quiet.resources("aws_cloudwatch_event_rule")).map((r) => r.schedule_expression)).toEqual(["rate(6 hours)"]);
  });
});

describe("run-time configuration", () => {
  const { synth: hub } = synthHub(config);
  const fn = hub.only("aws_lambda_function") as { environment: { variables: Record<string, string> } };

  it("is a versioned object in the report bucket holding the validated config, which the scanner is told to read", () => {
    const object = hub.only("aws_s3_object");
    const bucket = hub.only("aws_s3_bucket");
    expect(object).toMatchObject({ bucket: hub.ref("aws_s3_bucket", bucket, "id"), key: "config/driftguard-config.json", content_type: "application/json" });
    // An independent oracle: the object parses back into exactly the config it was synthesized from.
    expect(configSchema.parse(JSON.parse(String(object.content)))).toEqual(config);
    expect(hub.only("aws_s3_bucket_versioning")).toMatchObject({ versioning_configuration: { status: "Enabled" } });
    expect(fn.environment.variables).toMatchObject({ DRIFTGUARD_CONFIG_KEY: object.key, DRIFTGUARD_ORGANIZATION_ID: "o-example0001", DRIFTGUARD_HUB_ACCOUNT_ID: "111111111111" });
  });

  it("changes only the object, never the Lambda's code, when onboarding changes", () => {
    const { synth: other } = synthHub(exampleConfig({ accounts: [...exampleInput().accounts, { id: "555555555555", name: "new-team" }] }));
    const code = (s: typeof hub) => (s.only("aws_lambda_function") as { source_code_hash: string; filename: string }).filename;
    expect(code(other)).toBe(code(hub));
    expect(other.only("aws_s3_object").content).not.toBe(hub.only("aws_s3_object").content);
  });
});
