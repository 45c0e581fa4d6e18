import type { SpokeClients } from "../aws/clients.js";
import type { PropertyDifference, RemediationAction, ResourceDrift } from "../core/types.js";
import type { StepEffect } from "./plan.js";

/** What a remediator concluded; the engine turns it into a RemediationAction after verification. */
export interface RemediatorResult {
  outcome: "remediated" | "skipped" | "failed" | "manual";
  reason: string;
  /** API-level steps taken (or, when dryRun, that would be taken). Empty = nothing to do. */
  steps: string[];
  remaining?: PropertyDifference[];
  /** How the steps leave each property they change (template shape), for the convergence check. */
  effects?: StepEffect[];
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
