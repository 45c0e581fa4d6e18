import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { testApp } from "../support/cdktf.js";
import { describe, expect, it } from "vitest";
import { spokeRoleActions } from "../../functions/permissions.js";
import { driftguardApp } from "../../modules/app.js";
import { StackSetSpokesStack } from "../../modules/stackset-spokes.js";
import { accountRoleArn } from "../../modules/stackset-template.js";
import { exampleConfig } from "../support/config.js";
import { synthSpoke, Synth, TINY_HANDLER, type PolicyStatement } from "./synth.js";
import { tempDir } from "../support/temp.js";

const WORKLOADS = "ou-ab12-workload1";
const SANDBOXES = "ou-ab12-sandbox01";

const config = exampleConfig({
  spoke: { deployment: "stackset", stackSet: { administratorAccountId: "999999999999", callAs: "SELF" } },
  organizationalUnits: [
    { id: WORKLOADS, mode: "remediate" },
    { id: SANDBOXES, regions: ["eu-west-1"] },
  ],
  exclude: ["888888888888"],
});

function synthStackSets(): Synth {
  const stack = new StackSetSpokesStack(testApp(), { config });
  return new Synth(JSON.parse(Testing.synth(stack, true)));
}

type Json = Record<string, unknown>;
const templateOf = (block: Json) => JSON.parse(String(block.template_body)) as { Resources: Record<string, { Type: string; Properties: Json; Condition?: string }>; Parameters?: Json };

/** IAM JSON (a CloudFormation policy document) as terraform's policy-document statements, for comparison. */
function fromIamJson(doc: { Statement: Json[] }): PolicyStatement[] {
  const list = (v: unknown) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  return doc.Statement.map((s) => {
    const principal = s.Principal as Record<string, string | string[]> | undefined;
    const condition = s.Condition as Record<string, Record<string, string[]>> | undefined;
    const resources = list(s.Resource);
    return {
      ...(s.Sid ? { sid: s.Sid as string } : {}),
      effect: s.Effect as string,
      actions: list(s.Action) as string[],
      ...(resources ? { resources: resources as string[] } : {}),
      ...(principal ? { principals: Object.entries(principal).map(([type, ids]) => ({ type, identifiers: list(ids) as string[] })) } : {}),
      ...(condition
        ? { condition: Object.entries(condition).flatMap(([test, vars]) => Object.entries(vars).map(([variable, values]) => ({ test, variable, values }))) }
        : {}),
    };
  });
}

describe("StackSet spokes (spoke.deployment: stackset)", () => {
  it("replaces the per-account terraform stacks with one stack, deployed after the hub", () => {
    const outdir = tempDir("driftguard-stacksets-");
    driftguardApp(config, { outdir, lambdaEntry: TINY_HANDLER }).synth();
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[] }> };
    expect(Object.keys(manifest.stacks).sort()).toEqual(["driftguard-hub", "driftguard-spokes-stacksets"]);
    expect(manifest.stacks["driftguard-spokes-stacksets"]!.dependencies).toEqual(["driftguard-hub"]);
  });

  const synth = synthStackSets();
  const stackSets = Object.values(synth.resources("aws_cloudformation_stack_set"));
  const instances = Object.values(synth.resources("aws_cloudformation_stack_set_instance"));
  const roleSet = stackSets.find((s) => s.name === "driftguard-spoke-role")!;
  const forwardingSet = stackSets.find((s) => s.name === "driftguard-spoke-forwarding")!;

  it("has no ${…} in its templates, which terraform would take for its own interpolation", () => {
    for (const set of [roleSet, forwardingSet]) expect(String(set.template_body)).not.toContain("${");
  });

  it("deploys from the administrator account with service-managed, auto-deployed stack sets", () => {
    const provider = (synth.json.provider!.aws as unknown as Json[])[0]!;
    expect(provider).toMatchObject({ region: "us-east-1", allowed_account_ids: ["999999999999"] });
    // bootstrapRoleName defaults to "none": the caller's own credentials in the management account.
    expect(provider.assume_role).toBeUndefined();
    for (const set of [roleSet, forwardingSet]) {
      expect(set).toMatchObject({
        permission_model: "SERVICE_MANAGED",
        call_as: "SELF",
        auto_deployment: { enabled: true, retain_stacks_on_account_removal: false },
        managed_execution: { active: true },
      });
    }
    expect(roleSet.capabilities).toEqual(["CAPABILITY_NAMED_IAM"]);
  });

  it("puts the IAM roles in one region per account, targeting every onboarded OU minus excluded and retired accounts", () => {
    const roleInstances = instances.filter((i) => i.stack_set_name === synth.ref("aws_cloudformation_stack_set", roleSet, "name"));
    expect(roleInstances).toHaveLength(1);
    expect(roleInstances[0]).toMatchObject({
      region: "us-east-1",
      call_as: "SELF",
      deployment_targets: { organizational_unit_ids: [WORKLOADS, SANDBOXES], account_filter_type: "DIFFERENCE", accounts: ["777777777777", "888888888888"] },
    });
  });

  it("forwards from every scanned region of each OU, and from us-east-1 for IAM events only where it is not scanned", () => {
    const forwarding = instances.filter((i) => i.stack_set_name === synth.ref("aws_cloudformation_stack_set", forwardingSet, "name"));
    const rows = forwarding.map((i) => [i.region, (i.parameter_overrides as Json).Scanned, (i.deployment_targets as Json).organizational_unit_ids]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    // defaults.regions [us-east-1, eu-west-1] for WORKLOADS; SANDBOXES scans eu-west-1 only.
    expect(rows).toEqual([
      ["eu-west-1", "true", [WORKLOADS, SANDBOXES]],
      ["us-east-1", "false", [SANDBOXES]],
      ["us-east-1", "true", [WORKLOADS]],
    ]);
    for (const i of forwarding) expect(i.depends_on).toEqual([expect.stringContaining("aws_cloudformation_stack_set_instance.")]);
  });

  it("grants exactly what a terraform spoke grants: the same trust, managed policy and inline policy (one set of builders)", () => {
    const template = templateOf(roleSet);
    const role = template.Resources.SpokeRole!;
    const { synth: terraform } = synthSpoke(exampleConfig(), "payments-prod");
    const tfRole = Object.values(terraform.resources("aws_iam_role")).find((r) => r.name === "driftguard-spoke")!;
    const tfInline = Object.values(terraform.resources("aws_iam_role_policy")).find((p) => p.role === terraform.ref("aws_iam_role", tfRole, "id"))!;

    expect(role.Properties.RoleName).toBe(tfRole.name);
    expect(fromIamJson(role.Properties.AssumeRolePolicyDocument as { Statement: Json[] })).toEqual(terraform.policy(tfRole.assume_role_policy));
    expect(role.Properties.ManagedPolicyArns).toEqual([terraform.only("aws_iam_role_policy_attachment").policy_arn]);
    const [inline] = role.Properties.Policies as { PolicyName: string; PolicyDocument: { Statement: Json[] } }[];
    expect(inline!.PolicyName).toBe(tfInline.name);
    expect(fromIamJson(inline!.PolicyDocument)).toEqual(terraform.policy(tfInline.policy));
    // And both follow the code: every action the scanner and remediators declare, and main's Denies.
    const statements = fromIamJson(inline!.PolicyDocument);
    expect(new Set(statements.find((s) => s.effect === "Allow")!.actions)).toEqual(new Set(spokeRoleActions()));
    expect(statements.filter((s) => s.effect === "Deny").map((s) => s.sid)).toEqual(["NeverProtectedRoles", "NeverIdentitiesOrPassRole", "NeverDataReads"]);
  });

  it("forwards the same events with the same role as terraform's forwarding rules", () => {
    const template = templateOf(roleSet);
    const forwarder = template.Resources.ForwarderRole!;
    const { synth: terraform } = synthSpoke(exampleConfig(), "payments-prod");
    const tfForwarder = Object.values(terraform.resources("aws_iam_role")).find((r) => r.name === "driftguard-events-forwarder")!;
    expect(fromIamJson(forwarder.Properties.AssumeRolePolicyDocument as { Statement: Json[] })).toEqual(terraform.policy(tfForwarder.assume_role_policy));

    const rules = templateOf(forwardingSet).Resources.ForwardingRule!;
    expect(rules.Condition).toBe("Forwards");
    const pattern = rules.Properties.EventPattern as { "Fn::If": [string, { "Fn::If": [string, unknown, unknown] }, unknown] };
    const [, global, regional] = pattern["Fn::If"];
    const tfRules = Object.values(terraform.resources("aws_cloudwatch_event_rule")).map((r) => JSON.parse(String(r.event_pattern)));
    // payments-prod is scanned in us-east-1 (global + regional sources) and eu-west-1 (regional only).
    expect(tfRules).toContainEqual(global["Fn::If"][1]);
    expect(tfRules).toContainEqual(regional);
    // Terraform's target: the same bus, retry policy and a dead-letter queue in the region.
    const tfTarget = Object.values(terraform.resources("aws_cloudwatch_event_target"))[0]!;
    const retry = tfTarget.retry_policy as { maximum_event_age_in_seconds: number; maximum_retry_attempts: number };
    expect(rules.Properties.Targets).toEqual([
      {
        Id: "driftguard-hub",
        Arn: tfTarget.arn,
        RoleArn: accountRoleArn("driftguard-events-forwarder"),
        RetryPolicy: { MaximumEventAgeInSeconds: retry.maximum_event_age_in_seconds, MaximumRetryAttempts: retry.maximum_retry_attempts },
        DeadLetterConfig: { Arn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } },
      },
    ]);
    const resources = templateOf(forwardingSet).Resources;
    const tfQueue = Object.values(terraform.resources("aws_sqs_queue"))[0]!;
    expect(resources.DeadLetterQueue).toMatchObject({
      Type: "AWS::SQS::Queue",
      Condition: "Forwards",
      Properties: { QueueName: tfQueue.name, SqsManagedSseEnabled: tfQueue.sqs_managed_sse_enabled, MessageRetentionPeriod: tfQueue.message_retention_seconds },
    });
    const queuePolicy = resources.DeadLetterQueuePolicy!;
    expect(queuePolicy).toMatchObject({ Type: "AWS::SQS::QueuePolicy", Condition: "Forwards", Properties: { Queues: [{ Ref: "DeadLetterQueue" }] } });
    const [dlqStatement] = fromIamJson(queuePolicy.Properties.PolicyDocument as { Statement: Json[] });
    const [tfDlqStatement] = terraform.policy(tfQueue.policy);
    // Same grant; only the ARNs are spelled per renderer (Fn::GetAtt here, terraform references there).
    const arnsOut = (st: PolicyStatement) => ({ ...st, resources: undefined, condition: st.condition?.map((c) => ({ ...c, values: [] })) });
    expect(arnsOut(dlqStatement!)).toEqual(arnsOut(tfDlqStatement!));
    expect(dlqStatement!.resources).toEqual([{ "Fn::GetAtt": ["DeadLetterQueue", "Arn"] }]);
    expect(dlqStatement!.condition![0]!.values).toEqual([{ "Fn::GetAtt": ["ForwardingRule", "Arn"] }]);
  });
});
