import type { World } from "../../state.js";
import { AwsError } from "../../protocol/types.js";

/**
 * IAM resolves every role and user ARN in a trust policy's Principal to that entity's unique id when
 * the policy is saved, so CreateRole and UpdateAssumeRolePolicy refuse a principal that does not
 * exist yet, with MalformedPolicyDocument `Invalid principal in policy: "AWS":"<arn>"`:
 * - CreateRole: opstrace/opstrace#88 (aws-sdk createRole, quoted above with the exact message),
 *   hashicorp/terraform-provider-aws#8905 ("you get this error if the role you are referencing
 *   doesn't actually exist ... translated to the underlying unique role id").
 * - UpdateAssumeRolePolicy: databrickslabs/ucx#2269 ("when calling the UpdateAssumeRolePolicy
 *   operation: Invalid principal in policy: ...").
 * - CloudFormation's AWS::IAM::Role goes through CreateRole and fails the same way
 *   (aws-samples/aws-secure-environment-accelerator#1136), so the CFN provider needs no hook.
 * - AWS knowledge center "iam-trust-policy-error": check that the user or role was not deleted.
 * What stays accepted, as AWS accepts it: "*", account ids and account roots, service principals,
 * federated and canonical-user principals, and assumed-role session ARNs (the session name is free:
 * dev.classmethod.jp "リソースベースポリシーの Principal に存在しないプリンシパル", 2022-12-30).
 * An account outside the sandbox's world cannot be checked here, so its roles are accepted.
 * The sandbox has no IAM users, so a user ARN in a sandbox account names nobody and is refused.
 */

function asList(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function invalid(type: string, value: unknown): AwsError {
  return new AwsError("MalformedPolicyDocument", `Invalid principal in policy: "${type}":${JSON.stringify(value)}`);
}

const ACCOUNT = /^\d{12}$/;
const ROOT = /^arn:aws:iam::\d{12}:root$/;
const SESSION = /^arn:aws:sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+$/;
const ENTITY = /^arn:aws:iam::(\d{12}):(role|user)\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]+$/;

function checkAwsPrincipal(world: World, value: unknown): void {
  if (typeof value !== "string") throw invalid("AWS", value);
  if (value === "*" || ACCOUNT.test(value) || ROOT.test(value) || SESSION.test(value)) return;
  const entity = ENTITY.exec(value);
  if (!entity) throw invalid("AWS", value);
  const account = world.accounts.get(entity[1]!);
  if (!account) return;
  const exists = entity[2] === "role" && [...account.roles.values()].some((role) => role.arn === value);
  if (!exists) throw invalid("AWS", value);
}

/** Throws IAM's MalformedPolicyDocument when a trust policy's AWS principal names a role or user that does not exist. */
export function checkPrincipalsExist<T>(world: World, policy: T): T {
  for (const statement of asList((policy as { Statement?: unknown }).Statement)) {
    for (const key of ["Principal", "NotPrincipal"] as const) {
      const principal = (statement as Record<string, unknown>)[key];
      if (principal === undefined || principal === "*") continue;
      if (!principal || typeof principal !== "object") throw invalid(key, principal);
      for (const value of asList((principal as Record<string, unknown>).AWS)) checkAwsPrincipal(world, value);
    }
  }
  return policy;
}
