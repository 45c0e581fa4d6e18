import type { PropertyDifference, RunReport } from "../core/types.js";
import { coverageHeadline, coverageRows } from "./coverage-view.js";
import {
  accountLabel,
  actorText,
  driftedItems,
  exemptionText,
  exemptionRows,
  listedAccounts,
  notableStacks,
  problems,
  regionsText,
  unscanned,
  where,
  type DriftedItem,
} from "./view.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Every value in the page comes from AWS or from people's tags, so all of it is escaped. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328;max-width:1200px}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}h3{margin:1.5rem 0 .5rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:24rem;margin:.3rem 0}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem;margin:.5rem 0}
.outcome{font-weight:600}.failed,.manual{color:#cf222e}.remediated{color:#1a7f37}.planned{color:#9a6700}.skipped{color:#57606a}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
`;

function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return "<p>None.</p>";
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
  return `<table>${head}${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</table>`;
}

/** Rows of label → already-escaped HTML. */
function factsTable(facts: [string, string][]): string {
  return `<table>${facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join("")}</table>`;
}

function differencesTable(diffs: PropertyDifference[]): string {
  return table(
    ["Property", "Expected", "Actual", "Difference"],
    diffs.map((d) => [d.propertyPath, d.expectedValue, d.actualValue, d.differenceType].map((v) => `<code>${escapeHtml(v)}</code>`)),
  );
}

function json(value: unknown): string {
  return value === undefined ? "<p>(none)</p>" : `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;
}

function driftedResource({ account, region, stack, resource: r }: DriftedItem): string {
  const who = actorText(r.changedBy);
  const facts: [string, string][] = [
    ["Stack", escapeHtml(where(account, region, stack.stackName))],
    ["Physical id", `<code>${escapeHtml(r.physicalResourceId)}</code>`],
    ["Drift", escapeHtml(r.status) + (r.detectedAt ? ` (detected ${escapeHtml(r.detectedAt)})` : "")],
    ["Action", `<span class="outcome ${escapeHtml(r.action.outcome)}">${escapeHtml(r.action.outcome)}</span>: ${escapeHtml(r.action.reason)}`],
    ["Exemption", escapeHtml(exemptionText(r.exemption.kind === "none" ? stack.exemption : r.exemption))],
  ];
  if (r.action.steps.length > 0) facts.push(["Steps", `<ol>${r.action.steps.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join("")}</ol>`]);
  if (r.action.remaining?.length) facts.push(["Still different", differencesTable(r.action.remaining)]);
  if (who) facts.push(["Changed by", escapeHtml(who)]);
  if (stack.detectionStatusReason) facts.push(["Detection", `partial: ${escapeHtml(stack.detectionStatusReason)}`]);
  return [
    `<h3>${escapeHtml(r.logicalResourceId)} <small>${escapeHtml(r.resourceType)}</small></h3>`,
    factsTable(facts),
    differencesTable(r.differences),
    `<div class="cols"><div><b>Expected</b>${json(r.expected)}</div><div><b>Actual</b>${json(r.actual)}</div></div>`,
  ].join("\n");
}

/** A self-contained page (inline CSS, no scripts, no external assets): summary first, then the detail. */
function coverageHtml(report: RunReport): string[] {
  const headline = coverageHeadline(report);
  if (headline === undefined) return [];
  return [
    `<h2>Organization coverage</h2>`,
    `<p>${escapeHtml(headline)}</p>`,
    table(["Account", "Organizational unit", "Gap"], coverageRows(report).map((r) => [r.account, r.where, r.gap].map(escapeHtml))),
  ];
}

export function renderHtml(report: RunReport): string {
  const t = report.totals;
  const warnings = [
    report.incomplete ? `The run stopped early to meet the Lambda deadline; ${t.stacksNotScanned} stack(s) and the items under "Not scanned" were not scanned.` : "",
    t.errors > 0 ? `${t.errors} error(s); see "Errors".` : "",
  ].filter((w) => w !== "");
  const totals: [string, number][] = [
    ["Accounts", t.accounts], ["Accounts failed", t.accountsFailed], ["Account-regions", t.regions],
    ["Stacks scanned", t.stacksScanned], ["Stacks skipped", t.stacksSkipped], ["Stacks failed", t.stacksFailed],
    ["Stacks not scanned", t.stacksNotScanned], ["Stacks drifted", t.stacksDrifted], ["Resources drifted", t.resourcesDrifted],
    ["Remediated", t.remediated], ["Planned", t.planned], ["Skipped", t.skipped], ["Manual", t.manual], ["Failed", t.failed],
    ["Exempt", t.exempt], ["Invalid exemptions", t.invalidExemptions], ["Guard trips", t.guardTrips], ["Contested", t.contested],
    ["Run errors", t.runErrors], ["Retried", t.retried], ["Errors", t.errors],
  ];
  const accounts = report.accounts.map((a) => [accountLabel(a), a.status, a.mode, regionsText(a)].map(escapeHtml));
  const body = [
    `<h1>driftguard report</h1>`,
    table(["Run", "Trigger", "Mode", "Started", "Finished", "Config"], [
      [report.runId, report.trigger, report.mode, report.startedAt, report.finishedAt, report.configHash].map((v) => escapeHtml(v)),
    ]),
    ...warnings.map((w) => `<div class="warn">${escapeHtml(w)}</div>`),
    `<h2>Summary</h2>`,
    table(["Total", "Count"], totals.map(([k, v]) => [escapeHtml(k), String(v)])),
    `<h2>Drifted resources</h2>`,
    ...(t.resourcesDrifted === 0 ? ["<p>None.</p>"] : driftedItems(report).map(driftedResource)),
    `<h2>Errors</h2>`,
    table(["Where", "Code", "Message"], problems(report).map((p) => [p.where, p.error.code, p.error.message].map(escapeHtml))),
    `<h2>Active exemptions</h2>`,
    table(["Where", "On", "Reason", "Until", "Set by"], exemptionRows(report).map((e) => [e.where, e.on, e.reason, e.until, e.setBy].map(escapeHtml))),
    `<h2>Not scanned</h2>`,
    table(["Where", "Why"], [...unscanned(report), ...listedAccounts(report)].map((u) => [u.where, u.reason].map(escapeHtml))),
    `<h2>Skipped, failed and partial stacks</h2>`,
    table(["Stack", "Scan", "Why"], notableStacks(report).map((n) => [n.where, n.scan, n.why].map(escapeHtml))),
    `<h2>Accounts</h2>`,
    table(["Account", "Status", "Mode", "Regions"], accounts),
    ...coverageHtml(report),
  ].join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>driftguard ${escapeHtml(report.runId)}</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}
