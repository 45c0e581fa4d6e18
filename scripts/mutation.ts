import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { Stryker } from "@stryker-mutator/core";
import type { MutantResult, MutantStatus } from "@stryker-mutator/api/core";
import mutationTests from "../vitest.mutation.config.js";

/**
 * `npm run mutation`: StrykerJS with its vitest runner (stryker.config.json, vitest.mutation.config.ts)
 * over the scope issue 20 names — functions/remediation/**, functions/events/** and the guards
 * (remediation/guards.ts and safety/ inside that folder; the write gate, functions/aws/write-gate.ts,
 * and the fan-out blast-radius budget, functions/fanout/budget.ts, outside it). The scope is
 * stryker.config.json's `mutate`, in priority order. Not part of CI.
 *
 * The scope runs in batches of at most BATCH_LINES source lines, one Stryker run each with its own
 * incremental file (reports/mutation/incremental/), so a run that is stopped keeps every batch it
 * finished, and the next run re-tests only the mutants whose code or covering tests changed. Every
 * batch's mutants are merged into reports/mutation/results.json (per file, with the file's hash);
 * the score per folder and overall is printed and written to reports/mutation/score.json and
 * score.md, from results.json: a file changed since its results is "stale", a file never run is
 * "not run" — both listed, neither counted.
 *
 *   npm run mutation                          every batch
 *   npm run mutation -- --only events/admit   the batches holding a file whose path contains that text (a,b: either)
 *   npm run mutation -- --missing             the batches with a file that has no current results
 *   npm run mutation -- --list                the batches and the tests each runs, without running
 *   npm run mutation -- --summary             only recompute and print the score
 *   npm run mutation -- --concurrency 1       Stryker's test runner processes (default: the config's)
 *   npm run mutation -- --batch-lines 60      smaller batches (default 250): a stopped run loses less
 */

const OUT = "reports/mutation";
const RESULTS = join(OUT, "results.json");
/** ~1 mutant per source line here (4,771 mutants in 4,938 lines): a batch is ~250 mutants. */
const BATCH_LINES = 250;
const UNDETECTED: readonly MutantStatus[] = ["Survived", "NoCoverage"];

interface StoredMutant {
  line: number;
  column: number;
  mutator: string;
  replacement: string;
  status: MutantStatus;
  /** Tests the mutant's run completed: a Survived mutant with 0 ran nothing (stryker-js#6213), it is not a survivor. */
  testsCompleted?: number;
}
interface StoredFile {
  sha256: string;
  ranAt: string;
  mutants: StoredMutant[];
}
interface Results {
  files: Record<string, StoredFile>;
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const strykerConfig = JSON.parse(readFileSync("stryker.config.json", "utf8")) as { mutate: string[]; concurrency?: number };

const sha256 = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

/** `**` any folders, `*` within one name: the only glob forms stryker.config.json's `mutate` uses. */
function globRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*\*\//g, "\0")
    .replace(/\*/g, "[^/]*")
    .replace(/\0/g, "(?:.+/)?");
  return new RegExp(`^${body}$`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
    });
}

/** The scope's files in the order of the `mutate` entries that first name them. */
export function scopeFiles(mutate: readonly string[], all: readonly string[]): string[][] {
  const excluded = mutate.filter((g) => g.startsWith("!")).map((g) => globRegExp(g.slice(1)));
  const seen = new Set<string>();
  return mutate
    .filter((g) => !g.startsWith("!"))
    .map((glob) => {
      const re = globRegExp(glob);
      const files = all.filter((f) => re.test(f) && !excluded.some((x) => x.test(f)) && !seen.has(f));
      for (const f of files) seen.add(f);
      return files;
    });
}

function batches(groups: readonly string[][], maxLines: number): { id: string; files: string[] }[] {
  const out: { id: string; files: string[] }[] = [];
  for (const group of groups) {
    let current: string[] = [];
    let lines = 0;
    for (const file of group) {
      const n = readFileSync(file, "utf8").split("\n").length;
      if (current.length > 0 && lines + n > maxLines) {
        out.push({ id: current[0]!, files: current });
        current = [];
        lines = 0;
      }
      current.push(file);
      lines += n;
    }
    if (current.length > 0) out.push({ id: current[0]!, files: current });
  }
  return out.map((b) => ({ ...b, id: b.id.replace(/\.ts$/, "").replace(/[/\\]/g, "-") }));
}

/** The mutation tests (vitest.mutation.config.ts), repository-relative. */
function mutationTestFiles(): string[] {
  const projects = (mutationTests.test?.projects ?? []) as { test?: { include?: string[] } }[];
  const include = projects.flatMap((p) => p.test?.include ?? []).map(globRegExp);
  return sourceFiles("test").filter((f) => include.some((re) => re.test(f)));
}

/** The functions/ files a test file imports, following imports through test/ helpers (never through functions/). */
function importedSources(testFile: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(testFile)) return out;
  seen.add(testFile);
  // A type-only import runs nothing of the module.
  for (const [, typeOnly, spec] of readFileSync(testFile, "utf8").matchAll(/(?:import|export)\s+(type\s+)?[^;]*?from "(\.{1,2}\/[^"]+)\.js"/g)) {
    if (typeOnly) continue;
    const target = normalize(join(dirname(testFile), `${spec}.ts`));
    if (target.startsWith("functions/")) out.add(target);
    else if (target.startsWith("test/") && existsSync(target)) for (const f of importedSources(target, seen)) out.add(f);
  }
  return out;
}

/**
 * The tests a batch runs against its mutants: those that import a batch file themselves (or
 * through a test helper). A mutant must be killed by the tests written for its code, not by a
 * test three layers up that happens to pass through it — and this is what keeps a mutant's run
 * short (guards.ts is covered by ~10 test files through the engine; its own test is one).
 */
function testsFor(files: readonly string[], tests: readonly string[]): string[] {
  return tests.filter((t) => [...importedSources(t)].some((f) => files.includes(f)));
}

function readResults(): Results {
  return existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf8")) as Results) : { files: {} };
}

function store(results: Results, files: readonly string[], mutants: readonly MutantResult[]): void {
  const at = new Date().toISOString();
  for (const file of files) {
    const own = mutants.filter((m) => relative(process.cwd(), m.fileName) === file);
    results.files[file] = {
      sha256: sha256(file),
      ranAt: at,
      mutants: own
        .map((m) => ({
          line: m.location.start.line,
          column: m.location.start.column,
          mutator: m.mutatorName,
          replacement: (m.replacement ?? "").replace(/\s+/g, " ").slice(0, 160),
          status: m.status,
          ...(m.testsCompleted !== undefined ? { testsCompleted: m.testsCompleted } : {}),
        }))
        .sort((a, b) => a.line - b.line || a.column - b.column),
    };
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 1)}\n`);
}

type Counts = Record<"killed" | "timeout" | "survived" | "noCoverage" | "ignored" | "other", number>;
const zero = (): Counts => ({ killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, other: 0 });
function add(c: Counts, status: MutantStatus): void {
  const key = ({ Killed: "killed", Timeout: "timeout", Survived: "survived", NoCoverage: "noCoverage", Ignored: "ignored" } as Partial<Record<MutantStatus, keyof Counts>>)[status] ?? "other";
  c[key] += 1;
}
/** Stryker's score: a timeout counts as detected (the mutant made the tests hang, an infinite loop usually). */
const scoreOf = (c: Counts): number | null => {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  return valid === 0 ? null : Number(((100 * (c.killed + c.timeout)) / valid).toFixed(2));
};

/** The folders the issue names, each file counted once under the most specific. */
function folderOf(file: string): string {
  if (file === "functions/remediation/guards.ts" || file.startsWith("functions/remediation/safety/") || file === "functions/aws/write-gate.ts" || file === "functions/fanout/budget.ts") return "guards";
  return dirname(file);
}

function summarize(scope: readonly string[]): void {
  const results = readResults();
  const folders = new Map<string, Counts>();
  const overall = zero();
  const stale: string[] = [];
  const notRun: string[] = [];
  const survivors: (StoredMutant & { file: string })[] = [];
  const files: Record<string, Counts & { score: number | null }> = {};
  for (const file of scope) {
    const stored = results.files[file];
    if (!stored) {
      notRun.push(file);
      continue;
    }
    if (stored.sha256 !== sha256(file)) {
      stale.push(file);
      continue;
    }
    const folder = folderOf(file);
    const counts = folders.get(folder) ?? zero();
    const own = zero();
    for (const m of stored.mutants) {
      add(counts, m.status);
      add(overall, m.status);
      add(own, m.status);
      if (UNDETECTED.includes(m.status)) survivors.push({ file, ...m });
    }
    folders.set(folder, counts);
    files[file] = { ...own, score: scoreOf(own) };
  }
  const byFolder = Object.fromEntries([...folders].sort(([a], [b]) => a.localeCompare(b)).map(([f, c]) => [f, { ...c, score: scoreOf(c) }]));
  const summary = { score: scoreOf(overall), ...overall, filesInScope: scope.length, filesMeasured: Object.keys(files).length, byFolder, files, stale, notRun, survivors };
  writeFileSync(join(OUT, "score.json"), `${JSON.stringify(summary, null, 2)}\n`);

  const row = (name: string, c: Counts): string => `| ${name} | ${scoreOf(c) ?? "–"} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.ignored} |`;
  const md = [
    "# Mutation score (`npm run mutation`)",
    "",
    `Files measured: ${Object.keys(files).length} of ${scope.length} in scope. Score = (killed + timeout) / (killed + timeout + survived + no coverage); ignored = static mutants (ignoreStatic).`,
    "",
    "| folder | score % | killed | timeout | survived | no coverage | ignored |",
    "|---|---|---|---|---|---|---|",
    ...[...folders].sort(([a], [b]) => a.localeCompare(b)).map(([f, c]) => row(f, c)),
    row("**overall**", overall),
    "",
    stale.length > 0 ? `Stale (changed since measured, not counted): ${stale.join(", ")}` : "",
    notRun.length > 0 ? `Not run yet: ${notRun.join(", ")}` : "",
    "",
    "## Surviving mutants",
    "",
    ...survivors.map((s) => `- ${s.file}:${s.line} ${s.status} ${s.mutator}: \`${s.replacement.slice(0, 100).replace(/`/g, "'")}\``),
    "",
  ].join("\n");
  writeFileSync(join(OUT, "score.md"), md);

  console.log(`\nMutation score: ${summary.score ?? "–"} % over ${Object.keys(files).length} of ${scope.length} files (${JSON.stringify(overall)})`);
  for (const [f, c] of Object.entries(byFolder)) console.log(`  ${f.padEnd(36)} ${String(c.score ?? "–").padStart(6)} %  killed ${c.killed}, timeout ${c.timeout}, survived ${c.survived}, no coverage ${c.noCoverage}`);
  if (stale.length > 0) console.log(`Stale (changed since measured): ${stale.join(", ")}`);
  if (notRun.length > 0) console.log(`Not run yet: ${notRun.join(", ")}`);
  for (const s of survivors) console.log(`  ${s.status.padEnd(10)} ${s.file}:${s.line}  ${s.mutator}: ${s.replacement.slice(0, 100)}`);
  console.log(`Written to ${join(OUT, "score.json")} and ${join(OUT, "score.md")}`);
}

const groups = scopeFiles(strykerConfig.mutate, sourceFiles("functions"));
const scope = groups.flat();
if (!args.includes("--summary")) {
  const only = option("--only");
  const concurrency = option("--concurrency");
  const results = readResults();
  const todo = batches(groups, Number(option("--batch-lines") ?? BATCH_LINES)).filter(
    (b) =>
      (only === undefined || only.split(",").some((o) => b.files.some((f) => f.includes(o)))) &&
      (!args.includes("--missing") || b.files.some((f) => results.files[f]?.sha256 !== sha256(f))),
  );
  const tests = mutationTestFiles();
  for (const [i, batch] of todo.entries()) {
    const testFiles = testsFor(batch.files, tests);
    if (args.includes("--list")) {
      console.log(`${batch.id}: ${batch.files.join(", ")}\n  tests: ${testFiles.join(", ") || "(none imports it: every mutation test)"}`);
      continue;
    }
    const started = Date.now();
    console.log(`\n[mutation] batch ${i + 1}/${todo.length} ${batch.id}: ${batch.files.join(", ")}; tests: ${testFiles.join(", ")}`);
    const mutants = await new Stryker({
      configFile: "stryker.config.json",
      mutate: batch.files,
      testFiles,
      incrementalFile: join(OUT, "incremental", `${batch.id}.json`),
      jsonReporter: { fileName: join(OUT, "batches", `${batch.id}.json`) },
      ...(concurrency ? { concurrency: Number(concurrency) } : {}),
    }).runMutationTest();
    store(readResults(), batch.files, mutants);
    const ran = mutants.filter((m) => m.status !== "Ignored").length;
    console.log(`[mutation] batch ${batch.id}: ${mutants.length} mutants (${ran} not ignored) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}
summarize(scope);
