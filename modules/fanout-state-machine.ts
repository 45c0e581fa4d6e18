import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import type { Config } from "../functions/config/schema.js";
import { FAILURE_KEY_FORMAT, MAP_RESULTS_PREFIX, RUN_FAILURE_KEY_FORMAT, RUNS_PREFIX } from "../functions/aws/bucket-layout.js";
import type { DriftguardNames } from "./names.js";
import { policyJson, serviceTrust } from "./policy.js";

/** The state machine's names; they are only referenced here (and derived, to break the role ↔ machine cycle). */
export const FANOUT_NAMES = {
  stateMachine: "driftguard-scan",
  role: "driftguard-scan-states",
  scheduleRole: "driftguard-scan-schedule",
  // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from growing per log group.
  logGroup: "/aws/vendedlogs/states/driftguard-scan",
  mapLabel: "ScanAccounts",
} as const;

/** Transient Lambda service errors worth retrying; a worker's own failure (timeout, crash) is not retried. */
const LAMBDA_TRANSIENT = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"];

export interface FanoutDefinitionProps {
  partition: string;
  functionArn: string;
  bucket: string;
  maxConcurrency: number;
  /** The scanner Lambda's timeout: a worker task that outlives it is hung. */
  workerTimeoutSeconds: number;
  /** Where a failed Plan or Reduce is announced: no report would tell anyone otherwise. */
  topicArn: string;
}

/**
 * A Plan or Reduce that fails after its retries leaves no run report, so its Catch writes one
 * (runs/failed/<execution>.json, the error and the state's input), sends it to the topic, and
 * then fails the execution, which the fan-out alarm counts.
 */
function failurePath(step: "Plan" | "Reduce", partition: string, bucket: string, topicArn: string): Record<string, Record<string, unknown>> {
  const record = `Record ${step} failure`;
  const notify = `Notify ${step} failure`;
  return {
    [record]: {
      Type: "Task",
      Resource: `arn:${partition}:states:::aws-sdk:s3:putObject`,
      Parameters: {
        Bucket: bucket,
        "Key.$": `States.Format('${RUN_FAILURE_KEY_FORMAT}', $$.Execution.Name)`,
        "Body.$": "$",
        ContentType: "application/json",
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      // The message matters more than the record: send it even when S3 refuses.
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.recordFailure", Next: notify }],
      Next: notify,
    },
    [notify]: {
      Type: "Task",
      Resource: `arn:${partition}:states:::sns:publish`,
      Parameters: {
        TopicArn: topicArn,
        Subject: `driftguard: fan-out scan FAILED at ${step}, no report`,
        "Message.$": `States.Format('The driftguard fan-out scan (execution {}) failed in its ${step} step: {}: {}. No run report was written; the error and the step input are at s3://${bucket}/${RUN_FAILURE_KEY_FORMAT}.', $$.Execution.Name, $.failure.Error, $.failure.Cause, $$.Execution.Name)`,
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      Next: `${step} failed`,
    },
    [`${step} failed`]: { Type: "Fail", Error: `driftguard.${step}Failed`, Cause: `the ${step} step failed; see the SNS message and runs/failed/ in the report bucket` },
  };
}

/**
 * Plan → (Skipped when another run holds the lease) → Distributed Map over runs/<runId>/items.json (one child execution per account, at most
 * `maxConcurrency` at once) → Reduce. Everything that grows with the organization stays in S3:
 * the items are read by the ItemReader, the workers' results by the reducer, and the Map's own
 * results go to the ResultWriter, so no state payload approaches the 256 KB limit. A worker that
 * still fails after retries is recorded at runs/<runId>/failures/<accountId>.json by the Catch and
 * becomes that account's error row in the report.
 */
export function fanoutDefinition(props: FanoutDefinitionProps): Record<string, unknown> {
  const { partition, functionArn, bucket } = props;
  const invoke = `arn:${partition}:states:::lambda:invoke`;
  const retry = [{ ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: "FULL" }];
  return {
    Comment: "driftguard organization scan, one Lambda invocation per account",
    StartAt: "Plan",
    States: {
      Plan: {
        Type: "Task",
        Resource: invoke,
        // The execution's name and start time give the run its id (runtime/run-id.ts executionRunId),
        // so a Retry of this Plan after it took the run lease keeps the run id and renews its own lease.
        Parameters: { FunctionName: functionArn, Payload: { fanout: "plan", "input.$": "$", execution: { "name.$": "$$.Execution.Name", "startTime.$": "$$.Execution.StartTime" } } },
        // The Plan answers either {runId, itemsKey, workers} or, when another run holds the run
        // lease, {runId, skipped, holder} (scanner/skipped-run.ts). A ResultSelector path that is
        // absent fails the state with States.Runtime, so the answer is kept whole under `plan`
        // and only runId, present in both, is lifted.
        ResultSelector: { "runId.$": "$.Payload.runId", "plan.$": "$.Payload" },
        Retry: retry,
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Record Plan failure" }],
        Next: "Lease taken?",
      },
      // IsPresent tests a field's presence (Choice workflow state, JSONPath Choice Rules:
      // https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html).
      "Lease taken?": {
        Type: "Choice",
        Choices: [{ Variable: "$.plan.skipped", IsPresent: true, Next: "Skipped" }],
        Default: "Scan accounts",
      },
      // A clean end, not a failure: the handler already logged the skip, counted RunSkipped and
      // sent its SNS message; the execution's output names the run that holds the lease.
      Skipped: { Type: "Succeed", OutputPath: "$.plan" },
      "Scan accounts": {
        Type: "Map",
        Label: FANOUT_NAMES.mapLabel,
        ItemReader: {
          Resource: `arn:${partition}:states:::s3:getObject`,
          ReaderConfig: { InputType: "JSON" },
          Parameters: { Bucket: bucket, "Key.$": "$.plan.itemsKey" },
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
          StartAt: "Scan account",
          States: {
            "Scan account": {
              Type: "Task",
              Resource: invoke,
              Parameters: { FunctionName: functionArn, "Payload.$": "$" },
              ResultSelector: { "key.$": "$.Payload.key" },
              TimeoutSeconds: props.workerTimeoutSeconds + 60,
              Retry: retry,
              Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Record failure" }],
              End: true,
            },
            "Record failure": {
              Type: "Task",
              Resource: `arn:${partition}:states:::aws-sdk:s3:putObject`,
              Parameters: {
                Bucket: bucket,
                "Key.$": `States.Format('${FAILURE_KEY_FORMAT}', $.runId, $.accountId)`,
                "Body.$": "$.failure",
                ContentType: "application/json",
              },
              Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
              End: true,
            },
          },
        },
        MaxConcurrency: props.maxConcurrency,
        // Every failure is already an error row; no account's failure may stop the others.
        ToleratedFailurePercentage: 100,
        ResultWriter: { Resource: `arn:${partition}:states:::s3:putObject`, Parameters: { Bucket: bucket, Prefix: MAP_RESULTS_PREFIX } },
        ResultPath: null,
        Next: "Reduce",
      },
      Reduce: {
        Type: "Task",
        Resource: invoke,
        Parameters: { FunctionName: functionArn, Payload: { fanout: "reduce", "runId.$": "$.runId" } },
        ResultSelector: { "summary.$": "$.Payload" },
        Retry: retry,
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Record Reduce failure" }],
        End: true,
      },
      ...failurePath("Plan", partition, bucket, props.topicArn),
      ...failurePath("Reduce", partition, bucket, props.topicArn),
    },
  };
}

export interface FanoutStateMachineProps {
  names: DriftguardNames;
  hub: Pick<Config["hub"], "accountId" | "region" | "schedule" | "fanout" | "lambda">;
  fn: LambdaFunction;
  bucket: S3Bucket;
  topic: SnsTopic;
  topicKey: KmsKey;
}

/**
 * `hub.execution: fanout`: the scheduled scan as a Step Functions state machine that invokes the
 * scanner Lambda once per account, for organizations that do not fit one 15-minute invocation.
 * The schedule starts the state machine instead of invoking the Lambda.
 */
export class FanoutStateMachine extends Construct {
  readonly stateMachine: SfnStateMachine;
  readonly role: IamRole;
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: FanoutStateMachineProps) {
    super(scope, id);
    const { names, hub, fn, bucket, topic, topicKey } = props;
    const states = `arn:${names.partition}:states:${hub.region}:${hub.accountId}`;
    const runObjects = `${bucket.arn}/${RUNS_PREFIX}*`;

    const logGroup = new CloudwatchLogGroup(this, "logs", { name: FANOUT_NAMES.logGroup, retentionInDays: hub.lambda.logRetentionDays });
    this.role = new IamRole(this, "role", {
      name: FANOUT_NAMES.role,
      assumeRolePolicy: policyJson(this, "trust", [serviceTrust("states.amazonaws.com")]),
    });
    const permissions = new IamRolePolicy(this, "permissions", {
      role: this.role.id,
      name: "driftguard-scan-states",
      policy: policyJson(this, "permissions-document", [
        { sid: "InvokeScanner", actions: ["lambda:InvokeFunction"], resources: [fn.arn, `${fn.arn}:*`] },
        // The Distributed Map runs each account as a child execution of this state machine.
        { sid: "RunMapChildren", actions: ["states:StartExecution"], resources: [`${states}:stateMachine:${FANOUT_NAMES.stateMachine}`] },
        // A redrive of a failed scan redrives the Map Run's unsuccessful children, which needs
        // states:RedriveExecution on them ("IAM permissions to redrive a Map Run", redrive-map-run.html).
        {
          sid: "TrackMapChildren",
          actions: ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"],
          resources: [`${states}:execution:${FANOUT_NAMES.stateMachine}:*`, `${states}:execution:${FANOUT_NAMES.stateMachine}/*`],
        },
        // A failed Plan or Reduce is announced on the topic (encrypted with its own key).
        { sid: "AnnounceRunFailure", actions: ["sns:Publish"], resources: [topic.arn] },
        { sid: "EncryptForTopic", actions: ["kms:GenerateDataKey*", "kms:Decrypt"], resources: [topicKey.arn] },
        // ItemReader (items.json), the Catch's failure records and the ResultWriter: runs/ only.
        { sid: "RunObjects", actions: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], resources: [runObjects] },
        // Log delivery APIs have no resource-level permissions.
        {
          sid: "DeliverLogs",
          actions: [
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
          ],
          resources: ["*"],
        },
      ]),
    });

    this.stateMachine = new SfnStateMachine(this, "state-machine", {
      name: FANOUT_NAMES.stateMachine,
      type: "STANDARD",
      roleArn: this.role.arn,
      definition: JSON.stringify(
        fanoutDefinition({
          partition: names.partition,
          functionArn: fn.arn,
          bucket: bucket.bucket,
          maxConcurrency: hub.fanout.maxConcurrency,
          workerTimeoutSeconds: hub.lambda.timeoutSeconds,
          topicArn: topic.arn,
        }),
      ),
      loggingConfiguration: { logDestination: `${logGroup.arn}:*`, level: "ERROR", includeExecutionData: false },
      // Step Functions checks the role's permissions when the state machine is created.
      dependsOn: [permissions],
    });

    this.rule = new CloudwatchEventRule(this, "schedule", {
      name: names.scheduleRule,
      description: "driftguard scheduled organization scan (fan-out state machine)",
      scheduleExpression: hub.schedule,
    });
    const scheduleRole = new IamRole(this, "schedule-role", {
      name: FANOUT_NAMES.scheduleRole,
      assumeRolePolicy: policyJson(this, "schedule-trust", [serviceTrust("events.amazonaws.com")]),
    });
    new IamRolePolicy(this, "schedule-permissions", {
      role: scheduleRole.id,
      name: "driftguard-start-scan",
      policy: policyJson(this, "schedule-permissions-document", [{ sid: "StartScan", actions: ["states:StartExecution"], resources: [this.stateMachine.arn] }]),
    });
    new CloudwatchEventTarget(this, "schedule-target", {
      rule: this.rule.name,
      arn: this.stateMachine.arn,
      roleArn: scheduleRole.arn,
      input: JSON.stringify({ trigger: "schedule" }),
    });
  }
}
