import type { SpokeClients } from "../../aws/clients.js";
import type { ResolvedEventName } from "../../config/events.js";
import type { z } from "zod";
import type { Config, SettingsShape } from "../../config/schema.js";
import type { ChangeActor } from "../../core/types.js";
import type { Owned, PlannedStep } from "../../remediation/index.js";
import type { AffectedResource } from "../resolve.js";

/** Every guardrail's settings, as accounts.yaml's defaults.events.guardrails holds them once parsed. */
export type GuardrailSettings = Config["defaults"]["events"]["guardrails"];

/** A guardrail's own block of settings, parsed (its defaults applied). */
export type SettingsOf<S extends SettingsShape> = z.output<z.ZodObject<S>>;

export interface GuardrailInput<Own = Record<string, unknown>> {
  resource: AffectedResource;
  clients: SpokeClients;
  /** The guardrail's own settings (it sees no other guardrail's). */
  settings: Own;
  actor: ChangeActor;
  /** What attachment resources own on the resource: a guardrail never removes it either. */
  owned: Owned;
  /**
   * The resource as the scheduled sweep listed it (functions/sweep/sources.ts: a SecurityGroup,
   * an Instance, a Vpc): the first inspection judges it instead of describing the resource again.
   * Absent on the event path and for every re-inspection after a repair.
   */
  live?: unknown;
  /**
   * Who created the resource, when `actor` does not say (the scheduled sweep: CloudTrail
   * LookupEvents of the creating call, functions/sweep/creator.ts). Undefined: not found.
   */
  lookupCreator?: () => Promise<ChangeActor | undefined>;
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
      /** The repair, planned; empty for rules that only notify. The engine's apply path sends them. */
      steps: PlannedStep[];
    };

/**
 * One unmanaged-resource rule: one file under guardrails/, listed once in registry.ts. A rule
 * is a planner: it reads and plans steps; evaluate.ts runs them through the remediation
 * engine's one apply path (invariants, mode, flapping, blast radius, verification) like any repair.
 */
export interface Guardrail<S extends SettingsShape = SettingsShape> {
  name: string;
  /**
   * The guardrail's block of accounts.yaml defaults.events.guardrails: each key with its zod
   * schema, validation messages and default. The registry plugs every block into the config
   * schema (config/schema.ts buildConfigSchema), so a new guardrail's settings need no edit there.
   */
  settings: S;
  /** CloudTrail event names that may break the rule. */
  eventNames: readonly ResolvedEventName[];
  resourceType: string;
  /** Every IAM action inspect reads with and its steps send: added to the spoke role policy. */
  actions: readonly string[];
  enabled(settings: SettingsOf<S>): boolean;
  /**
   * A notify-only rule whose finding is news once: the scheduled sweep reports each resource the
   * first run that finds it, not every run (functions/sweep/reported.ts).
   */
  reportOnce?: true;
  inspect(input: GuardrailInput<SettingsOf<S>>): Promise<Inspection>;
}
