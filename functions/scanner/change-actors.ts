import type { OwnRoleArns } from "../aws/cloudtrail-origin.js";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import pLimit from "p-limit";
import { createRateLimiter, type RateLimiter } from "../aws/rate-limit.js";
import type { Clock } from "../core/clock.js";
import type { ChangeActor, ErrorInfo, ResourceDrift } from "../core/types.js";
import { lookupActor } from "../aws/cloudtrail-lookup.js";
import { toErrorInfo } from "../core/errors.js";

/**
 * CloudTrail LookupEvents is limited to 2 requests per second per account and region, and
 * throttles beyond that (CloudTrail User Guide, "Quotas in AWS CloudTrail"). Every stack of an
 * account-region queues behind that region's one limiter (RegionScope.lookupLimiter).
 */
export const LOOKUP_EVENTS_PER_SECOND = 2;

/** The limiter one account-region's lookups share. */
export function lookupEventsLimiter(clock: Clock): RateLimiter {
  return createRateLimiter(LOOKUP_EVENTS_PER_SECOND, clock);
}

/** Lookups of one stack in flight at once; more would only wait on the limiter. */
const LOOKUPS_IN_FLIGHT = 2;

export interface ChangeActorLookup {
  cloudtrail: CloudTrailClient;
  /** driftguard's spoke role: its own repairs are not "who changed it". */
  ownRoleArn: OwnRoleArns;
  now(): number;
  /** The account-region's LookupEvents limiter, awaited before every call. */
  throttle: RateLimiter;
  /** False once the run's deadline is near: knowing who changed a resource is not worth a cut-off report. */
  canStart(): boolean;
}

export interface ChangeActors {
  /** By logical id; resources CloudTrail tells nothing about are absent. */
  byLogicalId: Map<string, ChangeActor>;
  /** The first CloudTrail error; the stack's remaining lookups were not made. */
  error?: ErrorInfo;
}

/**
 * Who last changed each MODIFIED or DELETED resource, from CloudTrail event history (90 days).
 * Never throws: the first failure (no cloudtrail:LookupEvents, throttling past the SDK's
 * retries) ends the stack's lookups, since the others would fail alike, and is returned.
 */
export async function lookupChangeActors(drifts: readonly ResourceDrift[], lookup: ChangeActorLookup): Promise<ChangeActors> {
  const limit = pLimit(LOOKUPS_IN_FLIGHT);
  const found: ChangeActors = { byLogicalId: new Map() };
  const changed = drifts.filter((d) => (d.status === "MODIFIED" || d.status === "DELETED") && d.physicalResourceId !== "");
  await limit.map(changed, async (drift) => {
    if (found.error || !lookup.canStart()) return;
    try {
      const actor = await lookupActor(lookup.cloudtrail, drift.physicalResourceId, {
        ownRoleArn: lookup.ownRoleArn,
        now: new Date(lookup.now()),
        throttle: lookup.throttle,
      });
      if (actor) found.byLogicalId.set(drift.logicalResourceId, actor);
    } catch (err) {
      found.error ??= toErrorInfo(err);
    }
  });
  return found;
}

/**
 * The calls that set a tag on the resource types driftguard reads exemptions from: IAM TagRole,
 * EC2 CreateTags, S3 PutBucketTagging, the Resource Groups Tagging API's TagResources, the
 * per-service TagResource, and CloudFormation's CreateStack/UpdateStack for stack tags.
 * Source: the services' API references (IAM TagRole, EC2 CreateTags, S3 PutBucketTagging,
 * CloudFormation UpdateStack "Tags").
 */
export const TAGGING_EVENTS: ReadonlySet<string> = new Set(["TagRole", "CreateTags", "PutBucketTagging", "TagResources", "TagResource", "CreateStack", "UpdateStack"]);

/**
 * Who set each exemption tag: the most recent tagging call on the resource (or stack) by someone
 * other than driftguard or CloudFormation. Never throws, like lookupChangeActors.
 */
export async function lookupTagSetters(targets: readonly { key: string; resourceName: string }[], lookup: ChangeActorLookup): Promise<ChangeActors> {
  const limit = pLimit(LOOKUPS_IN_FLIGHT);
  const found: ChangeActors = { byLogicalId: new Map() };
  await limit.map(targets, async (target) => {
    if (found.error || !lookup.canStart()) return;
    try {
      const actor = await lookupActor(lookup.cloudtrail, target.resourceName, { ownRoleArn: lookup.ownRoleArn, now: new Date(lookup.now()), throttle: lookup.throttle, eventNames: TAGGING_EVENTS });
      if (actor) found.byLogicalId.set(target.key, actor);
    } catch (err) {
      found.error ??= toErrorInfo(err);
    }
  });
  return found;
}
