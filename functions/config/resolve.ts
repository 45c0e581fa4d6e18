import type { AccountEntry, Config, IgnoreRule, Mode, ModeRule, StackFilter } from "./schema.js";

/** What one account actually runs with, after its overrides are laid over `defaults`. */
export interface EffectiveAccount {
  id: string;
  name: string;
  regions: string[];
  mode: Mode;
  stacks: StackFilter;
  modeRules: ModeRule[];
  /** Stack globs that may be reverted whole with REVERT_DRIFT change sets; empty = never. */
  revertDriftStacks: string[];
  cloudTrailLookup: boolean;
  /** `defaults.ignore` then the account's own `ignore` rules. */
  ignore: IgnoreRule[];
}

function revertGlobs(value: boolean | { stacks: string[] }): string[] {
  if (value === true) return ["*"];
  if (value === false) return [];
  return value.stacks;
}

export function resolveAccount(config: Config, account: AccountEntry): EffectiveAccount {
  const d = config.defaults;
  return {
    id: account.id,
    name: account.name,
    regions: account.regions ?? d.regions,
    mode: account.mode ?? d.mode,
    stacks: account.stacks ?? d.stacks,
    // Account rules come after the defaults' rules so that they win.
    modeRules: [...d.modeRules, ...(account.modeRules ?? [])],
    revertDriftStacks: revertGlobs(account.revertDrift ?? d.revertDrift),
    cloudTrailLookup: account.cloudTrailLookup ?? d.cloudTrailLookup,
    ignore: [...d.ignore, ...(account.ignore ?? [])],
  };
}

export function resolveAccounts(config: Config): EffectiveAccount[] {
  return config.accounts.map((a) => resolveAccount(config, a));
}
