import { fitMessage, MESSAGE_MAX_BYTES, toSnsSubject } from "../report/index.js";
import type { EventActionReport, EventResourceResult } from "./types.js";

export function hasFindings(report: EventActionReport): boolean {
  return report.results.some((r) => r.finding);
}

export function eventSubject(report: EventActionReport): string {
  const outcomes = [...new Set(report.results.map((r) => r.action.outcome))].join("/");
  return toSnsSubject(`driftguard: ${outcomes} after ${report.eventName} in ${report.accountName} ${report.region}`);
}

function describeResult(r: EventResourceResult): string[] {
  const where = r.stack ? ` in stack ${r.stack.stackName} (${r.logicalId})` : " (no stack)";
  const lines = [`- ${r.resource.resourceType} ${r.resource.physicalId}${where}: ${r.action.outcome}: ${r.action.reason}`];
  for (const d of r.differences ?? []) lines.push(`    ${d.differenceType} ${d.propertyPath}: expected ${d.expectedValue}, found ${d.actualValue}`);
  for (const step of r.action.steps) lines.push(`    step: ${step}`);
  return lines;
}

/** Plain-text SNS message: what was called, by whom, and what driftguard did about each resource. */
export function eventMessage(report: EventActionReport, reportUri: string): string {
  const a = report.actor;
  const text = [
    `${report.eventName} in account ${report.account} (${report.accountName}), ${report.region}, at ${report.eventTime}`,
    `Changed by: ${a.arn ?? "unknown"}${a.type ? ` (${a.type})` : ""}${a.sourceIp ? ` from ${a.sourceIp}` : ""}`,
    ...report.results.flatMap(describeResult),
    `Event to action: ${report.latencyMs} ms`,
    `Report: ${reportUri}`,
  ].join("\n");
  return fitMessage(text, MESSAGE_MAX_BYTES, `The full report is at ${reportUri}`);
}
