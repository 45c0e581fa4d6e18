import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleLambda, HANDLER_ENTRY } from "../../modules/lambda-bundle.js";
import { TINY_HANDLER } from "./synth.js";

describe("bundleLambda", () => {
  it("writes an ESM bundle with a require shim and its source map, and no configuration (read from S3 at run time)", () => {
    const dir = bundleLambda({ entry: TINY_HANDLER });
    expect(readdirSync(dir).sort()).toEqual(["index.mjs", "index.mjs.map"]);
    const code = readFileSync(join(dir, "index.mjs"), "utf8");
    expect(code.split("\n")[0]).toContain('import { createRequire as __driftguardCreateRequire } from "node:module"');
    expect(code).toContain("export {");
    expect(code).toContain("//# sourceMappingURL=index.mjs.map");
  });

  it("reuses one content-addressed directory for identical input", () => {
    const first = bundleLambda({ entry: TINY_HANDLER });
    expect(bundleLambda({ entry: TINY_HANDLER })).toBe(first);
  });

  it("writes into a given directory, replacing what was there", () => {
    const outDir = join(mkdtempSync(join(tmpdir(), "driftguard-bundle-")), "lambda");
    expect(bundleLambda({ entry: TINY_HANDLER, outDir })).toBe(outDir);
    expect(existsSync(join(outDir, "index.mjs"))).toBe(true);
  });

  it("names the missing entry instead of failing inside esbuild", () => {
    expect(() => bundleLambda({ entry: "/nowhere/handler.ts" })).toThrow(/\/nowhere\/handler\.ts does not exist/);
  });

  it("bundles the real functions/handler.ts into an importable module with the AWS SDK inside", { timeout: 120_000 }, async () => {
    if (!existsSync(HANDLER_ENTRY)) {
      throw new Error(`${HANDLER_ENTRY} does not exist yet: the Lambda entry point (issue 3) must export \`handler\``);
    }
    const dir = bundleLambda({ entry: HANDLER_ENTRY });
    const code = readFileSync(join(dir, "index.mjs"), "utf8");
    // Left external, the SDK would come from the runtime at whatever version it ships.
    expect(code).not.toMatch(/^import .* from ["']@aws-sdk\//m);
    expect(code).not.toMatch(/__require\(["']@aws-sdk\//);
    const bundle = (await import(pathToFileURL(join(dir, "index.mjs")).href)) as { handler?: unknown };
    expect(typeof bundle.handler).toBe("function");
  });
});
