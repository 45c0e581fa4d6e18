import type { StackSummary } from "@aws-sdk/client-cloudformation";
import pLimit from "p-limit";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { SpokeClients } from "../aws/clients.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { AccountReport, RegionReport } from "../core/types.js";
import { scoped, type Logger } from "../core/logger.js";
import { assumeRoleCredentials, assumeRoleError, roleSessionName, spokeRoleArn } from "./credentials.js";
import { toErrorInfo } from "../core/errors.js";
import { failureInfo } from "./retry.js";
import { createOwnershipLookup, safetyPolicy } from "../remediation/index.js";
import { scanStack } from "./scan-stack.js";
import { foldInSync } from "../report/index.js";
import { listLiveStacks, selectStacks } from "./stacks.js";
import { lookupEventsLimiter } from "./change-actors.js";
import { DetectionTimeEstimator } from "./poll-schedule.js";
import type { AccountRemediation, RegionScope, ScanContext } from "./types.js";

function byStackName(a: { stackName: string }, b: { stackName: string }): number {
  return a.stackName < b.stackName ? -1 : a.stackName > b.stackName ? 1 : 0;
}

async function scanStacks(ctx: ScanContext, account: EffectiveAccount, scope: RegionScope, log: Logger): Promise<RegionReport> {
  const { clients } = scope;
  const region = clients.region;
  let stacks: StackSummary[];
  try {
    stacks = await listLiveStacks(clients.cloudformation);
  } catch (err) {
    const error = failureInfo(toErrorInfo(err), err);
    log.error("cannot list stacks", { error });
    return { region, status: "failed", error, stacks: [] };
  }
  const selection = selectStacks(stacks, account.stacks);
  log.info("stacks selected", { targets: selection.targets.length, skipped: selection.skipped.length });
  ctx.progress({ kind: "stacks", accountId: account.id, region, targets: selection.targets.length });
  const limit = pLimit(ctx.config.defaults.concurrency.stacksPerRegion);
  const scanned = await limit.map(selection.targets, async (target) => {
    const stack = await scanStack(ctx, account, scope, target, log);
    ctx.progress({ kind: "stack", accountId: account.id, region, stack });
    return stack;
  });
  // In-sync stacks become a count as soon as the region is done, so a run holds at most the
  // regions in flight as full rows (report/in-sync.ts).
  return foldInSync({ region, status: "scanned", stacks: [...scanned, ...selection.skipped].sort(byStackName) }, ctx.config.report.includeInSync);
}

/** One client set, detection-time estimate and LookupEvents limiter per account-region, shared by all its stacks and by the engine. */
async function scanRegion(
  ctx: ScanContext,
  account: EffectiveAccount,
  credentials: AwsCredentialIdentityProvider,
  region: string,
  remediation: AccountRemediation,
  accountLog: Logger,
): Promise<RegionReport> {
  if (!ctx.deadline.canStart()) return { region, status: "not-scanned", stacks: [] };
  const clients = ctx.deps.spokeClients(account.id, region, credentials);
  try {
    const scope: RegionScope = { clients, estimator: new DetectionTimeEstimator(), lookupLimiter: lookupEventsLimiter(ctx.deps), remediation };
    return await scanStacks(ctx, account, scope, scoped(accountLog, { region }));
  } finally {
    // Clients hold keep-alive sockets; a scan of hundreds of account-regions must not pile them up.
    clients.destroy();
  }
}

/**
 * One account: assume its spoke role once (the provider is shared by all its regions and
 * refreshes itself), then its regions in parallel up to `regionsPerAccount`.
 */
export async function scanAccount(ctx: ScanContext, account: EffectiveAccount, runLog: Logger): Promise<AccountReport> {
  const base = { accountId: account.id, name: account.name, mode: account.mode };
  if (!ctx.deadline.canStart()) {
    return { ...base, status: "not-scanned", regions: account.regions.map((region) => ({ region, status: "not-scanned", stacks: [] })) };
  }
  const log = scoped(runLog, { account: account.id });
  const roleArn = spokeRoleArn(account.id, ctx.config.spoke.roleName, ctx.config.hub.region);
  const sessionName = roleSessionName(ctx.runId);
  const credentials = ctx.deps.spokeCredentials?.(account.id, roleArn, sessionName) ?? assumeRoleCredentials(ctx.deps.sts, { roleArn, sessionName }, ctx.deps.now);
  try {
    // Assumed up front so that a missing or untrusting role is one account error, not one per stack.
    await credentials();
  } catch (err) {
    const error = failureInfo(assumeRoleError(err, roleArn), err);
    log.error("cannot assume the spoke role", { error });
    return { ...base, status: "failed", error, regions: [] };
  }
  // Attachments are read once per account-region, on first need, by their own clients: a
  // role's attachments may live in any region's stacks, read while another region is scanned.
  const ownershipClients = new Map<string, SpokeClients>();
  const remediation: AccountRemediation = {
    safety: safetyPolicy(ctx.config),
    ownership: createOwnershipLookup({
      accountId: account.id,
      regions: account.regions,
      cloudformationFor: (region) => {
        let clients = ownershipClients.get(region);
        if (!clients) ownershipClients.set(region, (clients = ctx.deps.spokeClients(account.id, region, credentials)));
        return clients.cloudformation;
      },
    }),
  };
  const limit = pLimit(ctx.config.defaults.concurrency.regionsPerAccount);
  const regions = await limit
    .map(account.regions, async (region) => {
      const report = await scanRegion(ctx, account, credentials, region, remediation, log);
      ctx.progress({ kind: "region", accountId: account.id, region: report });
      return report;
    })
    .finally(() => ownershipClients.forEach((clients) => clients.destroy()));
  const started = regions.some((r) => r.status !== "not-scanned");
  return { ...base, status: started ? "scanned" : "not-scanned", regions };
}
