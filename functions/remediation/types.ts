import type { SpokeClients } from "../aws/clients.js";
import type { RemediationAction, ResourceDrift } from "../core/types.js";
import type { Plan, PlanInput } from "./plan.js";

/** What a fresh look at the live state says after the steps ran, for types CloudFormation cannot re-verify. */
export interface LiveCheck {
  inSync: boolean;
  /** Appended to the reason: what was found, and what CloudFormation will keep reporting. */
  note: string;
}

/**
 * One file per CloudFormation resource type under remediators/, listed once in registry.ts.
 * A remediator is a planner: `plan` reads the live state and returns steps; it never writes
 * (the write gate on spoke clients throws if it tries). `actions` feeds the spoke role policy in
 * modules/, so it must list every IAM action `plan` reads with and every step sends.
 */
export interface Remediator {
  resourceType: string;
  actions: readonly string[];
  plan(input: PlanInput): Promise<Plan>;
  /**
   * Top-level template properties `plan` repairs. Differences on other properties are left
   * for a person (the engine reports them as `manual`); absent = every property.
   */
  properties?: readonly string[];
  /**
   * An attachment resource (AWS::EC2::SecurityGroupIngress, AWS::IAM::RolePolicy, …): the engine
   * passes what it declares (`PlanInput.declared`, read from its template by the ownership lookup)
   * and lets it plan DELETED drift, which for an attachment means its rule or policy was removed
   * by hand, not that a stack resource is gone.
   */
  attachment?: true;
  /** Replaces the DetectStackResourceDrift verification where CloudFormation cannot see the repair. */
  verifyLive?(input: PlanInput): Promise<LiveCheck>;
  /** The live tags of the physical resource, for the exemption check. */
  readTags?(drift: ResourceDrift, clients: SpokeClients): Promise<Record<string, string>>;
}

export type { RemediationAction };
