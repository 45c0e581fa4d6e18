/**
 * report.html: one self-contained page (inline CSS and JS, no network), so it works from file://
 * and from S3 alike. Laid out for a 300-account organization (issue 18): the first screen says
 * what needs a person, then a per-account rollup, a filterable index of drifted resources, and
 * one detail section per resource with its property diff. Everything shown comes from AWS or
 * from member accounts' tags, so every value is escaped.
 * Budget: a 5,000-stack report under 1.5 MB (test/unit/report/html.test.ts): in-sync stacks
 * are counts (report/in-sync.ts); console links are built by the page's script from compact
 * ids (data-s/-r on a stack, data-t/-p/-ei/-en on a resource) and one template table
 * (console-links.ts LINK_TEMPLATES); the folded expected/actual documents are stored once each,
 * gzipped, and inflated when a reader opens one (DecompressionStream: Chrome 80, Firefox 113,
 * Safari 16.4, per MDN). At 1,001 drifted resources of 5,000 stacks the typed-out links were
 * ~370 KB and the folded documents ~270 KB of a 1.92 MiB page.
 */
import type { AccountReport, PropertyDifference, ResourceReport, RunReport, StackReport } from "../core/types.js";
import { gzipSync } from "node:zlib";
import { LINK_TEMPLATES } from "./console-links.js";
import { isResourceError } from "./build.js";
import { coverageHeadline, coverageRows } from "./coverage-view.js";
import { unmanagedTables } from "./unmanaged.js";
import { fleetGroups, fleetText } from "./fleet.js";
import { ageText } from "./history.js";
import { inSyncCount, isInSyncStack } from "./in-sync.js";
import { trendSvg } from "./trend.js";
import {
  accountLabel,
  actorText,
  coverageLines,
  driftedItems,
  exemptionRows,
  describeExemption,
  listedAccounts,
  needsAttention,
  needsPerson,
  notableStacks,
  notDriftItems,
  problems,
  unscanned,
  where,
  type DriftedItem,
} from "./view.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Every value in the page comes from AWS or from people's tags, so all of it is escaped. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}


/** How many items the first screen lists before pointing to the index. */
const FIRST_SCREEN_ITEMS = 25;

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem;color:#1f2328;max-width:1280px}
h1{font-size:1.4rem;margin:.2rem 0}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}h3{margin:1.2rem 0 .4rem;font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}th[data-sort]{cursor:pointer}th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:20rem;margin:.3rem 0;white-space:pre-wrap;word-break:break-all}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem;margin:.5rem 0}
#needs-me{border:2px solid #cf222e;border-radius:6px;padding:.4rem 1rem;margin:1rem 0}#needs-me h2{margin-top:.3rem;border:0}
#needs-me.calm{border-color:#1a7f37}
.outcome{font-weight:600}.failed,.manual,.refused,.contested{color:#cf222e}.remediated{color:#1a7f37}.planned{color:#9a6700}.skipped{color:#57606a}
.exp{background:#ffebe9}.act{background:#dafbe1}.diff td{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}.diff .exp::before{content:"expected: ";color:#57606a}.diff .act::before{content:"actual: ";color:#57606a}.num{text-align:right}
.stack{border-top:2px solid #d0d7de;margin-top:1.2rem;content-visibility:auto;contain-intrinsic-size:auto 320px}h4{margin:.8rem 0 .2rem}.res:target,.res.hl{background:#fff8c5}tr:target{background:#fff8c5}
.cv{content-visibility:auto}.links a{margin-right:.8rem}.new{color:#cf222e;font-weight:600}.trend{max-width:100%;height:auto}.tools{margin:.5rem 0;display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
`;

/**
 * Sortable tables (th[data-sort] = "text" or "num"), the index filter (text and outcome), and
 * the CSV download built from the index rows currently shown. Plain DOM, no library. It runs
 * right after the index, before the page's compressed blocks (~0.5 MiB at 2,000 drifted
 * resources) are parsed: the filter answers without waiting for them.
 */
const INDEX_SCRIPT = `
(function(){
function cellValue(tr,i,kind){var t=tr.children[i].getAttribute("data-v")||tr.children[i].textContent;return kind==="num"?Number(t):t.toLowerCase();}
document.querySelectorAll("table.sortable").forEach(function(table){
  var heads=table.querySelectorAll("th");
  heads.forEach(function(th,i){
    var kind=th.getAttribute("data-sort");if(!kind)return;
    th.tabIndex=0;
    function sort(){
      var asc=th.getAttribute("aria-sort")!=="ascending";
      heads.forEach(function(h){h.removeAttribute("aria-sort");});
      th.setAttribute("aria-sort",asc?"ascending":"descending");
      var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=cellValue(a,i,kind),y=cellValue(b,i,kind);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
      rows.forEach(function(r){body.appendChild(r);});
    }
    th.addEventListener("click",sort);
    th.addEventListener("keydown",function(e){if(e.key==="Enter"||e.key===" "){e.preventDefault();sort();}});
  });
});
var input=document.getElementById("filter"),outcome=document.getElementById("filter-outcome"),shown=document.getElementById("shown");
var rows=document.querySelectorAll("#index tbody tr"),texts=null;
function apply(){
  var q=input.value.trim().toLowerCase(),o=outcome.value,n=0;
  // Each row's text read once (sorting moves rows, never changes them).
  texts=texts||new Map(Array.prototype.map.call(rows,function(tr){return [tr,tr.textContent.toLowerCase()];}));
  rows.forEach(function(tr){var ok=(!q||texts.get(tr).indexOf(q)>=0)&&(!o||tr.getAttribute("data-outcome")===o);if(tr.hidden===ok)tr.hidden=!ok;if(ok)n++;});
  shown.textContent=String(n);
}
if(input){input.addEventListener("input",apply);outcome.addEventListener("change",apply);
  var h=new URLSearchParams(location.hash.slice(1));if(h.get("outcome")){outcome.value=h.get("outcome");apply();}}
window.addEventListener("hashchange",function(){var h=new URLSearchParams(location.hash.slice(1));if(h.get("outcome")&&outcome){outcome.value=h.get("outcome");input.value="";apply();}});
var csv=document.getElementById("csv");
if(csv)csv.addEventListener("click",function(){
  // Quoted when needed (RFC 4180); a leading = + - @ is prefixed with ' so a spreadsheet shows a member's value instead of running it (OWASP, CSV Injection).
  var q=function(s){var f=/^[=+@-]/.test(s);return f||/[",\\r\\n]/.test(s)?'"'+(f?"'":"")+s.replace(/"/g,'""')+'"':s;};
  var lines=[Array.prototype.map.call(document.querySelectorAll("#index thead th"),function(th){return q(th.textContent.replace(/[\\u25B2\\u25BC]/g,"").trim());}).join(",")];
  rows.forEach(function(tr){if(!tr.hidden)lines.push(Array.prototype.map.call(tr.children,function(td){return q(td.textContent.trim());}).join(","));});
  var a=document.createElement("a");a.href=URL.createObjectURL(new Blob([lines.join("\\r\\n")+"\\r\\n"],{type:"text/csv"}));
  a.download=csv.getAttribute("data-file");document.body.appendChild(a);a.click();a.remove();
});
// The index, filter, sorting and CSV work from here on (the browser test measures this time).
document.documentElement.setAttribute("data-interactive",String(Math.round(performance.now())));
})();
`;

/**
 * Resource details: unpacked from their gzip block after the index answers, their console links
 * built from the compact ids, folded documents inflated when opened. At the end of the page: the
 * blocks it reads are parsed by then.
 */
const DETAILS_SCRIPT = `
(function(){
function fill(t,v){return t.replace(/\\{(\\w+)\\}/g,function(_,k){return encodeURIComponent(v[k]||"");});}
function anchor(href,label){var a=document.createElement("a");a.href=href;a.textContent=label;return a;}
// The page's own gzip+base64 blocks (details-data, docs), inflated without the network.
function inflate(id){
  var bin=atob(document.getElementById(id).textContent.trim()),bytes=new Uint8Array(bin.length);for(var i=0;i<bin.length;i++)bytes[i]=bin.charCodeAt(i);
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}
function consoleLinks(root,L){
  root.querySelectorAll("section.stack").forEach(function(sec){
    var region=sec.getAttribute("data-r"),stackId=sec.getAttribute("data-s");
    if(stackId)sec.querySelector(".sl").appendChild(anchor(fill(L.stackDrift,{region:region,stackId:stackId}),"stack drift view"));
    sec.querySelectorAll(".res").forEach(function(res){
      var type=res.getAttribute("data-t"),id=res.getAttribute("data-p"),ei=res.getAttribute("data-ei"),en=res.getAttribute("data-en"),box=res.querySelector("h4 .links");
      var page=L.resources[type],href=page?fill(page,{id:id,region:region}):stackId?fill(L.stackResources,{region:region,stackId:stackId}):"";
      if(href)box.appendChild(anchor(href,"resource"));
      if(ei||en){var er=region;Object.keys(L.globalEventRegions).forEach(function(p){if(type.indexOf(p)===0)er=L.globalEventRegions[p];});
        box.appendChild(anchor(ei?fill(L.trailEvent,{region:er,eventId:ei}):fill(L.trailEvents,{region:er,eventName:en}),"CloudTrail"));}
    });
  });
}
function focusHash(){var el=location.hash.length>1&&document.getElementById(decodeURIComponent(location.hash.slice(1)));if(el&&el.classList.contains("res")){document.querySelectorAll(".res.hl").forEach(function(x){x.classList.remove("hl");});el.classList.add("hl");el.scrollIntoView();}}
var box=document.getElementById("details-body");
if(box){
  // data-ready: milliseconds since navigation start (the browser test prints it).
  var done=function(){box.setAttribute("data-ready",String(Math.round(performance.now())));};
  (window.DecompressionStream?inflate("details-data"):Promise.reject(new Error("this browser has no DecompressionStream"))).then(function(html){
    // Our own markup, every value escaped when the page was written (escapeHtml).
    box.innerHTML=html;consoleLinks(box,JSON.parse(document.getElementById("links").textContent));focusHash();done();
  },function(err){box.textContent="Resource details could not be unpacked ("+err.message+"); report.json and report.md carry them.";done();});
  window.addEventListener("hashchange",focusHash);
}
var docs;
// toggle does not bubble: listened for in the capture phase.
document.addEventListener("toggle",function(ev){
  var d=ev.target,ids=d.getAttribute&&d.getAttribute("data-d");
  if(!d.open||!ids||d.getAttribute("data-filled"))return;
  d.setAttribute("data-filled","1");
  docs=docs||inflate("docs").then(JSON.parse);
  var pair=ids.split(",").map(Number),pre=d.querySelector("pre");
  docs.then(function(all){pre.textContent=JSON.stringify({expected:all[pair[0]],actual:all[pair[1]]},null,2);},function(err){pre.textContent="could not unpack the documents: "+err.message;});
},true);
})();
`;

/** Element content needs only & and < escaped (HTML Living Standard, 13.1.3): half the bytes of quotes as &quot; in JSON. */
const t = (value: unknown) => String(value).replace(/[&<>]/g, (c) => ESCAPES[c]!);
const e = escapeHtml;

function table(headers: string[], rows: string[][], attrs = ""): string {
  if (rows.length === 0) return "<p>None.</p>";
  return `<table${attrs}><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

/** The changed paths only, expected against actual; the whole documents are folded below. */
function diffTable(diffs: PropertyDifference[]): string {
  if (diffs.length === 0) return "<p>No property differences (the resource was deleted or CloudFormation reported none).</p>";
  return `<table class="diff"><tbody>${diffs
    .map((d) => `<tr><td><code>${t(d.propertyPath)}</code> ${t(d.differenceType)}</td><td class="exp">${t(d.expectedValue)}</td><td class="act">${t(d.actualValue)}</td></tr>`)
    .join("")}</tbody></table>`;
}

const anchor = (i: number) => `r-${i}`;
const accountAnchor = (a: AccountReport) => `a-${a.accountId}`;

/** Values a data attribute carries: quotes escaped, like every value. */
const data = (name: string, value: string | undefined) => (value ? ` data-${name}="${e(value)}"` : "");

/** One block per drifted stack (its console drift view once, link built by the page's script), then each of its resources. */
function stackDetail(items: { item: DriftedItem; i: number }[], docs: DocTable): string {
  const { account, region, stack } = items[0]!.item;
  return `<section class="stack"${data("r", region)}${data("s", stack.stackId)}><h3><a href="#${accountAnchor(account)}">${e(accountLabel(account))}</a> / ${e(region)} / ${e(stack.stackName)}</h3>
<p class="links">Console: <span class="sl"></span>${stack.detectionStatusReason ? ` Detection partial: ${e(stack.detectionStatusReason)}` : ""}</p>
${items.map(({ item, i }) => resourceDetail(item, i, docs)).join("\n")}</section>`;
}

/**
 * The folded expected/actual documents, each distinct one stored once (the same template
 * deployed in many accounts repeats them), gzipped and base64-encoded into the page.
 */
class DocTable {
  private readonly ids = new Map<string, number>();
  private readonly docs: unknown[] = [];
  id(doc: unknown): number {
    const key = JSON.stringify(doc ?? null);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.docs.length;
      this.ids.set(key, id);
      this.docs.push(doc ?? null);
    }
    return id;
  }
  encoded(): string {
    return gzipped(JSON.stringify(this.docs));
  }
}

function resourceDetail({ stack, resource: r }: DriftedItem, i: number, docs: DocTable): string {
  const who = actorText(r.changedBy);
  const actor = r.changedBy as (typeof r.changedBy & { eventId?: string }) | undefined;
  const exemption = r.exemption.kind === "none" ? stack.exemption : r.exemption;
  const facts = [
    `<code>${t(r.physicalResourceId)}</code> ${t(r.status)}${r.detectedAt ? ` ${t(r.detectedAt)}` : ""}`,
    `<span class="outcome ${e(r.action.outcome)}">${t(r.action.outcome)}</span>: ${t(r.action.reason)}`,
    ...(exemption.kind === "none" ? [] : [`exemption: ${t(describeExemption(exemption))}`]),
    ...(who ? [`changed by ${t(who)}`] : []),
  ];
  const ids = `${data("t", r.resourceType)}${data("p", r.physicalResourceId)}${actor?.eventId ? data("ei", actor.eventId) : data("en", actor?.eventName)}`;
  return `<div class="res" id="${anchor(i)}"${ids}><h4>${t(r.logicalResourceId)} <small>${t(r.resourceType)}</small> <span class="links">console: </span></h4>
<p>${facts.join("<br>")}</p>${r.action.steps.length > 0 ? `<ol>${r.action.steps.map((s) => `<li><code>${t(s)}</code></li>`).join("")}</ol>` : ""}
${r.action.remaining?.length ? `<p>Still different after the repair:</p>${diffTable(r.action.remaining)}` : ""}${diffTable(r.differences)}
<details data-d="${docs.id(r.expected)},${docs.id(r.actual)}"><summary>Expected and actual properties</summary><pre></pre></details></div>`;
}

/** Details grouped by stack, in the index's order of first appearance. */
function details(items: DriftedItem[]): string {
  const groups = new Map<StackReport, { item: DriftedItem; i: number }[]>();
  items.forEach((item, i) => groups.set(item.stack, [...(groups.get(item.stack) ?? []), { item, i }]));
  const docs = new DocTable();
  const sections = [...groups.values()].map((g) => stackDetail(g, docs)).join("\n");
  // JSON in a script element: "<" escaped so no value can close it (HTML Living Standard, 4.12.1.3).
  const links = JSON.stringify(LINK_TEMPLATES).replace(/</g, "\\u003c");
  return [
    `<div id="details-body" data-count="${items.length}"><p id="details-wait">Unpacking ${items.length} resource detail(s)…</p>`,
    "<noscript>The resource details are stored compressed to keep this page small and need JavaScript; report.json and report.md carry them too.</noscript></div>",
    `<script type="application/octet-stream" id="details-data">${gzipped(sections)}</script>`,
    `<script type="application/json" id="links">${links}</script>`,
    `<script type="application/octet-stream" id="docs">${docs.encoded()}</script>`,
  ].join("\n");
}

/**
 * gzip, base64: needs no escaping inside a script element. The detail sections repeat the
 * same markup per resource (~900 bytes each; 2,000 resources were 1.8 MB) and compress ~10×.
 */
const gzipped = (text: string) => gzipSync(text, { level: 9 }).toString("base64");

interface Rollup {
  account: AccountReport;
  drifted: number;
  remediated: number;
  failed: number;
  exempt: number;
  notScanned: number;
  inSync: number;
}

function rollups(report: RunReport): Rollup[] {
  return report.accounts.map((account) => {
    const stacks = account.regions.flatMap((r) => r.stacks);
    const resources = stacks.flatMap((s) => s.resources);
    const count = (f: (r: ResourceReport) => boolean) => resources.filter(f).length;
    return {
      account,
      drifted: resources.length,
      remediated: count((r) => r.action.outcome === "remediated"),
      failed: count((r) => needsPerson(r.action.outcome) || isResourceError(r)),
      exempt: resources.filter((r) => r.exemption.kind === "exempt").length + stacks.filter((s) => s.exemption.kind === "exempt" && s.resources.length === 0).length,
      notScanned: stacks.filter((s) => s.scan === "not-scanned").length + account.regions.filter((r) => r.status === "not-scanned").length,
      inSync: account.regions.reduce((n, r) => n + inSyncCount(r), 0),
    };
  });
}


/** The label a first-screen item is counted under: the guard that tripped, contested, or the outcome. */
function attentionLabel({ resource: { action } }: DriftedItem): string {
  if (action.guard !== undefined) return `guard: ${action.guard}`;
  if (action.contested !== undefined) return "contested";
  return action.outcome;
}

function needsMe(report: RunReport, items: DriftedItem[]): string {
  const failedAccounts = report.accounts.filter((a) => a.status === "failed");
  const issues = problems(report).filter((p) => !failedAccounts.some((a) => p.where === where(a)));
  const runErrors = report.runErrors;
  const pending = items.map((item, i) => ({ item, i })).filter(({ item }) => needsAttention(item));
  const byLabel = new Map<string, number>();
  for (const { item } of pending) byLabel.set(attentionLabel(item), (byLabel.get(attentionLabel(item)) ?? 0) + 1);
  const resourceWheres = new Set(pending.map(({ item }) => `${where(item.account, item.region, item.stack.stackName)} / ${item.resource.logicalResourceId}`));
  const otherIssues = issues.filter((p) => p.where !== "run" && !resourceWheres.has(p.where));
  const total = failedAccounts.length + runErrors.length + otherIssues.length + pending.length;
  const parts: string[] = [];
  if (failedAccounts.length > 0) {
    parts.push(`<h3>${failedAccounts.length} account(s) failed</h3><ul>${failedAccounts.map((a) => `<li><a href="#${accountAnchor(a)}">${e(accountLabel(a))}</a>: ${e(a.error?.message ?? "failed")}</li>`).join("")}</ul>`);
  }
  if (runErrors.length > 0) parts.push(`<h3>${runErrors.length} run error(s): repairs stopped</h3><ul>${runErrors.map((x) => `<li><code>${e(x.code)}</code>: ${e(x.message)}</li>`).join("")}</ul>`);
  if (pending.length > 0) {
    const counts = [...byLabel].map(([o, n]) => `<span class="outcome ${e(o)}">${n} ${e(o)}</span>`).join(", ");
    parts.push(`<h3>${pending.length} drifted resource(s) left for a person: ${counts}</h3><ul>${pending
      .slice(0, FIRST_SCREEN_ITEMS)
      .map(({ item, i }) => `<li><span class="outcome ${e(attentionLabel(item))}">${e(attentionLabel(item))}</span> <a href="#${anchor(i)}">${e(item.resource.logicalResourceId)}</a> (${e(item.resource.resourceType)}) in ${e(where(item.account, item.region, item.stack.stackName))}: ${e(item.resource.action.reason)}</li>`)
      .join("")}</ul>${pending.length > FIRST_SCREEN_ITEMS ? `<p>and ${pending.length - FIRST_SCREEN_ITEMS} more in the <a href="#index">index</a>.</p>` : ""}`);
  }
  if (otherIssues.length > 0) parts.push(`<h3>${otherIssues.length} region/stack error(s)</h3><p>See <a href="#errors">Errors</a>.</p>`);
  return `<section id="needs-me"${total === 0 ? ' class="calm"' : ""} aria-labelledby="needs-me-h"><h2 id="needs-me-h">What needs you${total === 0 ? ": nothing" : ` (${total})`}</h2>${parts.join("\n")}</section>`;
}

/**
 * The opening of a box the browser neither lays out nor paints while it is off screen
 * (content-visibility: auto; its content stays in the DOM, found by Ctrl-F and anchors), sized
 * meanwhile by its row count (~26 px a row). Tables themselves cannot take size containment
 * (CSS Containment Level 2, "size containment" does not apply to table boxes), hence the box.
 * Profiled on the 5,000-stack page: layout and style were ~80 % of chromium's main-thread time
 * before the index answered, script ~5 % (test/browser/timing.ts).
 */
const offscreen = (rows: number) => `<div class="cv" style="contain-intrinsic-size:auto ${26 * (rows + 1)}px">`;

function rollupTable(report: RunReport): string {
  const num = (n: number) => `<td class="num">${n}</td>`;
  const rows = rollups(report).map(
    (r) =>
      `<tr id="${accountAnchor(r.account)}"><td>${e(accountLabel(r.account))}</td><td>${e(r.account.status)}${r.account.error ? `: ${e(r.account.error.message)}` : ""}</td><td>${e(r.account.mode)}</td>${num(r.drifted)}${num(r.remediated)}${num(r.failed)}${num(r.exempt)}${num(r.notScanned)}${num(r.inSync)}</tr>`,
  );
  const th = (label: string, kind: "text" | "num") => `<th data-sort="${kind}">${label}</th>`;
  return `${offscreen(rows.length)}<table class="sortable" id="accounts"><thead><tr>${th("Account", "text")}${th("Status", "text")}${th("Mode", "text")}${th("Drifted", "num")}${th("Remediated", "num")}${th("Needs a person", "num")}${th("Exempt", "num")}${th("Not scanned", "num")}${th("In sync", "num")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** "new", or "3 d" since first seen (sorts by first seen); empty without history. */
function seenCell(report: RunReport, r: ResourceReport): string {
  if (!r.seen) return "<td></td>";
  if (r.seen.status === "new") return `<td data-v="${e(r.seen.firstSeen)}" class="new">new</td>`;
  return `<td data-v="${e(r.seen.firstSeen)}" title="first seen ${e(r.seen.firstSeen)}">${e(ageText(r.seen.firstSeen, report.startedAt))}</td>`;
}

function indexTable(report: RunReport, items: DriftedItem[]): string {
  if (items.length === 0) return "<p>None.</p>";
  const outcomes = [...new Set(items.map((i) => i.resource.action.outcome))];
  const rows = items.map(
    ({ account, region, stack, resource: r }, i) =>
      `<tr data-outcome="${e(r.action.outcome)}"><td>${e(accountLabel(account))}</td><td>${e(region)}</td><td>${e(stack.stackName)}</td><td>${e(r.resourceType)}</td><td><a href="#${anchor(i)}">${e(r.logicalResourceId)}</a></td><td class="outcome ${e(r.action.outcome)}">${e(r.action.outcome)}</td><td>${e(r.changedBy?.arn ?? "")}</td>${seenCell(report, r)}</tr>`,
  );
  const th = (label: string) => `<th data-sort="text">${label}</th>`;
  return `<div class="tools"><label>Filter <input id="filter" type="search" placeholder="account, stack, type, actor…"></label>
<label>Outcome <select id="filter-outcome"><option value="">all</option>${outcomes.map((o) => `<option>${e(o)}</option>`).join("")}</select></label>
<span><span id="shown">${items.length}</span> of ${items.length} shown</span>
<button type="button" id="csv" data-file="driftguard-${e(report.runId)}.csv">Download CSV</button></div>
${offscreen(rows.length)}<table class="sortable" id="index"><thead><tr>${["Account", "Region", "Stack", "Type", "Resource", "Outcome", "Changed by", "Drifted for"].map(th).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** In-sync stacks as counts per account and region: listed ones (report.includeInSync) by name. */
function inSyncStacks(report: RunReport): string {
  const per = report.accounts
    .map((a) => ({ a, regions: a.regions.map((r) => ({ r, n: inSyncCount(r) })).filter((x) => x.n > 0) }))
    .filter((x) => x.regions.length > 0);
  const total = per.reduce((n, x) => n + x.regions.reduce((m, r) => m + r.n, 0), 0);
  if (total === 0) return "<p>None.</p>";
  const names = (r: RunReport["accounts"][number]["regions"][number]) => r.stacks.filter(isInSyncStack).map((s) => s.stackName);
  return `<details><summary>${total} stack(s) in sync in ${per.length} account(s)</summary><ul>${per
    .map(({ a, regions }) => `<li>${t(accountLabel(a))}: ${regions.map(({ r, n }) => `${t(r.region)} ${n}${names(r).length > 0 ? ` (${t(names(r).join(", "))})` : ""}`).join("; ")}</li>`)
    .join("")}</ul></details>`;
}

/** Resources linked under one fleet row: 1,000 drifted resources in 8 groups were 115 KB of links uncapped. */
const FLEET_LINKS = 50;

/** The same change on many resources, one row each with the resources folded under it. */
function fleetSection(items: DriftedItem[]): string {
  const groups = fleetGroups(items);
  if (groups.length === 0) return "<p>None: no change was made to more than one resource.</p>";
  return `<ul>${groups
    .map((g) => {
      const shown = g.items.slice(0, FLEET_LINKS).map((i) => `<a href="#${anchor(i)}">${t(items[i]!.resource.logicalResourceId)}</a> (${t(accountLabel(items[i]!.account))})`);
      const more = g.items.length > FLEET_LINKS ? ` and ${g.items.length - FLEET_LINKS} more in the <a href="#index">index</a>` : "";
      return `<li><details><summary>${t(fleetText(g))}</summary>${shown.join(", ")}${more}</details></li>`;
    })
    .join("")}</ul>`;
}

/** New / still / resolved against the previous run, the trend, and a link to reports/index.html. */
/** Where "All runs" points: reports/index.html, relative to reports/<yyyy>/<mm>/<dd>/<runId>/report.html. */
const HISTORY_PAGE_FROM_REPORT = "../../../../index.html";

export interface HtmlOptions {
  /** The run history page relative to this page (the CLI's copy at <out>/report.html sits elsewhere). */
  historyPage?: string;
}

function historySection(report: RunReport, historyPage: string): string {
  const h = report.history;
  if (!h) return "<p>No history: history is kept in the report bucket (Lambda runs) or under the CLI's --out directory.</p>";
  if (h.error) return `<div class="warn" role="alert">History unavailable: <code>${e(h.error.code)}</code>: ${e(h.error.message)}</div>`;
  const since = h.previousRunId ? `since run ${e(h.previousRunId)} (${e(h.previousStartedAt ?? "")})` : "(first run with history)";
  const resolved = h.resolved.length === 0 ? "" : `<details><summary>${h.resolved.length} resolved</summary>${table(["Resource", "Where", "Drifted for"], h.resolved.map((r) => [`${e(r.logicalResourceId)} (${e(r.resourceType)})`, e(`${r.accountId} / ${r.region} / ${r.stackName}`), e(ageText(r.firstSeen, report.startedAt))]))}</details>`;
  return `<p id="history-counts"><span class="new">${h.new} new</span>, ${h.still} still drifted, ${h.resolved.length} resolved ${since}${h.notChecked > 0 ? `; ${h.notChecked} earlier finding(s) not checked this run (kept open)` : ""}. <a href="${e(historyPage)}">All runs</a></p>${trendSvg(h.trend)}${resolved}`;
}

/** The coverage percentage belongs on the first screen: a gap in who is scanned hides all of its drift. */
function organizationHeadline(report: RunReport): string {
  const headline = coverageHeadline(report);
  return headline === undefined ? "" : `<p id="coverage-headline"><a href="#organization-coverage">${e(headline)}</a></p>`;
}

/** report.coverage.organization: the headline (coverage percentage) and one row per gap. */
function organizationCoverageHtml(report: RunReport): string {
  const headline = coverageHeadline(report);
  if (headline === undefined) return "";
  return [
    `<h2 id="organization-coverage">Coverage: organization members and regions not scanned</h2>`,
    `<p>${e(headline)}</p>`,
    table(["Account", "Organizational unit", "Gap"], coverageRows(report).map((r) => [r.account, r.where, r.gap].map(e))),
  ].join("\n");
}

export function renderHtml(report: RunReport, options: HtmlOptions = {}): string {
  const t = report.totals;
  const items = driftedItems(report);
  const warnings = [
    report.incomplete ? `The run stopped early to meet the Lambda deadline; ${t.stacksNotScanned} stack(s) and the items under "Not scanned" were not scanned.` : "",
    t.errors > 0 ? `${t.errors} error(s); see "Errors".` : "",
  ].filter((w) => w !== "");
  const summary = `${t.accounts} accounts (${t.accountsFailed} failed), ${t.stacksScanned} stacks scanned, ${t.stacksDrifted} drifted; ${t.resourcesDrifted} drifted resources: ${t.remediated} remediated, ${t.planned} planned, ${t.skipped} skipped, ${t.manual} manual, ${t.failed} failed; ${t.exempt} exempt; ${t.guardTrips} guard trip(s), ${t.contested} contested, ${t.runErrors} run error(s), ${t.retried} retried; not drift: ${t.falsePositives} CloudFormation false positive(s), ${t.ignored} ignored; not seen: ${t.resourcesNotChecked} not checked, ${t.resourcesUnknown} unknown, ${t.nestedStacksNotReached} nested stack(s) not reached.`;
  const body = [
    `<header><h1>driftguard report ${e(report.runId)}</h1><p>Trigger ${e(report.trigger)}, mode <b>${e(report.mode)}</b>, ${e(report.startedAt)} to ${e(report.finishedAt)}, config ${e(report.configHash)}.</p>`,
    `<p id="totals">${e(summary)}</p>${organizationHeadline(report)}</header>`,
    ...warnings.map((w) => `<div class="warn" role="alert">${e(w)}</div>`),
    needsMe(report, items),
    `<h2 id="history">Since the previous run</h2>`,
    historySection(report, options.historyPage ?? HISTORY_PAGE_FROM_REPORT),
    `<h2 id="fleet">Same change on many resources</h2>`,
    fleetSection(items),
    `<nav><a href="#history">History</a> · <a href="#fleet">Fleet</a> · <a href="#accounts-h">Accounts</a> · <a href="#index-h">Drifted resources</a> · <a href="#not-drift">Not drift</a> · <a href="#coverage">Coverage</a> · <a href="#unmanaged">Unmanaged</a> · <a href="#errors">Errors</a> · <a href="#not-scanned">Not scanned</a> · <a href="#in-sync">In sync</a></nav>`,
    `<h2 id="accounts-h">Accounts</h2>`,
    rollupTable(report),
    `<h2 id="index-h">Drifted resources (${items.length})</h2>`,
    indexTable(report, items),
    `<script>${INDEX_SCRIPT}</script>`,
    `<h2 id="not-drift">Not drift: CloudFormation false positives and ignore rules</h2>`,
    table(
      ["Resource", "Where", "Outcome", "Why"],
      notDriftItems(report).map((i) => [`${i.resource.logicalResourceId} (${i.resource.resourceType})`, where(i.account, i.region, i.stack.stackName), i.resource.action.outcome, i.resource.action.reason].map(e)),
    ),
    `<h2 id="coverage">Coverage: what driftguard could not see</h2>`,
    table(["What", "Where", "Detail"], coverageLines(report).map((l) => [l.what, l.where, l.detail].map(e))),
    organizationCoverageHtml(report),
    ...unmanagedTables(report.unmanaged).flatMap((u, i) => [`<h2${i === 0 ? ' id="unmanaged"' : ""}>${e(u.title)}</h2>`, table(u.headers, u.rows.map((r) => r.map(e)))]),
    `<h2 id="errors">Errors</h2>`,
    table(["Where", "Code", "Message"], problems(report).map((p) => [p.where, p.error.code, p.error.message].map(e))),
    `<h2 id="exemptions">Active exemptions</h2>`,
    table(["Where", "On", "Reason", "Until", "Set by"], exemptionRows(report).map((x) => [x.where, x.on, x.reason, x.until, x.setBy].map(e))),
    `<h2 id="not-scanned">Not scanned</h2>`,
    table(["Where", "Why"], [...unscanned(report), ...listedAccounts(report)].map((u) => [u.where, u.reason].map(e))),
    `<h2>Skipped, failed and partial stacks</h2>`,
    table(["Stack", "Scan", "Why"], notableStacks(report).map((n) => [n.where, n.scan, n.why].map(e))),
    `<h2 id="in-sync">In-sync stacks</h2>`,
    inSyncStacks(report),
    `<h2 id="details">Drifted resource details</h2>`,
    "<p>Console links open in the account you are signed in to: switch to the account named in each section first.</p>",
    items.length === 0 ? "<p>None.</p>" : details(items),
  ].join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>driftguard ${e(report.runId)}</title><style>${STYLE}</style></head>
<body>
${body}
<script>${DETAILS_SCRIPT}</script>
</body></html>
`;
}
