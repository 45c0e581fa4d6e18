import type { Event } from "@aws-sdk/client-cloudtrail";

/**
 * One CloudTrail builder for tests that need a record no fixture holds. Shapes follow the
 * CloudTrail User Guide ("CloudTrail record contents", "CloudTrail userIdentity element"): a role
 * session is `AssumedRole` with sessionContext.sessionIssuer naming the role; an IAM user is
 * `IAMUser` with its userName. Recorded events (test/fixtures/cloudtrail/) stay the first choice.
 */

/** The userIdentity CloudTrail records for a session of role `roleArn` (an arn:…:iam::…:role/… ARN). */
export function assumedRoleIdentity(roleArn: string, session = "driftguard-run-42") {
  const [, partition, , , account, resource] = roleArn.split(":") as string[];
  const name = (resource ?? "").split("/").pop() ?? "";
  return {
    type: "AssumedRole",
    principalId: `AROAEXAMPLEID0000000:${session}`,
    arn: `arn:${partition}:sts::${account}:assumed-role/${name}/${session}`,
    accountId: account,
    sessionContext: { sessionIssuer: { type: "Role", principalId: "AROAEXAMPLEID0000000", arn: roleArn, accountId: account, userName: name } },
  };
}

/** The userIdentity of `arn`: a role session (arn:…:sts::…:assumed-role/role/session) or an IAM user (arn:…:iam::…:user/name). */
export function identityOf(arn: string) {
  const session = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (session) return assumedRoleIdentity(`arn:${session[1]}:iam::${session[2]}:role/${session[3]}`, session[4]);
  const user = /^arn:[\w-]+:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (user) return { type: "IAMUser", principalId: "AIDAEXAMPLEID0000000", arn, accountId: user[1], userName: user[2] };
  throw new Error(`identityOf: ${arn} is neither a role session nor an IAM user ARN`);
}

export interface RecordSpec {
  eventName: string;
  eventSource: string;
  eventTime: string;
  /** Who made the call: a role-session or IAM-user ARN. */
  actorArn: string;
  region?: string;
  sourceIPAddress?: string;
}

/** A CloudTrail record (the `detail` of an EventBridge "AWS API Call via CloudTrail" event). */
export function cloudTrailRecord(spec: RecordSpec) {
  const identity = identityOf(spec.actorArn);
  return {
    eventVersion: "1.09",
    userIdentity: identity,
    eventTime: spec.eventTime,
    eventSource: spec.eventSource,
    eventName: spec.eventName,
    awsRegion: spec.region ?? "us-east-1",
    sourceIPAddress: spec.sourceIPAddress ?? "203.0.113.25",
    eventID: `${spec.eventName}-0b7c6f1e`,
    readOnly: false,
    recipientAccountId: identity.accountId,
  };
}

/** A LookupEvents entry as the API returns it: the record travels as a JSON string (CloudTrail API Reference, Event). */
export function lookupEntry(record: { eventID: string; eventName: string; eventTime: string; eventSource: string }, readOnly = "false"): Event {
  return { EventId: record.eventID, EventName: record.eventName, ReadOnly: readOnly, EventTime: new Date(record.eventTime), EventSource: record.eventSource, CloudTrailEvent: JSON.stringify(record) };
}
