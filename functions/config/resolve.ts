import type { AccountEntry, Config, IgnoreRule, Mode, ModeRule, OrganizationalUnitEntry, StackFilter } from "./schema.js";

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
  /** The onboarded OU whose settings apply (the nearest one above the account), if any. */
  organizationalUnit?: string;
  /** `defaults.ignore` then the account's own `ignore` rules. */
  ignore: IgnoreRule[];
}

function revertGlobs(value: boolean | { stacks: string[] }): string[] {
  if (value === true) return ["*"];
  if (value === false) return [];
  return value.stacks;
}

type Settings = Partial<Pick<AccountEntry, "regions" | "mode" | "stacks" | "modeRules" | "revertDrift" | "cloudTrailLookup" | "ignore">>;

/**
 * Settings from most general to most specific: `defaults`, then the account's OU, then its own
 * entry in `accounts:`. Each field is taken from the most specific layer that sets it; mode rules
 * are concatenated in that order so that the more specific rules come later and win; ignore rules
 * are concatenated too (every layer's rules apply).
 */
function layer(config: Config, id: string, name: string, layers: Settings[], ou?: OrganizationalUnitEntry): EffectiveAccount {
  const d = config.defaults;
  const pick = <K extends keyof Settings>(key: K): Settings[K] => layers.reduce<Settings[K]>((found, l) => l[key] ?? found, undefined);
  return {
    id,
    name,
    regions: pick("regions") ?? d.regions,
    mode: pick("mode") ?? d.mode,
    stacks: pick("stacks") ?? d.stacks,
    modeRules: [...d.modeRules, ...layers.flatMap((l) => l.modeRules ?? [])],
    revertDriftStacks: revertGlobs(pick("revertDrift") ?? d.revertDrift),
    cloudTrailLookup: pick("cloudTrailLookup") ?? d.cloudTrailLookup,
    ignore: [...d.ignore, ...layers.flatMap((l) => l.ignore ?? [])],
    ...(ou ? { organizationalUnit: ou.id } : {}),
  };
}

/** An account listed under `accounts:`, inside the onboarded OU `ou` when it is in one. */
export function resolveAccount(config: Config, account: AccountEntry, ou?: OrganizationalUnitEntry): EffectiveAccount {
  return layer(config, account.id, account.name, ou ? [ou, account] : [account], ou);
}

/** The accounts listed under `accounts:` that are onboarded (not retired), without OU settings. */
export function resolveAccounts(config: Config): EffectiveAccount[] {
  return config.accounts.filter((a) => a.status !== "retired").map((a) => resolveAccount(config, a));
}

/** An organization member as the OU walk saw it; `parents` runs from its own OU up to the root. */
export interface MemberPlacement {
  id: string;
  name: string;
  parents: string[];
}

/** A member as the event path looks it up (scanner/member-placement.ts), with its state. */
export interface PlacedMember extends MemberPlacement {
  /** Organizations' State (or Status on older responses): ACTIVE, SUSPENDED … */
  state: string;
}

/**
 * The OU that onboards an account: the nearest onboarded OU among its parents. A non-recursive
 * OU only onboards its direct members.
 */
export function onboardingUnit(config: Config, parents: readonly string[]): OrganizationalUnitEntry | undefined {
  const byId = new Map(config.organizationalUnits.map((u) => [u.id, u]));
  for (const [depth, parent] of parents.entries()) {
    const unit = byId.get(parent);
    if (unit !== undefined && (depth === 0 || unit.recursive)) return unit;
  }
  return undefined;
}

/**
 * Every onboarded account, given where each member of the organization sits: the listed accounts
 * (in file order, with their OU's settings under their own), then the members of onboarded OUs
 * that are not listed, by id. Retired and excluded accounts are never onboarded. Listed accounts
 * missing from the organization stay in, so the join with the organization can report them.
 */
export function resolveOnboarded(config: Config, members: readonly MemberPlacement[]): EffectiveAccount[] {
  const placement = new Map(members.map((m) => [m.id, m]));
  const listed = new Set(config.accounts.map((a) => a.id));
  const excluded = new Set(config.exclude);
  const explicit = config.accounts
    .filter((a) => a.status !== "retired")
    .map((a) => resolveAccount(config, a, onboardingUnit(config, placement.get(a.id)?.parents ?? [])));
  const discovered = members
    .filter((m) => !listed.has(m.id) && !excluded.has(m.id))
    .sort((a, b) => a.id.localeCompare(b.id))
    .flatMap((m) => {
      const unit = onboardingUnit(config, m.parents);
      return unit ? [layer(config, m.id, m.name, [unit], unit)] : [];
    });
  return [...explicit, ...discovered];
}
