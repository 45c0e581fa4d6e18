import type { ChangeActor } from "../core/types.js";
import type { CloudTrailDetail } from "./cloudtrail-record.js";

/** Who made a change, as CloudTrail recorded it. */
export function actorFromDetail(detail: CloudTrailDetail, source: ChangeActor["source"]): ChangeActor {
  const identity = detail.userIdentity;
  return {
    // AWS services acting on their own have no ARN; the service name is the best "who".
    arn: identity.arn ?? identity.invokedBy,
    type: identity.type,
    sourceIp: detail.sourceIPAddress,
    eventName: detail.eventName,
    eventTime: detail.eventTime,
    source,
  };
}
