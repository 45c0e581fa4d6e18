import { Logger } from "@aws-lambda-powertools/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHubClients } from "../../functions/aws/clients.js";
import { type Config, type Mode } from "../../functions/config/schema.js";
import { configSchema } from "../../functions/accounts-file/index.js";
import type { RunReport, UnmanagedFinding } from "../../functions/core/types.js";
import { scanDeps } from "../../functions/runtime/wiring.js";
import { runScan } from "../../functions/scanner/run.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { startTestSandbox } from "../support/sandbox.js";

/**
 * Issue 21 end to end: security groups, instances, buckets and a VPC made by hand in a member
 * account before driftguard's first scan (some tagged exempt), next to a stack. The scheduled
 * scan, through the production wiring against the emulator, plans exactly the non-exempt repairs
 * in report mode and changes nothing, makes exactly those in remediate mode, leaves the stack's
 * resources to drift detection, and finds nothing more to do on the next run.
 */

const HUB = "111111111111";
const SPOKE = "222222222222";
const MANAGEMENT = "999999999999";
const REGION = "us-east-1";
const EXEMPT = { Key: "driftguard:exempt", Value: "reason=bastion for the incident drill" };
const ROOT = `arn:aws:iam::${SPOKE}:root`;

const config: Config = configSchema.parse({
  version: 1,
  organization: { id: "o-example0001" },
  hub: { accountId: HUB, region: REGION },
  defaults: {
    regions: [REGION],
    mode: "remediate",
    events: {
      guardrails: {
        requiredTags: [
          { key: "owner", value: "creator" },
          { key: "cost-center", value: "shared-services" },
          { key: "expires", value: "launch+30d" },
        ],
      },
    },
  },
  accounts: [{ id: SPOKE, name: "payments-prod" }],
});

let sandbox: Sandbox;
const silent = new Logger({ serviceName: "driftguard", logLevel: "SILENT" });
const previousEndpoint = process.env.AWS_ENDPOINT_URL;
let runs = 0;
const spoke = (service: string, action: string, params: unknown) => sandbox.dispatch(SPOKE, REGION, service, action, params) as Promise<Record<string, unknown>>;
const ssh = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
const ids = { openGroup: "", exemptGroup: "", instance: "", exemptInstance: "", vpc: "", stackGroup: "" };
const OPEN_BUCKET = "payments-exports-open";
const EXEMPT_BUCKET = "payments-public-site";

beforeAll(async () => {
  sandbox = await startTestSandbox({
    config,
    scenario: {
      organization: { managementAccount: MANAGEMENT },
      accounts: [
        { id: MANAGEMENT, name: "management" },
        { id: HUB, name: "driftguard-hub" },
        { id: SPOKE, name: "payments-prod" },
      ],
      stacks: [{ account: SPOKE, region: REGION, name: "web-a", template: "sandbox/scenarios/templates/web-tier.yaml", parameters: { Environment: "prod" } }],
    },
    latency: { apiMs: 1, detectionMs: [20, 40] },
  });
  process.env.AWS_ENDPOINT_URL = sandbox.endpoint;

  const vpcId = ((await spoke("ec2", "DescribeVpcs", {})).Vpcs as { VpcId: string }[])[0]!.VpcId;
  const group = async (name: string, tags: { Key: string; Value: string }[]) => {
    const { GroupId } = (await spoke("ec2", "CreateSecurityGroup", { GroupName: name, Description: name, VpcId: vpcId, TagSpecifications: [{ ResourceType: "security-group", Tags: tags }] })) as { GroupId: string };
    await spoke("ec2", "AuthorizeSecurityGroupIngress", { GroupId, IpPermissions: [ssh] });
    return GroupId;
  };
  ids.openGroup = await group("hand-made-ssh", []);
  ids.exemptGroup = await group("drill-bastion", [EXEMPT]);
  const launch = async (tags: { Key: string; Value: string }[]) =>
    ((await spoke("ec2", "RunInstances", { ImageId: "ami-0abcdef1234567890", MinCount: 1, MaxCount: 1, TagSpecifications: tags.length ? [{ ResourceType: "instance", Tags: tags }] : undefined })).Instances as { InstanceId: string }[])[0]!.InstanceId;
  ids.instance = await launch([{ Key: "cost-center", Value: "payments" }]);
  ids.exemptInstance = await launch([EXEMPT]);
  ids.vpc = ((await spoke("ec2", "CreateVpc", { CidrBlock: "10.42.0.0/16" })).Vpc as { VpcId: string }).VpcId;
  for (const bucket of [OPEN_BUCKET, EXEMPT_BUCKET]) {
    await spoke("s3", "CreateBucket", { Bucket: bucket });
    await spoke("s3", "DeletePublicAccessBlock", { Bucket: bucket });
  }
  await spoke("s3", "DeleteBucketEncryption", { Bucket: OPEN_BUCKET });
  await spoke("s3", "PutBucketTagging", { Bucket: EXEMPT_BUCKET, Tagging: { TagSet: [EXEMPT] } });
  // The stack's own group opened by hand too: drift detection's to repair, not the sweep's.
  const stack = sandbox.world.accounts.get(SPOKE)!.regions.get(REGION)!.stacks.find((s) => s.stackName === "web-a")!;
  ids.stackGroup = stack.resources.find((r) => r.logicalId === "WebSecurityGroup")!.physicalId;
  await spoke("ec2", "AuthorizeSecurityGroupIngress", { GroupId: ids.stackGroup, IpPermissions: [ssh] });
});

afterAll(async () => {
  if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = previousEndpoint;
  await sandbox?.close();
});

/** The hub's clients as the Lambda builds them (createHubClients: its retry settings), on the sandbox hub role's session. */
const hubClients = () => createHubClients(REGION, sandbox.hubCredentials);

async function scan(modeOverride?: Mode): Promise<RunReport> {
  runs++;
  const { report } = await runScan(scanDeps(hubClients(), sandbox.hub.reportBucket, silent), {
    config,
    runId: `20261201T000000Z-${String(runs).padStart(6, "0")}`,
    publish: { bucket: sandbox.hub.reportBucket, topicArn: sandbox.hub.topicArn },
    ...(modeOverride ? { modeOverride } : {}),
  });
  return report;
}

const region = () => sandbox.world.accounts.get(SPOKE)!.regions.get(REGION)!;
const sshOpen = (groupId: string) => region().securityGroups.get(groupId)!.ingress.some((r) => r.fromPort === 22 && r.cidrIpv4 === "0.0.0.0/0");
const tagsOf = (instanceId: string) => region().instances.get(instanceId)!.tags;
const blocked = (bucket: string) => sandbox.world.buckets.get(bucket)!.publicAccessBlock?.blockPublicAcls === true;
/** The verdicts of the sweep, as "<guardrail> <resource>: <outcome>". */
const verdicts = (report: RunReport) =>
  report.unmanaged.actions.map((a: UnmanagedFinding) => `${a.guardrail} ${a.physicalId}: ${a.action.outcome}`).sort();

describe("scheduled sweep of unmanaged resources (issue 21)", () => {
  it("report mode plans exactly the non-exempt repairs and changes nothing", async () => {
    const report = await scan("report");
    expect(verdicts(report)).toEqual(
      [
        `open-ingress ${ids.openGroup}: planned`,
        `open-ingress ${ids.exemptGroup}: skipped`,
        `required-tags ${ids.instance}: planned`,
        `required-tags ${ids.exemptInstance}: skipped`,
        `bucket-public-access ${OPEN_BUCKET}: planned`,
        `bucket-public-access ${EXEMPT_BUCKET}: skipped`,
        `vpc-created ${ids.vpc}: manual`,
      ].sort(),
    );
    expect(report.unmanaged.notSwept).toEqual([]);
    expect(sshOpen(ids.openGroup)).toBe(true);
    expect(tagsOf(ids.instance)).toEqual({ "cost-center": "payments" });
    expect(blocked(OPEN_BUCKET)).toBe(false);
    // DeleteBucketEncryption "resets the default encryption … (SSE-S3)" (API_DeleteBucketEncryption.html): nothing for bucket-encryption to repair.
    expect(sandbox.world.buckets.get(OPEN_BUCKET)!.encryption?.[0]?.sseAlgorithm).toBe("AES256");
    // The stack's group is drift detection's: never a sweep finding.
    expect(report.unmanaged.actions.map((a) => a.physicalId)).not.toContain(ids.stackGroup);
    const listedGroups = report.accounts[0]!.regions[0]!.unmanaged!.listed.find((l) => l.resourceType === "AWS::EC2::SecurityGroup");
    expect(listedGroups?.managed).toBeGreaterThanOrEqual(1);
  });

  it("remediate mode fixes exactly the non-exempt ones, names who and when, and never stops an instance", async () => {
    const report = await scan();
    const acted = report.unmanaged.actions.filter((a) => a.action.outcome !== "skipped" && a.action.outcome !== "manual");
    expect(acted.map((a) => `${a.guardrail} ${a.physicalId}: ${a.action.outcome}`).sort()).toEqual(
      [`open-ingress ${ids.openGroup}: remediated`, `required-tags ${ids.instance}: remediated`, `bucket-public-access ${OPEN_BUCKET}: remediated`].sort(),
    );
    expect(sshOpen(ids.openGroup)).toBe(false);
    expect(sshOpen(ids.exemptGroup)).toBe(true);
    expect(blocked(OPEN_BUCKET)).toBe(true);
    expect(blocked(EXEMPT_BUCKET)).toBe(false);
    expect(sandbox.world.buckets.get(OPEN_BUCKET)!.encryption?.[0]?.sseAlgorithm).toBe("AES256");
    // Creator from CloudTrail's RunInstances record; the existing cost-center tag is kept; expiry is launch + 30 days.
    const launched = new Date(region().instances.get(ids.instance)!.launchedAt);
    expect(tagsOf(ids.instance)).toEqual({ "cost-center": "payments", owner: ROOT, expires: new Date(launched.getTime() + 30 * 86_400_000).toISOString().slice(0, 10) });
    expect(tagsOf(ids.exemptInstance)).toEqual({ [EXEMPT.Key]: EXEMPT.Value });
    const tagged = report.unmanaged.actions.find((a) => a.physicalId === ids.instance)!;
    expect(tagged).toMatchObject({ createdBy: { arn: ROOT }, action: { by: "guardrail:required-tags" } });
    expect(Date.parse(tagged.at)).toBeGreaterThan(Date.parse(report.startedAt) - 1);
    expect(report.unmanaged.counts.find((c) => c.guardrail === "open-ingress")).toEqual({ guardrail: "open-ingress", accountId: SPOKE, findings: 2, exempt: 1, outcomes: { remediated: 1, skipped: 1 } });
    // The VPC was reported by the first run: not again.
    expect(report.unmanaged.actions.map((a) => a.guardrail)).not.toContain("vpc-created");
    // Drift detection repaired the stack's own group, through the same pipeline.
    expect(sshOpen(ids.stackGroup)).toBe(false);
    expect(region().instances.size).toBe(2);
  });

  it("the next scheduled scan is a no-op: nothing to repair, only a VPC created since the last run is reported", async () => {
    const newVpc = ((await spoke("ec2", "CreateVpc", { CidrBlock: "10.43.0.0/16" })).Vpc as { VpcId: string }).VpcId;
    const before = sandbox.world.accounts.get(SPOKE)!.regions.get(REGION)!.cloudTrail!.length;
    const report = await scan();
    expect(report.unmanaged.actions.filter((a) => a.action.outcome === "remediated" || a.action.outcome === "planned" || a.action.outcome === "failed")).toEqual([]);
    expect(verdicts(report)).toEqual(
      [`open-ingress ${ids.exemptGroup}: skipped`, `required-tags ${ids.exemptInstance}: skipped`, `bucket-public-access ${EXEMPT_BUCKET}: skipped`, `vpc-created ${newVpc}: manual`].sort(),
    );
    expect(report.unmanaged.actions.find((a) => a.physicalId === newVpc)?.action.reason).toContain(`created outside CloudFormation by ${ROOT}`);
    // No write reached the member's resources (CloudTrail records every mutating call the sandbox
    // served; drift detection's DetectStackDrift is recorded as one, and changes nothing).
    const writes = sandbox.world.accounts.get(SPOKE)!.regions.get(REGION)!.cloudTrail!.slice(before).filter((e) => !e.readOnly && e.eventSource !== "cloudformation.amazonaws.com");
    expect(writes.map((e) => e.eventName)).toEqual([]);
    expect(report.runErrors).toEqual([]);
  });
});
