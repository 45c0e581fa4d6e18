import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every package.json dependency is used: imported by some source file, or a tool whose binary a
 * script runs or whose name a tool's config names (stryker's plugins), or the types of a module
 * that is imported (@types/node for node:*). A dependency nobody uses is a supply-chain risk and
 * a lie about what the code needs (the issue found @aws-sdk/credential-providers, client-lambda,
 * client-sfn and fast-xml-parser declared and unused).
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const SOURCE_DIRS = ["functions", "cli", "sandbox", "modules", "bench", "test", "lint", "scripts", "bin"];
const SOURCE_FILES = ["main.ts", "eslint.config.js", "vitest.config.ts", "vitest.mutation.config.ts"];
const CONFIG_FILES = ["stryker.config.json"];

function files(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(path.join(ROOT, rel)).isDirectory()) return files(rel);
    return /\.(ts|mts|js|mjs|cjs)$/.test(name) ? [rel] : [];
  });
}

/** Package names of every bare import specifier in the source ("@scope/name/deep" → "@scope/name"). */
function importedPackages(): Set<string> {
  const found = new Set<string>();
  const specifier = /(?:from\s+|import\s*\(\s*|import\s+|require\s*\(\s*)["']([^"'./][^"']*)["']/g;
  for (const file of [...SOURCE_DIRS.flatMap(files), ...SOURCE_FILES]) {
    for (const [, spec] of readFileSync(path.join(ROOT, file), "utf8").matchAll(specifier)) {
      const parts = spec!.split("/");
      found.add(spec!.startsWith("@") ? parts.slice(0, 2).join("/") : spec!.startsWith("node:") ? "node" : parts[0]!);
    }
  }
  return found;
}

/** The binaries a package installs (its package.json `bin`). */
function binsOf(name: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { bin?: string | Record<string, string> };
  if (manifest.bin === undefined) return [];
  return typeof manifest.bin === "string" ? [name.split("/").pop()!] : Object.keys(manifest.bin);
}

describe("package.json dependencies", () => {
  const imported = importedPackages();
  const scripts = Object.values(pkg.scripts).join("\n");
  const configs = CONFIG_FILES.map((f) => readFileSync(path.join(ROOT, f), "utf8")).join("\n");

  const usage = (name: string): string | undefined => {
    if (imported.has(name)) return "imported";
    if (name.startsWith("@types/") && imported.has(name.slice("@types/".length))) return "types of an imported module";
    if (binsOf(name).some((bin) => new RegExp(`(^|[\\s;&|(])${bin}(\\s|$)`, "m").test(scripts))) return "binary run by a script";
    if (configs.includes(`"${name}"`)) return "named by a tool's config";
    return undefined;
  };

  it("finds what it looks for (the check can fail)", () => {
    expect(imported.has("zod")).toBe(true);
    expect(imported.has("left-pad")).toBe(false);
    expect(usage("@types/node")).toBe("types of an imported module");
  });

  it.each([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)])("uses %s", (name) => {
    expect(usage(name), `${name} is declared in package.json but nothing imports or runs it; remove it (npm uninstall ${name})`).toBeDefined();
  });
});
