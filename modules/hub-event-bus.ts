import { Construct } from "constructs";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventBusPolicy } from "@cdktf/provider-aws/lib/cloudwatch-event-bus-policy";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { CLOUDTRAIL_DETAIL_TYPE, type EventSource } from "../functions/config/events.js";
import { triggerLambda } from "./lambda-trigger.js";
import type { DriftguardNames } from "./names.js";
import { policyJson } from "./policy.js";

export interface HubEventBusProps {
  names: DriftguardNames;
  organizationId: string;
  /** Sources the spokes forward; the hub rule passes exactly these to the function. */
  sources: EventSource[];
  fn: LambdaFunction;
}

/**
 * The central bus every spoke forwards CloudTrail change events to. Its policy admits any
 * principal of the organization and nobody else; a rule hands the events to the scanner.
 */
export class HubEventBus extends Construct {
  readonly bus: CloudwatchEventBus;
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: HubEventBusProps) {
    super(scope, id);
    const { names } = props;
    this.bus = new CloudwatchEventBus(this, "bus", { name: names.hubEventBus });
    new CloudwatchEventBusPolicy(this, "policy", {
      eventBusName: this.bus.name,
      policy: policyJson(this, "policy-document", [
        {
          sid: "OrganizationPutEvents",
          effect: "Allow",
          actions: ["events:PutEvents"],
          resources: [this.bus.arn],
          principals: [{ type: "AWS", identifiers: ["*"] }],
          condition: [{ test: "StringEquals", variable: "aws:PrincipalOrgID", values: [props.organizationId] }],
        },
      ]),
    });
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: names.hubEventRule,
      description: "driftguard: CloudTrail change events forwarded by the spokes",
      eventBusName: this.bus.name,
      eventPattern: JSON.stringify({ source: props.sources, "detail-type": [CLOUDTRAIL_DETAIL_TYPE] }),
    });
    triggerLambda(this, "change-event", { rule: this.rule, fn: props.fn, eventBusName: this.bus.name });
  }
}
