import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";

/**
 * Which policy evaluations give the same answer, so the emulator runs @cloud-copilot/iam-simulate
 * once per distinct question instead of once per request.
 *
 * Measured (issue 19, `npm run bench -- --accounts 10`, --cpu-prof of the sandbox child): with the
 * exact request as the key, every stack's first DetectStackDrift, ListStackResources,
 * DescribeStackResourceDrifts … was a new key (each names its stack's ARN), and the simulator —
 * which parses and validates every policy and matches the action against ReadOnlyAccess's 2,677
 * actions on each run — took 55 % of the sandbox's CPU, 45 ms per stack scanned.
 *
 * The evaluation logic (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
 * looks at the resource only through the `Resource`/`NotResource` elements of the statements
 * that apply to the action, and through a resource-based policy. When no resource policy takes
 * part and every statement whose `Action`/`NotAction` can match the action says `Resource: "*"`,
 * two requests that differ only in the resource's name get the same answer; the key then keeps
 * only what the simulator still reads of the resource — its partition, service, region, account
 * and resource type (the ARN up to the resource id, which selects the action's resource type in
 * the Service Authorization Reference) and whether it holds a wildcard. Anything else (a scoped
 * statement, a `NotResource`, a policy not in JSON object form) keeps the exact
 * resource in the key, as before.
 */

type Statement = { Action?: unknown; NotAction?: unknown; Resource?: unknown; NotResource?: unknown };

const patterns = new Map<string, RegExp>();

/** IAM action patterns: `*` and `?` wildcards, case-insensitive (IAM JSON policy reference, "Action"). */
function actionPattern(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    patterns.set(pattern, re);
  }
  return re;
}

/** Whether the element (a string or list of strings) names the action; undefined when it is not in that form. */
function names(element: unknown, action: string): boolean | undefined {
  const list = typeof element === "string" ? [element] : Array.isArray(element) && element.every((e) => typeof e === "string") ? (element as string[]) : undefined;
  return list?.some((p) => actionPattern(p).test(action));
}

/** A statement that may apply to the action (unknown shapes may). */
function applies(statement: Statement, action: string): boolean {
  if (statement.Action !== undefined) return names(statement.Action, action) ?? true;
  if (statement.NotAction !== undefined) return !(names(statement.NotAction, action) ?? false);
  return true;
}

function allResources(statement: Statement): boolean {
  if (statement.NotResource !== undefined) return false;
  const r = statement.Resource;
  return r === "*" || (Array.isArray(r) && r.length > 0 && r.every((e) => e === "*"));
}

function statementsOf(policy: unknown): Statement[] | undefined {
  const statement = (policy as { Statement?: unknown } | null)?.Statement;
  if (statement === undefined || statement === null || typeof statement !== "object") return undefined;
  return (Array.isArray(statement) ? statement : [statement]) as Statement[];
}

/** True when no statement of these policies that applies to the action looks at the resource. */
export function resourceIndependent(policies: readonly unknown[], action: string): boolean {
  for (const policy of policies) {
    const statements = statementsOf(policy);
    if (statements === undefined) return false;
    for (const s of statements) if (s === null || typeof s !== "object" || (applies(s, action) && !allResources(s))) return false;
  }
  return true;
}

/**
 * `arn:aws:cloudformation:eu-west-1:111122223333:stack/app/1a2b…` → `arn:aws:cloudformation:eu-west-1:111122223333:stack`:
 * what a resource-independent evaluation still reads of the resource.
 */
export function resourceClass(resource: string): string {
  if (resource === "*" || !resource.startsWith("arn:")) return resource;
  const parts = resource.split(":");
  if (parts.length < 6) return resource;
  const rest = parts.slice(5).join(":");
  const type = rest.split(/[/:]/)[0];
  return `${parts.slice(0, 5).join(":")}:${type}${resource.includes("*") ? "*" : ""}${resource.includes("?") ? "?" : ""}`;
}

/** What is known of one policy set for one action, worked out once. */
interface Family {
  /** No statement for the action looks at the resource (and no resource policy takes part). */
  resourceFree: boolean;
  /** The statements that may apply to the action, per identity/boundary policy; the rest cannot change the answer. */
  identityPolicies: Simulation["identityPolicies"];
  permissionBoundaryPolicies?: Simulation["permissionBoundaryPolicies"];
  /** Context keys (lower case) the applying statements read in a Condition or a ${policy variable}. */
  contextKeys: ReadonlySet<string>;
}

const families = new Map<string, Family>();

type NamedPolicy = Simulation["identityPolicies"][number];

function narrowed(policies: readonly NamedPolicy[], action: string): NamedPolicy[] {
  return policies.map((p) => {
    const statements = statementsOf(p.policy);
    return statements === undefined ? p : { ...p, policy: { ...(p.policy as object), Statement: statements.filter((s) => s === null || typeof s !== "object" || applies(s, action)) } };
  });
}

/** Condition keys and ${…} variables a policy reads, lower-cased (condition keys are case-insensitive). */
function contextKeysOf(policies: readonly NamedPolicy[]): Set<string> {
  const keys = new Set<string>();
  for (const p of policies) {
    const text = JSON.stringify(p.policy);
    for (const m of text.matchAll(/\$\{([^}]+)\}/g)) keys.add(m[1]!.toLowerCase());
    for (const s of statementsOf(p.policy) ?? []) {
      const condition = (s as { Condition?: unknown }).Condition;
      if (condition && typeof condition === "object") for (const block of Object.values(condition)) if (block && typeof block === "object") for (const k of Object.keys(block)) keys.add(k.toLowerCase());
    }
  }
  return keys;
}

function familyOf(simulation: Simulation, policies: string): Family {
  const { action } = simulation.request;
  const memo = `${policies}\u0000${action}`;
  let family = families.get(memo);
  if (!family) {
    const boundary = simulation.permissionBoundaryPolicies;
    // SCPs (kept whole) can look at the resource and read context keys (a Region deny reads aws:RequestedRegion) like the rest.
    const scps = simulation.serviceControlPolicies.flatMap((level) => level.policies);
    const all = [...simulation.identityPolicies, ...(boundary ?? []), ...scps];
    const identityPolicies = narrowed(simulation.identityPolicies, action);
    const permissionBoundaryPolicies = boundary ? narrowed(boundary, action) : undefined;
    family = {
      resourceFree: resourceIndependent(all.map((p) => p.policy), action),
      identityPolicies,
      ...(permissionBoundaryPolicies ? { permissionBoundaryPolicies } : {}),
      contextKeys: contextKeysOf([...identityPolicies, ...(permissionBoundaryPolicies ?? []), ...scps]),
    };
    if (families.size >= MAX_ENTRIES) families.clear();
    families.set(memo, family);
  }
  return family;
}

export interface PreparedEvaluation {
  /** Requests with the same key get the same answer. */
  key: string;
  /** What to simulate on a miss. */
  simulation: Simulation;
}

/** With a resource policy, or a policy set that did not validate: the request as it came, the key holding it whole. */
export function exactEvaluation(simulation: Simulation, policies: string, resourcePolicy: unknown): PreparedEvaluation {
  return { key: JSON.stringify([policies, resourcePolicy ?? null, simulation.request]), simulation };
}

/**
 * The memo key of one evaluation and what to simulate on a miss, for a policy set without a
 * resource policy that validated (`policies` names it: the caller's own key for its documents):
 * - statements whose Action/NotAction cannot match the action are dropped before simulating (they
 *   can neither allow nor deny it; ReadOnlyAccess's 2,677 actions were matched on every miss);
 * - context keys no applying statement reads (in a Condition or a policy variable) leave the key,
 *   so one account's regions share an answer (aws:RequestedRegion is read by no driftguard policy);
 * - the resource is reduced to its class when no applying statement looks at it.
 */
export function prepareEvaluation(simulation: Simulation, policies: string): PreparedEvaluation {
  const { request } = simulation;
  const family = familyOf(simulation, policies);
  const context = Object.fromEntries(Object.entries(request.contextVariables ?? {}).filter(([k]) => family.contextKeys.has(k.toLowerCase())));
  const resource = family.resourceFree ? resourceClass(request.resource.resource) : request.resource.resource;
  return {
    key: JSON.stringify([policies, request.principal, request.action, resource, request.resource.accountId, context]),
    simulation: {
      ...simulation,
      identityPolicies: family.identityPolicies,
      ...(family.permissionBoundaryPolicies ? { permissionBoundaryPolicies: family.permissionBoundaryPolicies } : {}),
    },
  };
}

/** Far above the distinct questions of a bench run (policy sets × actions × resource classes × sessions). */
const MAX_ENTRIES = 50_000;

/** A bounded memo: the oldest entry goes first when full (Map keeps insertion order). */
export class EvaluationMemo<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly max = MAX_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  /** The answer for `key`, computed by `run` once; a failed run is not kept. */
  get(key: string, run: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) return hit;
    const pending = run();
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, pending);
    pending.catch(() => this.entries.delete(key));
    return pending;
  }
}

type SimulationResult = Awaited<ReturnType<typeof runSimulation>>;

const results = new EvaluationMemo<SimulationResult>();
/** Per policy set: whether its full documents passed the simulator's validation (which reads every statement, whatever the action). */
const validations = new Map<string, Promise<boolean>>();

/**
 * `runSimulation` through the memo: each distinct question (prepareEvaluation) simulated once. A
 * policy set's first request is simulated whole, so that a policy the simulator rejects is still
 * rejected on every request (narrowing could drop the bad statement); requests arriving meanwhile
 * wait for that verdict.
 */
export async function cachedSimulation(simulation: Simulation, policies: string, resourcePolicy: unknown): Promise<SimulationResult> {
  const full = () => {
    const exact = exactEvaluation(simulation, policies, resourcePolicy);
    return results.get(exact.key, () => runSimulation(exact.simulation, {}));
  };
  if (resourcePolicy !== undefined && resourcePolicy !== null) return full();
  const validation = validations.get(policies);
  if (validation === undefined) {
    const first = full();
    if (validations.size >= MAX_ENTRIES) validations.clear();
    validations.set(policies, first.then((r) => r.resultType !== "error", () => false));
    return first;
  }
  if (!(await validation)) return full();
  const prepared = prepareEvaluation(simulation, policies);
  return results.get(prepared.key, () => runSimulation(prepared.simulation, {}));
}
