import { Construct } from "constructs";
import { AssetType, Fn, TerraformAsset } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import type { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import type { Config } from "../functions/config/schema.js";
import { lambdaHeapFlags, ORGANIZATION_ACTIONS, PLACEMENT_ACTIONS } from "../functions/scanner/index.js";
import { webhookReadGrants } from "../functions/report/index.js";
import { LAMBDA_HANDLER } from "./lambda-bundle.js";
import type { DriftguardNames } from "./names.js";
import { policyJson, serviceTrust } from "./policy.js";

export interface ScannerFunctionProps {
  names: DriftguardNames;
  lambda: Config["hub"]["lambda"];
  /**
   * The deployment the scanner belongs to: it refuses a configuration object for any other, and
   * the spoke roles it may assume must belong to this organization.
   */
  identity: { organizationId: string; hubAccountId: string };
  /** The deterministic zip holding index.mjs (see lambda-bundle.ts); the configuration is not in it. */
  archive: string;
  bucket: S3Bucket;
  topic: SnsTopic;
  topicKey: KmsKey;
  /** hub.notifications.webhooks with the hub's account and region: the parameters and secrets the role may read (report/webhooks.ts). */
  webhooks?: { list: Config["hub"]["notifications"]["webhooks"]; hub: { accountId: string; region: string } };
}

const FOURTEEN_DAYS = 14 * 24 * 3600;
/**
 * Node.js 20 left Lambda's standard support in April 2026, so new functions use nodejs22.x (the
 * newest runtime hashicorp/aws 5.100.0 accepts). The bundle targets node20, which Node 22 runs and
 * which keeps it loadable by the Node 20 used for local runs and tests.
 */
export const LAMBDA_RUNTIME = "nodejs22.x";

/**
 * The scanner Lambda with everything it needs to run and fail visibly: its role, its log group
 * with retention, and a queue that receives invocations that failed.
 */
export class ScannerFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly role: IamRole;
  readonly failureQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: ScannerFunctionProps) {
    super(scope, id);
    const { names, bucket, topic, topicKey } = props;

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: names.scannerLogGroup,
      retentionInDays: props.lambda.logRetentionDays,
    });
    this.failureQueue = new SqsQueue(this, "failures", {
      name: names.failureQueue,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: FOURTEEN_DAYS,
    });

    this.role = new IamRole(this, "role", {
      name: names.scannerRole,
      assumeRolePolicy: policyJson(this, "trust", [serviceTrust("lambda.amazonaws.com")]),
    });
    const permissions = new IamRolePolicy(this, "permissions", {
      role: this.role.id,
      name: "driftguard-scanner",
      policy: policyJson(this, "permissions-document", [
        // Only the spoke role, by name, in accounts of this organization (aws:ResourceOrgID is the
        // organization of the role being assumed); each spoke's trust policy admits only this role.
        {
          sid: "AssumeSpokeRoles",
          actions: ["sts:AssumeRole"],
          resources: [names.spokeRoleArnPattern],
          condition: [{ test: "StringEquals", variable: "aws:ResourceOrgID", values: [props.identity.organizationId] }],
        },
        // The organization check, then the run-time walk of the OU tree (functions/scanner/organization.ts),
        // and the event path's look-up of one account's OU (member-placement.ts); none of these takes
        // resource-level permissions ("*", Service Authorization Reference for Organizations).
        { sid: "WalkOrganization", actions: [...ORGANIZATION_ACTIONS, ...PLACEMENT_ACTIONS], resources: ["*"] },
        // Get: the flapping record (state/flapping.json) and the fan-out reducer read back what runs wrote.
        { sid: "ReadWriteReports", actions: ["s3:PutObject", "s3:GetObject"], resources: [`${bucket.arn}/*`] },
        { sid: "ListReports", actions: ["s3:ListBucket"], resources: [bucket.arn] },
        { sid: "PublishSummaries", actions: ["sns:Publish"], resources: [topic.arn] },
        { sid: "EncryptForTopic", actions: ["kms:GenerateDataKey*", "kms:Decrypt"], resources: [topicKey.arn] },
        { sid: "WriteLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup.arn}:*`] },
        { sid: "ReportFailedInvocations", actions: ["sqs:SendMessage"], resources: [this.failureQueue.arn] },
        // Chat webhook URLs: exactly the parameters and secrets accounts.yaml names, derived, never retyped.
        ...(props.webhooks ? webhookReadGrants(props.webhooks.list, props.webhooks.hub) : []),
      ]),
    });

    const asset = new TerraformAsset(this, "bundle", { path: props.archive, type: AssetType.FILE });
    this.fn = new LambdaFunction(this, "function", {
      functionName: names.scannerFunction,
      description: "driftguard: detects and remediates CloudFormation drift across the organization",
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      handler: LAMBDA_HANDLER,
      filename: asset.path,
      // The zip's real SHA-256, as Lambda reports it, so terraform sees no spurious code change.
      sourceCodeHash: Fn.filebase64sha256(asset.path),
      timeout: props.lambda.timeoutSeconds,
      memorySize: props.lambda.memoryMb,
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      environment: {
        variables: {
          DRIFTGUARD_REPORT_BUCKET: bucket.bucket,
          DRIFTGUARD_TOPIC_ARN: topic.arn,
          DRIFTGUARD_CONFIG_KEY: names.configKey,
          DRIFTGUARD_ORGANIZATION_ID: props.identity.organizationId,
          DRIFTGUARD_HUB_ACCOUNT_ID: props.identity.hubAccountId,
          POWERTOOLS_SERVICE_NAME: "driftguard",
          POWERTOOLS_LOG_LEVEL: "INFO",
          // The bundle ships a source map; without --enable-source-maps stack traces point into
          // index.mjs. The heap limits keep the scan's RSS bounded (scanner/concurrency.ts HEAP_TUNING).
          NODE_OPTIONS: ["--enable-source-maps", ...lambdaHeapFlags(props.lambda.memoryMb)].join(" "),
        },
      },
    });

    new LambdaFunctionEventInvokeConfig(this, "async-invocation", {
      functionName: this.fn.functionName,
      // No automatic retry: a retried full scan would double the API load, and the next scheduled
      // run re-detects everything anyway. Failures land in the queue for someone to look at.
      maximumRetryAttempts: 0,
      destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
      // Lambda checks that the execution role may send to the destination when this is created.
      dependsOn: [permissions],
    });
  }
}
