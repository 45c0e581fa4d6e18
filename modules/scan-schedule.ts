import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { triggerLambda } from "./lambda-trigger.js";

export interface ScanScheduleProps {
  ruleName: string;
  /** EventBridge schedule expression, e.g. rate(6 hours). */
  schedule: string;
  fn: LambdaFunction;
}

/** Runs the full scan on a schedule; the handler recognizes EventBridge's "Scheduled Event". */
export class ScanSchedule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: ScanScheduleProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName,
      description: "driftguard scheduled organization scan",
      scheduleExpression: props.schedule,
    });
    triggerLambda(this, "scan", { rule: this.rule, fn: props.fn });
  }
}
