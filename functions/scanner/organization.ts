import {
  DescribeOrganizationCommand,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  paginateListRoots,
  type Account,
  type OrganizationsClient,
} from "@aws-sdk/client-organizations";
import pLimit from "p-limit";
import { onboardingUnit, type EffectiveAccount, type MemberPlacement } from "../config/resolve.js";
import type { Config } from "../config/schema.js";
import type { AccountReport, ErrorInfo } from "../core/types.js";
import type { OrganizationSnapshot } from "../core/types.js";
import { toErrorInfo } from "../core/errors.js";
import type { OrganizationMembership } from "../remediation/index.js";

/**
 * The organization as the scanner sees it: every member with the OUs above it, read by walking
 * the tree from its roots (ListRoots, then ListOrganizationalUnitsForParent and
 * ListAccountsForParent for each parent, every page through the SDK's paginators). The walk
 * gives, in one pass, who is onboarded through an OU, each member's state, and the OU of every
 * account that is not onboarded. API reference:
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html
 */

/**
 * What the organization check and the walk call; the hub scanner role's policy is derived from
 * this list. None of them has resource-level permissions (Organizations' service authorization
 * reference), so the grant is on "*".
 */
export const ORGANIZATION_ACTIONS = [
  "organizations:DescribeOrganization",
  "organizations:ListRoots",
  "organizations:ListOrganizationalUnitsForParent",
  "organizations:ListAccountsForParent",
] as const;

/**
 * Organizations throttles per account at a low rate (TooManyRequestsException); a few parents at
 * a time walks a 500-account, 60-OU organization in well under a minute without tripping it.
 */
const WALK_CONCURRENCY = 4;

export interface OrganizationalUnitInfo {
  id: string;
  name: string;
  /** Names from the root down, e.g. "Root/Workloads/Prod". */
  path: string;
}

export interface OrganizationMember {
  account: Account;
  /** Parent ids from the account's own OU (or root) up to the root. */
  parents: string[];
}

export interface OrganizationTree {
  /** From the root's ARN (arn:aws:organizations::<management>:root/o-…/r-…). */
  managementAccountId?: string;
  members: OrganizationMember[];
  units: Map<string, OrganizationalUnitInfo>;
}

export async function walkOrganization(org: OrganizationsClient): Promise<OrganizationTree> {
  const units = new Map<string, OrganizationalUnitInfo>();
  const members: OrganizationMember[] = [];
  const limit = pLimit(WALK_CONCURRENCY);
  let managementAccountId: string | undefined;

  const visit = async (parentId: string, ancestors: string[]): Promise<void> => {
    const chain = [parentId, ...ancestors];
    const path = units.get(parentId)!.path;
    const [children] = await Promise.all([
      limit(async () => {
        const found: OrganizationalUnitInfo[] = [];
        for await (const page of paginateListOrganizationalUnitsForParent({ client: org }, { ParentId: parentId })) {
          for (const ou of page.OrganizationalUnits ?? []) {
            if (ou.Id) found.push({ id: ou.Id, name: ou.Name ?? ou.Id, path: `${path}/${ou.Name ?? ou.Id}` });
          }
        }
        return found;
      }),
      limit(async () => {
        for await (const page of paginateListAccountsForParent({ client: org }, { ParentId: parentId })) {
          for (const account of page.Accounts ?? []) members.push({ account, parents: chain });
        }
      }),
    ]);
    for (const child of children) units.set(child.id, child);
    await Promise.all(children.map((child) => visit(child.id, chain)));
  };

  const roots = [];
  for await (const page of paginateListRoots({ client: org }, {})) roots.push(...(page.Roots ?? []));
  for (const root of roots) {
    if (!root.Id) continue;
    managementAccountId ??= /^arn:[^:]+:organizations::(\d{12}):root\//.exec(root.Arn ?? "")?.[1];
    units.set(root.Id, { id: root.Id, name: root.Name ?? "Root", path: root.Name ?? "Root" });
  }
  await Promise.all(roots.flatMap((root) => (root.Id ? [visit(root.Id, [])] : [])));
  members.sort((a, b) => (a.account.Id ?? "").localeCompare(b.account.Id ?? ""));
  return { ...(managementAccountId ? { managementAccountId } : {}), members, units };
}

/** `State` superseded `Status` (it adds CLOSED and PENDING_ACTIVATION); older responses only carry Status. */
export function stateOf(account: Account): string {
  return account.State ?? account.Status ?? "UNKNOWN";
}

/** The outcome of joining accounts.yaml with the organization: who is scanned, who is only listed. */
export interface AccountSelection {
  toScan: EffectiveAccount[];
  /** Suspended / closed / not-in-organization accounts, and all accounts when the org cannot be listed. */
  listedOnly: AccountReport[];
}

function listed(account: EffectiveAccount, status: AccountReport["status"], error: ErrorInfo): AccountReport {
  const unit = account.organizationalUnit ? { organizationalUnit: account.organizationalUnit } : {};
  return { accountId: account.id, name: account.name, status, error, mode: account.mode, regions: [], ...unit };
}

/**
 * Only onboarded accounts that Organizations reports ACTIVE are scanned. An onboarded account
 * missing from the organization is a config error worth reporting, not a reason to fail the run.
 * With StackSet spokes, an account outside every onboarded OU, and the management account (which
 * service-managed StackSets never deploy to), have no spoke role: they are reported, not tried.
 */
export function joinWithOrganization(configured: EffectiveAccount[], tree: Pick<OrganizationTree, "members" | "managementAccountId">, config?: Config): AccountSelection {
  const byId = new Map(tree.members.map((m) => [m.account.Id, m]));
  const stackSets = config?.spoke.deployment === "stackset";
  const selection: AccountSelection = { toScan: [], listedOnly: [] };
  for (const account of configured) {
    const member = byId.get(account.id);
    if (!member) {
      selection.listedOnly.push(
        listed(account, "not-in-organization", {
          code: "AccountNotInOrganization",
          message: `account ${account.id} (${account.name}) is in accounts.yaml but not in the organization; remove it, mark it \`status: retired\`, or invite it`,
        }),
      );
    } else if (stateOf(member.account) !== "ACTIVE") {
      selection.listedOnly.push(
        listed(account, "suspended", {
          code: "AccountNotActive",
          message: `Organizations reports account ${account.id} as ${stateOf(member.account)}; it is not scanned`,
        }),
      );
    } else if (stackSets && account.id === tree.managementAccountId) {
      selection.listedOnly.push(
        listed(account, "failed", {
          code: "NoSpokeInManagementAccount",
          message: `account ${account.id} is the management account, where service-managed StackSets never deploy a spoke; add it to \`exclude:\`, or move the hub's scan of it to a terraform-deployed spoke`,
        }),
      );
    } else if (stackSets && config !== undefined && onboardingUnit(config, member.parents) === undefined) {
      selection.listedOnly.push(
        listed(account, "failed", {
          code: "OutsideOnboardedOrganizationalUnits",
          message: `account ${account.id} (${account.name}) is listed under accounts: but is in none of organizationalUnits, so no StackSet deploys its spoke role; add its OU (${member.parents[0] ?? "unknown"}) to organizationalUnits, or remove the entry`,
        }),
      );
    } else {
      selection.toScan.push(account);
    }
  }
  return selection;
}

/** Without the member list nothing can be scanned safely; every account says why. */
export function organizationUnavailable(configured: EffectiveAccount[], error: ErrorInfo, prefix = "cannot list the organization's accounts: "): AccountSelection {
  return {
    toScan: [],
    listedOnly: configured.map((a) => listed(a, "failed", { code: error.code, message: `${prefix}${error.message}` })),
  };
}

/** Where accounts.yaml's organization.id was written, for the mismatch message; the bundled config has no lines. */
export interface OrganizationIdSource {
  file: string;
  line?: number;
}

export const ORGANIZATION_ID_FIX = "aws organizations describe-organization --query Organization.Id";

/**
 * The organization the credentials are in, checked against accounts.yaml before anything else:
 * with a wrong `organization.id` every spoke trust (aws:PrincipalOrgID) refuses the scanner and
 * every account would fail with an AccessDenied that blames the spoke role. DescribeOrganization
 * can be called from any member account (Organizations API Reference, DescribeOrganization).
 * Returns the one error to report, or undefined when the ids agree.
 */
export async function checkOrganization(org: OrganizationsClient, expectedId: string, source: OrganizationIdSource): Promise<ErrorInfo | undefined> {
  const where = `${source.file}${source.line !== undefined ? `:${source.line}` : ""} organization.id`;
  let actual: string | undefined;
  try {
    actual = (await org.send(new DescribeOrganizationCommand({}))).Organization?.Id;
  } catch (err) {
    const info = toErrorInfo(err);
    const why =
      info.code === "AWSOrganizationsNotInUseException"
        ? "these credentials' account is not in an organization"
        : `DescribeOrganization failed (${info.code}: ${info.message})`;
    return { code: "OrganizationUnconfirmed", message: `cannot confirm the organization ${expectedId} named by ${where}: ${why}; nothing is scanned` };
  }
  if (actual === expectedId) return undefined;
  return {
    code: "OrganizationMismatch",
    message: `these credentials are in organization ${actual ?? "(none returned)"}, but ${where} is ${expectedId}; set it to ${actual ?? "the id"} (${ORGANIZATION_ID_FIX}); nothing is scanned`,
  };
}

/** Each member with its state and the OU it sits in directly, for the report's coverage section. */
export function snapshotOf(tree: OrganizationTree): OrganizationSnapshot {
  return {
    available: true,
    members: tree.members.map(({ account, parents }) => {
      const unit = parents[0] === undefined ? undefined : tree.units.get(parents[0]);
      return { accountId: account.Id ?? "", name: account.Name ?? "", state: stateOf(account), ...(unit ? { organizationalUnit: unit } : {}) };
    }),
  };
}

/** Every member's place in the tree, for resolving OU onboarding. */
export function placements(tree: OrganizationTree): MemberPlacement[] {
  return tree.members.map(({ account, parents }) => ({ id: account.Id ?? "", name: account.Name ?? account.Id ?? "", parents }));
}

/** The members the trust invariant may trust, from the run's snapshot; unreadable = why (fails closed). */
export function membershipOf(snapshot: OrganizationSnapshot | undefined, why = "the run did not read the organization"): OrganizationMembership {
  if (snapshot === undefined) return { error: why };
  if (!snapshot.available) return { error: `${snapshot.error.code}: ${snapshot.error.message}` };
  return { accountIds: new Set(snapshot.members.map((m) => m.accountId)) };
}

/** A fan-out worker's own read of the membership: one walk per invocation, an error kept as the reason. */
export async function readMembership(org: OrganizationsClient): Promise<OrganizationMembership> {
  try {
    return membershipOf(snapshotOf(await walkOrganization(org)));
  } catch (err) {
    const error = toErrorInfo(err);
    return { error: `${error.code}: ${error.message}` };
  }
}
