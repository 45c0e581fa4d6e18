/**
 * Run history for CLI scans (issue 18): with `--out DIR` the CLI keeps the same history the
 * Lambda keeps in the report bucket, laid out the same way under DIR (reports/index.json,
 * reports/index.html, reports/<yyyy>/<mm>/<dd>/<runId>/report.*), with the same pure
 * functions (report/history.ts), so a laptop's runs mark resources new / still / resolved too.
 * DIR/report.{json,html,md} stay the latest run's copies, as before. Without --out there is
 * nowhere to keep history: the report says so. A CLI run never reads or writes the bucket's
 * index: a narrowed `--accounts` scan would resolve nothing there but could mislead it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { HISTORY_INDEX_KEY, HISTORY_PAGE_KEY, reportKeys } from "../functions/aws/bucket-layout.js";
import type { ErrorInfo, RunReport } from "../functions/core/types.js";
import { EMPTY_INDEX, parseHistoryIndex, renderHistoryPage, renderHtml, renderMarkdown, withHistory, withoutHistory, type HistoryIndex } from "../functions/report/index.js";

function readIndex(file: string): HistoryIndex | ErrorInfo {
  if (!existsSync(file)) return EMPTY_INDEX;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    return { code: "HistoryIndexInvalid", message: `${file}: not JSON (${(err as Error).message}). Delete it to start history afresh (the reports are kept).` };
  }
  return parseHistoryIndex(value, file);
}

export interface Written {
  files: string[];
  /** The report as written: with its history marks, or the reason history is unavailable. */
  report: RunReport;
}

export function writeReport(dir: string, built: RunReport): Written {
  const out = resolve(dir);
  const indexFile = join(out, HISTORY_INDEX_KEY);
  const keys = reportKeys(built);
  const read = readIndex(indexFile);
  const marked = "code" in read ? { report: withoutHistory(built, read), index: undefined } : withHistory(built, read, keys.html);
  const report = marked.report;
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const md = renderMarkdown(report);
  const files: [string, string][] = [
    [keys.json, json],
    [keys.html, renderHtml(report)],
    [keys.markdown, md],
    ["report.json", json],
    ["report.html", renderHtml(report, { historyPage: HISTORY_PAGE_KEY })],
    ["report.md", md],
    // The index moves only once the report it points to is written, as in the bucket.
    ...(marked.index ? ([[HISTORY_INDEX_KEY, `${JSON.stringify(marked.index, null, 2)}\n`], [HISTORY_PAGE_KEY, renderHistoryPage(marked.index)]] as [string, string][]) : []),
  ];
  const written = files.map(([name, text]) => {
    const file = join(out, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  });
  // The latest copies and the index are what a person opens; the dated copies are for the index's links.
  return { files: written.slice(3), report };
}
