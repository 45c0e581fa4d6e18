import type { AccountState, IamRole, Tags } from "../state.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../protocol/types.js";
import { iamUniqueId } from "./ids.js";
import { optionalNumber, required } from "./params.js";
import { paginate } from "./paging.js";
import { roleArnOf } from "./principals.js";
import { fromTagList, toTagList, type TagEntry } from "./tags.js";

/**
 * IAM roles: trust policy, managed and inline policies, tags. IAM is global, so roles live on the
 * account and the region of the call does not matter. Policy documents go out URL-encoded, as
 * real IAM returns them.
 */

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const POLICY_ARN = /^arn:aws:iam::(aws|\d{12}):policy\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/;
const MANAGED_POLICIES_PER_ROLE = 10;

function noSuchRole(name: string): AwsError {
  return new AwsError("NoSuchEntity", `The role with name ${name} cannot be found.`, 404);
}

function validation(field: string, value: unknown, constraint: string): AwsError {
  return new AwsError("ValidationError", `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`);
}

function missing(field: string): () => AwsError {
  return () => new AwsError("ValidationError", `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
}

function parsePolicyDocument(text: unknown): unknown {
  let doc: unknown;
  try {
    doc = typeof text === "string" ? JSON.parse(text) : text;
  } catch {
    throw new AwsError("MalformedPolicyDocument", "This policy contains invalid Json");
  }
  if (!doc || typeof doc !== "object" || !("Statement" in doc)) throw new AwsError("MalformedPolicyDocument", "Syntax errors in policy.");
  return doc;
}

function encodePolicy(doc: unknown): string {
  return encodeURIComponent(JSON.stringify(doc));
}

function checkMaxSessionDuration(value: number): number {
  if (!Number.isInteger(value) || value < 3600 || value > 43200) {
    throw validation("maxSessionDuration", value, "Member must have value less than or equal to 43200 and greater than or equal to 3600");
  }
  return value;
}

export interface RoleSpec {
  roleName: string;
  assumeRolePolicyDocument: unknown;
  path?: string;
  description?: string;
  maxSessionDuration?: number;
  managedPolicyArns?: string[];
  inlinePolicies?: Record<string, unknown>;
  permissionsBoundary?: string;
  tags?: Tags;
}

/** Creates a role in the account (CreateRole, the world builder and stack provisioning use this). */
export function putRole(account: AccountState, spec: RoleSpec, random: () => number, now: number): IamRole {
  if (account.roles.has(spec.roleName)) throw new AwsError("EntityAlreadyExists", `Role with name ${spec.roleName} already exists.`, 409);
  const path = spec.path ?? "/";
  const role: IamRole = {
    roleName: spec.roleName,
    roleId: iamUniqueId(random, "AROA"),
    arn: roleArnOf(account.id, spec.roleName, path),
    path,
    assumeRolePolicyDocument: spec.assumeRolePolicyDocument,
    description: spec.description,
    maxSessionDuration: spec.maxSessionDuration ?? 3600,
    managedPolicyArns: [...(spec.managedPolicyArns ?? [])],
    inlinePolicies: { ...(spec.inlinePolicies ?? {}) },
    ...(spec.permissionsBoundary ? { permissionsBoundary: spec.permissionsBoundary } : {}),
    tags: { ...(spec.tags ?? {}) },
    createdAt: new Date(now).toISOString(),
  };
  account.roles.set(role.roleName, role);
  return role;
}

function accountOf(ctx: CallContext): AccountState {
  const account = ctx.world.accounts.get(ctx.accountId);
  if (!account) throw new AwsError("AccessDenied", `Account ${ctx.accountId} is not part of the sandbox organization`, 403);
  return account;
}

function roleOf(ctx: CallContext, roleName: string | undefined): IamRole {
  const name = required(roleName, missing("roleName"));
  const role = accountOf(ctx).roles.get(name);
  if (!role) throw noSuchRole(name);
  return role;
}

function roleShape(role: IamRole, withTags: boolean) {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createdAt,
    AssumeRolePolicyDocument: encodePolicy(role.assumeRolePolicyDocument),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    ...(withTags ? { Tags: toTagList(role.tags), RoleLastUsed: {} } : {}),
  };
}

interface Paged {
  Marker?: string;
  MaxItems?: number;
}

function page<T>(all: T[], params: Paged) {
  const p = paginate(all, params.Marker, optionalNumber(params.MaxItems) ?? 100, () => new AwsError("ValidationError", "Invalid Marker."));
  return { items: p.items, IsTruncated: p.next !== undefined, Marker: p.next };
}

function createRole(
  params: { RoleName?: string; AssumeRolePolicyDocument?: string; Path?: string; Description?: string; MaxSessionDuration?: number; Tags?: TagEntry[] },
  ctx: CallContext,
) {
  const roleName = required(params.RoleName, missing("roleName"));
  if (!ROLE_NAME.test(roleName)) throw validation("roleName", roleName, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  const path = params.Path ?? "/";
  if (!/^\/([\x21-\x7e]*\/)?$/.test(path)) throw validation("path", path, "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
  const duration = optionalNumber(params.MaxSessionDuration);
  const role = putRole(
    accountOf(ctx),
    {
      roleName,
      path,
      assumeRolePolicyDocument: parsePolicyDocument(required(params.AssumeRolePolicyDocument, missing("assumeRolePolicyDocument"))),
      description: params.Description,
      maxSessionDuration: duration === undefined ? undefined : checkMaxSessionDuration(duration),
      tags: fromTagList(params.Tags),
    },
    ctx.sandbox.random,
    ctx.sandbox.now(),
  );
  return { Role: roleShape(role, true) };
}

function deleteRole(params: { RoleName?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  if (role.managedPolicyArns.length > 0) throw new AwsError("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409);
  if (Object.keys(role.inlinePolicies).length > 0) throw new AwsError("DeleteConflict", "Cannot delete entity, must delete policies first.", 409);
  accountOf(ctx).roles.delete(role.roleName);
  return {};
}

function listRoles(params: Paged & { PathPrefix?: string }, ctx: CallContext) {
  const prefix = params.PathPrefix ?? "/";
  const roles = [...accountOf(ctx).roles.values()].filter((r) => r.path.startsWith(prefix)).sort((a, b) => a.roleName.localeCompare(b.roleName));
  const { items, ...rest } = page(roles, params);
  return { Roles: items.map((r) => roleShape(r, false)), ...rest };
}

function attachRolePolicy(params: { RoleName?: string; PolicyArn?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const arn = required(params.PolicyArn, missing("policyArn"));
  if (!POLICY_ARN.test(arn)) throw new AwsError("InvalidInput", `ARN ${arn} is not valid.`);
  if (role.managedPolicyArns.includes(arn)) return {};
  if (role.managedPolicyArns.length >= MANAGED_POLICIES_PER_ROLE) {
    throw new AwsError("LimitExceeded", `Cannot exceed quota for PoliciesPerRole: ${MANAGED_POLICIES_PER_ROLE}`, 409);
  }
  role.managedPolicyArns.push(arn);
  return {};
}

function detachRolePolicy(params: { RoleName?: string; PolicyArn?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const arn = required(params.PolicyArn, missing("policyArn"));
  if (!role.managedPolicyArns.includes(arn)) throw new AwsError("NoSuchEntity", `Policy ${arn} was not found.`, 404);
  role.managedPolicyArns = role.managedPolicyArns.filter((a) => a !== arn);
  return {};
}

function listAttachedRolePolicies(params: Paged & { RoleName?: string; PathPrefix?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const prefix = params.PathPrefix ?? "/";
  const attached = role.managedPolicyArns
    .map((arn) => ({ PolicyArn: arn, path: arn.slice(arn.indexOf(":policy") + 7, arn.lastIndexOf("/") + 1), PolicyName: arn.split("/").pop()! }))
    .filter((p) => p.path.startsWith(prefix))
    .map(({ PolicyArn, PolicyName }) => ({ PolicyName, PolicyArn }));
  const { items, ...rest } = page(attached, params);
  return { AttachedPolicies: items, ...rest };
}

function listRolePolicies(params: Paged & { RoleName?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const { items, ...rest } = page(Object.keys(role.inlinePolicies).sort(), params);
  return { PolicyNames: items, ...rest };
}

function inlinePolicyName(name: string | undefined): string {
  const policyName = required(name, missing("policyName"));
  if (!POLICY_NAME.test(policyName)) throw validation("policyName", policyName, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  return policyName;
}

function getRolePolicy(params: { RoleName?: string; PolicyName?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const name = inlinePolicyName(params.PolicyName);
  if (!(name in role.inlinePolicies)) throw new AwsError("NoSuchEntity", `The role policy with name ${name} cannot be found.`, 404);
  return { RoleName: role.roleName, PolicyName: name, PolicyDocument: encodePolicy(role.inlinePolicies[name]) };
}

function putRolePolicy(params: { RoleName?: string; PolicyName?: string; PolicyDocument?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const name = inlinePolicyName(params.PolicyName);
  role.inlinePolicies[name] = parsePolicyDocument(required(params.PolicyDocument, missing("policyDocument")));
  return {};
}

function deleteRolePolicy(params: { RoleName?: string; PolicyName?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const name = inlinePolicyName(params.PolicyName);
  if (!(name in role.inlinePolicies)) throw new AwsError("NoSuchEntity", `The role policy with name ${name} cannot be found.`, 404);
  delete role.inlinePolicies[name];
  return {};
}

function updateAssumeRolePolicy(params: { RoleName?: string; PolicyDocument?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  role.assumeRolePolicyDocument = parsePolicyDocument(required(params.PolicyDocument, missing("policyDocument")));
  return {};
}

function updateRole(params: { RoleName?: string; Description?: string; MaxSessionDuration?: number }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  if (params.Description !== undefined) role.description = params.Description;
  const duration = optionalNumber(params.MaxSessionDuration);
  if (duration !== undefined) role.maxSessionDuration = checkMaxSessionDuration(duration);
  return {};
}

function updateRoleDescription(params: { RoleName?: string; Description?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  role.description = required(params.Description, missing("description"));
  return { Role: roleShape(role, true) };
}

function tagRole(params: { RoleName?: string; Tags?: TagEntry[] }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const tags = { ...role.tags, ...fromTagList(required(params.Tags, missing("tags"))) };
  if (Object.keys(tags).length > 50) throw new AwsError("LimitExceeded", "The number of tags has reached the maximum limit.", 409);
  role.tags = tags;
  return {};
}

function untagRole(params: { RoleName?: string; TagKeys?: string[] }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  for (const key of required(params.TagKeys, missing("tagKeys"))) delete role.tags[key];
  return {};
}

function listRoleTags(params: Paged & { RoleName?: string }, ctx: CallContext) {
  const role = roleOf(ctx, params.RoleName);
  const { items, ...rest } = page(toTagList(role.tags), params);
  return { Tags: items, ...rest };
}

export const iamService: ServiceDefinition = {
  name: "iam",
  protocol: "query",
  xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
  actions: {
    GetRole: (params: { RoleName?: string }, ctx: CallContext) => ({ Role: roleShape(roleOf(ctx, params.RoleName), true) }),
    ListRoles: listRoles,
    CreateRole: createRole,
    DeleteRole: deleteRole,
    ListAttachedRolePolicies: listAttachedRolePolicies,
    AttachRolePolicy: attachRolePolicy,
    DetachRolePolicy: detachRolePolicy,
    ListRolePolicies: listRolePolicies,
    GetRolePolicy: getRolePolicy,
    PutRolePolicy: putRolePolicy,
    DeleteRolePolicy: deleteRolePolicy,
    UpdateAssumeRolePolicy: updateAssumeRolePolicy,
    UpdateRole: updateRole,
    UpdateRoleDescription: updateRoleDescription,
    TagRole: tagRole,
    UntagRole: untagRole,
    ListRoleTags: listRoleTags,
  },
};

