import { authorize } from "../../authorization/evaluate.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import type { Tags } from "../../state.js";
import { uuid } from "../shared/ids.js";
import { required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { regionalState } from "../shared/regional.js";
import { invalidPrincipal } from "../iam/principal-existence.js";

/**
 * KMS keys (awsJson1_1, target prefix TrentService): symmetric customer managed keys with their
 * key policy, rotation, description, tags, aliases and scheduled deletion — what the hub's
 * notification-topic key needs through terraform's create/read/update/delete cycle. No
 * cryptography: the sandbox never encrypts with these keys. Source: AWS KMS API Reference
 * (docs.aws.amazon.com/kms/latest/APIReference/), one page per action, cited at each handler.
 */

export interface Key {
  keyId: string;
  arn: string;
  description: string;
  policy: string;
  keyUsage: string;
  keySpec: string;
  state: "Enabled" | "Disabled" | "PendingDeletion";
  createdAt: number;
  deletionDate?: number;
  pendingWindowInDays?: number;
  rotation?: { periodInDays: number };
  multiRegion: boolean;
  tags: Tags;
}

interface Alias {
  name: string;
  targetKeyId: string;
  createdAt: number;
  updatedAt: number;
}

export const kmsState = regionalState("kms", () => ({ keys: new Map<string, Key>(), aliases: new Map<string, Alias>() }));

/** API_EnableKeyRotation.html, RotationPeriodInDays: "Valid Range: Minimum value of 90. Maximum value of 2560", default 365. */
const ROTATION_DAYS: [number, number] = [90, 2560];
const DEFAULT_ROTATION_DAYS = 365;
/** API_ScheduleKeyDeletion.html, PendingWindowInDays: 7-30, default 30. */
const PENDING_WINDOW: [number, number] = [7, 30];
/** API_CreateKey.html, Policy: "up to 32 kilobytes (32768 bytes)". */
const MAX_POLICY_BYTES = 32768;
/** API_CreateAlias.html, AliasName: "must begin with alias/ followed by … [a-zA-Z0-9/_-]"; alias/aws/ is reserved. */
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

const notFound = (what: string) => new AwsError("NotFoundException", `${what} is not found.`);
const validation = (message: string) => new AwsError("ValidationException", message);

/**
 * The default key policy (key-policy-default.html, "Default key policy"): the account's root gets
 * kms:*, so IAM policies in the account can grant access to the key.
 */
function defaultPolicy(accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Id: "key-default-1",
    Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" }],
  });
}

/**
 * API_CreateKey.html / API_PutKeyPolicy.html, Policy: "Each statement in the key policy must contain
 * one or more principals. The principals in the key policy must exist and be visible to AWS KMS."
 * A principal that does not exist is MalformedPolicyDocumentException "Policy contains a statement
 * with one or more invalid principals." (the sources: iam/principal-existence.ts). A policy that is
 * not JSON is MalformedPolicyDocumentException with an empty message: aws/aws-sdk-ruby#1784, CreateKey
 * with the policy "not a real policy statement" ("an empty string is returned as the error
 * message"; the SDK team: "If a message is added, it will be included automatically"). The lockout
 * wording is for a JSON policy that would lock the caller out, which the sandbox does not evaluate.
 */
function checkPolicy(ctx: CallContext, policy: string): string {
  if (Buffer.byteLength(policy) > MAX_POLICY_BYTES) throw new AwsError("LimitExceededException", "Policy exceeds the maximum size of 32768 bytes.");
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    throw new AwsError("MalformedPolicyDocumentException", "");
  }
  if (invalidPrincipal(ctx.world, document)) throw new AwsError("MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.");
  return policy;
}

/** KeyId may be a key id, key ARN, alias name or alias ARN (API_DescribeKey.html, KeyId). */
function keyOf(ctx: CallContext, keyId: string | undefined, allowPendingDeletion = true): Key {
  const id = required(keyId, () => validation("KeyId is required"));
  const state = kmsState.of(ctx);
  let resolved = id.startsWith("arn:") ? id.split(":").slice(5).join(":") : id;
  if (resolved.startsWith("alias/")) {
    const alias = state.aliases.get(resolved);
    if (!alias) throw notFound(`Alias arn:aws:kms:${ctx.region}:${ctx.accountId}:${resolved}`);
    resolved = alias.targetKeyId;
  }
  resolved = resolved.replace(/^key\//, "");
  const key = state.keys.get(resolved);
  if (!key) throw notFound(`Key 'arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${resolved}'`);
  if (!allowPendingDeletion && key.state === "PendingDeletion") throw new AwsError("KMSInvalidStateException", `${key.arn} is pending deletion.`);
  return key;
}

/** API_DescribeKey.html, KeyMetadata. */
function metadata(ctx: CallContext, key: Key) {
  return {
    AWSAccountId: ctx.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: new Date(key.createdAt),
    Enabled: key.state === "Enabled",
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.state,
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: key.multiRegion,
    ...(key.deletionDate !== undefined ? { DeletionDate: new Date(key.deletionDate), PendingDeletionWindowInDays: key.pendingWindowInDays } : {}),
  };
}

function tagsIn(list: { TagKey?: string; TagValue?: string }[] | undefined): Tags {
  return Object.fromEntries((list ?? []).map((t) => [t.TagKey ?? "", t.TagValue ?? ""]));
}

/** API_CreateKey.html: only symmetric ENCRYPT_DECRYPT keys are emulated; others are refused rather than half-made. */
function createKey(params: { Policy?: string; Description?: string; KeyUsage?: string; KeySpec?: string; CustomerMasterKeySpec?: string; Origin?: string; MultiRegion?: boolean; Tags?: { TagKey?: string; TagValue?: string }[] }, ctx: CallContext) {
  const keySpec = params.KeySpec ?? params.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
  const keyUsage = params.KeyUsage ?? "ENCRYPT_DECRYPT";
  if (keySpec !== "SYMMETRIC_DEFAULT" || keyUsage !== "ENCRYPT_DECRYPT") throw validation(`The sandbox emulates SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys only, not ${keySpec} ${keyUsage}.`);
  if ((params.Origin ?? "AWS_KMS") !== "AWS_KMS") throw new AwsError("UnsupportedOperationException", `Origin ${params.Origin} is not emulated.`);
  const id = params.MultiRegion ? `mrk-${uuid(ctx.sandbox.random).replace(/-/g, "")}` : uuid(ctx.sandbox.random);
  const key: Key = {
    keyId: id,
    arn: `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${id}`,
    description: params.Description ?? "",
    policy: params.Policy !== undefined ? checkPolicy(ctx, params.Policy) : defaultPolicy(ctx.accountId),
    keyUsage,
    keySpec,
    state: "Enabled",
    createdAt: ctx.sandbox.now(),
    multiRegion: params.MultiRegion ?? false,
    tags: tagsIn(params.Tags),
  };
  kmsState.of(ctx).keys.set(id, key);
  return { KeyMetadata: metadata(ctx, key) };
}

function describeKey(params: { KeyId?: string }, ctx: CallContext) {
  return { KeyMetadata: metadata(ctx, keyOf(ctx, params.KeyId)) };
}

function listKeys(params: { Limit?: number; Marker?: string }, ctx: CallContext) {
  const page = paginate([...kmsState.of(ctx).keys.values()], params.Marker, params.Limit ?? 100, () => new AwsError("InvalidMarkerException", "Invalid marker"));
  return { Keys: page.items.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: page.next !== undefined, ...(page.next ? { NextMarker: page.next } : {}) };
}

/** API_GetKeyPolicy.html: PolicyName "default" is the only one (and the default since 2023). */
function getKeyPolicy(params: { KeyId?: string; PolicyName?: string }, ctx: CallContext) {
  if ((params.PolicyName ?? "default") !== "default") throw notFound(`Policy ${params.PolicyName}`);
  return { Policy: keyOf(ctx, params.KeyId).policy, PolicyName: "default" };
}

function putKeyPolicy(params: { KeyId?: string; PolicyName?: string; Policy?: string }, ctx: CallContext) {
  if ((params.PolicyName ?? "default") !== "default") throw validation("PolicyName must be default");
  keyOf(ctx, params.KeyId, false).policy = checkPolicy(ctx, required(params.Policy, () => validation("Policy is required")));
  return {};
}

function listKeyPolicies(params: { KeyId?: string }, ctx: CallContext) {
  keyOf(ctx, params.KeyId);
  return { PolicyNames: ["default"], Truncated: false };
}

function updateKeyDescription(params: { KeyId?: string; Description?: string }, ctx: CallContext) {
  keyOf(ctx, params.KeyId, false).description = params.Description ?? "";
  return {};
}

/** API_GetKeyRotationStatus.html: RotationPeriodInDays only while rotation is on. */
function getKeyRotationStatus(params: { KeyId?: string }, ctx: CallContext) {
  const key = keyOf(ctx, params.KeyId);
  return {
    KeyId: key.arn,
    KeyRotationEnabled: key.rotation !== undefined,
    ...(key.rotation ? { RotationPeriodInDays: key.rotation.periodInDays, NextRotationDate: new Date(ctx.sandbox.now() + key.rotation.periodInDays * 86_400_000) } : {}),
  };
}

function enableKeyRotation(params: { KeyId?: string; RotationPeriodInDays?: number }, ctx: CallContext) {
  const key = keyOf(ctx, params.KeyId, false);
  const period = params.RotationPeriodInDays ?? DEFAULT_ROTATION_DAYS;
  if (!Number.isInteger(period) || period < ROTATION_DAYS[0] || period > ROTATION_DAYS[1]) {
    throw validation(`1 validation error detected: Value '${period}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between ${ROTATION_DAYS[0]} and ${ROTATION_DAYS[1]}`);
  }
  key.rotation = { periodInDays: period };
  return {};
}

function disableKeyRotation(params: { KeyId?: string }, ctx: CallContext) {
  delete keyOf(ctx, params.KeyId, false).rotation;
  return {};
}

function setEnabled(enabled: boolean) {
  return (params: { KeyId?: string }, ctx: CallContext) => {
    keyOf(ctx, params.KeyId, false).state = enabled ? "Enabled" : "Disabled";
    return {};
  };
}

/** API_ScheduleKeyDeletion.html: the key goes to PendingDeletion for 7-30 days (default 30). */
function scheduleKeyDeletion(params: { KeyId?: string; PendingWindowInDays?: number }, ctx: CallContext) {
  const key = keyOf(ctx, params.KeyId, false);
  const days = params.PendingWindowInDays ?? PENDING_WINDOW[1];
  if (!Number.isInteger(days) || days < PENDING_WINDOW[0] || days > PENDING_WINDOW[1]) throw validation(`PendingWindowInDays must be between ${PENDING_WINDOW[0]} and ${PENDING_WINDOW[1]}`);
  key.state = "PendingDeletion";
  key.pendingWindowInDays = days;
  key.deletionDate = ctx.sandbox.now() + days * 86_400_000;
  return { KeyId: key.arn, DeletionDate: new Date(key.deletionDate), KeyState: key.state, PendingWindowInDays: days };
}

function cancelKeyDeletion(params: { KeyId?: string }, ctx: CallContext) {
  const key = keyOf(ctx, params.KeyId);
  if (key.state !== "PendingDeletion") throw new AwsError("KMSInvalidStateException", `${key.arn} is not pending deletion.`);
  key.state = "Disabled";
  delete key.deletionDate;
  delete key.pendingWindowInDays;
  return { KeyId: key.arn };
}

/** API_ListResourceTags.html: [{TagKey, TagValue}]. */
function listResourceTags(params: { KeyId?: string }, ctx: CallContext) {
  const key = keyOf(ctx, params.KeyId);
  return { Tags: Object.entries(key.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })), Truncated: false };
}

function tagResource(params: { KeyId?: string; Tags?: { TagKey?: string; TagValue?: string }[] }, ctx: CallContext) {
  Object.assign(keyOf(ctx, params.KeyId, false).tags, tagsIn(params.Tags));
  return {};
}

function untagResource(params: { KeyId?: string; TagKeys?: string[] }, ctx: CallContext) {
  const key = keyOf(ctx, params.KeyId, false);
  for (const k of params.TagKeys ?? []) delete key.tags[k];
  return {};
}

/**
 * "Principals who manage aliases must have permission to call the alias operation on the alias
 * and on all affected KMS keys" ("Controlling access to aliases", docs.aws.amazon.com/kms/latest/developerguide/alias-access.html):
 * kms:CreateAlias on the alias and the key; kms:UpdateAlias on the alias, the current key and
 * the new key; kms:DeleteAlias on the alias and its key. The dispatcher authorized the alias;
 * each key is authorized here, where the key policy applies (the alias call's own
 * secure-transport facts already passed, so the key check uses the in-process facts).
 */
async function authorizeOnKey(ctx: CallContext, key: Key): Promise<void> {
  await authorize(ctx.world, { service: kmsService, action: ctx.action, params: { TargetKeyId: key.arn }, principal: ctx.principal, accountId: ctx.accountId, region: ctx.region }, { secureTransport: true, now: ctx.sandbox.now() });
}

/** API_CreateAlias.html: AlreadyExistsException for a taken name; alias/aws/ names are AWS's. */
async function createAlias(params: { AliasName?: string; TargetKeyId?: string }, ctx: CallContext) {
  const name = required(params.AliasName, () => validation("AliasName is required"));
  if (!ALIAS_NAME.test(name) || name.startsWith("alias/aws/")) throw validation(`Alias ${name} must begin with alias/ and may not begin with alias/aws/.`);
  const key = keyOf(ctx, params.TargetKeyId, false);
  await authorizeOnKey(ctx, key);
  const { aliases } = kmsState.of(ctx);
  if (aliases.has(name)) throw new AwsError("AlreadyExistsException", `An alias with the name arn:aws:kms:${ctx.region}:${ctx.accountId}:${name} already exists`);
  const now = ctx.sandbox.now();
  aliases.set(name, { name, targetKeyId: key.keyId, createdAt: now, updatedAt: now });
  return {};
}

async function updateAlias(params: { AliasName?: string; TargetKeyId?: string }, ctx: CallContext) {
  const alias = kmsState.of(ctx).aliases.get(required(params.AliasName, () => validation("AliasName is required")));
  if (!alias) throw notFound(`Alias ${params.AliasName}`);
  const next = keyOf(ctx, params.TargetKeyId, false);
  const current = kmsState.of(ctx).keys.get(alias.targetKeyId);
  if (current) await authorizeOnKey(ctx, current);
  await authorizeOnKey(ctx, next);
  alias.targetKeyId = next.keyId;
  alias.updatedAt = ctx.sandbox.now();
  return {};
}

async function deleteAlias(params: { AliasName?: string }, ctx: CallContext) {
  const name = required(params.AliasName, () => validation("AliasName is required"));
  const { aliases, keys } = kmsState.of(ctx);
  const alias = aliases.get(name);
  if (!alias) throw notFound(`Alias arn:aws:kms:${ctx.region}:${ctx.accountId}:${name}`);
  const key = keys.get(alias.targetKeyId);
  if (key) await authorizeOnKey(ctx, key);
  aliases.delete(name);
  return {};
}

/** API_ListAliases.html: optionally for one KeyId. */
function listAliases(params: { KeyId?: string; Limit?: number; Marker?: string }, ctx: CallContext) {
  const target = params.KeyId !== undefined ? keyOf(ctx, params.KeyId).keyId : undefined;
  const all = [...kmsState.of(ctx).aliases.values()].filter((a) => target === undefined || a.targetKeyId === target).sort((a, b) => a.name.localeCompare(b.name));
  const page = paginate(all, params.Marker, params.Limit ?? 100, () => new AwsError("InvalidMarkerException", "Invalid marker"));
  return {
    Aliases: page.items.map((a) => ({
      AliasName: a.name,
      AliasArn: `arn:aws:kms:${ctx.region}:${ctx.accountId}:${a.name}`,
      TargetKeyId: a.targetKeyId,
      CreationDate: new Date(a.createdAt),
      LastUpdatedDate: new Date(a.updatedAt),
    })),
    Truncated: page.next !== undefined,
    ...(page.next ? { NextMarker: page.next } : {}),
  };
}

export const kmsService: ServiceDefinition = {
  name: "kms",
  protocol: "json",
  actions: {
    CreateKey: createKey,
    DescribeKey: describeKey,
    ListKeys: listKeys,
    GetKeyPolicy: getKeyPolicy,
    PutKeyPolicy: putKeyPolicy,
    ListKeyPolicies: listKeyPolicies,
    UpdateKeyDescription: updateKeyDescription,
    GetKeyRotationStatus: getKeyRotationStatus,
    EnableKeyRotation: enableKeyRotation,
    DisableKeyRotation: disableKeyRotation,
    EnableKey: setEnabled(true),
    DisableKey: setEnabled(false),
    ScheduleKeyDeletion: scheduleKeyDeletion,
    CancelKeyDeletion: cancelKeyDeletion,
    ListResourceTags: listResourceTags,
    TagResource: tagResource,
    UntagResource: untagResource,
    CreateAlias: createAlias,
    UpdateAlias: updateAlias,
    DeleteAlias: deleteAlias,
    ListAliases: listAliases,
  },
};
