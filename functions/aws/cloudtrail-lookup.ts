import { paginateLookupEvents, type CloudTrailClient, type Event } from "@aws-sdk/client-cloudtrail";
import type { ChangeActor } from "../core/types.js";
import { isCloudFormationCall, isOwnRoleCall, type OwnRoleArns } from "./cloudtrail-origin.js";
import { cloudTrailDetailSchema, type CloudTrailDetail } from "./cloudtrail-record.js";
import { actorFromDetail } from "./cloudtrail-actor.js";

export interface LookupActorOptions {
  /** driftguard's own role in the account looked up (cloudtrail-origin.ts). */
  ownRoleArn: OwnRoleArns;
  now?: Date;
  /** CloudTrail event history keeps 90 days. */
  days?: number;
  /** LookupEvents allows 2 calls per second per account-region: keep the search short. */
  maxPages?: number;
  /** Awaited before every LookupEvents call: the caller's limiter for the account-region's quota. */
  throttle?: () => Promise<void>;
  /** Only these calls count (e.g. the tagging calls, for "who set the exemption tag"); absent = any change. */
  eventNames?: ReadonlySet<string>;
}

const PAGE_SIZE = 50;

function mutatingDetail(event: Event): CloudTrailDetail | undefined {
  if (event.ReadOnly === "true" || event.CloudTrailEvent === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(event.CloudTrailEvent);
  } catch {
    return undefined;
  }
  const parsed = cloudTrailDetailSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const detail = parsed.data;
  return detail.readOnly === true || detail.errorCode !== undefined ? undefined : detail;
}

/**
 * The most recent change to a resource made by someone other than driftguard or CloudFormation,
 * from CloudTrail event history (newest first). Undefined when none is found within the page cap.
 * Throws when CloudTrail fails: the caller decides whether a missing "who" matters.
 */
export async function lookupActor(cloudtrail: CloudTrailClient, physicalId: string, opts: LookupActorOptions): Promise<ChangeActor | undefined> {
  const now = opts.now ?? new Date();
  const startTime = new Date(now.getTime() - (opts.days ?? 90) * 86_400_000);
  const maxPages = opts.maxPages ?? 3;
  const pages = paginateLookupEvents(
    { client: cloudtrail, pageSize: PAGE_SIZE },
    { LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: physicalId }], StartTime: startTime, EndTime: now },
  );
  // The paginator sends the next request only when asked for the next page, so the throttle
  // awaited at the end of each turn spaces every LookupEvents call, the first one included.
  await opts.throttle?.();
  let read = 0;
  for await (const page of pages) {
    for (const event of page.Events ?? []) {
      const detail = mutatingDetail(event);
      if (detail && (opts.eventNames === undefined || opts.eventNames.has(detail.eventName)) && !isOwnRoleCall(detail, opts.ownRoleArn) && !isCloudFormationCall(detail)) {
        return actorFromDetail(detail, "cloudtrail-lookup");
      }
    }
    if (++read >= maxPages || !page.NextToken) return undefined;
    await opts.throttle?.();
  }
  return undefined;
}
