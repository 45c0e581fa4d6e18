import { CALLER_CREDENTIALS, type AccountEntry, type Config } from "../functions/config/schema.js";
import { OWN_STACK_SETS } from "../functions/config/own-stacks.js";
import { partitionOf, type Partition } from "../functions/config/regions.js";
import { DRIFTGUARD_ROLE_NAMES } from "../functions/config/protected-roles.js";

/**
 * Every name and ARN driftguard derives, in one place: the hub and the spokes are deployed as
 * separate stacks that must agree on them without referencing each other.
 */
export interface DriftguardNames {
  partition: Partition;
  hubStack: string;
  spokeStack(account: AccountEntry): string;
  reportBucket: string;
  topic: string;
  topicKeyAlias: string;
  failureQueue: string;
  scannerFunction: string;
  scannerLogGroup: string;
  scannerRole: string;
  scannerRoleArn: string;
  scheduleRule: string;
  hubEventBus: string;
  hubEventBusArn: string;
  hubEventRule: string;
  spokeRole: string;
  /** What the scanner may assume: the spoke role in any account (the spoke's trust narrows it). */
  spokeRoleArnPattern: string;
  forwarderRole: string;
  forwardingRule: string;
  /** Each spoke region's queue of change events the hub bus did not accept. */
  forwardingDlq: string;
  /** That queue's ARN in one spoke account and region: known before the queue exists, so its policy can be set inline. */
  forwardingDlqArn(accountId: string, region: string): string;
  /** The role terraform assumes to deploy the hub stack; undefined: the caller's credentials. */
  hubDeployRoleArn: string | undefined;
  /** The role terraform assumes to deploy an account's spoke stack; undefined: the caller's credentials. */
  spokeDeployRoleArn(account: AccountEntry): string | undefined;
  // ---- i17: StackSet spokes and the run-time config ----
  /** The stack deploying the StackSets, in the management or delegated-administrator account. */
  stackSetStack: string;
  /** The stack set with the spoke role (IAM: one region per account). */
  spokeRoleStackSet: string;
  /** The stack set with the forwarding rules (one instance per scanned region). */
  forwardingStackSet: string;
  /** The role terraform assumes in the StackSet administrator account; undefined: the caller's credentials. */
  stackSetDeployRoleArn: string | undefined;
  /** The report bucket's object the scanner reads its configuration from. */
  configKey: string;
}

const SCANNER = DRIFTGUARD_ROLE_NAMES.scanner;
const FORWARDING_DLQ = "driftguard-forward-to-hub-dlq";

export function driftguardNames(config: Config): DriftguardNames {
  const { accountId: hubAccount, region: hubRegion, eventBusName } = config.hub;
  const partition = partitionOf(hubRegion);
  const roleArn = (accountId: string, roleName: string) => `arn:${partition}:iam::${accountId}:role/${roleName}`;
  const deployRole = (accountId: string, roleName: string) => (roleName === CALLER_CREDENTIALS ? undefined : roleArn(accountId, roleName));
  return {
    partition,
    hubStack: "driftguard-hub",
    spokeStack: (account) => `driftguard-spoke-${account.name}`,
    reportBucket: config.hub.reportBucket.name ?? `${config.hub.reportBucket.prefix}-${hubAccount}-${hubRegion}`,
    topic: "driftguard-notifications",
    topicKeyAlias: "alias/driftguard-notifications",
    failureQueue: `${SCANNER}-failures`,
    scannerFunction: SCANNER,
    scannerLogGroup: `/aws/lambda/${SCANNER}`,
    scannerRole: SCANNER,
    scannerRoleArn: roleArn(hubAccount, SCANNER),
    scheduleRule: "driftguard-schedule",
    hubEventBus: eventBusName,
    hubEventBusArn: `arn:${partition}:events:${hubRegion}:${hubAccount}:event-bus/${eventBusName}`,
    hubEventRule: "driftguard-change-events",
    spokeRole: config.spoke.roleName,
    spokeRoleArnPattern: roleArn("*", config.spoke.roleName),
    forwarderRole: DRIFTGUARD_ROLE_NAMES.forwarder,
    forwardingRule: "driftguard-forward-to-hub",
    forwardingDlq: FORWARDING_DLQ,
    forwardingDlqArn: (accountId, region) => `arn:${partitionOf(region)}:sqs:${region}:${accountId}:${FORWARDING_DLQ}`,
    hubDeployRoleArn: deployRole(hubAccount, config.hub.bootstrapRoleName ?? config.spoke.bootstrapRoleName),
    spokeDeployRoleArn: (account) => deployRole(account.id, account.bootstrapRoleName ?? config.spoke.bootstrapRoleName),
    stackSetStack: "driftguard-spokes-stacksets",
    spokeRoleStackSet: OWN_STACK_SETS.spokeRole,
    forwardingStackSet: OWN_STACK_SETS.forwarding,
    stackSetDeployRoleArn: config.spoke.stackSet ? deployRole(config.spoke.stackSet.administratorAccountId, config.spoke.stackSet.bootstrapRoleName) : undefined,
    configKey: "config/driftguard-config.json",
  };
}
