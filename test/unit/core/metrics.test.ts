import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunReport } from "../../../functions/core/types.js";
import { createMetrics, HEARTBEAT, METRICS_NAMESPACE, publishMetrics } from "../../../functions/core/metrics.js";
import { eventMetricValues } from "../../../functions/events/metrics.js";
import { RUN_METRICS, runMetricValues } from "../../../functions/report/metrics.js";
import { resource, sampleAccounts, sampleReport } from "../report/sample.js";

/** The EMF documents Powertools writes, parsed: what CloudWatch extracts metrics from. */
function emitted(run: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Powertools writes through the global console only in dev mode, which disables metrics unless told otherwise. */
function captureThroughConsole() {
  vi.stubEnv("POWERTOOLS_DEV", "true");
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

const directive = (doc: Record<string, unknown>) => (doc._aws as { CloudWatchMetrics: EmfDirective[] }).CloudWatchMetrics[0]!;

describe("EMF metrics at the end of a run", () => {
  beforeEach(captureThroughConsole);
  afterEach(() => vi.unstubAllEnvs());

  it("carries every run metric with its unit and the report's values, in one EMF document", () => {
    const report = sampleReport();
    const [doc] = emitted(() => publishMetrics(createMetrics(), runMetricValues(report, true)));
    const d = directive(doc!);
    expect(d.Namespace).toBe(METRICS_NAMESPACE);
    expect(d.Dimensions).toEqual([["service"]]);
    expect(doc!.service).toBe("driftguard");
    const names = d.Metrics.map((m) => m.Name);
    // The list; Contested comes with the guard work.
    expect(names).toEqual(expect.arrayContaining(["StacksScanned", "StacksDrifted", "ResourcesDrifted", "Remediated", "Planned", "Refused", "SkippedByGuard", "Manual", "Failed", "AccountsFailed", "Errors", "Incomplete", "RunSeconds"]));
    expect(d.Metrics.find((m) => m.Name === "RunSeconds")!.Unit).toBe("Seconds");
    expect(d.Metrics.find((m) => m.Name === "Remediated")!.Unit).toBe("Count");
    // Values from the report, independently: the sample's totals and timestamps.
    const t = report.totals;
    expect(doc).toMatchObject({
      StacksScanned: t.stacksScanned,
      StacksDrifted: t.stacksDrifted,
      ResourcesDrifted: t.resourcesDrifted,
      Remediated: t.remediated,
      Planned: t.planned,
      Manual: t.manual,
      Failed: t.failed,
      AccountsFailed: t.accountsFailed,
      Errors: t.errors,
      Incomplete: 1,
      RunSeconds: (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000,
    });
    // An incomplete run is not a successful scan: no heartbeat.
    expect(names).not.toContain(HEARTBEAT);
  });

  it("sends a heartbeat only after a successful scan", () => {
    const clean = sampleAccounts().slice(0, 1).map((a) => ({ ...a, status: "scanned" as const, error: undefined, regions: a.regions.filter((r) => r.status === "scanned").map((r) => ({ ...r, stacks: r.stacks.filter((s) => s.scan !== "not-scanned") })) }));
    const ok = sampleReport(clean);
    expect(ok.incomplete).toBe(false);
    const names = (r: RunReport, stored: boolean) => runMetricValues(r, stored).map((v) => v.name);
    expect(names(ok, true)).toContain(HEARTBEAT);
    expect(names(ok, false), "report not stored").not.toContain(HEARTBEAT);
    const allFailed = sampleReport(clean.map((a) => ({ ...a, status: "failed" as const, error: { code: "AccessDenied", message: "no" }, regions: [] })));
    expect(names(allFailed, true), "every account failed").not.toContain(HEARTBEAT);
  });

  it("counts refusals and guard holds the totals do not carry", () => {
    const accounts = sampleAccounts().slice(0, 1);
    accounts[0]!.regions[0]!.stacks[0]!.resources = [
      resource({ action: { outcome: "refused" as never, reason: "would grant", steps: [] } }),
      resource({ action: { outcome: "skipped", reason: "blast radius: one more repair would exceed the limit of 1 per run (1 made)", steps: [] } }),
      resource({ action: { outcome: "skipped", reason: "exempt: INC-1", steps: [] } }),
    ];
    const values = Object.fromEntries(runMetricValues(sampleReport(accounts), true).map((v) => [v.name, v.value]));
    expect(values).toMatchObject({ Refused: 1, SkippedByGuard: 1 });
  });

  it("every RUN_METRICS entry reaches the EMF document", () => {
    const [doc] = emitted(() => publishMetrics(createMetrics(), runMetricValues(sampleReport(), true)));
    for (const name of Object.keys(RUN_METRICS)) expect(doc, name).toHaveProperty(name);
  });
});

describe("EMF metrics of an event action", () => {
  beforeEach(captureThroughConsole);
  afterEach(() => vi.unstubAllEnvs());

  it("counts the event's outcomes under the run metrics' names", () => {
    const action = (outcome: string, reason = "r", guard?: string) => ({ action: { outcome, reason, steps: [], ...(guard ? { guard } : {}) } });
    const report = { results: [action("remediated"), action("remediated"), action("manual"), action("skipped", "flapping: re-drifted and repaired in 3 consecutive scans", "flapping")] } as never;
    const [doc] = emitted(() => publishMetrics(createMetrics(), eventMetricValues(report)));
    expect(doc).toMatchObject({ Remediated: 2, Manual: 1, SkippedByGuard: 1, Failed: 0, Planned: 0 });
    expect(directive(doc!).Metrics.every((m) => m.Unit === "Count")).toBe(true);
  });
});
