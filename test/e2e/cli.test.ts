import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { AuthorizeSecurityGroupIngressCommand, EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { RunReport } from "../../functions/core/types.js";
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/harness/scenario.js";
import type { Sandbox, SandboxCredentials } from "../../sandbox/harness/server.js";
import { startTestSandbox } from "../support/sandbox.js";
import { schemaErrors } from "../unit/report/validate.js";
import { tempDir } from "../support/temp.js";

/**
 * `npx driftguard scan | plan | apply` against the sandbox exactly as against AWS: the same
 * process, the SDK's default credential chain and AWS_ENDPOINT_URL, nothing injected. Only the
 * endpoint and the credentials differ.
 */

const PAYMENTS = "222222222222";
const SHARED = "444444444444";
let sandbox: Sandbox;
const dir = tempDir("driftguard-cli-");

function useCredentials(c: SandboxCredentials) {
  vi.stubEnv("AWS_ENDPOINT_URL", sandbox.endpoint);
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_ACCESS_KEY_ID", c.accessKeyId);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", c.secretAccessKey);
  vi.stubEnv("AWS_SESSION_TOKEN", c.sessionToken ?? "");
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  vi.stubEnv("AWS_PROFILE", "");
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stderrIsTTY: false, stdinIsTTY: false, env: process.env, confirm: async () => false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const readReport = (out: string) => JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as RunReport;
const roleOf = (name: string) => [...sandbox.world.accounts.get(PAYMENTS)!.roles.values()].find((r) => r.roleName.includes(name))!;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenarioFile: DEFAULT_SCENARIO, config: loadConfig(DEMO_ACCOUNTS) });
});
afterAll(async () => sandbox?.close());
afterEach(() => vi.unstubAllEnvs());

describe("driftguard CLI against the sandbox", () => {
  it("plan: report mode everywhere, files written, nothing changed, exit 2 for the unreachable account", async () => {
    useCredentials(sandbox.hubCredentials);
    const before = JSON.stringify(roleOf("AppRole"));
    const out = join(dir, "plan");
    const { code, stdout, stderr } = await cli("plan", "--config", DEMO_ACCOUNTS, "--out", out);
    const report = readReport(out);
    expect(schemaErrors(report)).toEqual([]);
    expect(report.totals.planned).toBeGreaterThan(0);
    expect(report.totals.remediated).toBe(0);
    expect(JSON.stringify(roleOf("AppRole"))).toBe(before);
    expect(stdout).toMatch(/^driftguard: 1 account FAILED/);
    expect(stdout).toContain("AppRole (AWS::IAM::Role) MODIFIED -> planned");
    // Not a TTY: a few plain progress lines, ending with the totals.
    expect(stderr).toMatch(/accounts 3\/3, stacks \d+\/\d+, drifted \d+, remediated 0, errors 1\n$/);
    expect(code).toBe(2);
  });

  it("apply --only: re-detects, applies the one reviewed action, verifies; a second apply finds it in sync", async () => {
    useCredentials(sandbox.hubCredentials);
    const report = join(dir, "plan", "report.json");
    const first = await cli("apply", "--report", report, "--only", "AppRole", "--yes", "--config", DEMO_ACCOUNTS);
    expect(first.stdout).toMatch(/applied {5}222222222222\/us-east-1\/iam-baseline\/AppRole: remediated: .*verified IN_SYNC/);
    expect(first.code).toBe(0);
    const again = await cli("apply", "--report", report, "--only", "AppRole", "--yes", "--config", DEMO_ACCOUNTS);
    expect(again.stdout).toContain("already in sync with its template");
    expect(again.code).toBe(1);
    // Only AppRole was touched: the planned security group is still open.
    const scan = join(dir, "after");
    await cli("plan", "--config", DEMO_ACCOUNTS, "--out", scan, "--accounts", "payments-prod");
    const resources = readReport(scan).accounts[0]!.regions.flatMap((r) => r.stacks.flatMap((s) => s.resources.map((x) => x.logicalResourceId)));
    expect(resources).not.toContain("AppRole");
    expect(resources).toContain("WebSecurityGroup");
  });

  it("apply of a stack planned as a REVERT_DRIFT change set runs that change set, not per-resource repairs, and verifies", async () => {
    useCredentials(sandbox.hubCredentials);
    const report = join(dir, "plan", "report.json");
    const planned = readReport(join(dir, "plan")).accounts.flatMap((a) => a.regions.flatMap((r) => r.stacks)).find((s) => s.stackName === "network-core")!;
    expect(planned.stackAction).toMatchObject({ outcome: "planned", by: "revert-drift-change-set" });
    const region = sandbox.world.accounts.get(SHARED)!.regions.get("us-east-1")!;
    const groupId = region.stacks.find((s) => s.stackName === "network-core")!.resources.find((r) => r.logicalId === "DatabaseSecurityGroup")!.physicalId;
    const openToWorld = () => region.securityGroups.get(groupId)!.ingress.some((r) => r.fromPort === 5432 && r.cidrIpv4 === "0.0.0.0/0");
    expect(openToWorld()).toBe(true);

    const { code, stdout } = await cli("apply", "--report", report, "--only", "DatabaseSecurityGroup", "--yes", "--config", DEMO_ACCOUNTS);
    // The plan printed is the change set's, and what ran is that change set, verified per resource.
    expect(stdout).toContain(`ExecuteChangeSet StackName=network-core ChangeSetName=driftguard-revert-${readReport(join(dir, "plan")).runId}`);
    expect(stdout).toMatch(/applied {5}444444444444\/us-east-1\/network-core\/DatabaseSecurityGroup: remediated: reverted by change set driftguard-revert-/);
    expect(code).toBe(0);
    expect(openToWorld()).toBe(false);
  });

  it("apply refuses a report planned under a different accounts.yaml, naming both hashes and the fix", async () => {
    useCredentials(sandbox.hubCredentials);
    const changed = join(dir, "changed-accounts.yaml");
    writeFileSync(changed, readFileSync(DEMO_ACCOUNTS, "utf8").replace("revertDrift: { stacks: [\"network-*\"] }", "revertDrift: false"));
    const report = readReport(join(dir, "plan"));
    const { code, stderr, stdout } = await cli("apply", "--report", join(dir, "plan", "report.json"), "--yes", "--config", changed);
    expect(stderr).toContain(`ConfigChanged: run ${report.runId} was planned under a different configuration (report configHash ${report.configHash}) than ${changed} (sha256:`);
    expect(stderr).toContain(`npx driftguard plan --config ${changed}`);
    expect(stdout).toBe("");
    expect(code).toBe(78);
  });

  it("apply refuses without --yes when stdin is not a terminal", async () => {
    const { code, stderr } = await cli("apply", "--report", join(dir, "plan", "report.json"), "--config", DEMO_ACCOUNTS);
    expect(stderr).toContain("pass --yes after reviewing the plan");
    expect(code).toBe(64);
  });

  it("scan --current-credentials scans the caller's own account without AssumeRole or Organizations", async () => {
    useCredentials(sandbox.adminCredentials(PAYMENTS));
    const { code, stdout } = await cli("scan", "--current-credentials", "--config", DEMO_ACCOUNTS, "--format", "json", "--fail-on", "never");
    const report = JSON.parse(stdout) as RunReport;
    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([[PAYMENTS, "scanned"]]);
    expect(code).toBe(0);
  });

  it("a wrong organization.id is one error naming both ids, the file and its line", async () => {
    useCredentials(sandbox.hubCredentials);
    const text = readFileSync(DEMO_ACCOUNTS, "utf8");
    const wrong = join(dir, "wrong-org.yaml");
    writeFileSync(wrong, text.replace("id: o-example0001", "id: o-wrong000001"));
    const line = text.split("\n").findIndex((l) => l.includes("id: o-example0001")) + 1;
    const { code, stdout } = await cli("scan", "--config", wrong, "--fail-on", "drift");
    const errors = stdout.split("\n").filter((l) => l.includes("OrganizationMismatch"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`these credentials are in organization o-example0001, but ${wrong}:${line} organization.id is o-wrong000001`);
    expect(code).toBe(2);
  });

  it("typos get a did-you-mean and exit 64, never a stack trace", async () => {
    const { code, stderr } = await cli("scan", "--acounts", "payments-prod");
    expect(stderr).toContain("unknown flag --acounts (did you mean --accounts?)");
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(64);
    expect((await cli("scan", "--config", DEMO_ACCOUNTS, "--accounts", "payments-prd")).stderr).toContain("(did you mean payments-prod?)");
  });
});

describe("driftguard CLI run history under --out, across two real scans", () => {
  it("marks everything new on the first scan; after a person closes the SSH rule, the second calls it resolved and keeps the other drift's first seen", async () => {
    useCredentials(sandbox.hubCredentials);
    const out = join(dir, "history");
    // A person in the member account, through the EC2 API (the spoke role's own grants).
    const sts = new STSClient({});
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PAYMENTS}:role/driftguard-spoke`, RoleSessionName: "operator" }));
    const ec2 = new EC2Client({ credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! } });
    const groupId = sandbox.world.accounts.get(PAYMENTS)!.regions.get("us-east-1")!.stacks.find((s) => s.stackName === "web-tier")!.resources.find((r) => r.logicalId === "WebSecurityGroup")!.physicalId;
    const ssh = [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }];
    // The scenario opened it too; run alone, this test starts from the same state as after the tests above.
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: ssh })).catch(() => undefined);
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: ssh }));

    await cli("plan", "--config", DEMO_ACCOUNTS, "--out", out, "--accounts", "payments-prod");
    const first = readReport(out);
    const drifted = (r: RunReport) => r.accounts.flatMap((a) => a.regions.flatMap((g) => g.stacks.flatMap((s) => s.resources.filter((x) => x.seen).map((x) => [x.logicalResourceId, x.seen!] as const))));
    expect(drifted(first).map(([, seen]) => seen.status)).toEqual(drifted(first).map(() => "new"));
    // The versioning suspended in legacy-reports (eu-west-1, report mode) stays drifted throughout.
    expect(drifted(first).map(([id]) => id)).toEqual(expect.arrayContaining(["WebSecurityGroup", "ArchiveBucket"]));
    expect(first.history).toMatchObject({ new: drifted(first).length, still: 0, resolved: [] });

    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: ssh }));
    await cli("plan", "--config", DEMO_ACCOUNTS, "--out", out, "--accounts", "payments-prod");
    const second = readReport(out);
    expect(schemaErrors(second)).toEqual([]);
    expect(second.history?.previousRunId).toBe(first.runId);
    expect(second.history?.resolved.map((r) => r.logicalResourceId)).toEqual(["WebSecurityGroup"]);
    expect(second.history?.resolved[0]?.firstSeen).toBe(first.startedAt);
    const archive = drifted(second).find(([id]) => id === "ArchiveBucket")![1];
    expect(archive).toEqual({ status: "still", firstSeen: first.startedAt });
    const index = JSON.parse(readFileSync(join(out, "reports", "index.json"), "utf8")) as { runs: { runId: string; html: string }[] };
    expect(index.runs.map((r) => r.runId)).toEqual([second.runId, first.runId]);
    for (const r of index.runs) expect(existsSync(join(out, r.html))).toBe(true);
    expect(readFileSync(join(out, "reports", "index.html"), "utf8")).toContain(`>${first.runId}</a>`);
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain('href="reports/index.html">All runs</a>');
    expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(/\*\*\d+ new\*\*, \d+ still drifted, 1 resolved since run/);
  });
});
