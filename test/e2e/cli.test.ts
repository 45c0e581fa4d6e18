import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { RunReport } from "../../functions/core/types.js";
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../../sandbox/harness/scenario.js";
import { startSandbox, type Sandbox, type SandboxCredentials } from "../../sandbox/harness/server.js";
import { schemaErrors } from "../unit/report/validate.js";

/**
 * `npx driftguard scan | plan | apply` against the sandbox exactly as against AWS: the same
 * process, the SDK's default credential chain and AWS_ENDPOINT_URL, nothing injected. Only the
 * endpoint and the credentials differ.
 */

const PAYMENTS = "222222222222";
const SHARED = "444444444444";
let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), "driftguard-cli-"));

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
  sandbox = await startSandbox({ scenarioFile: DEFAULT_SCENARIO, config: loadConfig(DEMO_ACCOUNTS) });
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
