import type { CfnStack, Principal } from "../../../state.js";
import type { PropertyShapes } from "../drift/compare.js";
import type { CfnEnv } from "../env.js";

/** How a provider creates and removes nested stacks without depending on the stack lifecycle. */
export interface NestedStacks {
  create(input: { logicalId: string; templateBody: string; parameters: Record<string, string> }): Promise<CfnStack>;
  delete(stackId: string): Promise<void>;
}

export interface ResourceContext {
  env: CfnEnv;
  stack: CfnStack;
  logicalId: string;
  resourceType: string;
  nested: NestedStacks;
  /** Whose credentials CloudFormation uses for this stack's calls: its service role's session, else the caller's (on-behalf.ts). */
  actor?: Principal;
  /**
   * The calls are the caller's own, through CloudFormation (aws:CalledVia), even when the stack has
   * a service role: drift detection reads with the credentials of whoever asked for it (on-behalf.ts driftContext).
   */
  asCaller?: boolean;
}

export interface Provisioned {
  physicalId: string;
  /** Fn::GetAtt values. */
  attributes: Record<string, string>;
  nestedStackId?: string;
}

/** What a resource type needs for drift detection and REVERT_DRIFT change sets. */
export interface DriftSupport {
  shapes: PropertyShapes;
  /** Properties whose change replaces the resource ("Update requires: Replacement"). */
  replacedBy: readonly string[];
  /**
   * The template properties drift detection compares, in canonical form: only the properties
   * the emulator models (others are stored but cannot be read back, so are not compared).
   */
  expected(properties: Record<string, unknown>): Record<string, unknown>;
  /**
   * The live resource in CloudFormation property shape, or undefined when it no longer exists. Each
   * read the type's read handler makes is authorized first (on-behalf.ts readOnBehalf), so a
   * principal without read permission fails the resource's check.
   */
  readActual(physicalId: string, ctx: ResourceContext): Promise<Record<string, unknown> | undefined>;
  /** Brings the live resource back to `expected` (REVERT_DRIFT execution); leaves other settings alone. */
  update(physicalId: string, expected: Record<string, unknown>, ctx: ResourceContext): Promise<void>;
}

/**
 * Resource import (resource-import.html): the type's primary identifier, as ResourcesToImport
 * names it (the resource type schema's primaryIdentifier), and the existing resource it names.
 */
export interface ImportSupport {
  identifier: string;
  /** The live resource's physical id and Fn::GetAtt values, or undefined when none exists; its reads authorized (readOnBehalf). */
  find(identifier: string, ctx: ResourceContext): Promise<Provisioned | undefined>;
}

/**
 * Every call CloudFormation makes for a stack — writes and the reads of drift detection and import —
 * is authorized first (on-behalf.ts), as IAM evaluates it, so the provider methods are asynchronous.
 */
export interface ResourceProvider {
  /** Provisions into the World; throws (with the message CloudFormation would show) on failure. */
  create(properties: Record<string, unknown>, ctx: ResourceContext): Promise<Provisioned>;
  delete(physicalId: string, ctx: ResourceContext): Promise<void>;
  /**
   * An UpdateStack change that needs no replacement ("Update requires: No interruption"): brings the
   * live resource from `previous` to `properties`. Absent: the provider's drift `update` applies the
   * new template values, and a type with neither is replaced (created anew, the old one deleted).
   */
  updateInPlace?(physicalId: string, properties: Record<string, unknown>, previous: Record<string, unknown>, ctx: ResourceContext): Promise<void>;
  /** Absent: the type cannot be imported. */
  import?: ImportSupport;
  /** Absent: the type does not support drift detection and reports NOT_CHECKED. */
  drift?: DriftSupport;
}
