import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

/** The real Lambda entry point; tests may bundle a small fixture instead. */
export const HANDLER_ENTRY = fileURLToPath(new URL("../functions/handler.ts", import.meta.url));

export const BUNDLE_FILE = "index.mjs";
/** Lambda handler string for the bundle: `handler` exported from index.mjs. */
export const LAMBDA_HANDLER = "index.handler";

// ESM output cannot call `require`, but bundled CommonJS dependencies do (for Node built-ins).
const REQUIRE_SHIM = 'import { createRequire as __driftguardCreateRequire } from "node:module";\nconst require = __driftguardCreateRequire(import.meta.url);';

export interface BundleOptions {
  /** TypeScript entry exporting `handler`. The configuration is not bundled: the scanner reads it from the report bucket. */
  entry: string;
  /** Where to write; default: a content-addressed directory under the OS temp dir. */
  outDir?: string;
}

/**
 * Bundles the Lambda with esbuild (Node 20, ESM, AWS SDK included so its version is the pinned
 * one, not whatever the runtime ships) and writes index.mjs and its source map into one
 * directory. Returns that directory. The configuration is not in the bundle: the scanner reads
 * the report bucket's configuration object, so onboarding never changes the code.
 */
export function bundleLambda(options: BundleOptions): string {
  if (!existsSync(options.entry)) {
    throw new Error(`Lambda entry ${options.entry} does not exist; bundle the real handler (functions/handler.ts) or pass an existing entry`);
  }
  const result = buildSync({
    entryPoints: [options.entry],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    mainFields: ["module", "main"],
    banner: { js: REQUIRE_SHIM },
    minify: false,
    sourcemap: true,
    // Paths and lines are enough for stack traces; embedding every dependency's source would
    // multiply the archive size.
    sourcesContent: false,
    outfile: join(tmpdir(), "driftguard-lambda", BUNDLE_FILE),
    write: false,
    logLevel: "silent",
  });
  const files = new Map(result.outputFiles.map((f) => [basename(f.path), f.contents] as const));

  if (options.outDir !== undefined) {
    rmSync(options.outDir, { recursive: true, force: true });
    writeFiles(options.outDir, files);
    return options.outDir;
  }
  // Content-addressed, written to a scratch dir and renamed into place, so parallel synths
  // (tests, CI) share one copy and never read a half-written file.
  const root = join(tmpdir(), "driftguard-lambda");
  const outDir = join(root, contentHash(files));
  if (!existsSync(outDir)) {
    mkdirSync(root, { recursive: true });
    const scratch = mkdtempSync(join(root, "tmp-"));
    writeFiles(scratch, files);
    try {
      renameSync(scratch, outDir);
    } catch {
      rmSync(scratch, { recursive: true, force: true }); // another process won the race
    }
  }
  return outDir;
}

function writeFiles(dir: string, files: Map<string, Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, contents] of files) writeFileSync(join(dir, name), contents);
}

function contentHash(files: Map<string, Uint8Array>): string {
  const hash = createHash("sha256");
  for (const [name, contents] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(name).update(contents);
  return hash.digest("hex").slice(0, 16);
}
