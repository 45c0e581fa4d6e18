import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { BUILD_DIR, bundleLambda, deterministicZip, HANDLER_ENTRY, writeBundleFiles } from "../../modules/lambda-bundle.js";
import { TINY_HANDLER } from "./synth.js";
import { tempDir } from "../support/temp.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const freshBuildDir = () => tempDir("driftguard-build-");
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString("utf8");

/**
 * What an independent reader (Python's zipfile, CRC-checked by testzip) sees in the archive:
 * per entry its name, date_time, Unix mode and SHA-256.
 */
function readZip(archive: string): { name: string; time: number[]; mode: string; sha256: string }[] {
  const script = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, "CRC mismatch"
print(json.dumps([{"name": i.filename, "time": list(i.date_time), "mode": oct(i.external_attr >> 16),
  "sha256": hashlib.sha256(z.read(i)).hexdigest()} for i in z.infolist()]))`;
  return JSON.parse(execFileSync("python3", ["-c", script, archive], { encoding: "utf8" }));
}

describe("bundleLambda", () => {
  it("bundles an ESM module with a require shim and its source map, and no configuration (read from S3 at run time)", () => {
    const { files } = bundleLambda({ entry: TINY_HANDLER, buildDir: freshBuildDir() });
    expect([...files.keys()].sort()).toEqual(["index.mjs", "index.mjs.map"]);
    const code = text(files.get("index.mjs"));
    expect(code.split("\n")[0]).toContain('import { createRequire as __driftguardCreateRequire } from "node:module"');
    expect(code).toContain("export {");
    expect(code).toContain("//# sourceMappingURL=index.mjs.map");
  });

  it("writes a zip any reader accepts: those files, sorted, dated 1980-01-01 00:00, mode 0644", () => {
    const buildDir = freshBuildDir();
    const bundle = bundleLambda({ entry: TINY_HANDLER, buildDir });
    expect(bundle.archive).toBe(join(buildDir, "lambda-archives", `${bundle.sha256.slice(0, 16)}.zip`));
    expect(createHash("sha256").update(readFileSync(bundle.archive)).digest("hex")).toBe(bundle.sha256);
    expect(readZip(bundle.archive)).toEqual(
      ["index.mjs", "index.mjs.map"].map((name) => ({
        name,
        time: [1980, 1, 1, 0, 0, 0],
        mode: "0o100644",
        sha256: createHash("sha256").update(bundle.files.get(name)!).digest("hex"),
      })),
    );
  });

  it("zips the same files to the same bytes whatever order they come in", () => {
    const files = new Map([["b.txt", Buffer.from("b")], ["a.txt", Buffer.from("a")]]);
    const reversed = new Map([...files].reverse());
    expect(Buffer.from(deterministicZip(reversed)).equals(Buffer.from(deterministicZip(files)))).toBe(true);
  });

  it("builds the same archive again from the same sources, and replaces a tampered archive instead of shipping it", () => {
    const buildDir = freshBuildDir();
    const first = bundleLambda({ entry: TINY_HANDLER, buildDir });
    const other = bundleLambda({ entry: TINY_HANDLER, buildDir });
    expect(other.sha256).toBe(first.sha256);
    expect(other.archive).toBe(first.archive);

    writeFileSync(first.archive, "tampered");
    const again = bundleLambda({ entry: TINY_HANDLER, buildDir });
    expect(again.archive).toBe(first.archive);
    expect(createHash("sha256").update(readFileSync(again.archive)).digest("hex")).toBe(first.sha256);
  });

  it("names the missing entry instead of failing inside esbuild", () => {
    expect(() => bundleLambda({ entry: "/nowhere/handler.ts" })).toThrow(/\/nowhere\/handler\.ts does not exist/);
  });

  it("builds the real handler to a byte-identical archive in two fresh build directories, importable, SDK inside", { timeout: 180_000 }, async () => {
    const a = bundleLambda({ entry: HANDLER_ENTRY, buildDir: freshBuildDir() });
    const b = bundleLambda({ entry: HANDLER_ENTRY, buildDir: freshBuildDir() });
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(b.archive).equals(readFileSync(a.archive))).toBe(true);

    // Nothing of this checkout's location is inside, so another machine builds the same bytes.
    for (const [name, contents] of a.files) expect(text(contents).includes(PROJECT_ROOT), name).toBe(false);
    const code = text(a.files.get("index.mjs"));
    // Left external, the SDK would come from the runtime at whatever version it ships.
    expect(code).not.toMatch(/^import .* from ["']@aws-sdk\//m);
    expect(code).not.toMatch(/__require\(["']@aws-sdk\//);

    mkdirSync(BUILD_DIR, { recursive: true });
    // Unpacked as deep in dist/ as `npm run build` puts it, so the source map's paths resolve.
    const dir = mkdtempSync(join(BUILD_DIR, "import-test-"));
    try {
      writeBundleFiles(a.files, dir);
      const bundle = (await import(pathToFileURL(join(dir, "index.mjs")).href)) as { handler?: unknown };
      expect(typeof bundle.handler).toBe("function");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
