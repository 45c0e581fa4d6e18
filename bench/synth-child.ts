import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { driftguardApp } from "../modules/app.js";
import { benchConfig } from "./org.js";

/**
 * `cdktf synth` of an N-account organization with the real app builder, in its own process so
 * the hub benchmark's memory stays its own. The Lambda entry is the tests' two-line stand-in:
 * the hub bundles it once per synth, so this times cdktf, not esbuild. Prints one JSON line.
 */

const TINY_HANDLER = fileURLToPath(new URL("../test/constructs/fixtures/tiny-handler.ts", import.meta.url));

const { values } = parseArgs({ options: { accounts: { type: "string", default: "500" }, regions: { type: "string", default: "4" } } });
const config = benchConfig({ accounts: Number(values.accounts), regions: Number(values.regions), concurrency: "auto", cfnRps: 10 });
const outdir = mkdtempSync(join(tmpdir(), "driftguard-bench-synth-"));
try {
  const started = performance.now();
  const app = driftguardApp(config, { outdir, lambdaEntry: TINY_HANDLER });
  const built = performance.now();
  app.synth();
  const done = performance.now();
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
  console.log(JSON.stringify({ accounts: config.accounts.length, stacks: Object.keys(manifest.stacks).length, constructMs: built - started, synthMs: done - built, totalMs: done - started }));
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
