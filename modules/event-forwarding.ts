import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { CLOUDTRAIL_DETAIL_TYPE, eventNamesBySource, GLOBAL_EVENT_SOURCES, type EventSource } from "../functions/config/events.js";
import { globalEventsRegion, type Partition } from "../functions/config/regions.js";
import type { DriftguardNames } from "./names.js";
import { policyJson, serviceTrust } from "./policy.js";

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
    const scanned = regions.includes(region);
    const sources = [...bySource.keys()].filter((s) => (GLOBAL_EVENT_SOURCES.has(s) ? region === globalRegion : scanned));
    if (sources.length === 0) return [];
    return [
      {
        region,
        pattern: {
          source: sources,
          "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
          detail: { eventName: sources.flatMap((s) => bySource.get(s)!), errorCode: SUCCEEDED_CALLS_ONLY },
        },
      },
    ];
  });
}

export interface EventForwardingProps {
  names: DriftguardNames;
  plan: RegionForwarding[];
  /** The provider for a region of this account; IAM resources use the stack's default provider. */
  providerFor(region: string): AwsProvider;
}

/**
 * Delivery to the hub bus is retried for an hour, 10 attempts (EventBridge's default is 24 hours
 * and 185: a change event that old is no faster than the next scheduled scan), then the event
 * goes to the region's dead-letter queue ("Event retry policy and using dead-letter queues",
 * EventBridge User Guide), where it waits 14 days, SQS's maximum, for someone to look.
 */
export const FORWARD_RETRY = { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 10 } as const;
const FOURTEEN_DAYS = 14 * 86_400;

/** Per-region rules on the default bus that send matching CloudTrail events to the hub bus, with a retry policy and a dead-letter queue. */
export class EventForwarding extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: EventForwardingProps) {
    super(scope, id);
    const { names } = props;
    this.role = new IamRole(this, "role", {
      name: names.forwarderRole,
      description: "Lets EventBridge forward change events to the driftguard hub bus",
      assumeRolePolicy: policyJson(this, "trust", [serviceTrust("events.amazonaws.com")]),
    });
    new IamRolePolicy(this, "put-events", {
      role: this.role.id,
      name: "driftguard-forward-to-hub",
      policy: policyJson(this, "put-events-document", [
        { sid: "PutToHubBus", effect: "Allow", actions: ["events:PutEvents"], resources: [names.hubEventBusArn] },
      ]),
    });

    for (const { region, pattern } of props.plan) {
      const provider = props.providerFor(region);
      const rule = new CloudwatchEventRule(this, `rule-${region}`, {
        provider,
        name: names.forwardingRule,
        description: "driftguard: forward CloudTrail change events to the hub",
        eventPattern: JSON.stringify(pattern),
      });
      // SQS-managed encryption: EventBridge can write to it without a key policy (a KMS key would need one).
      const dlq = new SqsQueue(this, `dlq-${region}`, { provider, name: names.forwardingDlq, sqsManagedSseEnabled: true, messageRetentionSeconds: FOURTEEN_DAYS });
      new SqsQueuePolicy(this, `dlq-policy-${region}`, {
        provider,
        queueUrl: dlq.url,
        policy: policyJson(this, `dlq-policy-document-${region}`, [
          {
            sid: "EventBridgeDeadLetters",
            effect: "Allow",
            actions: ["sqs:SendMessage"],
            resources: [dlq.arn],
            principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
            // Only this rule's undelivered events.
            condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [rule.arn] }],
          },
        ]),
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
