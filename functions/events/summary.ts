import { fitMessage, MESSAGE_MAX_BYTES, toSnsSubject } from "../report/index.js";
import { cloudTrailUrl, resourceUrl, stackDriftUrl } from "../report/index.js";
import type { EventActionReport, EventResourceResult } from "./types.js";

export function hasFindings(report: EventActionReport): boolean {
  return report.results.some((r) => r.finding);
}

export function eventSubject(report: EventActionReport): string {
  const outcomes = [...new Set(report.results.map((r) => r.action.outcome))].join("/");
  return toSnsSubject(`driftguard: ${outcomes} after ${report.eventName} in ${report.accountName} ${report.region}`);
}

function describeResult(r: EventResourceResult, withLinks: boolean): string[] {
  const where = r.stack ? ` in stack ${r.stack.stackName} (${r.logicalId})` : " (no stack)";
  const lines = [`- ${r.resource.resourceType} ${r.resource.physicalId}${where}: ${r.action.outcome}: ${r.action.reason}`];
  const url = withLinks ? (resourceUrl(r.resource.resourceType, r.resource.physicalId, r.region, r.stack?.stackId) ?? (r.stack ? stackDriftUrl(r.region, r.stack.stackId) : undefined)) : undefined;
  if (url) lines.push(`    Console: ${url}`);
  for (const d of r.differences ?? []) lines.push(`    ${d.differenceType} ${d.propertyPath}: expected ${d.expectedValue}, found ${d.actualValue}`);
  for (const step of r.action.steps) lines.push(`    step: ${step}`);
  return lines;
}

/** Where the record is: `where` for the text (s3:// URI or why it is missing), `url` its console page. */
export interface EventLinks {
  where: string;
  url?: string;
}

/**
 * The readable text (email, default): what was called, by whom, and what driftguard did about
 * each resource. With `links.url` (the email), every link is an https console URL ending its
 * line: the resource's page, the CloudTrail event, the stored report.
 */
export function eventText(report: EventActionReport, links: EventLinks, withLinks = links.url !== undefined): string {
  const a = report.actor;
  const first = report.results[0];
  const trail = withLinks && first ? cloudTrailUrl({ ...a, eventId: report.changeId }, first.resource.resourceType, report.region) : undefined;
  return [
    `${report.eventName} in account ${report.account} (${report.accountName}), ${report.region}, at ${report.eventTime}`,
    `Changed by: ${a.arn ?? "unknown"}${a.type ? ` (${a.type})` : ""}${a.sourceIp ? ` from ${a.sourceIp}` : ""}`,
    ...(trail ? [`CloudTrail event: ${trail}`] : []),
    ...report.results.flatMap((r) => describeResult(r, withLinks)),
    `Event to action: ${report.latencyMs} ms`,
    ...(links.url ? [`Stored at: ${links.where}`, `Report: ${links.url}`] : [`Report: ${links.where}`]),
  ].join("\n");
}

/** The text as one plain SNS message, within SNS's budget. */
export function eventMessage(report: EventActionReport, reportUri: string): string {
  return fitMessage(eventText(report, { where: reportUri }), MESSAGE_MAX_BYTES, `The full report is at ${reportUri}`);
}
