import { eventSourceOf, GLOBAL_EVENT_SOURCES } from "../config/events.js";
import { resolveAccount, type EffectiveAccount } from "../config/resolve.js";
import type { Config, Mode } from "../config/schema.js";
import { withModeOverride } from "../remediation/index.js";
import { isCloudFormationCall, isOwnRoleCall } from "../aws/cloudtrail-origin.js";
import { reject, type ParsedChange, type Rejection } from "./parse.js";
import { ownRoleArns } from "../scanner/index.js";
import { hasResolver } from "./resolve.js";

export interface Admission {
  account: EffectiveAccount;
  /** Region of the affected resource; for global services, where the event was recorded. */
  region: string;
  /** Global resources (IAM) may belong to a stack in any of the account's regions. */
  global: boolean;
}

/** Decides whether driftguard should act on a change at all, from the config alone. */
export function admitChange(change: ParsedChange, config: Config, modeOverride?: Mode): Admission | Rejection {
  const { detail } = change;
  const events = config.defaults.events;
  if (!events.enabled) return reject("events-disabled", "defaults.events.enabled is false");
  if (isOwnRoleCall(detail, ownRoleArns(config))) {
    return reject("own-role", `made by driftguard's own role (${detail.userIdentity.arn})`);
  }
  if (isCloudFormationCall(detail)) return reject("cloudformation", "made by CloudFormation during a stack operation");

  const entry = config.accounts.find((a) => a.id === change.account && a.status !== "retired");
  if (!entry) return reject("account-not-onboarded", `account ${change.account} is not listed in accounts`);
  if (detail.recipientAccountId !== undefined && detail.recipientAccountId !== change.account) {
    return reject("account-mismatch", `event account ${change.account} differs from recipientAccountId ${detail.recipientAccountId}`);
  }
  if (!events.eventNames.includes(detail.eventName)) {
    return reject("event-not-configured", `${detail.eventName} is not in defaults.events.eventNames`);
  }
  if (!hasResolver(detail.eventName)) {
    return reject("unsupported-event", `driftguard cannot tell which resource ${detail.eventName} changes`);
  }

  const account = withModeOverride(resolveAccount(config, entry), modeOverride);
  const source = eventSourceOf(detail.eventName);
  // IAM events are recorded in the partition's global-service region whichever region is onboarded.
  const global = source !== undefined && GLOBAL_EVENT_SOURCES.has(source);
  if (!global && !account.regions.includes(detail.awsRegion)) {
    return reject("region-not-onboarded", `${detail.awsRegion} is not among account ${account.id}'s regions (${account.regions.join(", ")})`);
  }
  return { account, region: detail.awsRegion, global };
}
