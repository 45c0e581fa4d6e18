import type { Config } from "../functions/config/schema.js";
import { spokeRoleActions } from "../functions/permissions.js";
import { protectedRoles } from "../functions/config/protected-roles.js";
import { globalEventsRegion } from "../functions/config/regions.js";
import { DEFAULT_TAGS } from "./aws-provider.js";
import { FORWARDING_RULE_DESCRIPTION, forwardingPattern } from "./event-forwarding.js";
import type { DriftguardNames } from "./names.js";
import {
  DEAD_LETTER_RETENTION_SECONDS,
  deadLetterPolicy,
  FORWARD_RETRY,
  FORWARDER_INLINE_POLICY,
  FORWARDER_ROLE_DESCRIPTION,
  forwarderPermissions,
  iamPolicyJson,
  READ_ONLY_ACCESS,
  serviceTrust,
  SPOKE_INLINE_POLICY,
  SPOKE_ROLE_DESCRIPTION,
  spokePermissions,
  spokeTrust,
} from "./spoke-policy.js";

/**
 * The CloudFormation templates the StackSet spokes deploy, generated from the same builders as
 * the terraform spokes (spoke-policy.ts, forwardingPattern), so both modes grant and forward the
 * same. Two stack sets, because IAM roles are global: the roles go to one region per account,
 * the forwarding rules to every region that forwards something.
 * Template grammar: AWS CloudFormation User Guide, "Template anatomy", AWS::IAM::Role and
 * AWS::Events::Rule resource references.
 */

type Template = Record<string, unknown>;
const TAGS = Object.entries(DEFAULT_TAGS).map(([Key, Value]) => ({ Key, Value }));

/**
 * An ARN in the account the stack instance runs in; a role cannot name itself with Fn::GetAtt
 * (circular). Fn::Join, not Fn::Sub: terraform would read Sub's "${AWS::…}" as its own interpolation.
 */
export const accountRoleArn = (roleName: string) => ({ "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::", { Ref: "AWS::AccountId" }, `:role/${roleName}`]] });

export function spokeRoleTemplate(config: Config, names: DriftguardNames): Template {
  const resources: Template = {
    SpokeRole: {
      Type: "AWS::IAM::Role",
      Properties: {
        RoleName: names.spokeRole,
        Description: SPOKE_ROLE_DESCRIPTION,
        AssumeRolePolicyDocument: iamPolicyJson(spokeTrust(names, config.organization.id)),
        ManagedPolicyArns: [READ_ONLY_ACCESS(names.partition)],
        Policies: [{ PolicyName: SPOKE_INLINE_POLICY, PolicyDocument: iamPolicyJson(spokePermissions(spokeRoleActions(), names.partition, protectedRoles(config))) }],
        Tags: TAGS,
      },
    },
  };
  if (config.defaults.events.enabled) {
    resources.ForwarderRole = {
      Type: "AWS::IAM::Role",
      Properties: {
        RoleName: names.forwarderRole,
        Description: FORWARDER_ROLE_DESCRIPTION,
        AssumeRolePolicyDocument: iamPolicyJson([serviceTrust("events.amazonaws.com")]),
        Policies: [{ PolicyName: FORWARDER_INLINE_POLICY, PolicyDocument: iamPolicyJson(forwarderPermissions(names)) }],
        Tags: TAGS,
      },
    };
  }
  return { AWSTemplateFormatVersion: "2010-09-09", Description: "driftguard spoke: the role the hub scanner assumes (and the event forwarder's role)", Resources: resources };
}

/** Parameter of the forwarding template: whether the account is scanned in this region ("true"/"false"). */
export const SCANNED_PARAMETER = "Scanned";

/**
 * One rule per region, its pattern chosen by condition: the global-events region forwards IAM
 * events whether or not the account is scanned there; other regions forward only when scanned
 * (instances are only created there then). Returns undefined when nothing would ever be forwarded.
 */
export function forwardingTemplate(config: Config, names: DriftguardNames): Template | undefined {
  const { eventNames } = config.defaults.events;
  const globalRegion = globalEventsRegion(names.partition);
  const patterns = {
    globalScanned: forwardingPattern(eventNames, { globalRegion: true, scanned: true }),
    globalOnly: forwardingPattern(eventNames, { globalRegion: true, scanned: false }),
    regional: forwardingPattern(eventNames, { globalRegion: false, scanned: true }),
  };
  if (!config.defaults.events.enabled || patterns.globalScanned === undefined) return undefined;
  const none = { Ref: "AWS::NoValue" };
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: "driftguard spoke: forward CloudTrail change events to the hub bus",
    Parameters: { [SCANNED_PARAMETER]: { Type: "String", AllowedValues: ["true", "false"], Default: "true" } },
    Conditions: {
      InGlobalRegion: { "Fn::Equals": [{ Ref: "AWS::Region" }, globalRegion] },
      IsScanned: { "Fn::Equals": [{ Ref: SCANNED_PARAMETER }, "true"] },
      Forwards: { "Fn::Or": [{ Condition: "InGlobalRegion" }, { Condition: "IsScanned" }] },
    },
    Resources: {
      ForwardingRule: {
        Type: "AWS::Events::Rule",
        Condition: "Forwards",
        Properties: {
          Name: names.forwardingRule,
          Description: FORWARDING_RULE_DESCRIPTION,
          State: "ENABLED",
          EventPattern: {
            "Fn::If": ["InGlobalRegion", { "Fn::If": ["IsScanned", patterns.globalScanned, patterns.globalOnly ?? none] }, patterns.regional ?? none],
          },
          Targets: [
            {
              Id: "driftguard-hub",
              Arn: names.hubEventBusArn,
              RoleArn: accountRoleArn(names.forwarderRole),
              RetryPolicy: { MaximumEventAgeInSeconds: FORWARD_RETRY.maximumEventAgeInSeconds, MaximumRetryAttempts: FORWARD_RETRY.maximumRetryAttempts },
              DeadLetterConfig: { Arn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } },
            },
          ],
        },
      },
      // As the terraform spokes (event-forwarding.ts): SQS-managed encryption, so EventBridge can
      // write without a key policy. AWS::SQS::Queue / AWS::SQS::QueuePolicy (CloudFormation User Guide).
      DeadLetterQueue: {
        Type: "AWS::SQS::Queue",
        Condition: "Forwards",
        Properties: { QueueName: names.forwardingDlq, SqsManagedSseEnabled: true, MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS, Tags: TAGS },
      },
      DeadLetterQueuePolicy: {
        Type: "AWS::SQS::QueuePolicy",
        Condition: "Forwards",
        Properties: {
          Queues: [{ Ref: "DeadLetterQueue" }],
          PolicyDocument: iamPolicyJson(deadLetterPolicy<unknown>({ "Fn::GetAtt": ["DeadLetterQueue", "Arn"] }, { "Fn::GetAtt": ["ForwardingRule", "Arn"] })),
        },
      },
    },
  };
}
