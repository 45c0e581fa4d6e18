import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { zipSync, type Zippable } from "fflate";

/** The real Lambda entry point; tests may bundle a small fixture instead. */
export const HANDLER_ENTRY = fileURLToPath(new URL("../functions/handler.ts", import.meta.url));
/** The project's build directory (gitignored): archives land here, never in a shared temp dir. */
export const BUILD_DIR = fileURLToPath(new URL("../dist", import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

export const BUNDLE_FILE = "index.mjs";
/** Lambda handler string for the bundle: `handler` exported from index.mjs. */
export const LAMBDA_HANDLER = "index.handler";

// ESM output cannot call `require`, but bundled CommonJS dependencies do (for Node built-ins).
const REQUIRE_SHIM = 'import { createRequire as __driftguardCreateRequire } from "node:module";\nconst require = __driftguardCreateRequire(import.meta.url);';

/**
 * Every entry gets the same time: 1980-01-01 00:00, the first instant a zip (MS-DOS) timestamp can
 * hold (PKWARE APPNOTE.TXT 4.4.6). fflate encodes a Date with its local-time fields, so it is
 * built from local fields too: the archive is then the same in every time zone.
 */
const ZIP_EPOCH = new Date(1980, 0, 1, 0, 0, 0);
/** Unix (APPNOTE 4.4.2.2: 3) regular file, rw-r--r--: Lambda reads the code as another user. */
const ZIP_ATTRIBUTES = { os: 3, attrs: 0o100644 << 16, mtime: ZIP_EPOCH, level: 9 } as const;

export interface BundleOptions {
  /** TypeScript entry exporting `handler`. The configuration is not bundled: the scanner reads it from the report bucket. */
  entry: string;
  /** Where the archive is written; default: the project's dist/. */
  buildDir?: string;
}

export interface LambdaBundle {
  /** File name → contents: index.mjs and its source map. */
  files: ReadonlyMap<string, Uint8Array>;
  /** The deployment package: `<buildDir>/lambda-archives/<sha256 prefix>.zip`. */
  archive: string;
  /** Hex SHA-256 of the archive bytes. */
  sha256: string;
}

/**
 * Bundles the Lambda with esbuild (Node 20, ESM, AWS SDK included so its version is the pinned
 * one, not whatever the runtime ships), ready to zip deterministically. The configuration is not
 * in the bundle: the scanner reads the report bucket's configuration object, so onboarding never
 * changes the code.
 */
export function buildLambdaFiles(options: Omit<BundleOptions, "buildDir">): Map<string, Uint8Array> {
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
    // The map's `sources` and the bundle's path comments are relative to these two, so both are
    // fixed to the project: the output is the same from any checkout path and any cwd. Nothing is
    // written there (write: false).
    absWorkingDir: PROJECT_ROOT,
    outfile: join(BUILD_DIR, "lambda", BUNDLE_FILE),
    write: false,
    logLevel: "silent",
  });
  const files = new Map(result.outputFiles.map((f) => [basename(f.path), f.contents] as const));
  return files;
}

/** Same files → byte-identical zip: names in byte order, fixed times, modes and compression. */
export function deterministicZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const entries: Zippable = {};
  for (const name of [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    entries[name] = [files.get(name)!, ZIP_ATTRIBUTES];
  }
  return zipSync(entries);
}

/**
 * Builds the bundle and writes its archive into the build directory under its content hash.
 * Nothing built earlier is reused: esbuild takes about 2 s for the real handler (measured on
 * 2 shared cores), so a cache would save little and would have to be verified. The archive is
 * written to a scratch name and renamed into place, so parallel synths (tests, CI) never read a
 * half-written file; same content means same name, so they never see another build's archive.
 */
export function bundleLambda(options: BundleOptions): LambdaBundle {
  const files = buildLambdaFiles(options);
  const zip = deterministicZip(files);
  const sha256 = createHash("sha256").update(zip).digest("hex");
  const dir = join(options.buildDir ?? BUILD_DIR, "lambda-archives");
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, `${sha256.slice(0, 16)}.zip`);
  const scratch = `${archive}.${randomUUID()}.tmp`;
  writeFileSync(scratch, zip);
  renameSync(scratch, archive);
  return { files, archive, sha256 };
}

/** Writes the bundle's files, unzipped, into `dir` (for inspection and for importing in tests). */
export function writeBundleFiles(files: ReadonlyMap<string, Uint8Array>, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, contents] of files) writeFileSync(join(dir, name), contents);
}
