import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { OwnRoleArns } from "../aws/cloudtrail-origin.js";
import { lookupActor } from "../aws/cloudtrail-lookup.js";
import type { RateLimiter } from "../aws/rate-limit.js";
import { toErrorInfo } from "../core/errors.js";
import type { ChangeActor, ErrorInfo } from "../core/types.js";

export interface CreatorLookup {
  cloudtrail: CloudTrailClient;
  ownRoleArn: OwnRoleArns;
  /** The account-region's LookupEvents limiter (2 calls per second), shared with the stacks' lookups. */
  throttle: RateLimiter;
  now(): number;
  canStart(): boolean;
}

export interface CreatorAnswer {
  actor?: ChangeActor;
  /** Why CloudTrail could not be asked, or failed: the creator is reported unknown. */
  error?: ErrorInfo;
}

/**
 * Who made a resource: the newest creating call (RunInstances, CreateVpc …) naming it in CloudTrail
 * event history, which keeps 90 days of management events (CloudTrail User Guide, "Viewing events
 * with CloudTrail Event history"). Older resources have no record: their creator stays unknown.
 * Never throws.
 */
export async function findCreator(lookup: CreatorLookup, physicalId: string, eventName: string): Promise<CreatorAnswer> {
  if (!lookup.canStart()) return { error: { code: "DeadlineReached", message: "the run's time budget was reached before CloudTrail was asked" } };
  try {
    const actor = await lookupActor(lookup.cloudtrail, physicalId, {
      ownRoleArn: lookup.ownRoleArn,
      now: new Date(lookup.now()),
      days: 90,
      throttle: lookup.throttle,
      eventNames: new Set([eventName]),
    });
    return actor ? { actor } : {};
  } catch (err) {
    return { error: toErrorInfo(err) };
  }
}
