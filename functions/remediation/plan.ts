import type { SpokeClients } from "../aws/clients.js";
import type { TagMap } from "../core/tags.js";
import type { ResourceDrift, StepEffect } from "../core/types.js";
import type { Attachment, Owned } from "./ownership/owned.js";
import type { WriteEffect } from "./safety/effects.js";

/**
 * Remediators and guardrails are planners: from the drift (or the event) and the live state
 * they read, they return steps and change nothing. The engine's one apply path
 * (pipeline.ts) judges every step's effect against the privilege invariants, applies the
 * guards and then sends exactly the steps it approved, so report mode shows exactly what
 * remediate mode sends.
 */
export interface PlannedStep {
  /** The API call, e.g. "DetachRolePolicy RoleName=app PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess". Its first word is the API. */
  call: string;
  /** What it achieves, for the reason line: "detach arn:aws:iam::aws:policy/AdministratorAccess". */
  summary: string;
  /** What the write would do, as data, for the invariants. */
  effect: WriteEffect;
  /**
   * How the properties it changes look to CloudFormation once the plan ran (template shape):
   * the convergence check's input, distinct from `effect`, which the invariants judge.
   */
  effects?: StepEffect[];
  /** Sends the write. Only pipeline.ts calls it, inside the write approval of this step. */
  send(): Promise<unknown>;
}

export type { StepEffect };

/** The effects of a plan's steps, in order (a later effect on the same path wins). */
export const effectsOf = (steps: readonly PlannedStep[]): StepEffect[] => steps.flatMap((s) => s.effects ?? []);

/** A plan, or the reason no safe automatic repair exists. */
export type Plan = { steps: PlannedStep[]; honoured?: string[] } | { manual: string };

export interface PlanInput {
  drift: ResourceDrift;
  clients: SpokeClients;
  /** What other resources (attachments) own on this physical resource: never removed. */
  owned: Owned;
  /** For attachment remediators: what the drifted attachment resource itself declares. */
  declared?: readonly Attachment[];
}

export const IN_SYNC_REASON = "live state already matches the template for every property this remediator manages";

/** "DetachRolePolicy" for a step whose call is "DetachRolePolicy RoleName=…". */
export function apiOf(step: Pick<PlannedStep, "call">): string {
  return step.call.split(" ", 1)[0] ?? "";
}

/** Zero or one step that writes `restore` through the type's own tagging call. */
export function restoreTagsStep(
  restore: Readonly<TagMap>,
  call: string,
  effect: WriteEffect,
  send: (restore: Readonly<TagMap>) => Promise<unknown>,
  /** The template's Tags: CloudFormation compares only its keys, which the step gives their values. */
  expectedTags?: unknown,
): PlannedStep[] {
  const keys = Object.keys(restore);
  if (keys.length === 0) return [];
  return [
    {
      call: `${call} ${keys.map((k) => `${k}=${restore[k]}`).join(", ")}`,
      summary: `restore tags ${keys.join(", ")}`,
      effect,
      ...(expectedTags !== undefined ? { effects: [{ path: "/Tags", value: expectedTags }] } : {}),
      send: () => send(restore),
    },
  ];
}
