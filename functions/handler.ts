import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { CLOUDTRAIL_DETAIL_TYPE } from "./config/events.js";
import { MODES, type Mode } from "./config/schema.js";
import type { ReportTotals, RunReport } from "./core/types.js";
import { type EventDeps, handleChangeEvent, RecentIds } from "./events/index.js";
import { type FanoutRequest, parseFanoutRequest, type PartitionOutput, runPartitioner, runReducer, runWorker, type WorkerOutput } from "./fanout/index.js";
import { createDeadline } from "./core/deadline.js";
import { logger } from "./core/logger.js";
import { createMetrics, MetricUnit, publishMetrics, RUN_SKIPPED } from "./core/metrics.js";
import { runMetricValues, type PublishOutcome } from "./report/index.js";
import { eventDeps, executionRunId, loadRuntime, newRunId, type Runtime, scanDeps } from "./runtime/index.js";
import { announceSkippedRun, RunInProgressError, runScan, type OrganizationIdSource, type ScanDeps, type ScanProgress, type SkippedRun } from "./scanner/index.js";
import { DriftguardError } from "./core/errors.js";

/** What an invocation asks for, decided from the payload alone. */
export type Invocation =
  | { kind: "scan"; trigger: string; modeOverride?: Mode }
  | { kind: "change-event" }
  | { kind: "fanout"; request: FanoutRequest }
  | { kind: "unknown"; description: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * - EventBridge rule schedule: `{"detail-type": "Scheduled Event", "source": "aws.events", …}`
 * - direct invoke: `{"trigger": "schedule", "mode"?: "report" | "remediate"}`
 * - CloudTrail change forwarded by the spoke's EventBridge rule: detail-type "AWS API Call via CloudTrail"
 * - the fan-out state machine's steps: `{"fanout": "plan" | "scan" | "reduce", …}` (fanout/requests.ts)
 */
export function classifyInvocation(event: unknown): Invocation {
  if (!isRecord(event)) return { kind: "unknown", description: `payload is ${event === null ? "null" : typeof event}` };
  const detailType = event["detail-type"];
  if (detailType === "Scheduled Event" && event.source === "aws.events") return { kind: "scan", trigger: "schedule" };
  if (detailType === CLOUDTRAIL_DETAIL_TYPE) return { kind: "change-event" };
  if (event.fanout !== undefined) {
    const parsed = parseFanoutRequest(event);
    return "problem" in parsed ? { kind: "unknown", description: `fan-out payload: ${parsed.problem}` } : { kind: "fanout", request: parsed };
  }
  if (event.trigger === "schedule") {
    const mode = event.mode;
    if (mode === undefined) return { kind: "scan", trigger: "schedule" };
    if (typeof mode === "string" && (MODES as readonly string[]).includes(mode)) return { kind: "scan", trigger: "schedule", modeOverride: mode as Mode };
    return { kind: "unknown", description: `mode ${JSON.stringify(mode)} is not one of ${MODES.join(", ")}` };
  }
  const keys = Object.keys(event).slice(0, 10).join(", ");
  return { kind: "unknown", description: `no route for a payload with keys [${keys}]${typeof detailType === "string" ? ` and detail-type "${detailType}"` : ""}` };
}

/** The Lambda's answer to a scan: small, the report itself is in S3. */
export interface ScanSummary {
  runId: string;
  incomplete: boolean;
  totals: ReportTotals;
  reportKey: string;
  s3: boolean;
  sns: boolean;
}

/** An overlapping run's answer: it did nothing, and says which run holds the lease. */
export type SkippedScan = SkippedRun;

/**
 * A report that reached neither S3 nor SNS fails the invocation, so Lambda's failure destination
 * and Errors metric see it (the summary is logged first, the only record left).
 */

/** The end of a run (scan or reduce): its EMF metrics, then the Lambda's small answer. */
function finishRun(metrics: Metrics, report: RunReport, publish: PublishOutcome): ScanSummary {
  publishMetrics(metrics, runMetricValues(report, publish.s3.ok, publish.webhooks));
  return scanSummary(report, publish);
}

function scanSummary(report: RunReport, publish: PublishOutcome): ScanSummary {
  const summary = { runId: report.runId, incomplete: report.incomplete, totals: report.totals, reportKey: publish.keys.json, s3: publish.s3.ok, sns: publish.sns.ok };
  if (!publish.s3.ok && !publish.sns.ok) {
    logger.error("run report reached neither S3 nor SNS", { summary, runErrors: report.runErrors, s3: publish.s3, sns: publish.sns });
    throw new DriftguardError(
      "ReportNotDelivered",
      `run ${report.runId}: the report could be neither stored (${publish.s3.error.code}: ${publish.s3.error.message}) nor notified (${publish.sns.error.code}: ${publish.sns.error.message}); its totals are in this invocation's log`,
    );
  }
  return summary;
}

/**
 * Another run holds the lease: not an error of this invocation (a retry must not start a third
 * run), but loud: the RunSkipped metric, a warning and an SNS message (scanner/skipped-run.ts).
 */
async function announceSkip(metrics: Metrics, deps: Pick<ScanDeps, "sns" | "logger">, topicArn: string, skip: SkippedRun): Promise<SkippedScan> {
  publishMetrics(metrics, [{ name: RUN_SKIPPED, unit: MetricUnit.Count, value: 1 }]);
  await announceSkippedRun(deps, topicArn, skip);
  return skip;
}

async function unlessOverlapping<T>(run: () => Promise<T>, skipped: (skip: SkippedRun) => Promise<SkippedScan>): Promise<T | SkippedScan> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RunInProgressError) return skipped(err.skip);
    throw err;
  }
}

export interface Routes {
  scan(invocation: Extract<Invocation, { kind: "scan" }>, context: Context): Promise<ScanSummary | SkippedScan>;
  changeEvent(event: unknown, context: Context): Promise<unknown>;
  /** Each answer is small: the state machine passes it on, within Step Functions' 256 KB. */
  fanout(request: FanoutRequest, context: Context): Promise<PartitionOutput | WorkerOutput | ScanSummary | SkippedScan>;
}

export function createHandler(routes: Routes) {
  return async (event: unknown, context: Context): Promise<unknown> => {
    logger.addContext(context);
    const invocation = classifyInvocation(event);
    switch (invocation.kind) {
      case "scan":
        return routes.scan(invocation, context);
      case "change-event":
        return routes.changeEvent(event, context);
      case "fanout":
        return routes.fanout(invocation.request, context);
      case "unknown":
        logger.error("unrecognised invocation", { description: invocation.description });
        throw new Error(`driftguard: unrecognised invocation: ${invocation.description}`);
    }
  };
}

/** Observers a local runner (`npm start`) attaches; the deployed Lambda has none. */
export interface RouteHooks {
  onProgress?(event: ScanProgress): void;
}

/**
 * How long a container keeps the configuration it read: the report bucket's object is the source
 * of truth, so onboarding reaches a warm container within a minute, while a burst of change events
 * costs one S3 read a minute, not one per event.
 */
export const CONFIG_REFRESH_MS = 60_000;

/** Where the deployed configuration names the organization: the object's key and the line in it. */
function organizationIdSource(rt: Runtime): OrganizationIdSource {
  return { file: rt.configSource, ...(rt.organizationIdLine !== undefined ? { line: rt.organizationIdLine } : {}) };
}

/**
 * Settings and clients are built on first use and kept for the routes' life (one per container in
 * Lambda); the configuration is re-read once it is CONFIG_REFRESH_MS old. The event path's spoke
 * clients are kept while the configuration stays the same; recent-change ids, the organization's
 * membership and the ownership cache for the container's life.
 */
export function createProductionRoutes(hooks: RouteHooks = {}, now: () => number = Date.now): Routes {
  let runtime: { value: Promise<Runtime>; at: number } | undefined;
  let events: { for: Runtime; deps: EventDeps } | undefined;
  const metrics = createMetrics();
  const currentRuntime = async (): Promise<Runtime> => {
    if (runtime === undefined || now() - runtime.at >= CONFIG_REFRESH_MS) {
      const previous = runtime === undefined ? undefined : await runtime.value.catch(() => undefined);
      const value = loadRuntime(process.env, previous?.hub);
      // A failed read is not cached: the next invocation tries again.
      value.catch(() => (runtime = undefined));
      runtime = { value, at: now() };
    }
    return runtime.value;
  };
  return {
    async scan(invocation, context) {
      const rt = await currentRuntime();
      const deps = scanDeps(rt.hub, rt.settings.reportBucket, logger);
      return unlessOverlapping(async () => {
        const { report, publish } = await runScan(deps, {
          config: rt.config,
          runId: newRunId(new Date()),
          trigger: invocation.trigger,
          modeOverride: invocation.modeOverride ?? rt.settings.modeOverride,
          deadline: createDeadline(context.getRemainingTimeInMillis(), Date.now),
          // The lease lasts as long as this invocation can: its timeout, as far as the handler can tell.
          leaseTtlMs: context.getRemainingTimeInMillis(),
          publish: { bucket: rt.settings.reportBucket, topicArn: rt.settings.topicArn, region: rt.config.hub.region, chatbot: rt.config.hub.notifications.chatbot, webhooks: rt.config.hub.notifications.webhooks },
          configSource: organizationIdSource(rt),
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
        });
        return finishRun(metrics, report, publish);
      }, (skip) => announceSkip(metrics, deps, rt.settings.topicArn, skip));
    },
    async changeEvent(event) {
      const rt = await currentRuntime();
      if (events?.for !== rt) events = { for: rt, deps: eventDeps(rt, logger, events?.deps.recent ?? new RecentIds(), events?.deps) };
      const outcome = await handleChangeEvent(event, events.deps);
      // Like a scan's report: a finding that reached neither S3 nor SNS fails the invocation.
      if (outcome.status === "handled" && !outcome.delivery.record.ok && !outcome.delivery.notification.ok) {
        throw new DriftguardError(
          "EventRecordNotDelivered",
          `event ${outcome.report.changeId} (${outcome.summary}): the record could be neither stored (${outcome.delivery.record.error.code}) nor notified (${outcome.delivery.notification.error.code}); it is in this invocation's log`,
        );
      }
      return outcome;
    },
    async fanout(request, context) {
      const rt = await currentRuntime();
      const { config, settings, hub } = rt;
      const deps = scanDeps(hub, settings.reportBucket, logger);
      const publish = { bucket: settings.reportBucket, topicArn: settings.topicArn, region: config.hub.region, chatbot: config.hub.notifications.chatbot, webhooks: config.hub.notifications.webhooks };
      switch (request.step) {
        case "plan": {
          const modeOverride = request.modeOverride ?? settings.modeOverride;
          const partitioned = await runPartitioner(deps, {
            config,
            runId: request.execution ? executionRunId(request.execution) : newRunId(new Date()),
            trigger: request.trigger,
            modeOverride,
            bucket: publish.bucket,
            leaseTtlMs: context.getRemainingTimeInMillis(),
            configSource: organizationIdSource(rt),
          });
          if ("skipped" in partitioned) return announceSkip(metrics, deps, publish.topicArn, partitioned);
          const { runId, itemsKey, workers } = partitioned;
          hooks.onProgress?.({ kind: "accounts", configured: config.accounts.length, toScan: workers });
          return { runId, itemsKey, workers };
        }
        case "scan":
          return runWorker(deps, {
            config,
            item: request.item,
            bucket: publish.bucket,
            deadline: createDeadline(context.getRemainingTimeInMillis(), Date.now),
            leaseTtlMs: context.getRemainingTimeInMillis(),
            ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          });
        case "reduce": {
          const { report, publish: published } = await runReducer(deps, { config, runId: request.runId, publish });
          return finishRun(metrics, report, published);
        }
      }
    },
  };
}

export const handler = createHandler(createProductionRoutes());
