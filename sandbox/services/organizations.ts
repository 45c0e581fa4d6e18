import type { AccountState, World } from "../state.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../protocol/types.js";
import { optionalNumber } from "./params.js";
import { paginate } from "./paging.js";

/**
 * The Organizations read APIs driftguard enumerates accounts with. Only the management account and
 * registered delegated administrators may call them, as in a real organization.
 */

/** A fixed join date: accounts have no history in the sandbox, and reports stay reproducible. */
const JOINED = new Date("2020-01-01T00:00:00Z");

function authorize(ctx: CallContext): void {
  const org = ctx.world.organization;
  if (!ctx.world.accounts.has(ctx.accountId)) {
    throw new AwsError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.");
  }
  if (ctx.accountId !== org.managementAccountId && !(org.delegatedAdministrators ?? []).includes(ctx.accountId)) {
    throw new AwsError("AccessDeniedException", "You don't have permissions to access this resource.");
  }
}

function accountArn(world: World, id: string): string {
  return `arn:aws:organizations::${world.organization.managementAccountId}:account/${world.organization.id}/${id}`;
}

function describe(world: World, a: AccountState) {
  return {
    Id: a.id,
    Arn: accountArn(world, a.id),
    Email: a.email,
    Name: a.name,
    Status: a.status,
    JoinedMethod: a.id === world.organization.managementAccountId ? "CREATED" : "INVITED",
    JoinedTimestamp: JOINED,
  };
}

function listAccounts(params: { NextToken?: string; MaxResults?: number }, ctx: CallContext) {
  authorize(ctx);
  const max = optionalNumber(params.MaxResults) ?? 20;
  if (max < 1 || max > 20) throw new AwsError("InvalidInputException", "You provided a value that does not match the required pattern.");
  const all = [...ctx.world.accounts.values()].sort((a, b) => a.id.localeCompare(b.id));
  const page = paginate(all, params.NextToken, max, () => new AwsError("InvalidInputException", "The provided NextToken is not valid."));
  return { Accounts: page.items.map((a) => describe(ctx.world, a)), NextToken: page.next };
}

function describeAccount(params: { AccountId?: string }, ctx: CallContext) {
  authorize(ctx);
  const account = params.AccountId ? ctx.world.accounts.get(params.AccountId) : undefined;
  if (!account) throw new AwsError("AccountNotFoundException", "You specified an account that doesn't exist.");
  return { Account: describe(ctx.world, account) };
}

function describeOrganization(_params: unknown, ctx: CallContext) {
  if (!ctx.world.accounts.has(ctx.accountId)) {
    throw new AwsError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.");
  }
  const org = ctx.world.organization;
  return {
    Organization: {
      Id: org.id,
      Arn: org.arn,
      FeatureSet: "ALL",
      MasterAccountArn: accountArn(ctx.world, org.managementAccountId),
      MasterAccountId: org.managementAccountId,
      MasterAccountEmail: ctx.world.accounts.get(org.managementAccountId)?.email,
    },
  };
}

export const organizationsService: ServiceDefinition = {
  name: "organizations",
  protocol: "json",
  throttling: { code: "TooManyRequestsException", status: 400 },
  actions: { ListAccounts: listAccounts, DescribeAccount: describeAccount, DescribeOrganization: describeOrganization },
};
