import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config/load.js";
import { configSchema, type Config } from "../../functions/config/schema.js";
import { driftguardApp } from "../../modules/app.js";
import { EXAMPLE_FILE, TINY_HANDLER } from "../constructs/synth.js";
import { generatedOrg } from "./generated-org.js";
import { prepareToolchain, type Toolchain } from "./toolchain.js";

const run = promisify(execFile);
/** This suite shares two cores with everything else; terraform validate is CPU-bound. */
const PARALLEL = 2;

interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
  address?: string;
}

interface StackResult {
  stack: string;
  diagnostics: Diagnostic[];
}

const work = mkdtempSync(join(tmpdir(), "driftguard-tf-"));
let toolchain: Toolchain;

beforeAll(() => {
  // Fails (never skips) with instructions when terraform or the provider mirror is missing.
  toolchain = prepareToolchain(join(work, "cli"));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const terraform = (args: string[], cwd: string) =>
  run(toolchain.terraform, [...args, "-no-color"], { cwd, env: toolchain.env, maxBuffer: 16 * 1024 * 1024 });

async function initStack(dir: string, stack: string): Promise<StackResult> {
  try {
    await terraform(["init", "-backend=false", "-input=false"], dir);
    return { stack, diagnostics: [] };
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    return { stack, diagnostics: [{ severity: "error", summary: "terraform init failed", detail: `${stderr ?? ""}${stdout ?? ""}` }] };
  }
}

async function validateStack(dir: string, stack: string): Promise<StackResult> {
  // validate -json exits 1 on invalid configurations but still prints its JSON report.
  const { stdout } = await terraform(["validate", "-json"], dir).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
  const report = JSON.parse(stdout) as { valid: boolean; diagnostics: Diagnostic[] };
  return { stack, diagnostics: report.valid ? report.diagnostics : [{ severity: "error", summary: "invalid" }, ...report.diagnostics] };
}

/** Synthesizes the app and runs init + validate on every stack; returns stacks and their diagnostics. */
async function validateApp(config: Config, label: string): Promise<{ stacks: string[]; problems: StackResult[] }> {
  const outdir = join(work, label);
  const started = Date.now();
  driftguardApp(config, { outdir, lambdaEntry: TINY_HANDLER }).synth();
  const synthMs = Date.now() - started;
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { workingDirectory: string }>;
  };
  const stacks = Object.entries(manifest.stacks).map(([name, s]) => ({ name, dir: join(outdir, s.workingDirectory) }));

  // Two phases: every init re-links the provider's plugin-cache entry, which would pull the
  // provider out from under a validate running alongside. Inits go one at a time (they are
  // cheap); the CPU-heavy validates (each loads the whole AWS provider schema) run in parallel.
  const inits: StackResult[] = [];
  for (const s of stacks) inits.push(await initStack(s.dir, s.name));
  const initialized = stacks.filter((_, i) => inits[i]!.diagnostics.length === 0);
  const limit = pLimit(PARALLEL);
  const results = [...inits, ...(await Promise.all(initialized.map((s) => limit(() => validateStack(s.dir, s.name)))))];
  const totalMs = Date.now() - started;
  console.log(
    `[terraform] ${label}: ${stacks.length} stacks, synth ${(synthMs / 1000).toFixed(1)} s, ` +
      `synth+init+validate ${(totalMs / 1000).toFixed(1)} s (terraform ${toolchain.terraformVersion}, mirror ${toolchain.mirror})`,
  );
  return { stacks: stacks.map((s) => s.name), problems: results.filter((r) => r.diagnostics.length > 0) };
}

const describeProblems = (problems: StackResult[]) =>
  problems
    .map((p) => `${p.stack}:\n${p.diagnostics.map((d) => `  ${d.severity}: ${d.summary} ${d.address ?? ""}\n    ${d.detail ?? ""}`).join("\n")}`)
    .join("\n");

describe("terraform validate, offline against the provider mirror", () => {
  it("accepts every stack synthesized from the example accounts.yaml", async () => {
    const config = loadConfig(EXAMPLE_FILE);
    const { stacks, problems } = await validateApp(config, "example");
    // Retired accounts synthesize nothing.
    expect(stacks).toHaveLength(1 + config.accounts.filter((a) => a.status !== "retired").length);
    expect(problems, describeProblems(problems)).toEqual([]);
  });

  it("accepts every stack of a generated 50-account × 3-region organization", async () => {
    const config = configSchema.parse(generatedOrg(50));
    const { stacks, problems } = await validateApp(config, "org-50x3");
    expect(stacks).toHaveLength(51);
    expect(problems, describeProblems(problems)).toEqual([]);
    // hub.execution: fanout — the validated hub carries the Step Functions state machine.
    const hub = JSON.parse(readFileSync(join(work, "org-50x3", "stacks", "driftguard-hub", "cdk.tf.json"), "utf8")) as { resource: Record<string, unknown> };
    expect(Object.keys(hub.resource)).toContain("aws_sfn_state_machine");
  });

  it("accepts the same organization with StackSet spokes over its OUs (spoke.deployment: stackset)", async () => {
    const config = configSchema.parse(generatedOrg(50, "stackset"));
    const { stacks, problems } = await validateApp(config, "org-50x3-stacksets");
    expect(stacks.sort()).toEqual(["driftguard-hub", "driftguard-spokes-stacksets"]);
    expect(problems, describeProblems(problems)).toEqual([]);
  });
});
