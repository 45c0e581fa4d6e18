import type {
  Account,
  AccountStatus,
  Child,
  ListAccountsCommandInput,
  ListAccountsCommandOutput,
  DescribeAccountCommandInput,
  DescribeAccountCommandOutput,
  DescribeOrganizationCommandInput,
  DescribeOrganizationCommandOutput,
  ListRootsCommandInput,
  ListRootsCommandOutput,
  ListChildrenCommandInput,
  ListChildrenCommandOutput,
  ListAccountsForParentCommandInput,
  ListAccountsForParentCommandOutput,
  ListParentsCommandInput,
  ListParentsCommandOutput,
  ListOrganizationalUnitsForParentCommandInput,
  ListOrganizationalUnitsForParentCommandOutput,
  DescribeOrganizationalUnitCommandInput,
  DescribeOrganizationalUnitCommandOutput,
  OrganizationalUnit,
  Parent,
  Root,
} from "@aws-sdk/client-organizations";
import type { AccountState, OrganizationalUnitState, World } from "../../state.js";
import { AwsError, type CallContext, type SdkOutput, type ServiceDefinition } from "../../protocol/types.js";
import { optionalNumber } from "../shared/params.js";
import { paginate } from "../shared/paging.js";

/**
 * The Organizations read APIs driftguard enumerates accounts and walks the OU tree with. Only the management account and
 * registered delegated administrators may call them, as in a real organization. Handlers take the SDK's
 * `<Op>CommandInput` and return `SdkOutput<<Op>CommandOutput>` (@aws-sdk/client-organizations).
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

/**
 * API_Account.html: State is the account's lifecycle state (PENDING_ACTIVATION, ACTIVE, SUSPENDED,
 * PENDING_CLOSURE, CLOSED; "Monitor the state of your AWS accounts",
 * orgs_manage_accounts_account_state.html), Status its older, retiring twin ("The Status parameter
 * in the Account object will be retired on September 9, 2026 … use the State parameter instead"),
 * whose AccountStatus enum has only ACTIVE, SUSPENDED and PENDING_CLOSURE: a CLOSED account has a
 * State and no Status.
 */
const STATUS: Partial<Record<AccountState["status"], AccountStatus>> = { ACTIVE: "ACTIVE", SUSPENDED: "SUSPENDED", PENDING_CLOSURE: "PENDING_CLOSURE" };

function describe(world: World, a: AccountState): Account {
  return {
    Id: a.id,
    Arn: accountArn(world, a.id),
    Email: a.email,
    Name: a.name,
    State: a.status,
    ...(STATUS[a.status] ? { Status: STATUS[a.status] } : {}),
    JoinedMethod: a.id === world.organization.managementAccountId ? "CREATED" : "INVITED",
    JoinedTimestamp: JOINED,
  };
}

function listAccounts(params: ListAccountsCommandInput, ctx: CallContext): SdkOutput<ListAccountsCommandOutput> {
  authorize(ctx);
  const all = [...ctx.world.accounts.values()].sort((a, b) => a.id.localeCompare(b.id));
  const page = paginate(all, params.NextToken, pageSize(params), badToken);
  return { Accounts: page.items.map((a) => describe(ctx.world, a)), NextToken: page.next };
}

function describeAccount(params: DescribeAccountCommandInput, ctx: CallContext): SdkOutput<DescribeAccountCommandOutput> {
  authorize(ctx);
  const account = params.AccountId ? ctx.world.accounts.get(params.AccountId) : undefined;
  if (!account) throw new AwsError("AccountNotFoundException", "You specified an account that doesn't exist.");
  return { Account: describe(ctx.world, account) };
}

function describeOrganization(_params: DescribeOrganizationCommandInput, ctx: CallContext): SdkOutput<DescribeOrganizationCommandOutput> {
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

// ---- The OU tree: ListRoots, ListChildren, ListAccountsForParent, ListOrganizationalUnitsForParent,
// DescribeOrganizationalUnit. Shapes, id patterns, MaxResults (1-20) and error codes follow the API
// reference, e.g. https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListChildren.html
// and API_DescribeOrganizationalUnit.html; ARNs follow the "Resource types defined by AWS
// Organizations" table of the Service Authorization Reference (root/o-…/r-…, ou/o-…/ou-…).

const PARENT_ID = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;

/** The root id of a world built without one (unit-test fixtures): as the scenario loader derives it. */
export function rootIdOf(world: World): string {
  return world.organization.rootId ?? `r-${world.organization.id.slice(2, 6)}`;
}

export function parentOf(world: World, account: AccountState): string {
  return account.parentId ?? rootIdOf(world);
}

function units(world: World): OrganizationalUnitState[] {
  return [...(world.organization.units?.values() ?? [])];
}

function pageSize(params: { MaxResults?: number | undefined }): number {
  const max = optionalNumber(params.MaxResults) ?? 20;
  if (max < 1 || max > 20) throw new AwsError("InvalidInputException", "You provided a value that does not match the required pattern.");
  return max;
}

const badToken = () => new AwsError("InvalidInputException", "The provided NextToken is not valid.");

function requireParent(world: World, parentId: string | undefined): string {
  if (parentId === undefined || !PARENT_ID.test(parentId)) {
    throw new AwsError("InvalidInputException", "You provided a value that does not match the required pattern.");
  }
  if (parentId !== rootIdOf(world) && !world.organization.units?.has(parentId)) {
    throw new AwsError("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.");
  }
  return parentId;
}

function describeUnit(world: World, unit: OrganizationalUnitState): OrganizationalUnit {
  return { Id: unit.id, Arn: `arn:aws:organizations::${world.organization.managementAccountId}:ou/${world.organization.id}/${unit.id}`, Name: unit.name };
}

function listRoots(params: ListRootsCommandInput, ctx: CallContext): SdkOutput<ListRootsCommandOutput> {
  authorize(ctx);
  const { world } = ctx;
  const root: Root = {
    Id: rootIdOf(world),
    Arn: `arn:aws:organizations::${world.organization.managementAccountId}:root/${world.organization.id}/${rootIdOf(world)}`,
    Name: "Root",
    PolicyTypes: [],
  };
  const page = paginate([root], params.NextToken, pageSize(params), badToken);
  return { Roots: page.items, NextToken: page.next };
}

function accountsIn(world: World, parentId: string): AccountState[] {
  return [...world.accounts.values()].filter((a) => parentOf(world, a) === parentId).sort((a, b) => a.id.localeCompare(b.id));
}

function unitsIn(world: World, parentId: string): OrganizationalUnitState[] {
  return units(world).filter((u) => u.parentId === parentId).sort((a, b) => a.id.localeCompare(b.id));
}

function listChildren(params: ListChildrenCommandInput, ctx: CallContext): SdkOutput<ListChildrenCommandOutput> {
  authorize(ctx);
  const parentId = requireParent(ctx.world, params.ParentId);
  let children: Child[];
  if (params.ChildType === "ACCOUNT") children = accountsIn(ctx.world, parentId).map((a) => ({ Id: a.id, Type: "ACCOUNT" }));
  else if (params.ChildType === "ORGANIZATIONAL_UNIT") children = unitsIn(ctx.world, parentId).map((u) => ({ Id: u.id, Type: "ORGANIZATIONAL_UNIT" }));
  else throw new AwsError("InvalidInputException", "You provided a value that does not match the required pattern.");
  const page = paginate(children, params.NextToken, pageSize(params), badToken);
  return { Children: page.items, NextToken: page.next };
}

function listAccountsForParent(params: ListAccountsForParentCommandInput, ctx: CallContext): SdkOutput<ListAccountsForParentCommandOutput> {
  authorize(ctx);
  const parentId = requireParent(ctx.world, params.ParentId);
  const page = paginate(accountsIn(ctx.world, parentId), params.NextToken, pageSize(params), badToken);
  return { Accounts: page.items.map((a) => describe(ctx.world, a)), NextToken: page.next };
}

function listOrganizationalUnitsForParent(params: ListOrganizationalUnitsForParentCommandInput, ctx: CallContext): SdkOutput<ListOrganizationalUnitsForParentCommandOutput> {
  authorize(ctx);
  const parentId = requireParent(ctx.world, params.ParentId);
  const page = paginate(unitsIn(ctx.world, parentId), params.NextToken, pageSize(params), badToken);
  return { OrganizationalUnits: page.items.map((u) => describeUnit(ctx.world, u)), NextToken: page.next };
}

/**
 * ListParents: the root or OU directly above an account or OU ("In the current release, a child
 * can have only a single parent"), https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html.
 * ChildId is an account id or an OU id; an unknown child is ChildNotFoundException.
 */
const CHILD_ID = /^(\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;

function listParents(params: ListParentsCommandInput, ctx: CallContext): SdkOutput<ListParentsCommandOutput> {
  authorize(ctx);
  const { world } = ctx;
  const id = params.ChildId;
  if (id === undefined || !CHILD_ID.test(id)) throw new AwsError("InvalidInputException", "You provided a value that does not match the required pattern.");
  const account = world.accounts.get(id);
  const unit = world.organization.units?.get(id);
  const parentId = account ? parentOf(world, account) : unit?.parentId;
  if (parentId === undefined) throw new AwsError("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.");
  const parent: Parent = { Id: parentId, Type: parentId === rootIdOf(world) ? "ROOT" : "ORGANIZATIONAL_UNIT" };
  const page = paginate([parent], params.NextToken, pageSize(params), badToken);
  return { Parents: page.items, NextToken: page.next };
}

function describeOrganizationalUnit(params: DescribeOrganizationalUnitCommandInput, ctx: CallContext): SdkOutput<DescribeOrganizationalUnitCommandOutput> {
  authorize(ctx);
  const id = params.OrganizationalUnitId;
  if (id === undefined || !OU_ID.test(id)) throw new AwsError("InvalidInputException", "You provided a value that does not match the required pattern.");
  const unit = ctx.world.organization.units?.get(id);
  if (!unit) throw new AwsError("OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.");
  return { OrganizationalUnit: describeUnit(ctx.world, unit) };
}

export const organizationsService: ServiceDefinition = {
  name: "organizations",
  protocol: "json",
  throttling: { code: "TooManyRequestsException", status: 400 },
  actions: {
    ListAccounts: listAccounts,
    DescribeAccount: describeAccount,
    DescribeOrganization: describeOrganization,
    ListRoots: listRoots,
    ListChildren: listChildren,
    ListAccountsForParent: listAccountsForParent,
    ListParents: listParents,
    ListOrganizationalUnitsForParent: listOrganizationalUnitsForParent,
    DescribeOrganizationalUnit: describeOrganizationalUnit,
  },
};
