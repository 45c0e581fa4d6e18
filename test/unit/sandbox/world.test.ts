import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { HubStack } from "../../../modules/hub-stack.js";
import { createWorld, resolvePhysicalIds } from "../../../sandbox/harness/world.js";
import { scenarioFromObject } from "../../../sandbox/harness/scenario.js";
import { HUB, MANAGEMENT, ORG_ID, OUTSIDER, TEST_CONFIG, WORKLOAD } from "./helpers.js";

function build(extra: Parameters<typeof scenarioFromObject>[0] | undefined = undefined) {
  const scenario = scenarioFromObject(
    extra ?? {
      organization: { managementAccount: MANAGEMENT },
      accounts: [
        { id: WORKLOAD, name: "workload" },
        { id: OUTSIDER, name: "outsider" },
      ],
    },
  );
  let n = 0;
  return createWorld(scenario, TEST_CONFIG, () => ((n = (n * 7 + 3) % 101) / 101), Date.UTC(2025, 0, 1));
}

describe("world from scenario + accounts.yaml", () => {
  it("refuses a scenario organization id that differs from accounts.yaml's, naming both", () => {
    expect(() => build({ organization: { managementAccount: MANAGEMENT, id: "o-otherorg001" }, accounts: [{ id: WORKLOAD, name: "workload" }] })).toThrow(
      `(scenario object): organization.id o-otherorg001 differs from organization.id ${ORG_ID} in accounts.yaml`,
    );
  });

  it("adds the hub to the organization and makes it a delegated administrator", () => {
    const { world } = build();
    expect([...world.accounts.keys()].sort()).toEqual([HUB, WORKLOAD, OUTSIDER, MANAGEMENT].sort());
    expect(world.organization).toMatchObject({ id: ORG_ID, managementAccountId: MANAGEMENT, delegatedAdministrators: [HUB] });
  });

  it("creates what cdktf deploys: scanner role, report bucket, topic, and spoke roles only in onboarded accounts", () => {
    const { world, hub } = build();
    const scanner = world.accounts.get(HUB)!.roles.get("driftguard-scanner")!;
    expect(scanner.assumeRolePolicyDocument).toMatchObject({ Statement: [{ Principal: { Service: "lambda.amazonaws.com" } }] });
    const spoke = world.accounts.get(WORKLOAD)!.roles.get("driftguard-spoke")!;
    expect(spoke.assumeRolePolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "HubScannerOnly",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${HUB}:role/driftguard-scanner` },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:PrincipalOrgID": ORG_ID } },
        },
      ],
    });
    expect(spoke.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    expect(world.accounts.get(OUTSIDER)!.roles.size).toBe(0);
    expect(hub).toMatchObject({ reportBucket: `driftguard-reports-${HUB}-us-east-1`, topicArn: `arn:aws:sns:us-east-1:${HUB}:driftguard-notifications` });
    expect(world.buckets.get(hub.reportBucket)).toMatchObject({ accountId: HUB, region: "us-east-1" });
    expect(hub.principal.arn).toBe(`arn:aws:sts::${HUB}:assumed-role/driftguard-scanner/sandbox`);
  });

  it("takes the bucket, its policy and versioning, the topic and its subscriptions from the synthesized hub stack", () => {
    const { world, hub } = build();
    // The oracle is the hub stack's own terraform JSON, read here without the sandbox's reader.
    const archive = join(mkdtempSync(join(tmpdir(), "driftguard-world-test-")), "placeholder.zip");
    writeFileSync(archive, "");
    const json = JSON.parse(Testing.synth(new HubStack(Testing.app(), { config: TEST_CONFIG, archive }), false)) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    const only = <T>(type: string) => Object.values(json.resource[type] ?? {}) as T[];
    expect([...world.buckets.keys()]).toEqual(only<{ bucket: string }>("aws_s3_bucket").map((b) => b.bucket));
    const bucket = world.buckets.get(hub.reportBucket)!;
    expect(bucket.versioning).toBe(only<{ versioning_configuration: { status: string } }>("aws_s3_bucket_versioning")[0]!.versioning_configuration.status);
    expect(JSON.stringify(bucket.policy)).toContain("aws:SecureTransport");
    const topics = world.accounts.get(HUB)!.regions.get("us-east-1")!.topics;
    expect([...topics.values()].map((t) => t.name)).toEqual(only<{ name: string }>("aws_sns_topic").map((t) => t.name));
    expect(topics.get(hub.topicArn)!.subscriptions.map((s) => [s.protocol, s.endpoint, s.pendingConfirmation])).toEqual(
      only<{ protocol: string; endpoint: string }>("aws_sns_topic_subscription").map((s) => [s.protocol, s.endpoint, true]),
    );
  });

  it("gives every account a default VPC in every region in use", () => {
    const { world } = build();
    for (const account of world.accounts.values()) {
      for (const region of ["us-east-1", "eu-west-1"]) {
        expect([...account.regions.get(region)!.vpcs.values()].filter((v) => v.isDefault)).toHaveLength(1);
      }
    }
  });

  it("refuses scenario entries that name accounts outside the organization", () => {
    expect(() =>
      build({
        organization: { managementAccount: MANAGEMENT },
        drift: [{ account: "777777777777", service: "iam", action: "AttachRolePolicy" }],
      }),
    ).toThrow(/drift\[0\]\.account 777777777777 is not in the organization/);
  });

  it("resolves ${physical:stack/LogicalId} anywhere in drift parameters", () => {
    const { world } = build();
    world.accounts.get(WORKLOAD)!.regions.get("us-east-1")!.stacks.push({
      stackId: "arn:aws:cloudformation:us-east-1:222222222222:stack/web/1",
      stackName: "web",
      status: "CREATE_COMPLETE",
      templateBody: "",
      parameters: {},
      tags: {},
      createdAt: "",
      resources: [{ logicalId: "Sg", physicalId: "sg-123", type: "AWS::EC2::SecurityGroup", status: "CREATE_COMPLETE", properties: {}, lastUpdated: "" }],
      detections: [],
      changeSets: [],
    });
    expect(resolvePhysicalIds({ GroupId: "${physical:web/Sg}", List: ["x-${physical:web/Sg}"], n: 1 }, world, WORKLOAD, "us-east-1")).toEqual({
      GroupId: "sg-123",
      List: ["x-sg-123"],
      n: 1,
    });
    expect(() => resolvePhysicalIds("${physical:web/Nope}", world, WORKLOAD, "us-east-1")).toThrow(/has no resource Nope/);
    expect(() => resolvePhysicalIds("${physical:web/Sg}", world, WORKLOAD, "eu-west-1")).toThrow(/no stack web/);
  });
});
