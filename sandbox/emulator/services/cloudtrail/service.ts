import type { LookupEventsCommandInput, LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import type { TrailEvent } from "../../state.js";
import { regionOf } from "../../state.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import { list, optionalNumber } from "../shared/params.js";
import { paginate } from "../shared/paging.js";

/** CloudTrail LookupEvents over the management events the sandbox recorded (see cloudtrail-record.ts). */

const ATTRIBUTES: Record<string, (e: TrailEvent) => string[]> = {
  EventId: (e) => [e.eventId],
  EventName: (e) => [e.eventName],
  ReadOnly: (e) => [String(e.readOnly)],
  Username: (e) => [e.username],
  ResourceType: (e) => e.resources.map((r) => r.type),
  ResourceName: (e) => e.resources.map((r) => r.name),
  EventSource: (e) => [e.eventSource],
  AccessKeyId: (e) => [e.accessKeyId],
};

function toMillis(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.getTime();
  if (typeof value === "number") return value * 1000;
  const parsed = Date.parse(String(value));
  if (Number.isNaN(parsed)) throw new AwsError("InvalidTimeRangeException", `${String(value)} is not a valid time`);
  return parsed;
}

function lookupEvents(params: LookupEventsCommandInput, ctx: CallContext): Omit<LookupEventsCommandOutput, "$metadata"> {
  const attributes = list(params.LookupAttributes);
  if (attributes.length > 1) throw new AwsError("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.");
  const attribute = attributes[0];
  const values = attribute ? ATTRIBUTES[attribute.AttributeKey ?? ""] : undefined;
  if (attribute && !values) throw new AwsError("InvalidLookupAttributesException", `The attribute key ${attribute.AttributeKey} is not valid.`);
  const start = toMillis(params.StartTime) ?? 0;
  const end = toMillis(params.EndTime) ?? Number.MAX_SAFE_INTEGER;
  if (start > end) throw new AwsError("InvalidTimeRangeException", "Start time must be before end time.");
  const max = optionalNumber(params.MaxResults) ?? 50;
  if (max < 1 || max > 50) throw new AwsError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.");
  const account = ctx.world.accounts.get(ctx.accountId);
  const trail = account ? (regionOf(account, ctx.region).cloudTrail ?? []) : [];
  const matching = trail
    .filter((e) => {
      const t = Date.parse(e.eventTime);
      return t >= start && t <= end && (!values || values(e).includes(attribute!.AttributeValue ?? ""));
    })
    .reverse();
  const page = paginate(matching, params.NextToken, max, () => new AwsError("InvalidNextTokenException", "The NextToken is not valid."));
  return {
    Events: page.items.map((e) => ({
      EventId: e.eventId,
      EventName: e.eventName,
      ReadOnly: String(e.readOnly),
      AccessKeyId: e.accessKeyId,
      EventTime: new Date(e.eventTime),
      EventSource: e.eventSource,
      Username: e.username,
      Resources: e.resources.map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
      CloudTrailEvent: JSON.stringify(e.record),
    })),
    NextToken: page.next,
  };
}

export const cloudtrailService: ServiceDefinition = {
  name: "cloudtrail",
  protocol: "json",
  actions: { LookupEvents: lookupEvents },
};
