/**
 * Every key and prefix of the report bucket, in one place: the code that writes an object, the
 * lifecycle rules that expire it (modules/report-bucket.ts) and the IAM policies scoped to a
 * prefix (modules/fanout-state-machine.ts) all read them from here, so they cannot drift apart.
 *
 *   reports/<yyyy>/<mm>/<dd>/<runId>/report.{json,html,md}, reports/latest.json   kept `retentionDays`
 *   reports/index.{json,html} (history: rewritten every run, so never older than a run)
 *   events/<yyyy>/<mm>/<dd>/<changeId>.json                                       kept `retentionDays`
 *   state/flapping.json, state/run-lease.json, state/stack-listings/<account>.json never expire
 *   runs/<runId>/{manifest,items,budget}.json, parts/, failures/; runs/map-results    kept while a run lasts
 */

export const REPORTS_PREFIX = "reports/";
export const EVENTS_PREFIX = "events/";
/** Guard state a person may edit; must outlive any retention, so it is under no expiring prefix. */
export const STATE_PREFIX = "state/";
/** Fan-out working data; the state machine's role may only touch this prefix. */
export const RUNS_PREFIX = "runs/";

/** Prefixes whose objects expire after the configured retention. */
export const EXPIRING_PREFIXES = [REPORTS_PREFIX, EVENTS_PREFIX] as const;

/** `2026/01/02`: the UTC day of an ISO 8601 time, as every stored report's key is dated. */
export function utcDayPath(isoTime: string): string {
  return new Date(isoTime).toISOString().slice(0, 10).replace(/-/g, "/");
}

export interface ReportKeys {
  json: string;
  html: string;
  markdown: string;
  latest: string;
}

/** `reports/<yyyy>/<mm>/<dd>/<runId>/report.*`, dated by the run's start (UTC). */
export function reportKeys(report: { runId: string; startedAt: string }): ReportKeys {
  const dir = `${REPORTS_PREFIX}${utcDayPath(report.startedAt)}/${report.runId}`;
  return { json: `${dir}/report.json`, html: `${dir}/report.html`, markdown: `${dir}/report.md`, latest: `${REPORTS_PREFIX}latest.json` };
}

/** The run history (report/history.ts): the last runs' totals and the findings still open. */
export const HISTORY_INDEX_KEY = `${REPORTS_PREFIX}index.json`;
/** The run history as a page linking every kept run's report.html. */
export const HISTORY_PAGE_KEY = `${REPORTS_PREFIX}index.html`;

/** S3 key of an event report; from the call's own time and id, so every redelivery lands on it. */
export function eventReportKey(report: { eventTime: string; changeId: string }): string {
  return `${EVENTS_PREFIX}${utcDayPath(report.eventTime)}/${report.changeId}.json`;
}

/** The flapping guard's record: per resource, how many consecutive runs repaired it. */
export const FLAPPING_STATE_KEY = `${STATE_PREFIX}flapping.json`;

/** Unmanaged resources a notify-only guardrail already reported (issue 21: "VPCs created since the last run"). */
export const UNMANAGED_REPORTED_KEY = `${STATE_PREFIX}unmanaged-reported.json`;

/** One account's stack resource listings, kept per stack version between runs (scanner/stack-listings.ts). */
export const stackListingsKey = (accountId: string) => `${STATE_PREFIX}stack-listings/${accountId}.json`;

/** The measured drift detection times of the last runs, which `hub.execution: auto` learns from (scanner/detection-times.ts). */
export const DETECTION_TIMES_KEY = `${STATE_PREFIX}detection-times.json`;

/** The single-run lease: which run may repair right now (scanner/run-lease.ts). */
export const RUN_LEASE_KEY = `${STATE_PREFIX}run-lease.json`;

/** Shared with the state machine, whose Catch fills it with States.Format(…, runId, accountId). */
export const FAILURE_KEY_FORMAT = `${RUNS_PREFIX}{}/failures/{}.json`;

/** A fan-out execution whose Plan or Reduce failed: its Catch writes the error here, keyed by the execution name. */
export const RUN_FAILURE_KEY_FORMAT = `${RUNS_PREFIX}failed/{}.json`;

/** Where the Distributed Map's ResultWriter puts its manifest and results. */
export const MAP_RESULTS_PREFIX = `${RUNS_PREFIX}map-results`;

export const runKeys = (runId: string) => ({
  manifest: `${RUNS_PREFIX}${runId}/manifest.json`,
  /** The Distributed Map's ItemReader reads this JSON array of WorkItems. */
  items: `${RUNS_PREFIX}${runId}/items.json`,
  budget: `${RUNS_PREFIX}${runId}/budget.json`,
  part: (accountId: string) => `${RUNS_PREFIX}${runId}/parts/${accountId}.json`,
  failure: (accountId: string) => FAILURE_KEY_FORMAT.replace("{}", runId).replace("{}", accountId),
});
