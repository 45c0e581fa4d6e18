import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pLimit from "p-limit";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { type Config } from "../../functions/config/schema.js";
import { configSchema } from "../../functions/accounts-file/index.js";
import { driftguardApp } from "../../modules/app.js";
import { driftguardNames } from "../../modules/names.js";
import { TINY_HANDLER } from "../constructs/synth.js";
import { EXAMPLE_FILE } from "../support/config.js";
import { tempDir } from "../support/temp.js";
import { generatedOrg } from "./generated-org.js";
import { prepareToolchain, withInitLock, type Toolchain } from "../../sandbox/harness/terraform.js";

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

const work = tempDir("driftguard-tf-");
let toolchain: Toolchain;

beforeAll(() => {
  // Fails (never skips) with instructions when terraform or the provider mirror is missing.
  toolchain = prepareToolchain(join(work, "cli"));
});


const terraform = (args: string[], cwd: string) =>
  run(toolchain.terraform, [...args, "-no-color"], { cwd, env: toolchain.env, maxBuffer: 16 * 1024 * 1024 });

async function initStack(dir: string, stack: string): Promise<StackResult> {
  try {
    await withInitLock(toolchain, () => terraform(["init", "-backend=false", "-input=false"], dir));
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

/**
 * A stack's configuration with its own account's id and name replaced by placeholders. Spokes of a
 * generated organization differ in those literals only, unless their regions or bootstrap role
 * differ; `terraform validate` checks structure, types and literal formats, and every account id
 * here has the same format, so stacks with one shape validate alike. Validating one stack per
 * shape cut this suite from 51 validates (~200 s on 2 idle cores, the longest file in CI) to a few.
 */
function stackShape(configJson: string, account: { id: string; name: string } | undefined): string {
  if (account === undefined) return configJson;
  return configJson.split(account.id).join("<account-id>").split(account.name).join("<account-name>");
}

/** Synthesizes the app and runs init + validate on one stack of every shape; returns stacks and their diagnostics. */
async function validateApp(config: Config, label: string): Promise<{ stacks: string[]; shapes: number; problems: StackResult[] }> {
  const outdir = join(work, label);
  const started = Date.now();
  driftguardApp(config, { outdir, lambdaEntry: TINY_HANDLER }).synth();
  const synthMs = Date.now() - started;
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { workingDirectory: string }>;
  };
  const synthesized = Object.entries(manifest.stacks).map(([name, s]) => ({ name, dir: join(outdir, s.workingDirectory) }));
  const names = driftguardNames(config);
  const byShape = new Map<string, { name: string; dir: string }>();
  for (const s of synthesized) {
    const account = config.accounts.find((a) => names.spokeStack(a) === s.name);
    const shape = stackShape(readFileSync(join(s.dir, "cdk.tf.json"), "utf8"), account);
    if (!byShape.has(shape)) byShape.set(shape, s);
  }
  const stacks = [...byShape.values()];

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
    `[terraform] ${label}: ${synthesized.length} stacks in ${stacks.length} shapes, synth ${(synthMs / 1000).toFixed(1)} s, ` +
      `synth+init+validate ${(totalMs / 1000).toFixed(1)} s (terraform ${toolchain.terraformVersion}, mirror ${toolchain.mirror})`,
  );
  return { stacks: synthesized.map((s) => s.name), shapes: stacks.length, problems: results.filter((r) => r.diagnostics.length > 0) };
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
    const { stacks, shapes, problems } = await validateApp(config, "org-50x3");
    expect(stacks).toHaveLength(51);
    // The hub, and spokes varying by region set (3) and bootstrap role (2): at least 1 + 3 shapes.
    expect(shapes).toBeGreaterThanOrEqual(4);
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
