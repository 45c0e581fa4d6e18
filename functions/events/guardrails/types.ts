import type { SpokeClients } from "../../aws/clients.js";
import type { ResolvedEventName } from "../../config/events.js";
import type { Config } from "../../config/schema.js";
import type { ChangeActor } from "../../core/types.js";
import type { AffectedResource } from "../resolve.js";

export type GuardrailSettings = Config["defaults"]["events"]["guardrails"];

export interface GuardrailInput {
  resource: AffectedResource;
  clients: SpokeClients;
  settings: GuardrailSettings;
  actor: ChangeActor;
}

/** The live state of a resource measured against one guardrail. */
export type Inspection =
  | { state: "gone"; reason: string }
  | { state: "compliant"; reason: string; tags: Record<string, string> }
  | {
      state: "violation";
      reason: string;
      /** Live tags, for the exemption check. */
      tags: Record<string, string>;
      /** API-level steps `fix` performs; empty for notify-only rules. */
      steps: string[];
      /** Absent for rules that only notify. */
      fix?: () => Promise<void>;
    };

/**
 * One unmanaged-resource rule: one file under guardrails/, listed once in registry.ts. A rule
 * only reads and describes; evaluate.ts applies mode, exemption and verification to all alike.
 */
export interface Guardrail {
  name: string;
  /** CloudTrail event names that may break the rule. */
  eventNames: readonly ResolvedEventName[];
  resourceType: string;
  /** Every IAM action inspect and fix call: added to the spoke role policy. */
  actions: readonly string[];
  enabled(settings: GuardrailSettings): boolean;
  inspect(input: GuardrailInput): Promise<Inspection>;
}
