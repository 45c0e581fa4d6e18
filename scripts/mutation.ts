import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Stryker } from "@stryker-mutator/core";
import type { MutantResult } from "@stryker-mutator/api/core";

/**
 * `npm run mutation`: StrykerJS (stryker.config.json: functions/remediation and functions/events,
 * the guards included) against the unit tests of those folders. Not part of CI: on 2 shared cores
 * a full run takes tens of minutes. Prints the score and writes it, with every surviving mutant,
 * to reports/mutation/score.json (Stryker's own report is reports/mutation/mutation.json).
 *
 * MUTATE=glob,glob narrows the run, e.g. MUTATE=functions/remediation/remediators/**\/*.ts.
 * Stryker's incremental file keeps earlier results, so a narrowed run adds to the last one.
 */

const OUT = "reports/mutation";
const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

const mutate = process.env.MUTATE?.split(",").map((g) => g.trim()).filter(Boolean);
const results: MutantResult[] = await new Stryker({ configFile: "stryker.config.json", ...(mutate ? { mutate } : {}) }).runMutationTest();

const detected = results.filter((r) => DETECTED.has(r.status)).length;
const undetected = results.filter((r) => UNDETECTED.has(r.status));
const valid = detected + undetected.length;
const score = valid === 0 ? 0 : (100 * detected) / valid;
const byStatus = Object.fromEntries([...new Set(results.map((r) => r.status))].sort().map((s) => [s, results.filter((r) => r.status === s).length]));
const survivors = undetected
  .map((r) => ({
    file: relative(process.cwd(), r.fileName),
    line: r.location.start.line,
    status: r.status,
    mutator: r.mutatorName,
    replacement: r.replacement ?? "",
  }))
  .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);

mkdirSync(OUT, { recursive: true });
const file = join(OUT, "score.json");
writeFileSync(file, `${JSON.stringify({ score: Number(score.toFixed(2)), detected, valid, byStatus, mutate: mutate ?? "stryker.config.json", survivors }, null, 2)}\n`);

console.log(`\nMutation score: ${score.toFixed(2)} % (${detected} of ${valid} mutants detected; ${JSON.stringify(byStatus)})`);
for (const s of survivors) console.log(`  ${s.status.padEnd(10)} ${s.file}:${s.line}  ${s.mutator}: ${s.replacement.replace(/\s+/g, " ").slice(0, 100)}`);
console.log(`Written to ${file}`);
