import { MetricUnit, type MetricValue } from "../core/metrics.js";
import { heldBy, type RunMetricName } from "../report/index.js";
import type { EventActionReport } from "./types.js";

/** The run metrics an event action counts, under the same names, so one alarm covers both paths. */
export const EVENT_METRICS = ["Remediated", "Planned", "Refused", "Contested", "SkippedByGuard", "Manual", "Failed"] as const satisfies readonly RunMetricName[];

export function eventMetricValues(report: EventActionReport): MetricValue[] {
  const actions = report.results.map((r) => r.action);
  const count = (o: string) => actions.filter((a) => (a.outcome as string) === o).length;
  const valueOf: Record<(typeof EVENT_METRICS)[number], number> = {
    Remediated: count("remediated"),
    Planned: count("planned"),
    Refused: count("refused"),
    Contested: actions.filter((a) => a.contested !== undefined).length,
    SkippedByGuard: actions.filter((a) => heldBy(a) !== undefined).length,
    Manual: count("manual"),
    Failed: count("failed"),
  };
  return EVENT_METRICS.map((name) => ({ name, unit: MetricUnit.Count, value: valueOf[name] }));
}
