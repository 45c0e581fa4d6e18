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
export const GUARDRAILS: readonly Guardrail[] = [openIngress, bucketEncryption, bucketPublicAccess, vpcCreated, requiredTags];

export function guardrailFor(eventName: string, resourceType: string, settings: GuardrailSettings): Guardrail | undefined {
  return GUARDRAILS.find((g) => g.resourceType === resourceType && (g.eventNames as readonly string[]).includes(eventName) && g.enabled(settings));
}

/** IAM actions the guardrails call in spoke accounts; functions/permissions.ts adds them to the spoke role. */
export function guardrailActions(): string[] {
  return [...new Set(GUARDRAILS.flatMap((g) => g.actions))].sort();
}
