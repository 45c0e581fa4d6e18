import { readFileSync } from "node:fs";
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { createSpokeClients, type SpokeClients } from "../functions/aws/clients.js";
import { loadConfig } from "../functions/config/load.js";
import { resolveAccounts, type EffectiveAccount } from "../functions/config/resolve.js";
import { REPORT_SCHEMA_VERSION, type PropertyDifference, type ResourceDrift, type ResourceReport, type RunReport } from "../functions/core/types.js";
import { detectResourceDrift } from "../functions/aws/cfn-drift.js";
import { errorText } from "../functions/core/errors.js";
import { createGuards, createOwnershipLookup, exemptionPolicy, remediateResource, safetyPolicy, withModeOverride, type ExemptionPolicy, type RemediationGuards, type SafetyPolicy } from "../functions/remediation/index.js";
import { newRunId } from "../functions/runtime/index.js";
import { assumeRoleCredentials, assumeRoleError, roleSessionName, spokeRoleArn } from "../functions/scanner/index.js";
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
 * radius, flapping, the remediator and the verification by DetectStackResourceDrift.
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
}

export interface ApplyResult {
  item: PlannedItem;
  outcome: "applied" | "not-applied" | "failed";
  reason: string;
  steps: string[];
}

export function plannedItems(report: RunReport): PlannedItem[] {
  return report.accounts.flatMap((a) =>
    a.regions.flatMap((r) =>
      r.stacks.flatMap((s) =>
        s.resources
          .filter((res) => res.action.outcome === "planned")
          .map((resource) => ({ id: `${a.accountId}/${r.region}/${s.stackName}/${resource.logicalResourceId}`, accountId: a.accountId, region: r.region, stackName: s.stackName, resource })),
      ),
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
  credentialsFor(accountId: string): AwsCredentialIdentityProvider;
}

async function applyItem(item: PlannedItem, clients: SpokeClients, ctx: ApplyContext): Promise<ApplyResult> {
  const configured = ctx.accounts.get(item.accountId);
  if (!configured) return { item, outcome: "not-applied", reason: `account ${item.accountId} is not in accounts.yaml any more`, steps: [] };
  const planned = item.resource;
  const now: ResourceDrift = await detectResourceDrift(clients.cloudformation, item.stackName, planned.logicalResourceId);
  if (now.status === "IN_SYNC") return { item, outcome: "not-applied", reason: "already in sync with its template; nothing to do", steps: [] };
  if (now.status !== planned.status || fingerprint(now.differences) !== fingerprint(planned.differences)) {
    return { item, outcome: "not-applied", reason: `the drift changed since the plan (now ${now.status}: ${now.differences.length} difference(s)); run plan again and review`, steps: [] };
  }
  const stack = (await clients.cloudformation.send(new DescribeStacksCommand({ StackName: item.stackName }))).Stacks?.[0];
  const tags = Object.fromEntries((stack?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  const input = {
    runId: ctx.runId,
    region: item.region,
    stack: { stackName: item.stackName, stackId: stack?.StackId ?? item.stackName, tags },
    drift: now,
    clients,
    exemptions: ctx.exemptions,
    safety: ctx.safety,
    // What attachments own on the resource, read from the stacks of its account in every onboarded
    // region, exactly as the scheduled scan reads it: the same ownership rules for a person's apply.
    ownership: createOwnershipLookup({
      accountId: item.accountId,
      regions: configured.regions,
      cloudformationFor: (region) => (region === item.region ? clients.cloudformation : createSpokeClients(item.accountId, region, ctx.credentialsFor(item.accountId)).cloudformation),
    }),
    guards: ctx.guards,
    now: new Date(),
  };
  // The plan approved is the plan applied: ask the engine for its plan again, unchanged accounts.yaml rules aside.
  const again = await remediateResource({ ...input, account: withModeOverride(configured, "report") });
  if (again.action.outcome !== "planned" || again.action.steps.join("\n") !== planned.action.steps.join("\n")) {
    return { item, outcome: "not-applied", reason: `the engine now plans differently (${again.action.outcome}: ${again.action.reason}); run plan again and review`, steps: again.action.steps };
  }
  const done = await remediateResource({ ...input, account: withModeOverride(configured, "remediate") });
  const outcome = done.action.outcome === "remediated" ? "applied" : done.action.outcome === "failed" ? "failed" : "not-applied";
  return { item, outcome, reason: `${done.action.outcome}: ${done.action.reason}`, steps: done.action.steps };
}

export async function applyCommand(flags: Parsed, io: Io): Promise<number> {
  if (!flags.report) throw new UsageError("apply needs --report FILE|s3://BUCKET/KEY (the report.json of a report-mode run)");
  if (flags["current-credentials"] && flags.assume !== undefined) throw new UsageError("--assume and --current-credentials exclude each other");
  const file = (flags.config as string | undefined) ?? io.env.DRIFTGUARD_CONFIG ?? "accounts.yaml";
  const config = loadConfig(file);
  const report = await readReport(flags.report as string, config.hub.region);
  const items = selectItems(plannedItems(report), flags.only as string[] | undefined);
  if (items.length === 0) {
    io.stdout(`nothing to apply: run ${report.runId} has no planned actions${flags.only ? " among --only" : ""}\n`);
    return EXIT.ok;
  }
  io.stdout([`run ${report.runId} (${report.mode}, ${report.startedAt}) plans ${items.length} action(s):`, ...items.map((i) => `  ${i.id} (${i.resource.resourceType}): ${i.resource.action.reason}\n${i.resource.action.steps.map((s) => `      ${s}`).join("\n")}`), ""].join("\n"));
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
  const providers = new Map<string, AwsCredentialIdentityProvider>();
  const ctx: ApplyContext = {
    accounts: new Map(resolveAccounts(config).map((a) => [a.id, a])),
    exemptions: exemptionPolicy(config),
    safety: safetyPolicy(config),
    // A person's reviewed apply is not a scheduled scan: it never moves the flapping counters.
    guards: await createGuards({ runId, limits: config.defaults.remediation, store: processFlappingStore(), counting: "event" }),
    runId,
    credentialsFor(accountId) {
      let p = providers.get(accountId);
      if (!p) {
        p = caller !== undefined ? own : assumeRoleCredentials(hub.sts, { roleArn: spokeRoleArn(accountId, roleName, config.hub.region), sessionName: roleSessionName(runId) }, Date.now);
        providers.set(accountId, p);
      }
      return p;
    },
  };

  const results: ApplyResult[] = [];
  for (const item of items) {
    if (caller !== undefined && item.accountId !== caller) {
      results.push({ item, outcome: "not-applied", reason: `--current-credentials are for account ${caller}`, steps: [] });
      continue;
    }
    const clients = createSpokeClients(item.accountId, item.region, ctx.credentialsFor(item.accountId));
    try {
      results.push(await applyItem(item, clients, ctx));
    } catch (err) {
      const roleArn = spokeRoleArn(item.accountId, roleName, config.hub.region);
      const reason = err instanceof Error && err.name === "AccessDenied" ? assumeRoleError(err, roleArn).message : errorText(err);
      results.push({ item, outcome: "failed", reason, steps: [] });
    } finally {
      clients.cloudformation.destroy();
    }
  }
  io.stdout([...results.map((r) => `${r.outcome.padEnd(11)} ${r.item.id}: ${r.reason}`), ""].join("\n"));
  if (results.some((r) => r.outcome === "failed")) return EXIT.errors;
  if (results.some((r) => r.outcome === "not-applied")) return EXIT.drift;
  return EXIT.ok;
}
