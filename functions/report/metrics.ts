import { HEARTBEAT, MetricUnit, type MetricValue } from "../core/metrics.js";
import type { RunReport } from "../core/types.js";
import { runCounts, type RunCounts } from "./attention.js";

/** Emitted by every run (scan or fan-out reduce), zeros included, so an alarm sees 0 rather than missing data. */
export const RUN_METRICS = {
  StacksScanned: { unit: MetricUnit.Count, of: (c: RunCounts) => c.stacksScanned },
  StacksDrifted: { unit: MetricUnit.Count, of: (c: RunCounts) => c.stacksDrifted },
  ResourcesDrifted: { unit: MetricUnit.Count, of: (c: RunCounts) => c.resourcesDrifted },
  Remediated: { unit: MetricUnit.Count, of: (c: RunCounts) => c.remediated },
  Planned: { unit: MetricUnit.Count, of: (c: RunCounts) => c.planned },
  Refused: { unit: MetricUnit.Count, of: (c: RunCounts) => c.refused },
  Contested: { unit: MetricUnit.Count, of: (c: RunCounts) => c.contested },
  SkippedByGuard: { unit: MetricUnit.Count, of: (c: RunCounts) => c.heldByBlastRadius + c.heldByFlapping + c.guardTrips },
  Manual: { unit: MetricUnit.Count, of: (c: RunCounts) => c.manual },
  Failed: { unit: MetricUnit.Count, of: (c: RunCounts) => c.failed },
  AccountsFailed: { unit: MetricUnit.Count, of: (c: RunCounts) => c.accountsFailed },
  Errors: { unit: MetricUnit.Count, of: (c: RunCounts) => c.errors },
  Incomplete: { unit: MetricUnit.Count, of: (c: RunCounts) => (c.incomplete ? 1 : 0) },
} as const;

export type RunMetricName = keyof typeof RUN_METRICS | "RunSeconds" | "WebhookFailures";

/**
 * Every run metric, then the heartbeat when the scan was successful: the report was stored, the
 * run completed, and the organization was reached (some account it tried was scanned, or there
 * was nothing to try). A wrong organization id or a broken hub role fails every account: no heartbeat.
 */
export function runMetricValues(report: RunReport, stored: boolean, webhooks: readonly { ok: boolean }[] = []): MetricValue[] {
  const c = runCounts(report);
  const values: MetricValue[] = Object.entries(RUN_METRICS).map(([name, m]) => ({ name, unit: m.unit, value: m.of(c) }));
  // Chat webhooks that failed (report/webhooks.ts): an alarm on it sees 0 on good runs.
  values.push({ name: "WebhookFailures" satisfies RunMetricName, unit: MetricUnit.Count, value: webhooks.filter((w) => !w.ok).length });
  values.push({ name: "RunSeconds" satisfies RunMetricName, unit: MetricUnit.Seconds, value: (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000 });
  const attempted = report.accounts.filter((a) => a.status === "scanned" || a.status === "failed");
  const reached = attempted.length === 0 || attempted.some((a) => a.status === "scanned");
  if (stored && reached && !c.incomplete) values.push({ name: HEARTBEAT, unit: MetricUnit.Count, value: 1 });
  return values;
}
