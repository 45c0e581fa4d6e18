import type { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { eventNamesBySource } from "../functions/config/events.js";
import { configObjectBody } from "../functions/config/load.js";
import type { Config } from "../functions/config/schema.js";
import { effectiveExecution, type DetectionEstimate } from "../functions/scanner/index.js";
import { Alarms } from "./alarms.js";
import { accountProvider } from "./aws-provider.js";
import { configureBackend } from "./backend.js";
import { FanoutStateMachine } from "./fanout-state-machine.js";
import { HubEventBus } from "./hub-event-bus.js";
import { bundleLambda, HANDLER_ENTRY } from "./lambda-bundle.js";
import { driftguardNames } from "./names.js";
import { Notifications } from "./notifications.js";
import { ReportBucket } from "./report-bucket.js";
import { ScanSchedule } from "./scan-schedule.js";
import { ScannerFunction } from "./scanner-function.js";

export interface HubStackProps {
  config: Config;
  /** Lambda entry to bundle; defaults to functions/handler.ts. Tests pass a small fixture. */
  lambdaEntry?: string;
  /**
   * An already built deployment package, instead of bundling `lambdaEntry`. The sandbox passes one
   * when it synthesizes the hub only to read the IAM it deploys, which the package does not change.
   */
  archive?: string;
  /** What `hub.execution: auto` assumes a detection takes, when the runs measured it (main.ts). */
  detection?: DetectionEstimate;
}

/**
 * The hub account: report bucket, notifications, the scanner and what triggers it (schedule,
 * and the central bus for change events). Each part is its own construct so the fan-out state
 * machine can join as one more.
 */
export class HubStack extends TerraformStack {
  readonly reports: ReportBucket;
  readonly configObject: S3Object;
  readonly notifications: Notifications;
  readonly scanner: ScannerFunction;
  /** The schedule invokes the scanner directly (`hub.execution: single`) … */
  readonly schedule?: ScanSchedule;
  /** … or starts the fan-out state machine (`hub.execution: fanout`). */
  readonly fanout?: FanoutStateMachine;
  readonly eventBus?: HubEventBus;
  readonly alarms: Alarms;

  constructor(scope: Construct, props: HubStackProps) {
    const { config } = props;
    const names = driftguardNames(config);
    super(scope, names.hubStack);
    configureBackend(this, config, names.hubStack);
    accountProvider(this, "aws", { region: config.hub.region, accountId: config.hub.accountId, deployRoleArn: names.hubDeployRoleArn });

    this.reports = new ReportBucket(this, "reports", {
      bucketName: names.reportBucket,
      retentionDays: config.hub.reportBucket.retentionDays,
    });
    this.notifications = new Notifications(this, "notifications", {
      names,
      hubAccountId: config.hub.accountId,
      notifications: config.hub.notifications,
    });
    // The scanner's configuration, read at run time: onboarding changes this object, not the code.
    this.configObject = new S3Object(this, "config", {
      bucket: this.reports.bucket.id,
      key: names.configKey,
      content: configObjectBody(config),
      contentType: "application/json",
    });
    this.scanner = new ScannerFunction(this, "scanner", {
      names,
      lambda: config.hub.lambda,
      identity: { organizationId: config.organization.id, hubAccountId: config.hub.accountId },
      archive: props.archive ?? bundleLambda({ entry: props.lambdaEntry ?? HANDLER_ENTRY }).archive,
      bucket: this.reports.bucket,
      topic: this.notifications.topic,
      topicKey: this.notifications.key,
      webhooks: { list: config.hub.notifications.webhooks, hub: { accountId: config.hub.accountId, region: config.hub.region } },
    });
    if (effectiveExecution(config, props.detection) === "fanout") {
      this.fanout = new FanoutStateMachine(this, "fanout", {
        names,
        hub: config.hub,
        fn: this.scanner.fn,
        bucket: this.reports.bucket,
        topic: this.notifications.topic,
        topicKey: this.notifications.key,
      });
    } else {
      this.schedule = new ScanSchedule(this, "schedule", { ruleName: names.scheduleRule, schedule: config.hub.schedule, fn: this.scanner.fn });
    }

    this.alarms = new Alarms(this, "alarms", {
      schedule: config.hub.schedule,
      topic: this.notifications.topic,
      fn: this.scanner.fn,
      failureQueue: this.scanner.failureQueue,
      ...(this.fanout ? { stateMachine: this.fanout.stateMachine } : {}),
    });

    const { events } = config.defaults;
    if (events.enabled) {
      this.eventBus = new HubEventBus(this, "event-bus", {
        names,
        organizationId: config.organization.id,
        sources: [...eventNamesBySource(events.eventNames).keys()],
        fn: this.scanner.fn,
      });
    }

    new TerraformOutput(this, "report_bucket", { value: this.reports.bucket.bucket });
    new TerraformOutput(this, "topic_arn", { value: this.notifications.topic.arn });
    new TerraformOutput(this, "scanner_role_arn", { value: this.scanner.role.arn });
  }
}
