import type { SpokeClients } from "../aws/clients.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { ExemptionState, PropertyDifference, RemediationAction, ResourceDrift, ResourceReport } from "../core/types.js";
import type { RemediationGuards } from "./guards.js";

/** What a remediator concluded; the engine turns it into a RemediationAction after verification. */
export interface RemediatorResult {
  outcome: "remediated" | "skipped" | "failed" | "manual";
  reason: string;
  /** API-level steps taken (or, when dryRun, that would be taken). Empty = nothing to do. */
  steps: string[];
  remaining?: PropertyDifference[];
}

export interface RemediatorInput {
  drift: ResourceDrift;
  clients: SpokeClients;
  /** Report mode: compute the plan (steps) and change nothing. */
  dryRun: boolean;
}

/**
 * One file per CloudFormation resource type under remediators/, listed once in registry.ts.
 * `actions` feeds the spoke role policy in modules/, so it must list every IAM action
 * `remediate` can call, including the reads it does to compute the plan.
 */
export interface Remediator {
  resourceType: string;
  actions: readonly string[];
  remediate(input: RemediatorInput): Promise<RemediatorResult>;
  /**
   * Top-level template properties `remediate` repairs. Differences on other properties are left
   * for a person (the engine reports them as `manual`); absent = every property.
   */
  properties?: readonly string[];
  /** The live tags of the physical resource, for the exemption check. */
  readTags?(drift: ResourceDrift, clients: SpokeClients): Promise<Record<string, string>>;
}

export type { RemediationAction };

/**
 * The scanner → engine contract (docs/ARCHITECTURE.md, "Scanner → remediation contract"); the
 * engine's `remediateStack` implements `RemediateStack`, the scanner receives it injected.
 */
export interface StackRemediationInput {
  runId: string;
  /** mode, modeRules, revertDriftStacks (the run's mode override already applied). */
  account: EffectiveAccount;
  region: string;
  stack: { stackName: string; stackId: string; tags: Record<string, string> };
  /** MODIFIED + DELETED resources of this stack. */
  drifts: ResourceDrift[];
  clients: SpokeClients;
  exemptionTagKey: string;
  /** Shared across the run: blast radius + flapping. */
  guards: RemediationGuards;
  now: Date;
}

export interface StackRemediationResult {
  /** The stack's own exemption. */
  exemption: ExemptionState;
  /** One per input drift, with exemption + action. */
  resources: ResourceReport[];
  /** REVERT_DRIFT change set, when used. */
  stackAction?: RemediationAction;
}

export type RemediateStack = (input: StackRemediationInput) => Promise<StackRemediationResult>;
