import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { Stryker } from "@stryker-mutator/core";
import type { MutantResult, MutantStatus } from "@stryker-mutator/api/core";
import mutationTests from "../vitest.mutation.config.js";
import { importDistances, nearestTests, type Distances } from "./mutation-selection.js";

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

/** A batch runs the union of its files' nearest tests (mutation-selection.ts). */
function testsFor(files: readonly string[], distances: Distances): string[] {
  const selected = new Set(files.flatMap((f) => nearestTests(f, distances).tests));
  return [...distances.keys()].filter((t) => selected.has(t));
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

/**
 * Mutants judged equivalent, with the reason, in reports/mutation/equivalent.json: per file, the survivor's
 * line, mutator and replacement as results.json stores them. An entry that matches no current survivor
 * (the code moved or changed) is listed as unmatched, never carried silently.
 */
const EQUIVALENT = join(OUT, "equivalent.json");
interface Equivalent {
  line: number;
  mutator: string;
  replacement: string;
  reason: string;
}
const readEquivalents = (): Record<string, Equivalent[]> =>
  existsSync(EQUIVALENT) ? (JSON.parse(readFileSync(EQUIVALENT, "utf8")) as Record<string, Equivalent[]>) : {};

/** The target issue 20 sets: ≥ 80 % killed in each folder. */
const TARGET = 80;

type Counts = Record<"killed" | "timeout" | "survived" | "noCoverage" | "equivalent" | "notMeasured" | "ignored" | "other", number>;
const zero = (): Counts => ({ killed: 0, timeout: 0, survived: 0, noCoverage: 0, equivalent: 0, notMeasured: 0, ignored: 0, other: 0 });
function add(c: Counts, status: MutantStatus | "Equivalent" | "NotMeasured"): void {
  const keys: Partial<Record<MutantStatus | "Equivalent" | "NotMeasured", keyof Counts>> = {
    Killed: "killed",
    Timeout: "timeout",
    Survived: "survived",
    NoCoverage: "noCoverage",
    Equivalent: "equivalent",
    NotMeasured: "notMeasured",
    Ignored: "ignored",
  };
  c[keys[status] ?? "other"] += 1;
}
const percent = (n: number, of: number): number | null => (of === 0 ? null : Number(((100 * n) / of).toFixed(2)));
/**
 * Two scores, both over the mutants that can be detected (killed, timeout, survived, no coverage; the
 * equivalent ones, with their reasons, and the runs that completed no test are out):
 * - score: Stryker's, a timeout counts as detected (the mutant made the covering tests run past
 *   timeoutMS, or hit Stryker's hit limit: an infinite loop);
 * - killed: only the mutants a test failed on. A timeout is not a kill a test proved, and on a loaded
 *   machine it can be the load. The ≥ 80 % target is judged on this one.
 */
function scores(c: Counts): { score: number | null; killedScore: number | null; meetsTarget: boolean | null } {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  const killedScore = percent(c.killed, valid);
  return { score: percent(c.killed + c.timeout, valid), killedScore, meetsTarget: killedScore === null ? null : killedScore >= TARGET };
}

/** The folders the issue names, each file counted once under the most specific. */
function folderOf(file: string): string {
  if (file === "functions/remediation/guards.ts" || file.startsWith("functions/remediation/safety/") || file === "functions/aws/write-gate.ts" || file === "functions/fanout/budget.ts") return "guards";
  return dirname(file);
}

type Survivor = StoredMutant & { file: string };
const sameMutant = (e: Equivalent, m: StoredMutant): boolean => e.line === m.line && e.mutator === m.mutator && e.replacement === m.replacement;

function summarize(scope: readonly string[]): void {
  const results = readResults();
  const equivalents = readEquivalents();
  const folders = new Map<string, Counts>();
  const overall = zero();
  const stale: string[] = [];
  const notRun: string[] = [];
  const survivors: Survivor[] = [];
  const equivalent: (Survivor & { reason: string })[] = [];
  const notMeasured: Survivor[] = [];
  const unmatched: (Equivalent & { file: string })[] = [];
  const files: Record<string, Counts & ReturnType<typeof scores>> = {};
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
    const reasons = equivalents[file] ?? [];
    for (const m of stored.mutants) {
      const reason = UNDETECTED.includes(m.status) ? reasons.find((e) => sameMutant(e, m))?.reason : undefined;
      const status = reason !== undefined ? "Equivalent" : m.status === "Survived" && m.testsCompleted === 0 ? "NotMeasured" : m.status;
      for (const c of [counts, overall, own]) add(c, status);
      if (status === "Equivalent") equivalent.push({ file, ...m, reason: reason! });
      else if (status === "NotMeasured") notMeasured.push({ file, ...m });
      else if (UNDETECTED.includes(m.status)) survivors.push({ file, ...m });
    }
    for (const e of reasons) if (!stored.mutants.some((m) => UNDETECTED.includes(m.status) && sameMutant(e, m))) unmatched.push({ file, ...e });
    folders.set(folder, counts);
    files[file] = { ...own, ...scores(own) };
  }
  const byFolder = Object.fromEntries([...folders].sort(([a], [b]) => a.localeCompare(b)).map(([f, c]) => [f, { ...c, ...scores(c) }]));
  const summary = {
    ...scores(overall),
    target: TARGET,
    ...overall,
    filesInScope: scope.length,
    filesMeasured: Object.keys(files).length,
    byFolder,
    files,
    stale,
    notRun,
    survivors,
    equivalent,
    notMeasured,
    unmatchedEquivalents: unmatched,
  };
  writeFileSync(join(OUT, "score.json"), `${JSON.stringify(summary, null, 2)}\n`);

  const mark = (met: boolean | null): string => (met === null ? "–" : met ? "✓" : "✗");
  const row = (name: string, c: Counts): string => {
    const s = scores(c);
    return `| ${name} | ${s.killedScore ?? "–"} ${mark(s.meetsTarget)} | ${s.score ?? "–"} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.equivalent} | ${c.notMeasured} | ${c.ignored} |`;
  };
  const code = (text: string): string => `\`${text.slice(0, 100).replace(/`/g, "'")}\``;
  const md = [
    "# Mutation score (`npm run mutation`)",
    "",
    `Files measured: ${Object.keys(files).length} of ${scope.length} in scope. Over the mutants that can be detected (killed + timeout + survived + no coverage): **killed %** = killed / that (a timeout is not counted as a kill; the ≥ ${TARGET} % target of issue 20 is judged on it); **score %** = Stryker's, (killed + timeout) / that. Equivalent mutants (reasons below, from reports/mutation/equivalent.json) and runs that completed no test ("not measured", stryker-js#6213) are outside both; ignored = static mutants (ignoreStatic).`,
    "",
    "| folder | killed % (target ≥ 80) | score % | killed | timeout | survived | no coverage | equivalent | not measured | ignored |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...[...folders].sort(([a], [b]) => a.localeCompare(b)).map(([f, c]) => row(f, c)),
    row("**overall**", overall),
    "",
    stale.length > 0 ? `Stale (changed since measured, not counted): ${stale.join(", ")}` : "",
    notRun.length > 0 ? `Not run (not counted): ${notRun.join(", ")}` : "",
    "",
    "## Per file",
    "",
    "| file | killed % | score % | killed | timeout | survived | no coverage | equivalent |",
    "|---|---|---|---|---|---|---|---|",
    ...Object.entries(files).map(([f, c]) => `| ${f} | ${c.killedScore ?? "–"} | ${c.score ?? "–"} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.equivalent} |`),
    "",
    "## Surviving mutants",
    "",
    ...survivors.map((s) => `- ${s.file}:${s.line} ${s.status} ${s.mutator}: ${code(s.replacement)}`),
    "",
    "## Equivalent mutants",
    "",
    ...equivalent.map((s) => `- ${s.file}:${s.line} ${s.status} ${s.mutator}: ${code(s.replacement)} — ${s.reason}`),
    ...(notMeasured.length > 0 ? ["", "## Not measured (Survived with no test completed)", "", ...notMeasured.map((s) => `- ${s.file}:${s.line} ${s.mutator}: ${code(s.replacement)}`)] : []),
    ...(unmatched.length > 0 ? ["", "## Equivalent entries matching no current survivor (update equivalent.json)", "", ...unmatched.map((e) => `- ${e.file}:${e.line} ${e.mutator}: ${code(e.replacement)}`)] : []),
    "",
  ].join("\n");
  writeFileSync(join(OUT, "score.md"), md);

  const line = (c: Counts): string => {
    const s = scores(c);
    return `killed ${s.killedScore ?? "–"} % ${mark(s.meetsTarget)} (score ${s.score ?? "–"} %): killed ${c.killed}, timeout ${c.timeout}, survived ${c.survived}, no coverage ${c.noCoverage}, equivalent ${c.equivalent}, not measured ${c.notMeasured}`;
  };
  console.log(`\nMutation over ${Object.keys(files).length} of ${scope.length} files: ${line(overall)}`);
  for (const [f, c] of [...folders].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${f.padEnd(36)} ${line(c)}`);
  if (stale.length > 0) console.log(`Stale (changed since measured): ${stale.join(", ")}`);
  if (notRun.length > 0) console.log(`Not run: ${notRun.join(", ")}`);
  for (const s of survivors) console.log(`  ${s.status.padEnd(10)} ${s.file}:${s.line}  ${s.mutator}: ${s.replacement.slice(0, 100)}`);
  for (const e of unmatched) console.log(`  equivalent.json entry matching no survivor: ${e.file}:${e.line} ${e.mutator}: ${e.replacement}`);
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
  const distances = new Map(mutationTestFiles().map((t) => [t, importDistances(t)] as const));
  const failed: string[] = [];
  for (const [i, batch] of todo.entries()) {
    const testFiles = testsFor(batch.files, distances);
    if (args.includes("--list")) {
      const indirect = batch.files.flatMap((f) => {
        const { distance } = nearestTests(f, distances);
        return distance === 1 ? [] : [`${f} ${distance === undefined ? "reached by no test" : `only through ${distance - 1} module(s) between`}`];
      });
      console.log(`${batch.id}: ${batch.files.join(", ")}\n  tests: ${testFiles.join(", ") || "(none reaches it: every mutation test)"}${indirect.map((x) => `\n  ${x}`).join("")}`);
      continue;
    }
    const started = Date.now();
    console.log(`\n[mutation] batch ${i + 1}/${todo.length} ${batch.id}: ${batch.files.join(", ")}; tests: ${testFiles.join(", ")}`);
    let mutants: MutantResult[];
    try {
      mutants = await new Stryker({
        configFile: "stryker.config.json",
        mutate: batch.files,
        testFiles,
        incrementalFile: join(OUT, "incremental", `${batch.id}.json`),
        // Its own sandbox folder per batch: two runs of different batches (`--only`) do not clean up each other's.
        tempDirName: `.stryker-tmp-${batch.id}`,
        jsonReporter: { fileName: join(OUT, "batches", `${batch.id}.json`) },
        ...(concurrency ? { concurrency: Number(concurrency) } : {}),
      }).runMutationTest();
    } catch (error) {
      // A batch whose tests fail without a mutant (Stryker's dry run) cannot be scored; its files stay
      // "not run" in the summary, and the other batches still run.
      failed.push(batch.id);
      console.error(`[mutation] batch ${batch.id} FAILED, its files stay unmeasured: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    store(readResults(), batch.files, mutants);
    const ran = mutants.filter((m) => m.status !== "Ignored").length;
    console.log(`[mutation] batch ${batch.id}: ${mutants.length} mutants (${ran} not ignored) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  if (failed.length > 0) {
    console.error(`[mutation] ${failed.length} batch(es) failed (their tests fail unmutated): ${failed.join(", ")}`);
    process.exitCode = 1;
  }
}
summarize(scope);
