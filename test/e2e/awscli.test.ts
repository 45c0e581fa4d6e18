import { DEFAULT_SCENARIO } from "../../sandbox/harness/scenario.js";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox, SandboxCredentials } from "../../sandbox/harness/server.js";
import { startTestSandbox } from "../support/sandbox.js";

/**
 * Proof that the sandbox speaks the real wire protocols: the official AWS CLI (botocore, a
 * different client stack than the JS SDK) drives it with nothing but --endpoint-url and keys.
 */

const run = promisify(execFile);
const ACCOUNTS_YAML = fileURLToPath(new URL("../../accounts.yaml", import.meta.url));
const PAYMENTS = "222222222222";

let sandbox: Sandbox;
let scratch: string;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenarioFile: DEFAULT_SCENARIO, accountsFile: ACCOUNTS_YAML, latency: { apiMs: 0, detectionMs: [50, 150] } });
  scratch = mkdtempSync(join(tmpdir(), "driftguard-awscli-"));
  writeFileSync(join(scratch, "config"), "");
  writeFileSync(join(scratch, "credentials"), "");
});
afterAll(async () => {
  await sandbox?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface CliResult {
  ok: boolean;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  stderr: string;
}

async function aws(creds: SandboxCredentials, args: string[], region = "us-east-1"): Promise<CliResult> {
  // Only the sandbox's keys, no profile, no instance metadata lookups: fast and hermetic.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: join(scratch, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(scratch, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
  });
  try {
    const { stdout, stderr } = await run("aws", [...args, "--endpoint-url", sandbox.endpoint, "--output", "json"], { env, timeout: 60_000 });
    return { ok: true, json: stdout.trim() === "" ? undefined : JSON.parse(stdout), stderr };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("the AWS CLI is not installed: apt-get install awscli (or pip install awscli)");
    return { ok: false, json: undefined, stderr: e.stderr ?? String(err) };
  }
}

function assetsBucket(): string {
  const stack = sandbox.world.accounts.get(PAYMENTS)!.regions.get("us-east-1")!.stacks.find((s) => s.stackName === "web-tier")!;
  return stack.resources.find((r) => r.logicalId === "AssetsBucket")!.physicalId;
}

describe("the AWS CLI against the sandbox", () => {
  it("sts get-caller-identity", async () => {
    const res = await aws(sandbox.hubCredentials, ["sts", "get-caller-identity"]);
    expect(res.json).toMatchObject({ Account: "111111111111", Arn: "arn:aws:sts::111111111111:assumed-role/driftguard-scanner/sandbox" });
  });

  // The scanner walks the OU tree (ORGANIZATION_ACTIONS), so its role may list a parent's accounts, not ListAccounts.
  it("organizations list-roots, then list-accounts-for-parent (paginated by the CLI)", async () => {
    const roots = await aws(sandbox.hubCredentials, ["organizations", "list-roots"]);
    const rootId: string = roots.json.Roots[0].Id;
    const res = await aws(sandbox.hubCredentials, ["organizations", "list-accounts-for-parent", "--parent-id", rootId, "--page-size", "2"]);
    const atRoot = [...sandbox.world.accounts.values()].filter((a) => (a.parentId ?? rootId) === rootId).map((a) => a.id);
    expect(res.json.Accounts.map((a: { Id: string }) => a.Id).sort()).toEqual(atRoot.sort());
    expect(res.json.Accounts.find((a: { Id: string }) => a.Id === PAYMENTS)).toMatchObject({ Name: "payments-prod", Status: "ACTIVE" });
  });

  it("iam list-attached-role-policies", async () => {
    const res = await aws(sandbox.adminCredentials(PAYMENTS), ["iam", "list-attached-role-policies", "--role-name", "app-role"]);
    expect(res.json.AttachedPolicies).toContainEqual({ PolicyName: "AdministratorAccess", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
  });

  it("s3api get-bucket-encryption: SSE-S3 after the demo's DeleteBucketEncryption, never no configuration (API_DeleteBucketEncryption.html)", async () => {
    const report = await aws(sandbox.adminCredentials(sandbox.hub.accountId), ["s3api", "get-bucket-encryption", "--bucket", sandbox.hub.reportBucket]);
    expect(report.json.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm).toBe("AES256");
    // The template asks for SSE-KMS; the scenario's DeleteBucketEncryption "resets the default encryption … (SSE-S3)".
    const drifted = await aws(sandbox.adminCredentials(PAYMENTS), ["s3api", "get-bucket-encryption", "--bucket", assetsBucket()]);
    expect(drifted.json.ServerSideEncryptionConfiguration.Rules[0]).toMatchObject({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false });
  });

  // The CLI transfers objects above its 8 MiB multipart_threshold in 8 MiB parts, up with multipart
  // upload and down with ranged GETs (docs.aws.amazon.com/cli/latest/topic/s3-config.html); before
  // ranges were honoured, the 9 MiB download below wrote 17 MB of repeated bodies with exit code 0.
  it("s3 cp of a 9 MiB file, up (multipart upload) and down (ranged GETs), byte for byte (API_GetObject.html Range, mpuoverview.html)", async () => {
    const source = join(scratch, "nine-mib.bin");
    const bytes = Buffer.alloc(9 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32BE(i, i);
    writeFileSync(source, bytes);
    const url = `s3://${sandbox.hub.reportBucket}/cli/nine-mib.bin`;
    const up = await aws(sandbox.hubCredentials, ["s3", "cp", source, url, "--only-show-errors"]);
    expect(up.ok, up.stderr).toBe(true);
    const stored = sandbox.world.buckets.get(sandbox.hub.reportBucket)!.objects.get("cli/nine-mib.bin")!;
    expect(stored.etag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(stored.body.equals(bytes)).toBe(true);
    const target = join(scratch, "nine-mib.copy");
    const down = await aws(sandbox.hubCredentials, ["s3", "cp", url, target, "--only-show-errors"]);
    expect(down.ok, down.stderr).toBe(true);
    expect(readFileSync(target).equals(bytes)).toBe(true);
  });

  it("s3api put-object and get-object round-trip a file", async () => {
    const source = join(scratch, "upload.json");
    writeFileSync(source, '{"from":"aws-cli"}');
    const put = await aws(sandbox.hubCredentials, ["s3api", "put-object", "--bucket", sandbox.hub.reportBucket, "--key", "cli/upload.json", "--body", source]);
    expect(put.json.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const target = join(scratch, "download.json");
    const got = await aws(sandbox.hubCredentials, ["s3api", "get-object", "--bucket", sandbox.hub.reportBucket, "--key", "cli/upload.json", target]);
    expect(got.json.ContentLength).toBe(18);
    expect(sandbox.world.buckets.get(sandbox.hub.reportBucket)!.objects.get("cli/upload.json")!.body.toString()).toBe('{"from":"aws-cli"}');
  });

  it("ec2 describe-security-groups with a tag filter", async () => {
    const res = await aws(sandbox.adminCredentials(PAYMENTS), ["ec2", "describe-security-groups", "--filters", "Name=tag:aws:cloudformation:stack-name,Values=web-tier"]);
    const ports = res.json.SecurityGroups[0].IpPermissions.map((p: { FromPort: number }) => p.FromPort).sort();
    expect(ports).toEqual([22, 443]);
  });

  it("cloudformation detect-stack-drift, describe-stack-drift-detection-status and describe-stack-resource-drifts", async () => {
    const admin = sandbox.adminCredentials(PAYMENTS);
    const started = await aws(admin, ["cloudformation", "detect-stack-drift", "--stack-name", "iam-baseline"]);
    const id = started.json.StackDriftDetectionId;
    expect(id).toBeTruthy();
    let status = await aws(admin, ["cloudformation", "describe-stack-drift-detection-status", "--stack-drift-detection-id", id]);
    for (let i = 0; i < 20 && status.json.DetectionStatus === "DETECTION_IN_PROGRESS"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await aws(admin, ["cloudformation", "describe-stack-drift-detection-status", "--stack-drift-detection-id", id]);
    }
    expect(status.json).toMatchObject({ DetectionStatus: "DETECTION_COMPLETE", StackDriftStatus: "DRIFTED" });
    const drifts = await aws(admin, ["cloudformation", "describe-stack-resource-drifts", "--stack-name", "iam-baseline", "--stack-resource-drift-status-filters", "MODIFIED"]);
    const appRole = drifts.json.StackResourceDrifts.find((d: { LogicalResourceId: string }) => d.LogicalResourceId === "AppRole");
    expect(appRole).toMatchObject({ ResourceType: "AWS::IAM::Role", StackResourceDriftStatus: "MODIFIED", PhysicalResourceId: "app-role" });
    expect(appRole.PropertyDifferences.map((d: { PropertyPath: string }) => d.PropertyPath).join(" ")).toContain("ManagedPolicyArns");
  });

  it("ec2 describe-security-group-rules and revoke-security-group-ingress --security-group-rule-ids", async () => {
    const admin = sandbox.adminCredentials(PAYMENTS);
    const groups = await aws(admin, ["ec2", "describe-security-groups", "--filters", "Name=tag:aws:cloudformation:stack-name,Values=web-tier"]);
    const groupId = groups.json.SecurityGroups[0].GroupId;
    const rules = await aws(admin, ["ec2", "describe-security-group-rules", "--filters", `Name=group-id,Values=${groupId}`]);
    const ssh = rules.json.SecurityGroupRules.find((r: { IsEgress: boolean; FromPort: number }) => !r.IsEgress && r.FromPort === 22);
    expect(ssh.SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    const revoked = await aws(admin, ["ec2", "revoke-security-group-ingress", "--group-id", groupId, "--security-group-rule-ids", ssh.SecurityGroupRuleId]);
    expect(revoked.json).toMatchObject({ Return: true, RevokedSecurityGroupRules: [{ SecurityGroupRuleId: ssh.SecurityGroupRuleId }] });
    const left = sandbox.world.accounts.get(PAYMENTS)!.regions.get("us-east-1")!.securityGroups.get(groupId)!.ingress;
    expect(left.map((r) => r.fromPort)).toEqual([443]);
  });

  it("cloudformation update-stack takes a tag the template dropped off the security group (DeleteTags), and describe-stacks reads back", async () => {
    const admin = sandbox.adminCredentials(PAYMENTS);
    const template = (tags: string) => JSON.stringify({ Resources: { Group: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "cli", Tags: JSON.parse(tags) } } } });
    const created = await aws(admin, ["cloudformation", "create-stack", "--stack-name", "cli-tags", "--template-body", template('[{"Key":"team","Value":"a"},{"Key":"env","Value":"prod"}]')]);
    expect(created.ok, created.stderr).toBe(true);
    const updated = await aws(admin, ["cloudformation", "update-stack", "--stack-name", "cli-tags", "--template-body", template('[{"Key":"team","Value":"a"}]')]);
    expect(updated.ok, updated.stderr).toBe(true);
    const stacks = await aws(admin, ["cloudformation", "describe-stacks", "--stack-name", "cli-tags"]);
    expect(stacks.json.Stacks[0].StackStatus).toBe("UPDATE_COMPLETE");
    // The typed handler returns Dates; the CLI parses the XML's ISO 8601 timestamp.
    expect(Number.isNaN(Date.parse(stacks.json.Stacks[0].LastUpdatedTime))).toBe(false);
    const groups = await aws(admin, ["ec2", "describe-security-groups", "--filters", "Name=tag:aws:cloudformation:stack-name,Values=cli-tags"]);
    const keys = (groups.json.SecurityGroups[0].Tags as { Key: string }[]).map((t) => t.Key);
    expect(keys).toContain("team");
    expect(keys).not.toContain("env");
  });

  it("s3api put-object --if-none-match refuses to replace an object", async () => {
    const source = join(scratch, "once.json");
    writeFileSync(source, "{}");
    const args = ["s3api", "put-object", "--bucket", sandbox.hub.reportBucket, "--key", "cli/once.json", "--body", source, "--if-none-match", "*"];
    expect((await aws(sandbox.hubCredentials, args)).ok).toBe(true);
    const again = await aws(sandbox.hubCredentials, args);
    expect(again.ok).toBe(false);
    expect(again.stderr).toContain("PreconditionFailed");
  });
});
