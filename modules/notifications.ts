import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { Config } from "../functions/config/schema.js";
import type { DriftguardNames } from "./names.js";
import { policyJson } from "./policy.js";

export interface NotificationsProps {
  names: DriftguardNames;
  hubAccountId: string;
  notifications: Config["hub"]["notifications"];
}

/**
 * The SNS topic run summaries go to, encrypted with a customer-managed key (rotated yearly)
 * rather than aws/sns, whose key policy cannot be edited to let other services publish later.
 */
export class Notifications extends Construct {
  readonly topic: SnsTopic;
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { names, hubAccountId } = props;
    this.key = new KmsKey(this, "key", {
      description: "driftguard notifications topic encryption",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      // Delegates use of the key to IAM policies in the hub account (the scanner role's policy).
      policy: policyJson(this, "key-policy", [
        {
          sid: "AccountAdministersKeyThroughIam",
          effect: "Allow",
          actions: ["kms:*"],
          resources: ["*"],
          principals: [{ type: "AWS", identifiers: [`arn:${names.partition}:iam::${hubAccountId}:root`] }],
        },
        // CloudWatch alarms publish to the encrypted topic as the service ("Configure AWS KMS
        // permissions for AWS services", Amazon SNS Developer Guide); only alarms of this account.
        {
          sid: "CloudWatchAlarmsPublish",
          effect: "Allow",
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [hubAccountId] }],
        },
      ]),
    });
    new KmsAlias(this, "key-alias", { name: names.topicKeyAlias, targetKeyId: this.key.keyId });
    this.topic = new SnsTopic(this, "topic", { name: names.topic, kmsMasterKeyId: this.key.arn });

    const subscriptions = new Map<string, { protocol: string; endpoint: string }>();
    for (const s of [
      ...props.notifications.emails.map((endpoint) => ({ protocol: "email", endpoint })),
      ...props.notifications.subscriptions,
    ]) {
      // Ids derive from the subscription itself so reordering the list in accounts.yaml does not
      // make terraform replace (and re-confirm) every subscription.
      const key = `${s.protocol}-${createHash("sha256").update(s.endpoint).digest("hex").slice(0, 10)}`;
      subscriptions.set(key, s);
    }
    for (const [key, s] of subscriptions) {
      new SnsTopicSubscription(this, `subscription-${key}`, { topicArn: this.topic.arn, protocol: s.protocol, endpoint: s.endpoint });
    }
  }
}
