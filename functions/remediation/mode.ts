import type { EffectiveAccount } from "../config/resolve.js";
import type { Mode } from "../config/schema.js";
import { matchesGlob } from "../scanner/glob.js";

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
