import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { onboardingUnit, resolveOnboarded, type MemberPlacement } from "../../functions/config/resolve.js";
import type { AccountEntry, Config } from "../../functions/config/schema.js";
import { driftguardNames } from "../../modules/names.js";
import { deployedIam, type DeployedAccount } from "./deployed-iam.js";
import type { LoadedScenario } from "./scenario.js";
import { ensureDefaultVpc } from "../emulator/services/ec2/service.js";
import { putRole } from "../emulator/services/iam/service.js";
import { checkPrincipalsExist } from "../emulator/services/iam/principal-existence.js";
import { parentOf } from "../emulator/services/organizations/service.js";
import { iamUniqueId } from "../emulator/services/shared/ids.js";
import { adminPrincipal, mintRoleSession, principalFromArn } from "../emulator/services/iam/principals.js";
import { putBucket } from "../emulator/services/s3/service.js";
import { addSubscription, putTopic } from "../emulator/services/sns/service.js";
import { AwsError } from "../emulator/protocol/types.js";
import { regionOf, type AccountState, type Principal, type World } from "../emulator/state.js";

/**
 * Builds the emulated organization from a scenario plus accounts.yaml: the scenario's accounts,
 * and what `cdktf deploy` would have created from accounts.yaml (hub scanner role, report bucket,
 * notification topic, and the spoke role in every onboarded account). Then deploys the scenario's
 * stacks and applies its drift through the API handlers, as out-of-band changes would be made.
 *
 * One source of truth: everything of driftguard here is read from the synthesized stacks' JSON
 * (deployed-iam.ts), never typed again — a role, policy, bucket, bucket policy, versioning, topic
 * or subscription changed in modules/ changes this world. The fast path does not `terraform
 * apply` them: apply of the hub alone takes ~80 s (the provider's own consistency polls, e.g. 55 s
 * for a lifecycle configuration), and some 60 test files build a world, each in well under a
 * second; `npm start -- --deploy` and test/terraform/deploy-run.test.ts apply the same stacks for real.
 * Left out, because the fast path invokes the handler in-process rather than a deployed function:
 * the Lambda function, its schedule and event rules, queues, log group, KMS key and alarms. So
 * the topic here is not KMS-encrypted (the deployed one is; the scanner role's grant for the key
 * is checked by the permissions test against the synthesized policy).
 */

export type Dispatch = (accountId: string, region: string, service: string, action: string, params: unknown, principal?: Principal) => Promise<unknown>;

export interface HubResources {
  accountId: string;
  region: string;
  scannerRoleArn: string;
  spokeRoleName: string;
  reportBucket: string;
  topicArn: string;
  /** Session credentials of the scanner role, as the Lambda function would have them. */
  principal: Principal;
}

function newAccount(id: string, name: string, status: AccountState["status"], email?: string, parentId?: string): AccountState {
  return { id, name, email: email ?? `aws+${name}@example.com`, status, ...(parentId ? { parentId } : {}), roles: new Map(), policies: new Map(), regions: new Map() };
}

/** A root id derived from the organization id (r- and 4 to 32 lowercase letters or digits), unless the scenario names it. */
function rootIdFor(scenario: LoadedScenario, orgId: string): string {
  return scenario.organization.rootId ?? `r-${orgId.slice(2, 6)}`;
}

/**
 * The roles and policies the hub and spoke stacks deploy, as synthesized (sandbox/harness/deployed-iam.ts),
 * into every account of the world they target: the hub, and each account `spokeAccounts` names.
 */
function deployIam(world: World, config: Config, random: () => number, now: number): DeployedAccount[] {
  const all = deployedIam(config, spokeAccounts(config, world));
  for (const deployed of all) {
    const account = world.accounts.get(deployed.accountId);
    if (!account) continue; // onboarded in accounts.yaml but not in this scenario's organization
    for (const p of deployed.policies) {
      account.policies.set(p.arn, { arn: p.arn, policyName: p.name, policyId: iamUniqueId(random, "ANPA"), path: p.path, document: p.document, defaultVersionId: "v1", createdAt: new Date(now).toISOString() });
    }
    // Through the same principal check as CreateRole, so a world never holds a trust policy AWS would refuse.
    for (const role of deployed.roles) putRole(account, { ...role, assumeRolePolicyDocument: checkPrincipalsExist(world, role.assumeRolePolicyDocument) }, random, now);
  }
  return all;
}

/** Every account named in the scenario must belong to the organization the world models. */
function checkReferences(scenario: LoadedScenario, world: World): void {
  const where = scenario.file ?? "(scenario object)";
  const sections = [
    ["stacks", scenario.stacks],
    ["drift", scenario.drift],
    ["faults", scenario.faults],
  ] as const;
  for (const [section, entries] of sections) {
    entries.forEach((entry: { account?: string }, i: number) => {
      if (entry.account !== undefined && !world.accounts.has(entry.account)) {
        throw new Error(`${where}: ${section}[${i}].account ${entry.account} is not in the organization; add it under accounts:`);
      }
    });
  }
}

/** The regions resources may be looked for in: every region a stack, drift or accounts.yaml names. */
function regionsInUse(scenario: LoadedScenario, config: Config): Set<string> {
  return new Set([
    config.hub.region,
    ...config.defaults.regions,
    ...config.accounts.flatMap((a) => a.regions ?? []),
    ...config.organizationalUnits.flatMap((u) => u.regions ?? []),
    ...scenario.stacks.map((s) => s.region),
    ...scenario.drift.map((d) => d.region),
  ]);
}

/** Each member with its parents from its own OU up to the root, as a walk of the tree finds them. */
function memberPlacements(world: World): MemberPlacement[] {
  const chain = (parentId: string): string[] => {
    const unit = world.organization.units?.get(parentId);
    return unit ? [parentId, ...chain(unit.parentId)] : [parentId];
  };
  return [...world.accounts.values()].map((a) => ({ id: a.id, name: a.name, parents: chain(parentOf(world, a)) }));
}

/**
 * The accounts `cdktf deploy` gives a spoke role: the listed ones with terraform spokes; with
 * StackSet spokes, the members of onboarded OUs, never the management account (service-managed
 * StackSets do not deploy there: "StackSets doesn't deploy stack instances to the organization's
 * management account", AWS CloudFormation User Guide, "Create a stack set with service-managed permissions").
 */
function spokeAccounts(config: Config, world: World): AccountEntry[] {
  const placements = memberPlacements(world);
  const parents = new Map(placements.map((p) => [p.id, p.parents]));
  const onboarded = resolveOnboarded(config, placements).filter(
    (a) => config.spoke.deployment === "terraform" || (a.id !== world.organization.managementAccountId && onboardingUnit(config, parents.get(a.id) ?? []) !== undefined),
  );
  // OU members are not in accounts.yaml: each gets the spoke a listed account with its OU's
  // settings would (both deployment modes grant the same, test/constructs/stackset-spokes.test.ts).
  const listed = new Map(config.accounts.map((a) => [a.id, a]));
  return onboarded.map((a) => {
    const { id: _ou, name: _label, recursive: _r, ...settings } = onboardingUnit(config, parents.get(a.id) ?? []) ?? { id: "", recursive: true };
    return listed.get(a.id) ?? { ...settings, id: a.id, name: a.name, status: "active" };
  });
}

/**
 * The role AWS Organizations creates in every account it creates: it trusts the management
 * account and carries AdministratorAccess. Source: AWS Organizations User Guide, "Accessing a
 * member account that has a management account access role" (docs.aws.amazon.com/organizations/
 * latest/userguide/orgs_manage_accounts_access-cross-account-role.html): "Organizations
 * automatically creates an IAM role named OrganizationAccountAccessRole … The role has
 * AdministratorAccess … and trusts the management account". Terraform deploys through it.
 */
export const ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole";
const ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess";

function bootstrapRoles(world: World, config: Config, random: () => number, now: number): void {
  const names = new Set([ORGANIZATION_ACCESS_ROLE, config.spoke.bootstrapRoleName, config.hub.bootstrapRoleName ?? config.spoke.bootstrapRoleName]);
  for (const account of config.accounts) if (account.bootstrapRoleName) names.add(account.bootstrapRoleName);
  const management = world.organization.managementAccountId;
  for (const account of world.accounts.values()) {
    if (account.id === management || account.status !== "ACTIVE") continue;
    for (const roleName of names) {
      if (account.roles.has(roleName)) continue;
      putRole(
        account,
        {
          roleName,
          assumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${management}:root` }, Action: "sts:AssumeRole" }],
          },
          managedPolicyArns: [ADMINISTRATOR_ACCESS],
        },
        random,
        now,
      );
    }
  }
}

/**
 * The administrator role a person deploys from in the management account (an IAM Identity Center
 * permission set's role, in a real organization). Root user credentials cannot call AssumeRole
 * ("You cannot use AWS account root user credentials to call AssumeRole", API_AssumeRole.html), so
 * terraform's providers, which assume each account's bootstrap role, need a role session.
 */
export const MANAGEMENT_ADMIN_ROLE = "sandbox-administrator";

/**
 * The organization without driftguard: accounts, their bootstrap roles and (after
 * provisionScenario) the scenario's stacks. What `terraform apply` of the synthesized stacks
 * starts from; `deployer` is a session of MANAGEMENT_ADMIN_ROLE to run terraform with.
 */
export function createBareWorld(scenario: LoadedScenario, config: Config, random: () => number, now: number): { world: World; deployer: Principal } {
  const world = organizationWorld(scenario, config);
  bootstrapRoles(world, config, random, now);
  const management = world.accounts.get(world.organization.managementAccountId)!;
  const admin = putRole(
    management,
    {
      roleName: MANAGEMENT_ADMIN_ROLE,
      assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${management.id}:root` }, Action: "sts:AssumeRole" }] },
      managedPolicyArns: [ADMINISTRATOR_ACCESS],
    },
    random,
    now,
  );
  // No expiry: the session lasts as long as the sandbox, so a slow deploy never loses its credentials.
  return { world, deployer: mintRoleSession(world, random, management.id, admin, "deploy", { issuedAt: now }) };
}

function organizationWorld(scenario: LoadedScenario, config: Config): World {
  const orgId = scenario.organization.id ?? config.organization.id;
  if (orgId !== config.organization.id) {
    // Every spoke role's trust requires aws:PrincipalOrgID = accounts.yaml's id, so every account
    // would fail to be assumed with a misleading hint; say what is wrong instead.
    throw new Error(
      `${scenario.file ?? "(scenario object)"}: organization.id ${orgId} differs from organization.id ${config.organization.id} in accounts.yaml; ` +
        "make them the same, or drop organization.id from the scenario to use accounts.yaml's",
    );
  }
  const management = scenario.organization.managementAccount;
  const hubId = config.hub.accountId;
  const world: World = {
    organization: {
      id: orgId,
      managementAccountId: management,
      arn: `arn:aws:organizations::${management}:organization/${orgId}`,
      delegatedAdministrators: [...new Set([...scenario.organization.delegatedAdministrators, hubId])],
      rootId: rootIdFor(scenario, orgId),
      units: new Map(scenario.organizationalUnits.map((u) => [u.id, { id: u.id, name: u.name, parentId: u.parent ?? rootIdFor(scenario, orgId) }])),
    },
    accounts: new Map(),
    buckets: new Map(),
    credentials: new Map(),
    falsePositives: new Set(scenario.falsePositives),
    accountsOutsideOrganization: new Set(scenario.accountsOutsideOrganization),
    serviceControlPolicies: scenario.serviceControlPolicies,
  };
  const add = (a: AccountState) => world.accounts.set(a.id, a);
  add(newAccount(management, "management", "ACTIVE"));
  for (const a of scenario.accounts) add(newAccount(a.id, a.name, a.status, a.email, a.ou));
  if (!world.accounts.has(hubId)) add(newAccount(hubId, "driftguard-hub", "ACTIVE"));
  checkReferences(scenario, world);

  for (const account of world.accounts.values()) {
    adminPrincipal(world, account.id);
    for (const region of regionsInUse(scenario, config)) ensureDefaultVpc(account, region);
  }
  return world;
}

export function createWorld(scenario: LoadedScenario, config: Config, random: () => number, now: number): { world: World; hub: HubResources } {
  const names = driftguardNames(config);
  const hubId = config.hub.accountId;
  const world = organizationWorld(scenario, config);
  const hubAccount = world.accounts.get(hubId)!;
  const deployed = deployIam(world, config, random, now);
  const scanner = hubAccount.roles.get(names.scannerRole);
  if (!scanner) throw new Error(`the synthesized hub stack has no ${names.scannerRole} role`);

  const hubStack = deployed[0]!;
  for (const name of hubStack.buckets) {
    const bucket = putBucket(world, hubId, name, config.hub.region, now);
    bucket.policy = hubStack.bucketPolicies[name];
    const versioning = hubStack.bucketVersioning[name];
    if (versioning === "Enabled" || versioning === "Suspended") bucket.versioning = versioning;
  }
  for (const t of hubStack.topics) {
    const topic = putTopic(regionOf(hubAccount, config.hub.region), hubId, config.hub.region, t.name);
    for (const sub of t.subscriptions) addSubscription(topic, sub.protocol, sub.endpoint, random);
  }
  if (!world.buckets.has(names.reportBucket)) throw new Error(`the synthesized hub stack has no ${names.reportBucket} bucket`);
  const topic = regionOf(hubAccount, config.hub.region).topics.get(`arn:aws:sns:${config.hub.region}:${hubId}:${names.topic}`);
  if (!topic) throw new Error(`the synthesized hub stack has no ${names.topic} topic`);

  return {
    world,
    hub: {
      accountId: hubId,
      region: config.hub.region,
      scannerRoleArn: scanner.arn,
      spokeRoleName: names.spokeRole,
      reportBucket: names.reportBucket,
      topicArn: topic.arn,
      principal: mintRoleSession(world, random, hubId, scanner, "sandbox", { issuedAt: now }),
    },
  };
}

const PHYSICAL = /\$\{physical:([^/}]+)\/([^}]+)\}/g;

/** Replaces `${physical:<stack>/<LogicalId>}` in every string of `value` with that resource's physical id. */
export function resolvePhysicalIds(value: unknown, world: World, accountId: string, region: string): unknown {
  if (typeof value === "string") {
    return value.replace(PHYSICAL, (_m, stackName: string, logicalId: string) => {
      const account = world.accounts.get(accountId);
      const stack = account ? regionOf(account, region).stacks.find((s) => s.stackName === stackName && s.status !== "DELETE_COMPLETE") : undefined;
      if (!stack) throw new Error(`\${physical:${stackName}/${logicalId}}: no stack ${stackName} in ${accountId}/${region}`);
      const resource = stack.resources.find((r) => r.logicalId === logicalId);
      if (!resource) throw new Error(`\${physical:${stackName}/${logicalId}}: stack ${stackName} has no resource ${logicalId}`);
      return resource.physicalId;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolvePhysicalIds(v, world, accountId, region));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePhysicalIds(v, world, accountId, region)]));
  }
  return value;
}

function describe(err: unknown): string {
  return err instanceof AwsError ? `${err.code}: ${err.message}` : (err as Error).message;
}

const SETTLE_TIMEOUT_MS = 30_000;

/** Creates the scenario's stacks through CloudFormation CreateStack and waits for each to finish. */
async function deployStacks(scenario: LoadedScenario, dispatch: Dispatch): Promise<void> {
  const where = scenario.file ?? "(scenario object)";
  for (const [i, stack] of scenario.stacks.entries()) {
    const label = `${where}: stacks[${i}] (${stack.name} in ${stack.account}/${stack.region})`;
    let templateBody = stack.templateBody;
    if (templateBody === undefined) {
      const path = resolve(scenario.dir, stack.template!);
      try {
        templateBody = readFileSync(path, "utf8");
      } catch (err) {
        throw new Error(`${label}: template ${path} cannot be read (${(err as Error).message})`);
      }
    }
    try {
      await dispatch(stack.account, stack.region, "cloudformation", "CreateStack", {
        StackName: stack.name,
        TemplateBody: templateBody,
        Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        Tags: Object.entries(stack.tags).map(([Key, Value]) => ({ Key, Value })),
        Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
      });
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      for (;;) {
        const described = (await dispatch(stack.account, stack.region, "cloudformation", "DescribeStacks", { StackName: stack.name })) as {
          Stacks?: { StackStatus?: string; StackStatusReason?: string }[];
        };
        const { StackStatus: status = "", StackStatusReason: reason } = described.Stacks?.[0] ?? {};
        if (status === "CREATE_COMPLETE") break;
        if (!status.endsWith("_IN_PROGRESS")) throw new Error(`ended in ${status}${reason ? `: ${reason}` : ""}`);
        if (Date.now() > deadline) throw new Error(`still ${status} after ${SETTLE_TIMEOUT_MS / 1000}s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } catch (err) {
      throw new Error(`${label}: ${describe(err)}`);
    }
  }
}

/** Applies the scenario's out-of-band changes through the services' own handlers. */
async function applyDrift(scenario: LoadedScenario, world: World, dispatch: Dispatch): Promise<void> {
  const where = scenario.file ?? "(scenario object)";
  for (const [i, d] of scenario.drift.entries()) {
    const label = `${where}: drift[${i}] (${d.service} ${d.action} in ${d.account}/${d.region})`;
    try {
      const params = resolvePhysicalIds(d.params, world, d.account, d.region);
      const principal = d.as ? principalFromArn(world, d.as) : adminPrincipal(world, d.account);
      await dispatch(d.account, d.region, d.service, d.action, params, principal);
    } catch (err) {
      throw new Error(`${label}: ${describe(err)}`);
    }
  }
}

export async function provisionScenario(scenario: LoadedScenario, world: World, dispatch: Dispatch): Promise<void> {
  await deployStacks(scenario, dispatch);
  await applyDrift(scenario, world, dispatch);
}
