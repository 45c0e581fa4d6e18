import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { driftguardApp } from "../../modules/app.js";
import { exampleConfig } from "../support/config.js";
import { TINY_HANDLER } from "./synth.js";
import { tempDir } from "../support/temp.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Manifest {
  stacks: Record<string, { synthesizedStackPath: string; workingDirectory: string; dependencies: string[] }>;
}

describe("driftguardApp", () => {
  it("synthesizes one hub stack and one stack per active account, each spoke after the hub, with local state by default", () => {
    const outdir = tempDir("driftguard-synth-");
    driftguardApp(exampleConfig(), { outdir, lambdaEntry: TINY_HANDLER }).synth();
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as Manifest;
    expect(Object.keys(manifest.stacks).sort()).toEqual([
      "driftguard-hub",
      "driftguard-spoke-data-dev",
      "driftguard-spoke-payments-prod",
      "driftguard-spoke-shared-services",
    ]);
    // cdktf deploys a stack only after its dependencies: each spoke's trust policy names the hub's scanner role.
    expect(manifest.stacks["driftguard-hub"]!.dependencies).toEqual([]);
    for (const [name, stack] of Object.entries(manifest.stacks)) {
      if (name !== "driftguard-hub") expect(stack.dependencies, name).toEqual(["driftguard-hub"]);
    }
    for (const stack of Object.values(manifest.stacks)) {
      const json = JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), "utf8"));
      expect(Object.keys(json.terraform.backend)).toEqual(["local"]);
      expect(json.terraform.required_providers.aws).toEqual({ source: "aws", version: "5.100.0" });
    }
    // The Lambda archive is copied next to the hub stack and holds the code only: the config is an S3 object.
    const hub = JSON.parse(readFileSync(join(outdir, manifest.stacks["driftguard-hub"]!.synthesizedStackPath), "utf8"));
    const archivePath = Object.values(hub.resource.aws_lambda_function as Record<string, { filename: string }>)[0]!.filename;
    const archive = readFileSync(join(outdir, manifest.stacks["driftguard-hub"]!.workingDirectory, archivePath)).toString("latin1");
    expect(archive).toContain("index.mjs");
    expect(archive).not.toContain("config.json");
  });

  it("ships the same Lambda archive, at the same path, from two fresh synths: source_code_hash does not move", () => {
    const synthArchive = () => {
      const outdir = tempDir("driftguard-synth-");
      driftguardApp(exampleConfig(), { outdir, lambdaEntry: TINY_HANDLER }).synth();
      const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as Manifest;
      const hub = manifest.stacks["driftguard-hub"]!;
      const json = JSON.parse(readFileSync(join(outdir, hub.synthesizedStackPath), "utf8"));
      const filename = Object.values(json.resource.aws_lambda_function as Record<string, { filename: string }>)[0]!.filename;
      return { filename, bytes: readFileSync(join(outdir, hub.workingDirectory, filename)) };
    };
    const first = synthArchive();
    const second = synthArchive();
    expect(second.filename).toBe(first.filename);
    expect(second.bytes.equals(first.bytes)).toBe(true);
  });
});

describe("main.ts", () => {
  it("prints each problem of a bad accounts.yaml and exits 1, without a stack trace", { timeout: 30_000 }, () => {
    const file = join(tempDir("driftguard-main-"), "accounts.yaml");
    writeFileSync(file, "version: 1\norganization: { id: o-example0001 }\nhub: { accountId: 111111111111, region: us-east-1 }\naccounts: []\n");
    const run = spawnSync(join(ROOT, "node_modules/.bin/tsx"), ["main.ts"], {
      cwd: ROOT,
      env: { ...process.env, DRIFTGUARD_CONFIG: file },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${file}: 1 problem to fix:`);
    expect(run.stderr).toContain(`${file}:3:19: hub.accountId must be a 12-digit account id written as a quoted string`);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
