import type {
  AttachRolePolicyCommandInput,
  AttachRolePolicyCommandOutput,
  CreatePolicyCommandInput,
  CreatePolicyCommandOutput,
  CreateRoleCommandInput,
  CreateRoleCommandOutput,
  DeletePolicyCommandInput,
  DeletePolicyCommandOutput,
  DeleteRoleCommandInput,
  DeleteRoleCommandOutput,
  DeleteRolePermissionsBoundaryCommandInput,
  DeleteRolePermissionsBoundaryCommandOutput,
  DeleteRolePolicyCommandInput,
  DeleteRolePolicyCommandOutput,
  DetachRolePolicyCommandInput,
  DetachRolePolicyCommandOutput,
  GetPolicyCommandInput,
  GetPolicyCommandOutput,
  GetPolicyVersionCommandInput,
  GetPolicyVersionCommandOutput,
  GetRoleCommandInput,
  GetRoleCommandOutput,
  GetRolePolicyCommandInput,
  GetRolePolicyCommandOutput,
  ListAttachedRolePoliciesCommandInput,
  ListAttachedRolePoliciesCommandOutput,
  ListInstanceProfilesForRoleCommandInput,
  ListInstanceProfilesForRoleCommandOutput,
  ListRolePoliciesCommandInput,
  ListRolePoliciesCommandOutput,
  ListRoleTagsCommandInput,
  ListRoleTagsCommandOutput,
  ListRolesCommandInput,
  ListRolesCommandOutput,
  PutRolePermissionsBoundaryCommandInput,
  PutRolePermissionsBoundaryCommandOutput,
  PutRolePolicyCommandInput,
  PutRolePolicyCommandOutput,
  TagRoleCommandInput,
  TagRoleCommandOutput,
  UntagRoleCommandInput,
  UntagRoleCommandOutput,
  UpdateAssumeRolePolicyCommandInput,
  UpdateAssumeRolePolicyCommandOutput,
  UpdateRoleCommandInput,
  UpdateRoleCommandOutput,
  UpdateRoleDescriptionCommandInput,
  UpdateRoleDescriptionCommandOutput,
} from "@aws-sdk/client-iam";
import { awsManagedPolicies } from "../../authorization/managed-policies.js";
import type { AccountState, IamRole, ManagedPolicy, Tags } from "../../state.js";
import { AwsError, type CallContext, type SdkOutput, type ServiceDefinition } from "../../protocol/types.js";
import { iamUniqueId } from "../shared/ids.js";
import { optionalNumber, required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { roleArnOf } from "./principals.js";
import { checkPrincipalsExist } from "./principal-existence.js";
import { fromTagList, toTagList } from "../shared/tags.js";

/**
 * IAM roles: trust policy, managed and inline policies, tags. IAM is global, so roles live on the
 * account and the region of the call does not matter. Policy documents go out URL-encoded, as
 * real IAM returns them.
 */

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const POLICY_ARN = /^arn:aws:iam::(aws|\d{12}):policy\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/;
const MANAGED_POLICIES_PER_ROLE = 10;

/**
 * The ARN of a managed policy that exists: an AWS managed one the sandbox has a snapshot of, or a
 * customer managed one of the caller's account. IAM answers NoSuchEntity "Policy <arn> does not
 * exist or is not attachable." otherwise (as real IAM words it: getmoto/moto#6482, localstack#8615).
 */
function attachablePolicy(ctx: CallContext, arn: string): string {
  if (!POLICY_ARN.test(arn)) throw new AwsError("InvalidInput", `ARN ${arn} is not valid.`);
  if (!awsManagedPolicies().has(arn) && !accountOf(ctx).policies.has(arn)) throw new AwsError("NoSuchEntity", `Policy ${arn} does not exist or is not attachable.`, 404);
  return arn;
}

function noSuchRole(name: string): AwsError {
  return new AwsError("NoSuchEntity", `The role with name ${name} cannot be found.`, 404);
}

function validation(field: string, value: unknown, constraint: string): AwsError {
  return new AwsError("ValidationError", `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`);
}

function missing(field: string): () => AwsError {
  return () => new AwsError("ValidationError", `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
}

type PolicyKind = "identity" | "trust";

function malformed(message: string): AwsError {
  return new AwsError("MalformedPolicyDocument", message);
}

/**
 * Parses a policy document and enforces IAM's grammar for its kind, with IAM's own messages
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html; the messages as IAM
 * returns them, e.g. hashicorp/terraform-provider-aws#10419 "Policy document should not specify a
 * principal.", and "Has prohibited field Resource" for a trust policy): the Statement is one
 * statement object or a list of them, Effect is Allow or Deny, an identity policy names no
 * Principal and every statement has actions and resources, a trust policy names no Resource.
 */
function parsePolicyDocument(text: unknown, kind: PolicyKind): unknown {
  let doc: unknown;
  try {
    doc = typeof text === "string" ? JSON.parse(text) : text;
  } catch {
    throw malformed("This policy contains invalid Json");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || !("Statement" in doc)) throw malformed("Syntax errors in policy.");
  const { Statement: raw, Version: version } = doc as { Statement: unknown; Version?: unknown };
  if (version !== undefined && version !== "2012-10-17" && version !== "2008-10-17") throw malformed("The policy failed legacy parsing");
  const statements = Array.isArray(raw) ? raw : [raw];
  for (const st of statements) {
    if (!st || typeof st !== "object" || Array.isArray(st)) throw malformed("Syntax errors in policy.");
    const s = st as Record<string, unknown>;
    if (s.Effect !== "Allow" && s.Effect !== "Deny") throw malformed("Syntax errors in policy.");
    if (!("Action" in s) && !("NotAction" in s)) throw malformed("Policy statement must contain actions.");
    if (kind === "identity") {
      if ("Principal" in s || "NotPrincipal" in s) throw malformed("Policy document should not specify a principal.");
      if (!("Resource" in s) && !("NotResource" in s)) throw malformed("Policy statement must contain resources.");
    } else {
      if ("Resource" in s || "NotResource" in s) throw malformed(`Has prohibited field ${"Resource" in s ? "Resource" : "NotResource"}`);
      if (!("Principal" in s) && !("NotPrincipal" in s)) throw malformed("Missing required field Principal");
    }
  }
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
    CreateDate: new Date(role.createdAt),
    AssumeRolePolicyDocument: encodePolicy(role.assumeRolePolicyDocument),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    // API_AttachedPermissionsBoundary.html, PermissionsBoundaryType: "Valid Values: PermissionsBoundaryPolicy" (the SDK's type caught "Policy").
    ...(role.permissionsBoundary ? { PermissionsBoundary: { PermissionsBoundaryType: "PermissionsBoundaryPolicy" as const, PermissionsBoundaryArn: role.permissionsBoundary } } : {}),
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

function createRole(params: CreateRoleCommandInput, ctx: CallContext): SdkOutput<CreateRoleCommandOutput> {
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
      assumeRolePolicyDocument: checkPrincipalsExist(ctx.world, parsePolicyDocument(required(params.AssumeRolePolicyDocument, missing("assumeRolePolicyDocument")), "trust")),
      permissionsBoundary: params.PermissionsBoundary === undefined ? undefined : attachablePolicy(ctx, params.PermissionsBoundary),
      description: params.Description,
      maxSessionDuration: duration === undefined ? undefined : checkMaxSessionDuration(duration),
      tags: fromTagList(params.Tags),
    },
    ctx.sandbox.random,
    ctx.sandbox.now(),
  );
  return { Role: roleShape(role, true) };
}

function deleteRole(params: DeleteRoleCommandInput, ctx: CallContext): SdkOutput<DeleteRoleCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  if (role.managedPolicyArns.length > 0) throw new AwsError("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409);
  if (Object.keys(role.inlinePolicies).length > 0) throw new AwsError("DeleteConflict", "Cannot delete entity, must delete policies first.", 409);
  accountOf(ctx).roles.delete(role.roleName);
  return {};
}

function listRoles(params: ListRolesCommandInput, ctx: CallContext): SdkOutput<ListRolesCommandOutput> {
  const prefix = params.PathPrefix ?? "/";
  const roles = [...accountOf(ctx).roles.values()].filter((r) => r.path.startsWith(prefix)).sort((a, b) => a.roleName.localeCompare(b.roleName));
  const { items, ...rest } = page(roles, params);
  return { Roles: items.map((r) => roleShape(r, false)), ...rest };
}

function attachRolePolicy(params: AttachRolePolicyCommandInput, ctx: CallContext): SdkOutput<AttachRolePolicyCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const arn = attachablePolicy(ctx, required(params.PolicyArn, missing("policyArn")));
  if (role.managedPolicyArns.includes(arn)) return {};
  if (role.managedPolicyArns.length >= MANAGED_POLICIES_PER_ROLE) {
    throw new AwsError("LimitExceeded", `Cannot exceed quota for PoliciesPerRole: ${MANAGED_POLICIES_PER_ROLE}`, 409);
  }
  role.managedPolicyArns.push(arn);
  return {};
}

function detachRolePolicy(params: DetachRolePolicyCommandInput, ctx: CallContext): SdkOutput<DetachRolePolicyCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const arn = required(params.PolicyArn, missing("policyArn"));
  if (!role.managedPolicyArns.includes(arn)) throw new AwsError("NoSuchEntity", `Policy ${arn} was not found.`, 404);
  role.managedPolicyArns = role.managedPolicyArns.filter((a) => a !== arn);
  return {};
}

function listAttachedRolePolicies(params: ListAttachedRolePoliciesCommandInput, ctx: CallContext): SdkOutput<ListAttachedRolePoliciesCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const prefix = params.PathPrefix ?? "/";
  const attached = role.managedPolicyArns
    .map((arn) => ({ PolicyArn: arn, path: arn.slice(arn.indexOf(":policy") + 7, arn.lastIndexOf("/") + 1), PolicyName: arn.split("/").pop()! }))
    .filter((p) => p.path.startsWith(prefix))
    .map(({ PolicyArn, PolicyName }) => ({ PolicyName, PolicyArn }));
  const { items, ...rest } = page(attached, params);
  return { AttachedPolicies: items, ...rest };
}

function listRolePolicies(params: ListRolePoliciesCommandInput, ctx: CallContext): SdkOutput<ListRolePoliciesCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const { items, ...rest } = page(Object.keys(role.inlinePolicies).sort(), params);
  return { PolicyNames: items, ...rest };
}

function inlinePolicyName(name: string | undefined): string {
  const policyName = required(name, missing("policyName"));
  if (!POLICY_NAME.test(policyName)) throw validation("policyName", policyName, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  return policyName;
}

function getRolePolicy(params: GetRolePolicyCommandInput, ctx: CallContext): SdkOutput<GetRolePolicyCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const name = inlinePolicyName(params.PolicyName);
  if (!(name in role.inlinePolicies)) throw new AwsError("NoSuchEntity", `The role policy with name ${name} cannot be found.`, 404);
  return { RoleName: role.roleName, PolicyName: name, PolicyDocument: encodePolicy(role.inlinePolicies[name]) };
}

function putRolePolicy(params: PutRolePolicyCommandInput, ctx: CallContext): SdkOutput<PutRolePolicyCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const name = inlinePolicyName(params.PolicyName);
  role.inlinePolicies[name] = parsePolicyDocument(required(params.PolicyDocument, missing("policyDocument")), "identity");
  return {};
}

function deleteRolePolicy(params: DeleteRolePolicyCommandInput, ctx: CallContext): SdkOutput<DeleteRolePolicyCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const name = inlinePolicyName(params.PolicyName);
  if (!(name in role.inlinePolicies)) throw new AwsError("NoSuchEntity", `The role policy with name ${name} cannot be found.`, 404);
  delete role.inlinePolicies[name];
  return {};
}

function updateAssumeRolePolicy(params: UpdateAssumeRolePolicyCommandInput, ctx: CallContext): SdkOutput<UpdateAssumeRolePolicyCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  role.assumeRolePolicyDocument = checkPrincipalsExist(ctx.world, parsePolicyDocument(required(params.PolicyDocument, missing("policyDocument")), "trust"));
  return {};
}

function updateRole(params: UpdateRoleCommandInput, ctx: CallContext): SdkOutput<UpdateRoleCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  if (params.Description !== undefined) role.description = params.Description;
  const duration = optionalNumber(params.MaxSessionDuration);
  if (duration !== undefined) role.maxSessionDuration = checkMaxSessionDuration(duration);
  return {};
}

function updateRoleDescription(params: UpdateRoleDescriptionCommandInput, ctx: CallContext): SdkOutput<UpdateRoleDescriptionCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  role.description = required(params.Description, missing("description"));
  return { Role: roleShape(role, true) };
}

function tagRole(params: TagRoleCommandInput, ctx: CallContext): SdkOutput<TagRoleCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const tags = { ...role.tags, ...fromTagList(required(params.Tags, missing("tags"))) };
  if (Object.keys(tags).length > 50) throw new AwsError("LimitExceeded", "The number of tags has reached the maximum limit.", 409);
  role.tags = tags;
  return {};
}

function untagRole(params: UntagRoleCommandInput, ctx: CallContext): SdkOutput<UntagRoleCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  for (const key of required(params.TagKeys, missing("tagKeys"))) delete role.tags[key];
  return {};
}

function listRoleTags(params: ListRoleTagsCommandInput, ctx: CallContext): SdkOutput<ListRoleTagsCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  const { items, ...rest } = page(toTagList(role.tags), params);
  return { Tags: items, ...rest };
}

function putRolePermissionsBoundary(params: PutRolePermissionsBoundaryCommandInput, ctx: CallContext): SdkOutput<PutRolePermissionsBoundaryCommandOutput> {
  const role = roleOf(ctx, params.RoleName);
  role.permissionsBoundary = attachablePolicy(ctx, required(params.PermissionsBoundary, missing("permissionsBoundary")));
  return {};
}

function deleteRolePermissionsBoundary(params: DeleteRolePermissionsBoundaryCommandInput, ctx: CallContext): SdkOutput<DeleteRolePermissionsBoundaryCommandOutput> {
  delete roleOf(ctx, params.RoleName).permissionsBoundary;
  return {};
}

function policyShape(policy: ManagedPolicy, attachments: number) {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: policy.defaultVersionId,
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: policy.description,
    CreateDate: new Date(policy.createdAt),
    UpdateDate: new Date(policy.createdAt),
  };
}

function attachmentsOf(ctx: CallContext, arn: string): number {
  return [...accountOf(ctx).roles.values()].filter((r) => r.managedPolicyArns.includes(arn)).length;
}

/** CreatePolicy: a customer managed policy (docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html). */
function createPolicy(params: CreatePolicyCommandInput, ctx: CallContext): SdkOutput<CreatePolicyCommandOutput> {
  const name = required(params.PolicyName, missing("policyName"));
  if (!POLICY_NAME.test(name)) throw validation("policyName", name, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  const path = params.Path ?? "/";
  const arn = `arn:aws:iam::${ctx.accountId}:policy${path}${name}`;
  const account = accountOf(ctx);
  if (account.policies.has(arn)) throw new AwsError("EntityAlreadyExists", `A policy called ${name} already exists. Duplicate names are not allowed.`, 409);
  const policy: ManagedPolicy = {
    arn,
    policyName: name,
    policyId: iamUniqueId(ctx.sandbox.random, "ANPA"),
    path,
    description: params.Description,
    document: parsePolicyDocument(required(params.PolicyDocument, missing("policyDocument")), "identity"),
    defaultVersionId: "v1",
    createdAt: new Date(ctx.sandbox.now()).toISOString(),
  };
  account.policies.set(arn, policy);
  return { Policy: policyShape(policy, 0) };
}

function getPolicy(params: GetPolicyCommandInput, ctx: CallContext): SdkOutput<GetPolicyCommandOutput> {
  const arn = required(params.PolicyArn, missing("policyArn"));
  const policy = accountOf(ctx).policies.get(arn);
  if (policy) return { Policy: policyShape(policy, attachmentsOf(ctx, arn)) };
  const aws = awsManagedPolicies().get(arn);
  if (!aws) throw new AwsError("NoSuchEntity", `Policy ${arn} was not found.`, 404);
  return {
    Policy: {
      PolicyName: aws.name,
      Arn: aws.arn,
      Path: aws.arn.slice("arn:aws:iam::aws:policy".length, aws.arn.lastIndexOf("/") + 1),
      DefaultVersionId: aws.versionId,
      AttachmentCount: attachmentsOf(ctx, arn),
      IsAttachable: true,
      UpdateDate: new Date(aws.createDate),
    },
  };
}

function getPolicyVersion(params: GetPolicyVersionCommandInput, ctx: CallContext): SdkOutput<GetPolicyVersionCommandOutput> {
  const arn = required(params.PolicyArn, missing("policyArn"));
  const versionId = required(params.VersionId, missing("versionId"));
  const own = accountOf(ctx).policies.get(arn);
  const aws = awsManagedPolicies().get(arn);
  const found = own ? { document: own.document, versionId: own.defaultVersionId, createDate: own.createdAt } : aws;
  if (!found || found.versionId !== versionId) throw new AwsError("NoSuchEntity", `Policy ${arn} version ${versionId} does not exist or is not attachable.`, 404);
  return { PolicyVersion: { Document: encodePolicy(found.document), VersionId: found.versionId, IsDefaultVersion: true, CreateDate: new Date(found.createDate) } };
}

function deletePolicy(params: DeletePolicyCommandInput, ctx: CallContext): SdkOutput<DeletePolicyCommandOutput> {
  const arn = required(params.PolicyArn, missing("policyArn"));
  const account = accountOf(ctx);
  if (!account.policies.has(arn)) throw new AwsError("NoSuchEntity", `Policy ${arn} was not found.`, 404);
  if (attachmentsOf(ctx, arn) > 0) throw new AwsError("DeleteConflict", "Cannot delete a policy attached to entities.", 409);
  account.policies.delete(arn);
  return {};
}

export const iamService: ServiceDefinition = {
  name: "iam",
  protocol: "query",
  xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
  actions: {
    // API_ListInstanceProfilesForRole.html: the sandbox has no instance profiles, so every role has
    // none (terraform lists them before DeleteRole to detach them first).
    ListInstanceProfilesForRole: (params: ListInstanceProfilesForRoleCommandInput, ctx: CallContext): SdkOutput<ListInstanceProfilesForRoleCommandOutput> => {
      roleOf(ctx, params.RoleName);
      return { InstanceProfiles: [], IsTruncated: false };
    },
    GetRole: (params: GetRoleCommandInput, ctx: CallContext): SdkOutput<GetRoleCommandOutput> => ({ Role: roleShape(roleOf(ctx, params.RoleName), true) }),
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
    PutRolePermissionsBoundary: putRolePermissionsBoundary,
    DeleteRolePermissionsBoundary: deleteRolePermissionsBoundary,
    CreatePolicy: createPolicy,
    GetPolicy: getPolicy,
    GetPolicyVersion: getPolicyVersion,
    DeletePolicy: deletePolicy,
  },
};

