import { z } from "zod";
import type { ErrorInfo, FindingSeen, ReportTotals, RunHistory, RunReport } from "../core/types.js";
import { driftedItems } from "./view.js";

/**
 * History across runs (issue 18): reports/index.json keeps the last runs' totals and every
 * finding still open, so each report can mark its drifted resources new or still drifted (with
 * the first time seen) and list what was resolved since the previous run.
 *
 * A finding is one drifted resource: account / region / stack / logical id. A previous finding
 * missing from this run is resolved only where this run looked: its stack was scanned, or its
 * region was scanned and the stack is no longer listed (in sync, counted, or deleted). Where the
 * run did not look (account or region failed or not reached, stack skipped or failed) it is
 * carried over unchanged, never called resolved. A finding whose account or region left the
 * configuration is dropped.
 */

/** Runs kept in reports/index.json: 30 days at the default rate(6 hours) schedule. */
export const INDEX_RUNS = 120;
/** Runs the trend draws (issue 18: "over the last 30 runs"). */
export const TREND_RUNS = 30;

const totalsPick = ["accounts", "accountsFailed", "stacksScanned", "stacksDrifted", "resourcesDrifted", "remediated", "planned", "manual", "failed", "refused", "errors"] as const;
export type IndexTotals = Pick<ReportTotals, (typeof totalsPick)[number]>;

const count = z.number().int().nonnegative();
const runEntry = z
  .object({
    runId: z.string().min(1),
    startedAt: z.string().min(1),
    finishedAt: z.string().min(1),
    trigger: z.string(),
    mode: z.enum(["report", "remediate"]),
    incomplete: z.boolean(),
    /** The run's report.html key, relative to the bucket. */
    html: z.string().min(1),
    totals: z.object(Object.fromEntries(totalsPick.map((k) => [k, count])) as Record<(typeof totalsPick)[number], typeof count>).strict(),
  })
  .strict();

const finding = z
  .object({
    accountId: z.string().regex(/^\d{12}$/),
    region: z.string().min(1),
    stackName: z.string().min(1),
    logicalResourceId: z.string().min(1),
    resourceType: z.string().min(1),
    firstSeen: z.string().min(1),
    lastSeen: z.string().min(1),
  })
  .strict();

export const historyIndexSchema = z
  .object({
    version: z.literal(1),
    /** Newest first. */
    runs: z.array(runEntry),
    /** Findings open after the newest run (still drifted, or carried over where it did not look). */
    findings: z.array(finding),
  })
  .strict();

export type HistoryIndex = z.infer<typeof historyIndexSchema>;
export type RunIndexEntry = z.infer<typeof runEntry>;
export type Finding = z.infer<typeof finding>;

export const EMPTY_INDEX: HistoryIndex = { version: 1, runs: [], findings: [] };

type FindingKey = Pick<Finding, "accountId" | "region" | "stackName" | "logicalResourceId">;
export const findingKey = (f: FindingKey) => `${f.accountId}/${f.region}/${f.stackName}/${f.logicalResourceId}`;

/** Did this run look at the finding's place? "gone" when its account or region is no longer configured. */
function observed(report: RunReport, f: Finding): "looked" | "not-looked" | "gone" {
  const account = report.accounts.find((a) => a.accountId === f.accountId);
  if (!account) return "gone";
  if (account.status !== "scanned") return account.status === "failed" || account.status === "not-scanned" ? "not-looked" : "gone";
  const region = account.regions.find((r) => r.region === f.region);
  if (!region) return "gone";
  if (region.status !== "scanned") return "not-looked";
  const stack = region.stacks.find((s) => s.stackName === f.stackName);
  if (!stack) return "looked";
  return stack.scan === "scanned" ? "looked" : "not-looked";
}

export interface WithHistory {
  report: RunReport;
  index: HistoryIndex;
}

/**
 * The report with each drifted resource marked new or still (first seen), the run's history
 * block, and the index to store after it. Pure: the caller reads and writes the index.
 */
export function withHistory(report: RunReport, previous: HistoryIndex, htmlKey: string): WithHistory {
  const before = new Map(previous.findings.map((f) => [findingKey(f), f]));
  const now = report.startedAt;
  const open: Finding[] = [];
  const marks = new Map<string, FindingSeen>();
  for (const { account, region, stack, resource } of driftedItems(report)) {
    const key = findingKey({ accountId: account.accountId, region, stackName: stack.stackName, logicalResourceId: resource.logicalResourceId });
    const firstSeen = before.get(key)?.firstSeen ?? now;
    marks.set(key, { status: before.has(key) ? "still" : "new", firstSeen });
    open.push({ accountId: account.accountId, region, stackName: stack.stackName, logicalResourceId: resource.logicalResourceId, resourceType: resource.resourceType, firstSeen, lastSeen: now });
  }
  const resolved: RunHistory["resolved"] = [];
  let notChecked = 0;
  for (const [key, f] of before) {
    if (marks.has(key)) continue;
    const seen = observed(report, f);
    if (seen === "looked") resolved.push({ accountId: f.accountId, region: f.region, stackName: f.stackName, logicalResourceId: f.logicalResourceId, resourceType: f.resourceType, firstSeen: f.firstSeen });
    else if (seen === "not-looked") {
      notChecked++;
      open.push(f);
    }
  }
  const entry: RunIndexEntry = {
    runId: report.runId,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    trigger: report.trigger,
    mode: report.mode,
    incomplete: report.incomplete,
    html: htmlKey,
    totals: Object.fromEntries(totalsPick.map((k) => [k, report.totals[k]])) as IndexTotals,
  };
  const runs = [entry, ...previous.runs.filter((r) => r.runId !== report.runId)].slice(0, INDEX_RUNS);
  const statuses = [...marks.values()];
  const history: RunHistory = {
    ...(previous.runs[0] ? { previousRunId: previous.runs[0].runId, previousStartedAt: previous.runs[0].startedAt } : {}),
    new: statuses.filter((m) => m.status === "new").length,
    still: statuses.filter((m) => m.status === "still").length,
    resolved,
    notChecked,
    trend: runs
      .slice(0, TREND_RUNS)
      .reverse()
      .map((r) => ({ runId: r.runId, startedAt: r.startedAt, resourcesDrifted: r.totals.resourcesDrifted, remediated: r.totals.remediated })),
  };
  const accounts = report.accounts.map((account) => ({
    ...account,
    regions: account.regions.map((r) => ({
      ...r,
      stacks: r.stacks.map((stack) => ({
        ...stack,
        resources: stack.resources.map((resource) => {
          const mark = marks.get(findingKey({ accountId: account.accountId, region: r.region, stackName: stack.stackName, logicalResourceId: resource.logicalResourceId }));
          return mark ? { ...resource, seen: mark } : resource;
        }),
      })),
    })),
  }));
  return { report: { ...report, accounts, history }, index: { version: 1, runs, findings: open } };
}

/** The report when the index could not be read: no marks, the reason shown, and nothing stored over the index. */
export function withoutHistory(report: RunReport, error: ErrorInfo): RunReport {
  return { ...report, history: { new: 0, still: 0, resolved: [], notChecked: 0, trend: [], error } };
}

/** Parses reports/index.json; a clear error names the key and the fix. */
export function parseHistoryIndex(value: unknown, where: string): HistoryIndex | ErrorInfo {
  const parsed = historyIndexSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return {
    code: "HistoryIndexInvalid",
    message: `${where}: ${issue.path.join(".") || "(root)"}: ${issue.message}. History is not updated until it is fixed; delete the object to start history afresh (run reports are kept).`,
  };
}

/** "3 d", "5 h", "12 min": the age of a drift since it was first seen. */
export function ageText(firstSeen: string, now: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(now) - Date.parse(firstSeen)) / 60_000));
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}
