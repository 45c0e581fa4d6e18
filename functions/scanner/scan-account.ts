import type { StackSummary } from "@aws-sdk/client-cloudformation";
import pLimit, { type LimitFunction } from "p-limit";
import type { Bucket } from "@aws-sdk/client-s3";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { SpokeClientOptions, SpokeClients } from "../aws/clients.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { AccountReport, RegionReport } from "../core/types.js";
import { scoped, type Logger } from "../core/logger.js";
import { assumeRoleCredentials, assumeRoleError, roleSessionName, spokeRoleArn } from "./credentials.js";
import { toErrorInfo } from "../core/errors.js";
import { enabledRegions } from "./enabled-regions.js";
import { failureInfo } from "./retry.js";
import { createOwnershipLookup, safetyPolicy } from "../remediation/index.js";
import { scanStack } from "./scan-stack.js";
import { foldInSync } from "../report/index.js";
import { listLiveStacks, selectStacks } from "./stacks.js";
import { listedResourceTypes, openStackListings, type StackListings } from "./stack-listings.js";
import { lookupEventsLimiter } from "./change-actors.js";
import { DetectionTimeEstimator } from "./poll-schedule.js";
import { ownRoleArns } from "./credentials.js";
import { listAccountBuckets, sweepRegion } from "../sweep/index.js";
import { RegionPace } from "./capacity.js";
import { stacksInFlight } from "./concurrency.js";
import type { AccountRemediation, RegionScope, ScanContext } from "./types.js";

function byStackName(a: { stackName: string }, b: { stackName: string }): number {
  return a.stackName < b.stackName ? -1 : a.stackName > b.stackName ? 1 : 0;
}

async function scanStacks(ctx: ScanContext, account: EffectiveAccount, scope: RegionScope, limit: LimitFunction, log: Logger): Promise<RegionReport> {
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
  const { sizing } = ctx.capacity;
  const scanned = await limit.map(selection.targets, async (target) => {
    // Within the account-region's limit, a slot of the run's heap budget (capacity.ts StackSlots).
    const stack = await ctx.capacity.stackSlots.run(async () => {
      scope.pace.inFlight++;
      return scanStack(ctx, account, scope, target, log).finally(() => scope.pace.inFlight--);
    });
    // As the estimate learns how long detections take, as many stacks as keep the bucket busy.
    limit.concurrency = stacksInFlight(scope.estimator.estimateMs, scope.pace.budget.rate, sizing.stacksPerRegionCap);
    ctx.progress({ kind: "stack", accountId: account.id, region, stack });
    return stack;
  });
  // In-sync stacks become a count as soon as the region is done, so a run holds at most the
  // regions in flight as full rows (report/in-sync.ts).
  return foldInSync({ region, status: "scanned", stacks: [...scanned, ...selection.skipped].sort(byStackName) }, ctx.config.report.includeInSync);
}

/**
 * One client set, CloudFormation budget, detection-time estimate and LookupEvents limiter per
 * account-region, shared by all its stacks and by the engine.
 */
async function scanRegion(
  ctx: ScanContext,
  account: EffectiveAccount,
  credentials: AwsCredentialIdentityProvider,
  region: string,
  remediation: AccountRemediation,
  accountBuckets: (clients: SpokeClients) => Promise<readonly Bucket[]>,
  listings: StackListings,
  accountLog: Logger,
): Promise<RegionReport> {
  if (!ctx.deadline.canStart()) return { region, status: "not-scanned", stacks: [] };
  const clients = ctx.deps.spokeClients(account.id, region, credentials, clientOptions(ctx, account.id, region));
  try {
    const pace = new RegionPace(ctx.capacity.budgets.for(account.id, region));
    const scope: RegionScope = { clients, estimator: new DetectionTimeEstimator(), pace, lookupLimiter: lookupEventsLimiter(ctx.deps), remediation, listings };
    const log = scoped(accountLog, { region });
    // One limit for the account-region's stacks and its sweep of unmanaged resources alike.
    const limit = pLimit(ctx.capacity.sizing.stacksPerRegion);
    const [report, unmanaged] = await Promise.all([
      scanStacks(ctx, account, scope, limit, log),
      sweepRegion({
        config: ctx.config,
        account,
        clients,
        guards: ctx.guards,
        ...remediation,
        deadline: ctx.deadline,
        limit,
        creators: { ownRoleArn: ownRoleArns(ctx.config), throttle: scope.lookupLimiter, now: ctx.deps.now, canStart: () => ctx.deadline.canStart() },
        accountBuckets: () => accountBuckets(clients),
        ...(ctx.reported ? { reported: ctx.reported } : {}),
        now: ctx.deps.now,
        log,
      }),
    ]);
    return { ...report, unmanaged };
  } finally {
    // Clients hold keep-alive sockets; a scan of hundreds of account-regions must not pile them up.
    clients.destroy();
  }
}

/** Asked in the account's first region, through a client set of its own. */
async function accountEnabledRegions(ctx: ScanContext, account: EffectiveAccount, credentials: AwsCredentialIdentityProvider, log: Logger): Promise<string[] | undefined> {
  const clients = ctx.deps.spokeClients(account.id, account.regions[0]!, credentials, clientOptions(ctx, account.id, account.regions[0]!));
  try {
    return await enabledRegions(clients, log);
  } finally {
    clients.destroy();
  }
}

/** The account-region's share of the run's capacity: its CloudFormation budget, the shared sockets. */
function clientOptions(ctx: ScanContext, accountId: string, region: string): SpokeClientOptions {
  return { cloudformationRateLimiter: ctx.capacity.budgets.for(accountId, region), sockets: ctx.capacity.sockets };
}

/**
 * One account: assume its spoke role once (the provider is shared by all its regions and
 * refreshes itself), then its regions in parallel up to `regionsPerAccount`, each taking one of
 * the run's account-region slots.
 */
export async function scanAccount(ctx: ScanContext, account: EffectiveAccount, runLog: Logger): Promise<AccountReport> {
  const base = { accountId: account.id, name: account.name, mode: account.mode, ...(account.organizationalUnit ? { organizationalUnit: account.organizationalUnit } : {}) };
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
  const listings = await openStackListings({ accountId: account.id, ...(ctx.deps.stackListingStore ? { store: ctx.deps.stackListingStore } : {}), now: ctx.deps.now, log });
  // Attachments are read once per account-region, on first need, by their own clients: a
  // role's attachments may live in any region's stacks, read while another region is scanned.
  const ownershipClients = new Map<string, SpokeClients>();
  const remediation: AccountRemediation = {
    safety: safetyPolicy(ctx.config, ctx.membership),
    ownership: createOwnershipLookup({
      accountId: account.id,
      regions: account.regions,
      cloudformationFor: (region) => {
        let clients = ownershipClients.get(region);
        if (!clients) ownershipClients.set(region, (clients = ctx.deps.spokeClients(account.id, region, credentials, clientOptions(ctx, account.id, region))));
        return clients.cloudformation;
      },
      // Only stacks that hold attachment resources need their template read.
      resourceTypes: listedResourceTypes(async () => listings),
    }),
  };
  // S3 is global: the account's buckets are listed once, by whichever region asks first.
  let buckets: Promise<readonly Bucket[]> | undefined;
  const accountBuckets = (clients: SpokeClients) => (buckets ??= listAccountBuckets(clients));
  const limit = pLimit(ctx.capacity.sizing.regionsPerAccount);
  const [enabled, regions] = await Promise.all([
    accountEnabledRegions(ctx, account, credentials, log),
    limit
      .map(account.regions, async (region) => {
        // Account-regions in flight are limited across all accounts, not per account.
        const report = await ctx.capacity.accountRegionSlots(() => scanRegion(ctx, account, credentials, region, remediation, accountBuckets, listings, log));
        ctx.progress({ kind: "region", accountId: account.id, region: report });
        return report;
      })
      .finally(() => ownershipClients.forEach((clients) => clients.destroy())),
  ]);
  await listings.save();
  const started = regions.some((r) => r.status !== "not-scanned");
  return { ...base, status: started ? "scanned" : "not-scanned", regions, ...(enabled ? { enabledRegions: enabled } : {}) };
}
