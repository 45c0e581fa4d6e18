import type { EffectiveAccount } from "../config/resolve.js";
import type { Mode } from "../config/schema.js";
import { matchesGlob } from "../core/glob.js";

/**
 * The mode for one resource: the account's mode, then every mode rule in order, later rules
 * winning. A rule applies when each condition it states holds: its `stacks` glob matches the
 * stack name and/or its `resourceTypes` list contains the type.
 */
export function effectiveMode(account: Pick<EffectiveAccount, "mode" | "modeRules">, stackName: string, resourceType: string): Mode {
  let mode = account.mode;
  for (const rule of account.modeRules) {
    const stackMatches = rule.stacks === undefined || matchesGlob(stackName, rule.stacks);
    const typeMatches = rule.resourceTypes === undefined || rule.resourceTypes.includes(resourceType);
    if (stackMatches && typeMatches) mode = rule.mode;
  }
  return mode;
}

/**
 * DRIFTGUARD_MODE (or `npm start -- --mode`) laid over an account, for the scan, the fan-out
 * workers and the event path alike. `report` must mean "change nothing", so it also drops the
 * mode rules, which could remediate; `remediate` keeps them, which is how teams hold some stacks
 * or types back in report.
 */
export function withModeOverride(account: EffectiveAccount, override: Mode | undefined): EffectiveAccount {
  if (override === undefined) return account;
  return { ...account, mode: override, modeRules: override === "report" ? [] : account.modeRules };
}

/**
 * The run's mode as the report's top-level `mode` states it: `remediate` when the run could
 * change anything (an account to scan whose mode, or one of whose mode rules, says remediate),
 * else `report`. Not defaults.mode, which accounts and mode rules override; with no account to
 * scan, nothing can change: `report`.
 */
export function runMode(accounts: readonly Pick<EffectiveAccount, "mode" | "modeRules">[]): Mode {
  return accounts.some((a) => a.mode === "remediate" || a.modeRules.some((r) => r.mode === "remediate")) ? "remediate" : "report";
}
