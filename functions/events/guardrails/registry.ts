import { bucketEncryption } from "./bucket-encryption.js";
import { bucketPublicAccess } from "./bucket-public-access.js";
import { openIngress } from "./open-ingress.js";
import { requiredTags } from "./required-tags.js";
import type { Guardrail, GuardrailSettings } from "./types.js";
import { vpcCreated } from "./vpc-created.js";

/**
 * The rules for resources no stack manages: adding one is one file and one line here. At most
 * one rule may claim an event name and resource type, so each resource gets one verdict.
 */
const REGISTERED = [openIngress, bucketEncryption, bucketPublicAccess, vpcCreated, requiredTags] as const;

export const GUARDRAILS: readonly Guardrail[] = REGISTERED;

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Every guardrail's settings block in one shape: accounts.yaml's defaults.events.guardrails. */
export type GuardrailSettingsBlocks = Intersection<(typeof REGISTERED)[number]["settings"]>;

/**
 * The blocks merged for the config schema builder (functions/accounts-file/). Two guardrails
 * claiming one key would silently share a setting: refused when the module loads.
 */
export const GUARDRAIL_SETTINGS: GuardrailSettingsBlocks = REGISTERED.reduce<Record<string, unknown>>((all, g) => {
  for (const key of Object.keys(g.settings)) {
    if (Object.hasOwn(all, key)) throw new Error(`guardrail ${g.name} declares the setting ${key} another guardrail already owns; give it its own name`);
    all[key] = g.settings[key as keyof typeof g.settings];
  }
  return all;
}, {}) as GuardrailSettingsBlocks;

export function guardrailFor(eventName: string, resourceType: string, settings: GuardrailSettings): Guardrail | undefined {
  return GUARDRAILS.find((g) => g.resourceType === resourceType && (g.eventNames as readonly string[]).includes(eventName) && g.enabled(settings));
}

/** IAM actions the guardrails call in spoke accounts; functions/permissions.ts adds them to the spoke role. */
export function guardrailActions(): string[] {
  return [...new Set(GUARDRAILS.flatMap((g) => g.actions))].sort();
}
