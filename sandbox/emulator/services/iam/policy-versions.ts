import { awsManagedPolicies } from "../../authorization/managed-policies.js";
import type { ManagedPolicy, PolicyVersionState } from "../../state.js";
import { AwsError, type CallContext } from "../../protocol/types.js";
import { required } from "../shared/params.js";
import { accountOf, encodePolicy, missing, parsePolicyDocument } from "./service.js";

/**
 * Managed policy versions, as IAM keeps them (IAM API Reference: CreatePolicyVersion,
 * ListPolicyVersions, GetPolicyVersion, SetDefaultPolicyVersion, DeletePolicyVersion;
 * IAM User Guide, "Versioning IAM policies"):
 * - "A managed policy can have up to five versions. If the policy has five versions, you must
 *   delete an existing version using DeletePolicyVersion before you create a new version"
 *   (CreatePolicyVersion); the sixth fails with LimitExceeded, worded as IAM words it
 *   (99designs/iamy#21: "A managed policy can have up to 5 versions. Before you create a new
 *   version, you must delete an existing version.").
 * - Version ids are v1, v2, … and are not reused after a delete (the CLI's create-policy-version
 *   example answers v2 for a policy's first new version).
 * - The default version is "the version that is in effect for the IAM users, groups, and roles
 *   to which the policy is attached"; it cannot be deleted ("You cannot delete the default
 *   version from a policy using this operation", DeletePolicyVersion: DeleteConflict).
 * - CreatePolicyVersion and ListPolicyVersions answer without the Document; GetPolicyVersion
 *   returns it URL-encoded.
 * ListEntitiesForPolicy (the roles a policy is attached to) lives here too: the sandbox has no
 * IAM users or groups, so those lists are empty.
 */

const MAX_VERSIONS = 5;

/** The stored versions, oldest first; a policy never versioned has its one default version. */
function versionsOf(policy: ManagedPolicy): PolicyVersionState[] {
  policy.versions ??= [{ versionId: policy.defaultVersionId, document: policy.document, createdAt: policy.createdAt }];
  return policy.versions;
}

function customerPolicy(ctx: CallContext, arn: string | undefined): ManagedPolicy {
  const policyArn = required(arn, missing("policyArn"));
  const policy = accountOf(ctx).policies.get(policyArn);
  if (!policy) throw new AwsError("NoSuchEntity", `Policy ${policyArn} was not found.`, 404);
  return policy;
}

function noSuchVersion(arn: string, versionId: string): AwsError {
  return new AwsError("NoSuchEntity", `Policy ${arn} version ${versionId} does not exist or is not attachable.`, 404);
}

function versionShape(policy: ManagedPolicy, v: PolicyVersionState) {
  return { VersionId: v.versionId, IsDefaultVersion: v.versionId === policy.defaultVersionId, CreateDate: new Date(v.createdAt) };
}

function makeDefault(policy: ManagedPolicy, v: PolicyVersionState): void {
  policy.defaultVersionId = v.versionId;
  policy.document = v.document;
}

function createPolicyVersion(params: { PolicyArn?: string; PolicyDocument?: string; SetAsDefault?: boolean | string }, ctx: CallContext) {
  const policy = customerPolicy(ctx, params.PolicyArn);
  const document = parsePolicyDocument(required(params.PolicyDocument, missing("policyDocument")), "identity");
  const versions = versionsOf(policy);
  if (versions.length >= MAX_VERSIONS) {
    throw new AwsError("LimitExceeded", `A managed policy can have up to ${MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version.`, 409);
  }
  const last = policy.lastVersion ?? Math.max(...versions.map((v) => Number(v.versionId.slice(1)) || 1));
  const version: PolicyVersionState = { versionId: `v${last + 1}`, document, createdAt: new Date(ctx.sandbox.now()).toISOString() };
  policy.lastVersion = last + 1;
  versions.push(version);
  if (params.SetAsDefault === true || params.SetAsDefault === "true") makeDefault(policy, version);
  return { PolicyVersion: versionShape(policy, version) };
}

function listPolicyVersions(params: { PolicyArn?: string }, ctx: CallContext) {
  const policy = customerPolicy(ctx, params.PolicyArn);
  return { Versions: versionsOf(policy).map((v) => versionShape(policy, v)), IsTruncated: false };
}

function getPolicyVersion(params: { PolicyArn?: string; VersionId?: string }, ctx: CallContext) {
  const arn = required(params.PolicyArn, missing("policyArn"));
  const versionId = required(params.VersionId, missing("versionId"));
  const own = accountOf(ctx).policies.get(arn);
  if (own) {
    const v = versionsOf(own).find((x) => x.versionId === versionId);
    if (!v) throw noSuchVersion(arn, versionId);
    return { PolicyVersion: { Document: encodePolicy(v.document), ...versionShape(own, v) } };
  }
  // AWS managed policies: the sandbox keeps their default version only.
  const aws = awsManagedPolicies().get(arn);
  if (!aws || aws.versionId !== versionId) throw noSuchVersion(arn, versionId);
  return { PolicyVersion: { Document: encodePolicy(aws.document), VersionId: aws.versionId, IsDefaultVersion: true, CreateDate: new Date(aws.createDate) } };
}

function setDefaultPolicyVersion(params: { PolicyArn?: string; VersionId?: string }, ctx: CallContext) {
  const policy = customerPolicy(ctx, params.PolicyArn);
  const versionId = required(params.VersionId, missing("versionId"));
  const v = versionsOf(policy).find((x) => x.versionId === versionId);
  if (!v) throw noSuchVersion(policy.arn, versionId);
  makeDefault(policy, v);
  return {};
}

function deletePolicyVersion(params: { PolicyArn?: string; VersionId?: string }, ctx: CallContext) {
  const policy = customerPolicy(ctx, params.PolicyArn);
  const versionId = required(params.VersionId, missing("versionId"));
  const versions = versionsOf(policy);
  const index = versions.findIndex((x) => x.versionId === versionId);
  if (index < 0) throw noSuchVersion(policy.arn, versionId);
  if (versionId === policy.defaultVersionId) throw new AwsError("DeleteConflict", "Cannot delete the default version of a policy.", 409);
  versions.splice(index, 1);
  return {};
}

function listEntitiesForPolicy(params: { PolicyArn?: string; EntityFilter?: string }, ctx: CallContext) {
  const arn = required(params.PolicyArn, missing("policyArn"));
  if (!accountOf(ctx).policies.has(arn) && !awsManagedPolicies().has(arn)) throw new AwsError("NoSuchEntity", `Policy ${arn} was not found.`, 404);
  const roles = params.EntityFilter === undefined || params.EntityFilter === "Role" ? [...accountOf(ctx).roles.values()].filter((r) => r.managedPolicyArns.includes(arn)) : [];
  return { PolicyRoles: roles.map((r) => ({ RoleName: r.roleName, RoleId: r.roleId })), PolicyUsers: [], PolicyGroups: [], IsTruncated: false };
}

export const policyVersionActions = {
  CreatePolicyVersion: createPolicyVersion,
  ListPolicyVersions: listPolicyVersions,
  GetPolicyVersion: getPolicyVersion,
  SetDefaultPolicyVersion: setDefaultPolicyVersion,
  DeletePolicyVersion: deletePolicyVersion,
  ListEntitiesForPolicy: listEntitiesForPolicy,
};
