import type { Bucket } from "@aws-sdk/client-s3";
import type { LimitFunction } from "p-limit";
import type { SpokeClients } from "../aws/clients.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { Config } from "../config/schema.js";
import type { Deadline } from "../core/deadline.js";
import { errorText, toErrorInfo } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { ChangeActor, NotSwept, RegionSweep, UnmanagedFinding } from "../core/types.js";
import { evaluateGuardrail, findOwningStack, GUARDRAILS, type Guardrail, type GuardrailSettings, type Inspection } from "../events/index.js";
import {
  effectiveMode,
  exemptionFromTags,
  exemptionPolicy,
  NOTHING_OWNED,
  type OwnershipLookup,
  type RemediationGuards,
  type SafetyPolicy,
} from "../remediation/index.js";
import { findCreator, type CreatorAnswer, type CreatorLookup } from "./creator.js";
import type { ReportedMemory } from "./reported.js";
import { bucketRegion, SWEEP_SOURCES, type Listed, type SweepSource } from "./sources.js";

/**
 * The scheduled sweep of one account-region: every resource of a type some guardrail judges is
 * listed (paginated), and each one no stack manages goes through the guardrails exactly as on the
 * event path — the same inspections, exemptions, modes and one apply path (evaluate.ts →
 * remediation/pipeline.ts: invariants → mode → flapping → blast radius → apply → verify). It
 * catches what events miss: resources made before driftguard, while events were off, in a region
 * without a rule, or whose event was lost. Never stops or terminates anything.
 */

/** CloudFormation tags every resource it creates that supports tags with its stack's id (CloudFormation User Guide, "Tag your CloudFormation resources"). */
export const STACK_ID_TAG = "aws:cloudformation:stack-id";

export interface SweepInput {
  config: Config;
  account: EffectiveAccount;
  clients: SpokeClients;
  guards: RemediationGuards;
  safety: SafetyPolicy;
  ownership: OwnershipLookup;
  deadline: Deadline;
  /** The account-region's concurrency limit, shared with its stacks' drift detection. */
  limit: LimitFunction;
  creators: Omit<CreatorLookup, "cloudtrail">;
  /** What notify-only rules already reported (reported.ts); absent (CLI): everything is reported every run. */
  reported?: ReportedMemory;
  /** The account's buckets, listed once per account. */
  accountBuckets(): Promise<readonly Bucket[]>;
  now(): number;
  log: Logger;
}

const UNSTARTED = "the run's time budget was reached before this was listed";

/** The enabled guardrails per resource type; types none of them judges are not listed. */
function guardrailsByType(settings: GuardrailSettings): Map<string, Guardrail[]> {
  const byType = new Map<string, Guardrail[]>();
  for (const g of GUARDRAILS.filter((g) => g.enabled(settings))) byType.set(g.resourceType, [...(byType.get(g.resourceType) ?? []), g]);
  return byType;
}

interface ResourceVerdicts {
  managed: boolean;
  findings: UnmanagedFinding[];
  /** Guardrails with reportOnce that found this resource, reported now or before. */
  sightings?: string[];
}

export async function sweepRegion(input: SweepInput): Promise<RegionSweep> {
  const settings = input.config.defaults.events.guardrails;
  const byType = guardrailsByType(settings);
  const listed: RegionSweep["listed"] = [];
  const findings: UnmanagedFinding[] = [];
  const notSwept: NotSwept[] = [];
  for (const source of SWEEP_SOURCES) {
    const guardrails = byType.get(source.resourceType);
    if (!guardrails) continue;
    if (!input.deadline.canStart()) {
      notSwept.push({ resourceType: source.resourceType, reason: UNSTARTED });
      continue;
    }
    const swept = await sweepType(input, source, guardrails);
    listed.push({ resourceType: source.resourceType, count: swept.count, managed: swept.managed });
    findings.push(...swept.findings);
    if (swept.notSwept) notSwept.push(swept.notSwept);
  }
  notSwept.push(...(await bucketsElsewhere(input)));
  const status = notSwept.length === 0 ? "swept" : listed.length === 0 ? "not-swept" : "partial";
  return { status, listed, findings, notSwept };
}

/** Buckets in regions accounts.yaml does not scan for this account: said once, by its first region. */
async function bucketsElsewhere(input: SweepInput): Promise<NotSwept[]> {
  const { account, clients } = input;
  if (clients.region !== account.regions[0] || !guardrailsByType(input.config.defaults.events.guardrails).has("AWS::S3::Bucket")) return [];
  let all: readonly Bucket[];
  try {
    all = await input.accountBuckets();
  } catch {
    return []; // the region's own bucket listing reports the failure
  }
  const elsewhere = new Map<string, number>();
  for (const b of all) {
    const region = bucketRegion(b);
    if (!account.regions.includes(region)) elsewhere.set(region, (elsewhere.get(region) ?? 0) + 1);
  }
  return [...elsewhere].map(([region, count]) => ({
    resourceType: "AWS::S3::Bucket",
    reason: `${count} bucket(s) in ${region}, which accounts.yaml does not scan for this account; add the region to sweep them`,
  }));
}

async function sweepType(input: SweepInput, source: SweepSource, guardrails: readonly Guardrail[]) {
  let count = 0;
  let managed = 0;
  const findings: UnmanagedFinding[] = [];
  const violating = new Map<string, Set<string>>(guardrails.map((g) => [g.name, new Set<string>()]));
  const sighted = new Map<string, string[]>(guardrails.filter((g) => g.reportOnce).map((g) => [g.name, []]));
  let notSwept: NotSwept | undefined;
  try {
    for await (const page of source.pages({ clients: input.clients, accountBuckets: input.accountBuckets })) {
      const todo = page.filter(() => input.deadline.canStart());
      const results = await Promise.all(todo.map(async (item) => ({ ...(await input.limit(() => judgeResource(input, source, guardrails, item))), physicalId: item.resource.physicalId })));
      count += todo.length;
      for (const r of results) {
        if (r.managed) managed++;
        for (const f of r.findings) violating.get(f.guardrail)?.add(f.physicalId);
        for (const g of r.sightings ?? []) sighted.get(g)?.push(r.physicalId);
        findings.push(...r.findings);
      }
      if (todo.length < page.length || !input.deadline.canStart()) {
        notSwept = { resourceType: source.resourceType, reason: `the run's time budget was reached after ${count} resource(s); the rest were not swept` };
        break;
      }
    }
  } catch (err) {
    const error = toErrorInfo(err);
    input.log.error("sweep listing failed", { resourceType: source.resourceType, error });
    notSwept = { resourceType: source.resourceType, reason: `listing failed after ${count} resource(s): ${error.code}`, error };
  }
  // A complete listing says which resources are in line: their flapping counters restart (guards.ts).
  if (notSwept === undefined) {
    for (const g of guardrails) {
      const mode = effectiveMode(input.account, "", source.resourceType);
      const ref = { accountId: input.account.id, region: input.clients.region, stackName: `guardrail:${g.name}` };
      input.guards.observeStack(ref, violating.get(g.name) ?? new Set(), () => mode === "remediate");
      const ids = sighted.get(g.name);
      if (ids) input.reported?.saw({ accountId: input.account.id, region: input.clients.region, guardrail: g.name }, ids);
    }
  }
  return { count, managed, findings, notSwept };
}

/** Every guardrail of the type on one listed resource; a resource a stack manages is drift detection's. Never throws. */
async function judgeResource(input: SweepInput, source: SweepSource, guardrails: readonly Guardrail[], item: Listed): Promise<ResourceVerdicts> {
  if (item.tags?.[STACK_ID_TAG] !== undefined) return { managed: true, findings: [] };
  const { resource } = item;
  let owner: Promise<boolean> | undefined;
  // DescribeStackResources only for violations without the tag: resources imported into a stack
  // carry no aws:cloudformation tags, and asking for every resource would cost a call each.
  const isManaged = (tags: Record<string, string>) =>
    tags[STACK_ID_TAG] !== undefined ? Promise.resolve(true) : (owner ??= findOwningStack(input.clients.cloudformation, resource).then((s) => s !== undefined));
  let creator: Promise<CreatorAnswer> | undefined;
  const lookupCreator = () => (creator ??= findCreator({ ...input.creators, cloudtrail: input.clients.cloudtrail }, resource.physicalId, source.createdBy));
  const actor: ChangeActor = { source: "cloudtrail-lookup" };
  const findings: UnmanagedFinding[] = [];
  const sightings: string[] = [];
  for (const guardrail of guardrails) {
    const at = new Date(input.now());
    const base = { guardrail: guardrail.name, resourceType: resource.resourceType, physicalId: resource.physicalId, at: at.toISOString() };
    try {
      const ctx = {
        resource,
        clients: input.clients,
        settings: input.config.defaults.events.guardrails,
        actor,
        live: item.live,
        lookupCreator: async () => (await lookupCreator()).actor,
        owned: NOTHING_OWNED,
        guards: async () => input.guards,
        safety: input.safety,
        now: at,
        mode: effectiveMode(input.account, "", resource.resourceType),
        exemptionOf: (tags: Record<string, string>) => exemptionFromTags(tags, exemptionPolicy(input.config), at, "resource"),
      };
      let found: Inspection = await guardrail.inspect(ctx);
      if (found.state !== "violation") continue;
      if (await isManaged(found.tags)) return { managed: true, findings: [] };
      if (guardrail.reportOnce) {
        sightings.push(guardrail.name);
        if (input.reported && !input.reported.isNew({ accountId: input.account.id, region: input.clients.region, guardrail: guardrail.name }, resource.physicalId)) continue;
      }
      // Rules that attachment resources own stay the template's (evaluated again with them: no extra read).
      const owned = await input.ownership.forResource(input.clients.region, resource.resourceType, resource.physicalId);
      if (owned.attachments.length > 0) found = await guardrail.inspect({ ...ctx, owned });
      const outcome = await evaluateGuardrail(guardrail, { ...ctx, owned }, found);
      const made = creator ? await creator : undefined;
      const action = made?.error ? { ...outcome.action, reason: `${outcome.action.reason} (creator not looked up: ${made.error.code}: ${made.error.message})` } : outcome.action;
      findings.push({ ...base, exemption: outcome.exemption ?? { kind: "none" }, action, ...(made?.actor ? { createdBy: made.actor } : {}) });
    } catch (err) {
      input.log.warn("guardrail failed on a swept resource", { guardrail: guardrail.name, physicalId: resource.physicalId, error: toErrorInfo(err) });
      findings.push({ ...base, exemption: { kind: "none" }, action: { outcome: "failed", reason: errorText(err), steps: [], by: `guardrail:${guardrail.name}` } });
    }
  }
  return { managed: false, findings, sightings };
}
