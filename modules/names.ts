import type { AccountEntry, Config } from "../functions/config/schema.js";
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
  /** The role terraform assumes to deploy the hub stack. */
  hubDeployRoleArn: string;
  /** The role terraform assumes to deploy an account's spoke stack. */
  spokeDeployRoleArn(account: AccountEntry): string;
}

const SCANNER = DRIFTGUARD_ROLE_NAMES.scanner;

export function driftguardNames(config: Config): DriftguardNames {
  const { accountId: hubAccount, region: hubRegion, eventBusName } = config.hub;
  const partition = partitionOf(hubRegion);
  const roleArn = (accountId: string, roleName: string) => `arn:${partition}:iam::${accountId}:role/${roleName}`;
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
    forwardingDlq: "driftguard-forward-to-hub-dlq",
    hubDeployRoleArn: roleArn(hubAccount, config.hub.bootstrapRoleName ?? config.spoke.bootstrapRoleName),
    spokeDeployRoleArn: (account) => roleArn(account.id, account.bootstrapRoleName ?? config.spoke.bootstrapRoleName),
  };
}
