import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { createOwnershipLookup, type RemediationGuards, safetyPolicy } from "../remediation/index.js";
import { errorText } from "../core/errors.js";
import { publishMetrics } from "../core/metrics.js";
import { eventMetricValues } from "./metrics.js";
import { actOnResource } from "./act.js";
import { admitChange, needsPlacement, screenChange, type Placement } from "./admit.js";
import { isRejection, parseChangeEvent, reject, type DropReason, type ParsedChange, type Rejection } from "./parse.js";
import { isStackOperation, stackOperationScope } from "./stack-operations.js";
import { resolveResources } from "./resolve.js";
import type { EventDelivery } from "./publish.js";
import { EVENT_REPORT_SCHEMA_VERSION, type EventActionReport, type EventDeps, type EventOutcome } from "./types.js";
import { actorFromDetail } from "../aws/cloudtrail-actor.js";

/** Reasons that point at a bug or a misrouted event rather than routine filtering. */
const ALARMING: ReadonlySet<DropReason> = new Set(["malformed", "not-cloudtrail", "account-mismatch", "organization-unavailable", "error"]);

function drop(rejection: Rejection, deps: EventDeps, eventId: unknown): EventOutcome {
  const fields = { reason: rejection.reason, detail: rejection.detail, eventId };
  if (ALARMING.has(rejection.reason)) deps.logger.warn("event dropped", fields);
  else deps.logger.info("event dropped", fields);
  const metric = deps.metrics.singleMetric();
  metric.addDimension("reason", rejection.reason);
  metric.addMetric("DroppedEvents", MetricUnit.Count, 1);
  return { status: "dropped", reason: rejection.reason, detail: rejection.detail };
}

/**
 * Only this event's repairs count towards flapping; other resources' counters stay as they are.
 * The repair is done either way, so a failed save is logged rather than losing the report.
 */
async function saveFlapping(guards: Promise<RemediationGuards>, deps: EventDeps): Promise<void> {
  try {
    await (await guards).finish();
  } catch (error) {
    deps.logger.error("flapping record not saved", { error: errorText(error) });
  }
}

/** "remediated, notification failed": what was done, then what did not reach people. */
export function deliverySummary(report: EventActionReport, delivery: EventDelivery): string {
  const outcomes = [...new Set(report.results.filter((r) => r.finding).map((r) => r.action.outcome))];
  const done = outcomes.length > 0 ? outcomes.join(", ") : "no finding";
  const problems = [...(delivery.record.ok ? [] : ["record not stored"]), ...(delivery.notification.ok ? [] : ["notification failed"])];
  return [done, ...problems].join(", ");
}

/** A failed lookup drops the event (fail closed: the OU decides the mode); the scheduled scan still covers the account. */
async function placementOf(accountId: string, deps: EventDeps): Promise<Placement | Rejection> {
  try {
    return (await deps.placementOf(accountId)) ?? "not-in-organization";
  } catch (error) {
    return reject("organization-unavailable", `cannot read account ${accountId}'s place in the organization (${errorText(error)}); the next scheduled scan covers it`);
  }
}

/** A stack operation changes what attachments own in its account-region: what the cache kept there is forgotten. */
function noteStackOperation(change: ParsedChange, deps: EventDeps): EventOutcome {
  const { accountId, region } = stackOperationScope(change);
  deps.ownershipCache?.invalidate(accountId, region);
  const detail = `${change.detail.eventName} in ${accountId} ${region}: attachments there are read again on next use`;
  deps.logger.info("stack operation noted", { eventId: change.eventId, eventName: change.detail.eventName, accountId, region });
  return { status: "noted", detail };
}

function idOf(event: unknown): unknown {
  return typeof event === "object" && event !== null ? (event as { id?: unknown }).id : undefined;
}

/**
 * The event path: one CloudTrail API call, delivered by EventBridge, checked and repaired within
 * this invocation. Never throws; anything it cannot act on is logged, counted and dropped.
 */
export async function handleChangeEvent(event: unknown, deps: EventDeps): Promise<EventOutcome> {
  const started = deps.now();
  try {
    const change = parseChangeEvent(event);
    if (isRejection(change)) return drop(change, deps, idOf(event));
    if (isStackOperation(change.detail.eventName)) return noteStackOperation(change, deps);
    if (deps.recent.has(change.changeId)) return drop(reject("duplicate", `change ${change.changeId} was handled already`), deps, change.eventId);
    const screened = screenChange(change, deps.config);
    if (screened) return drop(screened, deps, change.eventId);
    const placement = needsPlacement(deps.config) ? await placementOf(change.account, deps) : undefined;
    if (isRejection(placement)) return drop(placement, deps, change.eventId);
    const admission = admitChange(change, deps.config, deps.modeOverride, placement);
    if (isRejection(admission)) return drop(admission, deps, change.eventId);
    const resources = resolveResources(change.detail, change.account);
    if (resources.length === 0) {
      return drop(reject("no-resource", `${change.detail.eventName} names no resource driftguard tracks`), deps, change.eventId);
    }

    const actor = actorFromDetail(change.detail, "event");
    let opened: Promise<RemediationGuards> | undefined;
    const guards = () => (opened ??= deps.openGuards());
    const { account } = admission;
    // The real organization, as the scheduled scan checks it: accounts.yaml is not the membership.
    const membership = await deps.membership();
    if ("error" in membership) deps.logger.error("organization membership unreadable; repairs that trust another account are refused", { error: membership.error });
    const safety = safetyPolicy(deps.config, membership);
    // Issue 19 bench: event → revert p50 3.2 s with 25 stacks in the account-region (load 20;
    // 3.0 s idle in session 4); with 6 stacks the median trial spent 932 ms of 935 in GetTemplate,
    // one per stack. 25 of them through the account-region's 10 requests/s bucket (burst 10) wait
    // ≈ 1.5 s for tokens alone. The scan's listings say which stacks hold attachments.
    const ownership = createOwnershipLookup({
      accountId: account.id,
      regions: account.regions,
      cloudformationFor: async (region) => (await deps.clientsFor(account.id, region)).cloudformation,
      ...(deps.listedResourceTypes ? { resourceTypes: deps.listedResourceTypes(account.id) } : {}),
      ...(deps.ownershipCache ? { cache: deps.ownershipCache } : {}),
    });
    const results = [];
    // One at a time: events touch one resource or a few, and the calls share a throttled account.
    for (const resource of resources) results.push(await actOnResource(resource, { change, admission, actor, deps, guards, safety, ownership, now: started }));

    const finishedAt = deps.now();
    const report: EventActionReport = {
      schemaVersion: EVENT_REPORT_SCHEMA_VERSION,
      eventId: change.eventId,
      changeId: change.changeId,
      account: admission.account.id,
      accountName: admission.account.name,
      region: admission.region,
      eventName: change.detail.eventName,
      eventTime: change.detail.eventTime,
      actor,
      results,
      finishedAt: finishedAt.toISOString(),
      latencyMs: Math.max(0, finishedAt.getTime() - Date.parse(change.detail.eventTime)),
      handlingMs: finishedAt.getTime() - started.getTime(),
    };
    // Logged before anything else can fail, so the record of what was done survives.
    deps.logger.info("event handled", { report });
    if (opened) await saveFlapping(opened, deps);
    deps.metrics.singleMetric().addMetric("EventLatency", MetricUnit.Milliseconds, report.latencyMs);
    publishMetrics(deps.metrics, eventMetricValues(report));
    // Counted once, as Contested in the EMF document above (events/metrics.ts), the name the scan and the alarm use.
    for (const r of results.filter((x) => x.action.contested !== undefined)) {
      deps.logger.error("contested resource changed again", { resource: r.resource, contested: r.action.contested, actor });
    }
    const delivery = await deps.publish(report);
    const summary = deliverySummary(report, delivery);
    if (!delivery.record.ok) deps.logger.error("event record not stored in S3", { key: delivery.record.key, error: delivery.record.error, notified: delivery.notification.ok, report });
    if (!delivery.notification.ok) {
      deps.logger.error("event notification failed", { error: delivery.notification.error, summary });
      deps.metrics.singleMetric().addMetric("EventNotificationsFailed", MetricUnit.Count, 1);
    }
    // Redeliveries are only skipped once the record reached someone; otherwise a retry may yet deliver it.
    if (delivery.record.ok || delivery.notification.ok) deps.recent.add(change.changeId);
    return { status: "handled", report, delivery, summary };
  } catch (error) {
    return drop(reject("error", errorText(error)), deps, idOf(event));
  }
}
