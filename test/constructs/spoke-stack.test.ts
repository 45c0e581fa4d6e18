import { TerraformStack, Testing } from "cdktf";
import { testApp } from "../support/cdktf.js";
import { describe, expect, it } from "vitest";
import { resolveAccount } from "../../functions/config/resolve.js";
import { matchesGlob } from "../../functions/core/glob.js";
import { spokeRoleActions } from "../../functions/permissions.js";
import { protectedRoles } from "../../functions/config/protected-roles.js";
import { driftguardNames } from "../../modules/names.js";
import { SpokeRole } from "../../modules/spoke-role.js";
import { exampleConfig, exampleInput } from "../support/config.js";
import { synthHub, synthSpoke, type Synth } from "./synth.js";

const HUB_BUS = "arn:aws:events:us-east-1:111111111111:event-bus/driftguard-hub";

const config = exampleConfig({
  accounts: [...exampleInput().accounts, { id: "555555555555", name: "analytics-eu", regions: ["eu-west-1", "eu-central-1"], bootstrapRoleName: "AWSControlTowerExecution" }],
});

/** Forwarding rules keyed by the region of the provider they are deployed with. */
function rulesByRegion(synth: Synth): Map<string, Record<string, unknown>> {
  const providers = synth.json.provider!.aws as unknown as { region: string; alias?: string }[];
  // A resource names its provider "aws.<alias>", or "aws" for the default provider.
  const regionOf = (provider: unknown) => {
    const alias = /^aws\.(.+)$/.exec(String(provider))?.[1];
    return providers.find((p) => p.alias === alias)!.region;
  };
  return new Map(Object.values(synth.resources("aws_cloudwatch_event_rule")).map((r) => [regionOf(r.provider), r]));
}

describe("SpokeStack role", () => {
  const { synth } = synthSpoke(config, "payments-prod");
  const roles = Object.values(synth.resources("aws_iam_role"));
  const spokeRole = roles.find((r) => r.name === "driftguard-spoke")!;

  it("trusts only the hub scanner role, and only from inside the organization", () => {
    expect(synth.policy(spokeRole.assume_role_policy)).toEqual([
      {
        sid: "HubScannerOnly",
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "AWS", identifiers: ["arn:aws:iam::111111111111:role/driftguard-scanner"] }],
        condition: [{ test: "StringEquals", variable: "aws:PrincipalOrgID", values: ["o-example0001"] }],
      },
    ]);
  });

  it("can read everything drift detection describes", () => {
    expect(synth.only("aws_iam_role_policy_attachment")).toMatchObject({
      role: synth.ref("aws_iam_role", spokeRole, "name"),
      policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    });
  });

  it("grants every action the scanner and remediators declare (spokeRoleActions)", () => {
    const inline = Object.values(synth.resources("aws_iam_role_policy")).find((p) => p.role === synth.ref("aws_iam_role", spokeRole, "id"))!;
    const granted = synth.policy(inline.policy).filter((s) => s.effect === "Allow").flatMap((s) => s.actions ?? []);
    const expected = spokeRoleActions();
    expect(expected.length).toBeGreaterThan(0);
    for (const action of expected) expect(granted, action).toContain(action);
    expect(new Set(granted)).toEqual(new Set(expected));
  });

  /**
   * What IAM decides for one request under the synthesized statements: an explicit Deny wins,
   * then an Allow (IAM User Guide, "Policy evaluation logic"); `*` and `?` are wildcards in
   * actions (case-insensitive) and resources (IAM User Guide, "IAM JSON policy elements: Action").
   */
  const inline = () => Object.values(synth.resources("aws_iam_role_policy")).find((p) => p.role === synth.ref("aws_iam_role", spokeRole, "id"))!;
  const decide = (action: string, resource: string): "allowed" | "denied" | "implicit-deny" => {
    const statements = synth.policy(inline().policy);
    const hits = (s: (typeof statements)[number]) =>
      (s.actions ?? []).some((a) => matchesGlob(action.toLowerCase(), a.toLowerCase())) && (s.resources ?? []).some((r) => matchesGlob(resource, r));
    if (statements.some((s) => s.effect === "Deny" && hits(s))) return "denied";
    return statements.some((s) => s.effect === "Allow" && hits(s)) ? "allowed" : "implicit-deny";
  };
  const role = (name: string, account = "222222222222") => `arn:aws:iam::${account}:role/${name}`;

  it("may write IAM roles remediation repairs, but never a protected role, in any account", () => {
    const iamWrites = spokeRoleActions().filter((a) => a.startsWith("iam:") && !/^iam:(Get|List)/.test(a));
    expect(iamWrites).toEqual(expect.arrayContaining(["iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"]));
    for (const action of iamWrites) {
      expect(decide(action, role("payments-api")), action).toBe("allowed");
      for (const name of [
        "driftguard-spoke",
        "driftguard-events-forwarder",
        "driftguard-scanner",
        "OrganizationAccountAccessRole",
        "AWSControlTowerExecution",
        "AWSCloudFormationStackSetExecutionRole",
        "stacksets-exec-5a1b2c3d4e5f",
        "team/OrganizationAccountAccessRole",
        "aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
        "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
      ]) {
        expect(decide(action, role(name, "444444444444")), `${action} on ${name}`).toBe("denied");
      }
    }
    // Reads stay allowed: drift detection and the invariants must see a claimed role.
    expect(decide("iam:GetRole", role("OrganizationAccountAccessRole"))).toBe("allowed");
  });

  it("denies exactly the roles the invariants protect (one list for both)", () => {
    const deny = synth.policy(inline().policy).find((s) => s.sid === "NeverProtectedRoles")!;
    for (const r of protectedRoles(config)) expect(deny.resources, r.name).toContain(`arn:aws:iam::*:role/${r.name}`);
  });

  it("never creates users, access keys or login profiles, and never passes a role", () => {
    for (const action of ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:PassRole"]) {
      expect(decide(action, "arn:aws:iam::222222222222:user/mallory"), action).toBe("denied");
    }
  });

  it("denies data-plane reads, and keeps every read drift detection makes", () => {
    for (const action of ["s3:GetObject", "secretsmanager:GetSecretValue", "ssm:GetParameter", "kms:Decrypt", "dynamodb:Query", "dynamodb:Scan", "sqs:ReceiveMessage", "kinesis:GetRecords", "logs:GetLogEvents", "logs:FilterLogEvents", "athena:GetQueryResults"]) {
      expect(decide(action, "*"), action).toBe("denied");
    }
    // AWS::SSM::Parameter's drift detection reads with ssm:GetParameters (its schema's read handler).
    expect(decide("ssm:GetParameters", "*")).toBe("implicit-deny");
    for (const action of spokeRoleActions()) expect(decide(action, role("payments-api")), action).not.toBe("denied");
  });
});

describe("hub scanner role", () => {
  it("assumes spoke roles only in accounts of the organization (aws:ResourceOrgID)", () => {
    const { synth } = synthHub(config);
    const scanner = Object.values(synth.resources("aws_iam_role_policy")).find((p) => p.name === "driftguard-scanner")!;
    const assume = synth.policy(scanner.policy).find((s) => s.sid === "AssumeSpokeRoles");
    expect(assume).toMatchObject({
      actions: ["sts:AssumeRole"],
      resources: ["arn:aws:iam::*:role/driftguard-spoke"],
      condition: [{ test: "StringEquals", variable: "aws:ResourceOrgID", values: ["o-example0001"] }],
    });
  });
});

describe("SpokeRole", () => {
  it("refuses at synth time an action list over IAM's inline policy size limit", () => {
    const actions = Array.from({ length: 400 }, (_, i) => `cloudformation:SomeVeryLongActionNameNumber${i}`);
    expect(() =>
      Testing.synth(new SpokeRole(new TerraformStack(testApp(), "stack"), "role", { names: driftguardNames(config), organizationId: "o-example0001", actions, protectedRoles: protectedRoles(config) }).node.scope as TerraformStack),
    ).toThrow(/over IAM's 10240/);
  });
});

describe("SpokeStack event forwarding", () => {
  it("has a forwarding rule to the hub bus in every configured region", () => {
    for (const account of config.accounts) {
      const { synth } = synthSpoke(config, account.name);
      const rules = rulesByRegion(synth);
      const targets = Object.values(synth.resources("aws_cloudwatch_event_target"));
      const forwarder = Object.values(synth.resources("aws_iam_role")).find((r) => r.name === "driftguard-events-forwarder")!;
      for (const region of resolveAccount(config, account).regions) {
        const rule = rules.get(region);
        expect(rule, `${account.name} ${region}`).toBeDefined();
        const pattern = JSON.parse(String(rule!.event_pattern));
        expect(pattern["detail-type"]).toEqual(["AWS API Call via CloudTrail"]);
        expect(pattern.source).toEqual(expect.arrayContaining(["aws.ec2", "aws.s3"]));
        const target = targets.find((t) => t.rule === synth.ref("aws_cloudwatch_event_rule", rule!, "name"))!;
        expect(target).toMatchObject({ arn: HUB_BUS, role_arn: synth.ref("aws_iam_role", forwarder, "arn"), provider: rule!.provider });
      }
    }
  });

  it("retries delivery to the hub for an hour, then keeps the event in that region's dead-letter queue", () => {
    const { synth } = synthSpoke(config, "payments-prod");
    const rules = rulesByRegion(synth);
    const queues = Object.values(synth.resources("aws_sqs_queue"));
    // Inline on the queue: a separate aws_sqs_queue_policy costs a second ~25 s propagation wait per region.
    expect(synth.resources("aws_sqs_queue_policy")).toEqual({});
    for (const [region, rule] of rules) {
      const target = Object.values(synth.resources("aws_cloudwatch_event_target")).find((t) => t.rule === synth.ref("aws_cloudwatch_event_rule", rule, "name"))!;
      expect(target.retry_policy, region).toEqual({ maximum_event_age_in_seconds: 3600, maximum_retry_attempts: 10 });
      const queue = queues.find((q) => synth.ref("aws_sqs_queue", q, "arn") === (target.dead_letter_config as { arn: string }).arn)!;
      expect(queue, region).toMatchObject({ name: "driftguard-forward-to-hub-dlq", sqs_managed_sse_enabled: true, provider: rule.provider });
      // Only EventBridge, and only for this rule's events, may write to it — to this queue, by its built ARN.
      expect(synth.policy(queue.policy)).toEqual([
        expect.objectContaining({
          resources: [`arn:aws:sqs:${region}:${config.accounts.find((a) => a.name === "payments-prod")!.id}:driftguard-forward-to-hub-dlq`],
          actions: ["sqs:SendMessage"],
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [synth.ref("aws_cloudwatch_event_rule", rule, "arn")] }],
        }),
      ]);
    }
    expect(queues).toHaveLength(rules.size);
  });

  it("forwards IAM events from us-east-1 only, adding a us-east-1 rule where the account has none", () => {
    const withUsEast = rulesByRegion(synthSpoke(config, "payments-prod").synth);
    const usEast = JSON.parse(String(withUsEast.get("us-east-1")!.event_pattern));
    const euWest = JSON.parse(String(withUsEast.get("eu-west-1")!.event_pattern));
    expect(usEast.source).toContain("aws.iam");
    expect(usEast.detail.eventName).toContain("AttachRolePolicy");
    expect(euWest.source).not.toContain("aws.iam");
    expect(euWest.detail.eventName).not.toContain("AttachRolePolicy");

    const euOnly = rulesByRegion(synthSpoke(config, "analytics-eu").synth);
    expect([...euOnly.keys()].sort()).toEqual(["eu-central-1", "eu-west-1", "us-east-1"]);
    const iamOnly = JSON.parse(String(euOnly.get("us-east-1")!.event_pattern));
    expect(iamOnly.source).toEqual(["aws.iam"]);
    expect(iamOnly.detail.eventName).not.toContain("RunInstances");
  });

  it("lets EventBridge put events on the hub bus and nowhere else", () => {
    const { synth } = synthSpoke(config, "payments-prod");
    const forwarder = Object.values(synth.resources("aws_iam_role")).find((r) => r.name === "driftguard-events-forwarder")!;
    expect(synth.policy(forwarder.assume_role_policy)[0]!.principals).toEqual([{ type: "Service", identifiers: ["events.amazonaws.com"] }]);
    const policy = Object.values(synth.resources("aws_iam_role_policy")).find((p) => p.role === synth.ref("aws_iam_role", forwarder, "id"))!;
    expect(synth.policy(policy.policy)).toEqual([{ sid: "PutToHubBus", effect: "Allow", actions: ["events:PutEvents"], resources: [HUB_BUS] }]);
  });

  it("creates no forwarding when change events are disabled", () => {
    const quiet = exampleConfig({ defaults: { events: { enabled: false } } });
    const { synth } = synthSpoke(quiet, "payments-prod");
    expect(synth.resources("aws_cloudwatch_event_rule")).toEqual({});
    expect(Object.values(synth.resources("aws_iam_role")).map((r) => r.name)).toEqual(["driftguard-spoke"]);
  });
});

describe("SpokeStack providers", () => {
  it("assume the account's bootstrap role in each region and refuse other accounts", () => {
    const { synth } = synthSpoke(config, "analytics-eu");
    const providers = synth.json.provider!.aws as unknown as Record<string, unknown>[];
    expect(providers.map((p) => [p.region, p.alias])).toEqual([
      ["eu-west-1", undefined],
      ["eu-central-1", "eu-central-1"],
      ["us-east-1", "us-east-1"],
    ]);
    for (const p of providers) {
      expect(p).toMatchObject({
        allowed_account_ids: ["555555555555"],
        assume_role: [{ role_arn: "arn:aws:iam::555555555555:role/AWSControlTowerExecution", session_name: "driftguard-deploy" }],
      });
    }
    const defaultRole = synthSpoke(config, "payments-prod").synth.json.provider!.aws as unknown as Record<string, unknown>[];
    expect(defaultRole[0]).toMatchObject({ assume_role: [expect.objectContaining({ role_arn: "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole" })] });
  });
});
