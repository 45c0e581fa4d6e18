import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { CLOUDTRAIL_DETAIL_TYPE, eventNamesBySource, GLOBAL_EVENT_SOURCES, type EventSource } from "../functions/config/events.js";
import { globalEventsRegion, type Partition } from "../functions/config/regions.js";
import type { DriftguardNames } from "./names.js";
import { policyJson, serviceTrust } from "./policy.js";
import {
  DEAD_LETTER_RETENTION_SECONDS,
  deadLetterPolicy,
  FORWARD_RETRY,
  FORWARDER_INLINE_POLICY,
  FORWARDER_ROLE_DESCRIPTION,
  forwarderPermissions,
} from "./spoke-policy.js";

export const FORWARDING_RULE_DESCRIPTION = "driftguard: forward CloudTrail change events to the hub";

export interface EventPattern {
  source: EventSource[];
  "detail-type": string[];
  detail: { eventName: string[]; errorCode: [{ exists: false }] };
}

/**
 * A call that failed (CloudTrail sets `errorCode`) changed nothing, so it is dropped at the spoke
 * instead of crossing the bus and invoking the hub Lambda for nothing. `exists: false` matches only
 * events without the field ("Exists matching", Content filtering in Amazon EventBridge event
 * patterns, EventBridge User Guide). events/parse.ts still rejects failed calls as a second line.
 */
const SUCCEEDED_CALLS_ONLY = [{ exists: false }] as [{ exists: false }];

export interface RegionForwarding {
  region: string;
  pattern: EventPattern;
}

/**
 * Which events to forward from which region. IAM events exist only in the partition's
 * global-service region (us-east-1), so they go into that region's rule alone, and that region
 * gets a rule even when the account is not scanned there. Regions with nothing to forward get none.
 */
export function forwardingPlan(regions: readonly string[], eventNames: readonly string[], partition: Partition): RegionForwarding[] {
  const bySource = eventNamesBySource(eventNames);
  const globalRegion = globalEventsRegion(partition);
  const hasGlobal = [...bySource.keys()].some((s) => GLOBAL_EVENT_SOURCES.has(s));
  const allRegions = [...new Set(hasGlobal ? [...regions, globalRegion] : regions)];
  return allRegions.flatMap((region) => {
    const pattern = forwardingPattern(eventNames, { globalRegion: region === globalRegion, scanned: regions.includes(region) });
    return pattern ? [{ region, pattern }] : [];
  });
}

/**
 * The rule for one region: global sources (IAM) only in the global-events region, the others
 * only where the account is scanned; undefined when there is nothing to forward. StackSet
 * templates pick among these by condition, so both deployments forward the same events.
 */
export function forwardingPattern(eventNames: readonly string[], where: { globalRegion: boolean; scanned: boolean }): EventPattern | undefined {
  const bySource = eventNamesBySource(eventNames);
  const sources = [...bySource.keys()].filter((s) => (GLOBAL_EVENT_SOURCES.has(s) ? where.globalRegion : where.scanned));
  if (sources.length === 0) return undefined;
  return { source: sources, "detail-type": [CLOUDTRAIL_DETAIL_TYPE], detail: { eventName: sources.flatMap((s) => bySource.get(s)!), errorCode: SUCCEEDED_CALLS_ONLY } };
}

export interface EventForwardingProps {
  names: DriftguardNames;
  /** The spoke account the queues live in (their ARNs are built, not read back). */
  accountId: string;
  plan: RegionForwarding[];
  /** The provider for a region of this account; IAM resources use the stack's default provider. */
  providerFor(region: string): AwsProvider;
}

export { FORWARD_RETRY } from "./spoke-policy.js";

/** Per-region rules on the default bus that send matching CloudTrail events to the hub bus, with a retry policy and a dead-letter queue. */
export class EventForwarding extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: EventForwardingProps) {
    super(scope, id);
    const { names } = props;
    this.role = new IamRole(this, "role", {
      name: names.forwarderRole,
      description: FORWARDER_ROLE_DESCRIPTION,
      assumeRolePolicy: policyJson(this, "trust", [serviceTrust("events.amazonaws.com")]),
    });
    new IamRolePolicy(this, "put-events", {
      role: this.role.id,
      name: FORWARDER_INLINE_POLICY,
      policy: policyJson(this, "put-events-document", forwarderPermissions(names)),
    });

    for (const { region, pattern } of props.plan) {
      const provider = props.providerFor(region);
      const rule = new CloudwatchEventRule(this, `rule-${region}`, {
        provider,
        name: names.forwardingRule,
        description: FORWARDING_RULE_DESCRIPTION,
        eventPattern: JSON.stringify(pattern),
      });
      // SQS-managed encryption: EventBridge can write to it without a key policy (a KMS key would need one).
      // The policy is set inline, with the queue's ARN built from its name: a separate
      // aws_sqs_queue_policy waits for its queue and then runs the provider's
      // waitQueueAttributesPropagated (ContinuousTargetOccurence 6, MinTimeout 5 s) a second time,
      // ~25 s more per spoke region in real AWS too (internal/service/sqs/queue_policy.go, wait.go).
      const dlq = new SqsQueue(this, `dlq-${region}`, {
        provider,
        name: names.forwardingDlq,
        sqsManagedSseEnabled: true,
        messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
        policy: policyJson(this, `dlq-policy-document-${region}`, deadLetterPolicy(names.forwardingDlqArn(props.accountId, region), rule.arn)),
      });
      new CloudwatchEventTarget(this, `target-${region}`, {
        provider,
        rule: rule.name,
        arn: names.hubEventBusArn,
        roleArn: this.role.arn,
        retryPolicy: FORWARD_RETRY,
        deadLetterConfig: { arn: dlq.arn },
      });
    }
  }
}
