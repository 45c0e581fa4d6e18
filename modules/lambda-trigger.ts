import type { Construct } from "constructs";
import type { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";

export interface LambdaTriggerProps {
  rule: CloudwatchEventRule;
  fn: LambdaFunction;
  /** The bus the rule lives on; omit for the default bus. */
  eventBusName?: string;
}

/** Makes an EventBridge rule invoke a function: the target, and the permission scoped to that rule. */
export function triggerLambda(scope: Construct, id: string, props: LambdaTriggerProps): void {
  new CloudwatchEventTarget(scope, `${id}-target`, {
    rule: props.rule.name,
    eventBusName: props.eventBusName,
    arn: props.fn.arn,
  });
  new LambdaPermission(scope, `${id}-permission`, {
    statementId: `${id}-invoke`,
    action: "lambda:InvokeFunction",
    functionName: props.fn.functionName,
    principal: "events.amazonaws.com",
    sourceArn: props.rule.arn,
  });
}
