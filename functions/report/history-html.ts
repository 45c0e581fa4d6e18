import type { HistoryIndex } from "./history.js";
import { TREND_RUNS } from "./history.js";
import { trendSvg } from "./trend.js";
import { escapeHtml as e } from "./html.js";
import { REPORTS_PREFIX } from "../aws/bucket-layout.js";

/**
 * reports/index.html: every run the index keeps, newest first, each linking its report.html by a
 * path relative to reports/ (so the page works from S3 and from a downloaded copy of the
 * prefix), with the trend of the last 30 runs on top. Self-contained like report.html.
 */
export function renderHistoryPage(index: HistoryIndex): string {
  const trend = index.runs
    .slice(0, TREND_RUNS)
    .reverse()
    .map((r) => ({ runId: r.runId, startedAt: r.startedAt, resourcesDrifted: r.totals.resourcesDrifted, remediated: r.totals.remediated }));
  const cols = ["accounts", "accountsFailed", "stacksScanned", "stacksDrifted", "resourcesDrifted", "remediated", "planned", "manual", "failed", "refused", "errors"] as const;
  const rows = index.runs.map((r) => {
    const href = r.html.startsWith(REPORTS_PREFIX) ? r.html.slice(REPORTS_PREFIX.length) : r.html;
    return `<tr><td><a href="${e(href)}">${e(r.runId)}</a></td><td>${e(r.startedAt)}</td><td>${e(r.trigger)}</td><td>${e(r.mode)}</td><td>${r.incomplete ? "INCOMPLETE" : ""}</td>${cols.map((c) => `<td class="num">${r.totals[c]}</td>`).join("")}</tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>driftguard runs</title><style>body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1f2328}table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:.25rem .5rem}th{background:#f6f8fa}.num{text-align:right}</style></head>
<body><h1>driftguard runs</h1><p>${index.runs.length} run(s) kept; ${index.findings.length} finding(s) open after the newest.</p>
${trendSvg(trend)}
<table id="runs"><thead><tr><th>Run</th><th>Started</th><th>Trigger</th><th>Mode</th><th></th>${cols.map((c) => `<th>${e(c)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>
</body></html>
`;
}
