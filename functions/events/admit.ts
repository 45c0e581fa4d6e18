import { eventSourceOf, GLOBAL_EVENT_SOURCES } from "../config/events.js";
import { resolveAccount, resolveOnboarded, type EffectiveAccount } from "../config/resolve.js";
import type { Config, Mode } from "../config/schema.js";
import { withModeOverride } from "../remediation/index.js";
import { isCloudFormationCall, isOwnRoleCall } from "../aws/cloudtrail-origin.js";
import { reject, type ParsedChange, type Rejection } from "./parse.js";
import { ownRoleArns } from "../aws/cloudtrail-origin.js";
import type { PlacedMember } from "../config/resolve.js";
import { hasResolver } from "./resolve.js";

export interface Admission {
  account: EffectiveAccount;
  /** Region of the affected resource; for global services, where the event was recorded. */
  region: string;
  /** Global resources (IAM) may belong to a stack in any of the account's regions. */
  global: boolean;
}

/**
 * Where the event's account sits in the organization, as the event path looked it up
 * (scanner/member-placement.ts); "not-in-organization" when Organizations does not know it.
 */
export type Placement = PlacedMember | "not-in-organization";

/**
 * With organizationalUnits, whether an account is onboarded, and with which settings, depends on
 * its OU; the event path then needs its placement, as the scheduled scan does.
 */
export function needsPlacement(config: Config): boolean {
  return config.organizationalUnits.length > 0;
}

/** The checks that need no account settings: run first, so a dropped event costs no Organizations call. */
export function screenChange(change: ParsedChange, config: Config): Rejection | undefined {
  const { detail } = change;
  const events = config.defaults.events;
  if (!events.enabled) return reject("events-disabled", "defaults.events.enabled is false");
  if (isOwnRoleCall(detail, ownRoleArns(config))) {
    return reject("own-role", `made by driftguard's own role (${detail.userIdentity.arn})`);
  }
  if (isCloudFormationCall(detail)) return reject("cloudformation", "made by CloudFormation during a stack operation");
  if (detail.recipientAccountId !== undefined && detail.recipientAccountId !== change.account) {
    return reject("account-mismatch", `event account ${change.account} differs from recipientAccountId ${detail.recipientAccountId}`);
  }
  if (!events.eventNames.includes(detail.eventName)) {
    return reject("event-not-configured", `${detail.eventName} is not in defaults.events.eventNames`);
  }
  if (!hasResolver(detail.eventName)) {
    return reject("unsupported-event", `driftguard cannot tell which resource ${detail.eventName} changes`);
  }
  return undefined;
}

/**
 * The account's settings exactly as the scheduled scan resolves them (config/resolve.ts): listed
 * accounts under their OU's settings, members of onboarded OUs with the OU's, never an excluded
 * or retired account.
 */
function onboardedAccount(change: ParsedChange, config: Config, placement: Placement | undefined): EffectiveAccount | Rejection {
  const id = change.account;
  if (config.exclude.includes(id)) return reject("account-not-onboarded", `account ${id} is in exclude: in accounts.yaml`);
  const entry = config.accounts.find((a) => a.id === id);
  if (entry?.status === "retired") return reject("account-not-onboarded", `account ${id} (${entry.name}) is retired in accounts.yaml`);
  if (!needsPlacement(config)) {
    return entry ? resolveAccount(config, entry) : reject("account-not-onboarded", `account ${id} is not listed in accounts`);
  }
  if (placement === undefined) return reject("organization-unavailable", `account ${id}'s organizational unit is unknown, so its settings are`);
  if (placement === "not-in-organization") return reject("account-not-onboarded", `account ${id} is not a member of the organization`);
  if (placement.state !== "ACTIVE") return reject("account-not-active", `Organizations reports account ${id} as ${placement.state}`);
  const account = resolveOnboarded(config, [placement]).find((a) => a.id === id);
  return account ?? reject("account-not-onboarded", `account ${id} is neither listed in accounts nor in an onboarded organizational unit (it is in ${placement.parents[0] ?? "no OU"})`);
}

/** Decides whether driftguard should act on a change at all, from the config and the account's placement. */
export function admitChange(change: ParsedChange, config: Config, modeOverride?: Mode, placement?: Placement): Admission | Rejection {
  const screened = screenChange(change, config);
  if (screened) return screened;
  const onboarded = onboardedAccount(change, config, placement);
  if ("rejected" in onboarded) return onboarded;
  const { detail } = change;
  const account = withModeOverride(onboarded, modeOverride);
  const source = eventSourceOf(detail.eventName);
  // IAM events are recorded in the partition's global-service region whichever region is onboarded.
  const global = source !== undefined && GLOBAL_EVENT_SOURCES.has(source);
  if (!global && !account.regions.includes(detail.awsRegion)) {
    return reject("region-not-onboarded", `${detail.awsRegion} is not among account ${account.id}'s regions (${account.regions.join(", ")})`);
  }
  return { account, region: detail.awsRegion, global };
}
