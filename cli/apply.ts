import { readFileSync } from "node:fs";
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { type HubClients, spokeClientPool, type SpokeClients } from "../functions/aws/clients.js";
import { loadConfig } from "../functions/accounts-file/index.js";
import { resolveAccounts, type EffectiveAccount } from "../functions/config/resolve.js";
import { REPORT_SCHEMA_VERSION, type PropertyDifference, type RemediationAction, type ResourceDrift, type ResourceReport, type RunReport } from "../functions/core/types.js";
import { detectResourceDrift } from "../functions/aws/cfn-drift.js";
import { errorText } from "../functions/core/errors.js";
import {
  changeSetName,
  createGuards,
  createOwnershipLookup,
  exemptionPolicy,
  remediateResource,
  remediateStack,
  REVERT_BY,
  safetyPolicy,
  withModeOverride,
  type ExemptionPolicy,
  type OrganizationMembership,
  type RemediationGuards,
  type SafetyPolicy,
} from "../functions/remediation/index.js";
import { configHash } from "../functions/report/index.js";
import { newRunId } from "../functions/runtime/index.js";
import { assumeRoleCredentials, assumeRoleError, readMembership, roleSessionName, spokeRoleArn } from "../functions/scanner/index.js";
import { closest } from "../functions/config/suggest.js";
import { UsageError, type CommandSpec, type Parsed } from "./args.js";
import { callerAccount, cliHubClients, ownCredentials, processFlappingStore } from "./aws.js";
import { EXIT } from "./exit-codes.js";
import type { Io } from "./io.js";

/**
 * `driftguard apply`: what terraform's plan/apply is for changes, for drift. A person reviewed a
 * report-mode run; apply executes its planned actions, each only where the drift is still the one
 * that was planned and the engine, asked again in report mode, still plans the same steps. Then it
 * runs the same engine entry point as the event path (remediateResource): exemptions, blast
 * radius, flapping, the remediator and the verification by DetectStackResourceDrift. A stack the
 * plan reverts whole with a REVERT_DRIFT change set is applied whole, the same way: every
 * resource the change set covers re-detected, the engine's stack plan asked again, then the
 * engine's stack path (remediateStack) executes the change set and verifies each resource.
 * A report made under another accounts.yaml (its configHash) is refused: its plan was reviewed
 * against other modes, exemptions and guards.
 */

export const APPLY: CommandSpec = {
  name: "apply",
  summary: "execute the planned actions of a report-mode run after a person reviewed them",
  usage: "npx driftguard apply --report FILE|s3://BUCKET/KEY [--only IDS] [--yes] [--config FILE] [--assume [ROLE] | --current-credentials]",
  flags: {
    report: { type: "string", value: "FILE|s3://...", description: "the report.json of a report-mode run (driftguard plan --out, or the hub's bucket)" },
    only: { type: "string", value: "IDS", list: true, description: "apply only these items: logical ids, or ACCOUNT/REGION/STACK/LOGICAL-ID as listed" },
    yes: { type: "boolean", description: "do not ask for confirmation (required when stdin is not a terminal)" },
    config: { type: "string", value: "FILE", description: "accounts.yaml to read (default: accounts.yaml, or DRIFTGUARD_CONFIG)" },
    assume: { type: "string", value: "ROLE", optionalValue: true, description: "assume this role in each account (default: spoke.roleName)" },
    "current-credentials": { type: "boolean", description: "use your credentials in their own account (no AssumeRole)" },
  },
  notes: [
    "Each item is re-detected first. It is applied only when CloudFormation reports the same differences as in the report and the engine plans the same steps; otherwise it is skipped and says why. Blast radius, exemptions and the privilege checks apply as in a scheduled run.",
    `exit codes:\n  ${EXIT.ok}   every selected item applied and verified (or nothing to apply)\n  1   some items were not applied (drift changed, already in sync, held by a guard)\n  ${EXIT.errors}   an item failed\n  ${EXIT.usage}  bad command line, or no confirmation\n  ${EXIT.config}  accounts.yaml has problems`,
  ],
};

export interface PlannedItem {
  id: string;
  accountId: string;
  region: string;
  stackName: string;
  resource: ResourceReport;
  /** Present when the plan reverts the item's stack whole with a REVERT_DRIFT change set. */
  revert?: StackRevertPlan;
}

export interface StackRevertPlan {
  /** The stack's planned action, by revert-drift-change-set. */
  action: RemediationAction;
  /** Every drifted resource the change set covers (planned or not), as the plan saw it. */
  covered: ResourceReport[];
}

/** Rows CloudFormation listed that are not drift (false positives, ignored): no change set covers them. */
const isDrift = (r: ResourceReport) => r.action.outcome !== "in-sync" && r.action.outcome !== "ignored";

export interface ApplyResult {
  item: PlannedItem;
  outcome: "applied" | "not-applied" | "failed";
  reason: string;
  steps: string[];
}

export function plannedItems(report: RunReport): PlannedItem[] {
  return report.accounts.flatMap((a) =>
    a.regions.flatMap((r) =>
      r.stacks.flatMap((s) => {
        const revert: StackRevertPlan | undefined =
          s.stackAction?.outcome === "planned" && s.stackAction.by === REVERT_BY ? { action: s.stackAction, covered: s.resources.filter(isDrift) } : undefined;
        return s.resources
          .filter((res) => res.action.outcome === "planned")
          .map((resource) => ({ id: `${a.accountId}/${r.region}/${s.stackName}/${resource.logicalResourceId}`, accountId: a.accountId, region: r.region, stackName: s.stackName, resource, ...(revert ? { revert } : {}) }));
      }),
    ),
  );
}

export function selectItems(items: PlannedItem[], only: string[] | undefined): PlannedItem[] {
  if (!only) return items;
  const candidates = [...items.map((i) => i.id), ...items.map((i) => i.resource.logicalResourceId)];
  return only.flatMap((wanted) => {
    const found = items.filter((i) => i.id === wanted || i.resource.logicalResourceId === wanted);
    if (found.length === 0) {
      const near = closest(wanted, candidates);
      throw new UsageError(`--only: "${wanted}" is not a planned item of this report${near ? ` (did you mean ${near}?)` : ""}`);
    }
    return found;
  });
}

/** The differences as a comparable set: the drift that was reviewed vs the drift now. */
function fingerprint(diffs: readonly PropertyDifference[]): string {
  return diffs
    .map((d) => `${d.differenceType} ${d.propertyPath} ${d.expectedValue} -> ${d.actualValue}`)
    .sort()
    .join("\n");
}

async function readReport(source: string, region: string): Promise<RunReport> {
  let text: string;
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  if (s3) {
    const hub = cliHubClients(region);
    const out = await hub.s3.send(new GetObjectCommand({ Bucket: s3[1], Key: s3[2] }));
    text = await out.Body!.transformToString();
  } else {
    try {
      text = readFileSync(source, "utf8");
    } catch (err) {
      throw new UsageError(`--report ${source}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
  }
  let report: RunReport;
  try {
    report = JSON.parse(text) as RunReport;
  } catch (err) {
    throw new UsageError(`--report ${source} is not JSON (${(err as Error).message})`);
  }
  if (report.schemaVersion !== REPORT_SCHEMA_VERSION || !Array.isArray(report.accounts)) {
    throw new UsageError(`--report ${source} is not a driftguard run report of schema ${REPORT_SCHEMA_VERSION} (found schemaVersion ${JSON.stringify(report.schemaVersion)})`);
  }
  return report;
}

interface ApplyContext {
  accounts: Map<string, EffectiveAccount>;
  exemptions: ExemptionPolicy;
  safety: SafetyPolicy;
  guards: RemediationGuards;
  runId: string;
  /** The reviewed run: its change set names carry its run id. */
  planRunId: string;
  /** One client set per account-region for the whole apply, closed at its end. */
  clientsFor(accountId: string, region: string): SpokeClients;
}

/** A drift now as it was planned, or why not. */
async function redetect(clients: SpokeClients, stackName: string, planned: ResourceReport): Promise<{ drift: ResourceDrift } | { reason: string; inSync: boolean }> {
  const now: ResourceDrift = await detectResourceDrift(clients.cloudformation, stackName, planned.logicalResourceId);
  if (now.status === "IN_SYNC") return { reason: "already in sync with its template; nothing to do", inSync: true };
  if (now.status !== planned.status || fingerprint(now.differences) !== fingerprint(planned.differences)) {
    return { reason: `the drift changed since the plan (now ${now.status}: ${now.differences.length} difference(s)); run plan again and review`, inSync: false };
  }
  return { drift: now };
}

/** What the engine needs besides the drift: the stack, policies, guards, and ownership read as the scheduled scan reads it. */
async function engineInput(ctx: ApplyContext, configured: EffectiveAccount, accountId: string, region: string, stackName: string) {
  const clients = ctx.clientsFor(accountId, region);
  const stack = (await clients.cloudformation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  const tags = Object.fromEntries((stack?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  return {
    runId: ctx.runId,
    region,
    stack: { stackName, stackId: stack?.StackId ?? stackName, tags },
    clients,
    exemptions: ctx.exemptions,
    safety: ctx.safety,
    // What attachments own on the resource, read from the stacks of its account in every onboarded
    // region, exactly as the scheduled scan reads it: the same ownership rules for a person's apply.
    ownership: createOwnershipLookup({ accountId, regions: configured.regions, cloudformationFor: async (r) => ctx.clientsFor(accountId, r).cloudformation }),
    guards: ctx.guards,
    now: new Date(),
  };
}

function outcomeOf(action: RemediationAction): ApplyResult["outcome"] {
  return action.outcome === "remediated" ? "applied" : action.outcome === "failed" ? "failed" : "not-applied";
}

/** Change set steps name the run that made them: compare a plan with its re-plan without the names. */
function withoutChangeSetName(steps: readonly string[], runId: string): string {
  return steps.map((s) => s.replaceAll(changeSetName(runId), "<change set>")).join("\n");
}

/**
 * A stack the plan reverts whole: all its planned items must be selected (the change set cannot
 * revert part of a stack's drift), every covered resource must still drift as planned, and the
 * engine must still plan the same change set; then remediateStack creates, checks and executes it.
 */
async function applyRevert(items: PlannedItem[], revert: StackRevertPlan, allPlanned: PlannedItem[], ctx: ApplyContext): Promise<ApplyResult[]> {
  const first = items[0] as PlannedItem;
  const notApplied = (reason: string, steps: string[] = []) => items.map((item): ApplyResult => ({ item, outcome: "not-applied", reason, steps }));
  const missing = allPlanned.filter((p) => p.stackName === first.stackName && p.accountId === first.accountId && p.region === first.region && !items.includes(p));
  if (missing.length > 0) {
    return notApplied(`stack ${first.stackName} is reverted whole by one REVERT_DRIFT change set; select all its planned items (also ${missing.map((m) => m.resource.logicalResourceId).join(", ")}) or none of them`);
  }
  const configured = ctx.accounts.get(first.accountId);
  if (!configured) return notApplied(`account ${first.accountId} is not in accounts.yaml any more`);
  const clients = ctx.clientsFor(first.accountId, first.region);
  const drifts: ResourceDrift[] = [];
  const changed: string[] = [];
  for (const covered of revert.covered) {
    const now = await redetect(clients, first.stackName, covered);
    if ("drift" in now) drifts.push(now.drift);
    else changed.push(`${covered.logicalResourceId}: ${now.reason}`);
  }
  if (drifts.length === 0) return notApplied("already in sync with its template; nothing to do");
  if (changed.length > 0) return notApplied(`the stack's drift changed since the plan, so the change set would not be the one reviewed (${changed.join("; ")}); run plan again and review`);

  const input = { ...(await engineInput(ctx, configured, first.accountId, first.region, first.stackName)), drifts };
  const again = await remediateStack({ ...input, account: withModeOverride(configured, "report") });
  const replanned = again.stackAction;
  if (replanned?.outcome !== "planned" || replanned.by !== REVERT_BY || withoutChangeSetName(replanned.steps, ctx.runId) !== withoutChangeSetName(revert.action.steps, ctx.planRunId)) {
    return notApplied(`the engine now plans the stack differently (${replanned ? `${replanned.outcome}: ${replanned.reason}` : "no REVERT_DRIFT change set"}); run plan again and review`, replanned?.steps ?? []);
  }
  const done = await remediateStack({ ...input, account: withModeOverride(configured, "remediate") });
  const stackAction = done.stackAction;
  return items.map((item): ApplyResult => {
    const action = done.resources.find((r) => r.logicalResourceId === item.resource.logicalResourceId)?.action;
    if (!action) return { item, outcome: "failed", reason: "the engine did not report this resource", steps: [] };
    // The change set's own outcome first: it is what ran (or why it did not).
    const reason = stackAction && action.by !== REVERT_BY ? `${action.outcome}: ${action.reason} (change set: ${stackAction.outcome}: ${stackAction.reason})` : `${action.outcome}: ${action.reason}`;
    return { item, outcome: outcomeOf(action), reason, steps: action.steps };
  });
}

async function applyItem(item: PlannedItem, ctx: ApplyContext): Promise<ApplyResult> {
  const configured = ctx.accounts.get(item.accountId);
  if (!configured) return { item, outcome: "not-applied", reason: `account ${item.accountId} is not in accounts.yaml any more`, steps: [] };
  const planned = item.resource;
  const now = await redetect(ctx.clientsFor(item.accountId, item.region), item.stackName, planned);
  if (!("drift" in now)) return { item, outcome: "not-applied", reason: now.reason, steps: [] };
  const input = { ...(await engineInput(ctx, configured, item.accountId, item.region, item.stackName)), drift: now.drift };
  // The plan approved is the plan applied: ask the engine for its plan again, unchanged accounts.yaml rules aside.
  const again = await remediateResource({ ...input, account: withModeOverride(configured, "report") });
  if (again.action.outcome !== "planned" || again.action.steps.join("\n") !== planned.action.steps.join("\n")) {
    return { item, outcome: "not-applied", reason: `the engine now plans differently (${again.action.outcome}: ${again.action.reason}); run plan again and review`, steps: again.action.steps };
  }
  const done = await remediateResource({ ...input, account: withModeOverride(configured, "remediate") });
  return { item, outcome: outcomeOf(done.action), reason: `${done.action.outcome}: ${done.action.reason}`, steps: done.action.steps };
}

/**
 * The report's configHash against the accounts.yaml apply reads: modes, exemptions, guards and
 * safety settings are all in it, so a plan reviewed under one file is not applied under another.
 */
export function configChangedProblem(report: Pick<RunReport, "runId" | "configHash">, current: string, file: string): string | undefined {
  if (report.configHash === current) return undefined;
  return [
    `driftguard: ConfigChanged: run ${report.runId} was planned under a different configuration (report configHash ${report.configHash}) than ${file} (${current}).`,
    `Its plan was reviewed against other modes, exemptions or guards, so nothing is applied.`,
    `Fix: run \`npx driftguard plan --config ${file}\` again and review that report, or pass --config with the accounts.yaml the plan was made with.`,
  ].join("\n");
}

/** The trust invariant's membership for an apply: the walk the scan makes; a failure is said, and fails closed. */
async function applyMembership(hub: HubClients, io: Io): Promise<OrganizationMembership> {
  const membership = await readMembership(hub.organizations);
  if ("error" in membership) io.stderr(`warning: the organization's membership could not be read (${membership.error}); repairs that trust another account are refused\n`);
  return membership;
}

export async function applyCommand(flags: Parsed, io: Io): Promise<number> {
  if (!flags.report) throw new UsageError("apply needs --report FILE|s3://BUCKET/KEY (the report.json of a report-mode run)");
  if (flags["current-credentials"] && flags.assume !== undefined) throw new UsageError("--assume and --current-credentials exclude each other");
  const file = (flags.config as string | undefined) ?? io.env.DRIFTGUARD_CONFIG ?? "accounts.yaml";
  const config = loadConfig(file);
  const report = await readReport(flags.report as string, config.hub.region);
  const changedConfig = configChangedProblem(report, configHash(config), file);
  if (changedConfig) {
    io.stderr(`${changedConfig}\n`);
    return EXIT.config;
  }
  const allPlanned = plannedItems(report);
  const items = selectItems(allPlanned, flags.only as string[] | undefined);
  if (items.length === 0) {
    io.stdout(`nothing to apply: run ${report.runId} has no planned actions${flags.only ? " among --only" : ""}\n`);
    return EXIT.ok;
  }
  io.stdout([`run ${report.runId} (${report.mode}, ${report.startedAt}) plans ${items.length} action(s):`, ...items.map((i) => {
    // A stack reverted whole shows the change set it runs, not the per-resource steps it replaces.
    const action = i.revert?.action ?? i.resource.action;
    return `  ${i.id} (${i.resource.resourceType}): ${action.reason}\n${action.steps.map((s) => `      ${s}`).join("\n")}`;
  }), ""].join("\n"));
  if (!flags.yes) {
    if (!io.stdinIsTTY) throw new UsageError("refusing to change anything without confirmation: stdin is not a terminal; pass --yes after reviewing the plan");
    if (!(await io.confirm(`apply these ${items.length} action(s)? [y/N] `))) {
      io.stdout("nothing applied\n");
      return EXIT.ok;
    }
  }

  const hub = cliHubClients(config.hub.region);
  const roleName = typeof flags.assume === "string" && flags.assume !== "" ? flags.assume : config.spoke.roleName;
  const own = ownCredentials(hub);
  const caller = flags["current-credentials"] ? (await callerAccount(hub)).account : undefined;
  const runId = newRunId(new Date());
  // Every client set the apply opens (the items' regions and the ownership reads' other regions), closed once at the end.
  const spokes = spokeClientPool((accountId) =>
    caller !== undefined ? own : assumeRoleCredentials(hub.sts, { roleArn: spokeRoleArn(accountId, roleName, config.hub.region), sessionName: roleSessionName(runId) }, Date.now),
  );
  const ctx: ApplyContext = {
    accounts: new Map(resolveAccounts(config).map((a) => [a.id, a])),
    exemptions: exemptionPolicy(config),
    // The organization's real members, as the scan reads them; unreadable → trust in other accounts refused.
    safety: safetyPolicy(config, await applyMembership(hub, io)),
    // A person's reviewed apply is not a scheduled scan: it never moves the flapping counters.
    guards: await createGuards({ runId, limits: config.defaults.remediation, store: processFlappingStore(), counting: "event" }),
    runId,
    planRunId: report.runId,
    clientsFor: (accountId, region) => spokes.clientsFor(accountId, region),
  };

  const failure = (item: PlannedItem, err: unknown): ApplyResult => {
    const roleArn = spokeRoleArn(item.accountId, roleName, config.hub.region);
    const reason = err instanceof Error && err.name === "AccessDenied" ? assumeRoleError(err, roleArn).message : errorText(err);
    return { item, outcome: "failed", reason, steps: [] };
  };
  const results: ApplyResult[] = [];
  const reverted = new Set<PlannedItem>();
  try {
    for (const item of items) {
      if (reverted.has(item)) continue;
      if (caller !== undefined && item.accountId !== caller) {
        results.push({ item, outcome: "not-applied", reason: `--current-credentials are for account ${caller}`, steps: [] });
        continue;
      }
      if (item.revert) {
        const group = items.filter((i) => i.accountId === item.accountId && i.region === item.region && i.stackName === item.stackName);
        for (const i of group) reverted.add(i);
        results.push(...(await applyRevert(group, item.revert, allPlanned, ctx).catch((err: unknown) => group.map((i) => failure(i, err)))));
        continue;
      }
      results.push(await applyItem(item, ctx).catch((err: unknown) => failure(item, err)));
    }
  } finally {
    spokes.destroy();
  }
  io.stdout([...results.map((r) => `${r.outcome.padEnd(11)} ${r.item.id}: ${r.reason}`), ""].join("\n"));
  if (results.some((r) => r.outcome === "failed")) return EXIT.errors;
  if (results.some((r) => r.outcome === "not-applied")) return EXIT.drift;
  return EXIT.ok;
}
