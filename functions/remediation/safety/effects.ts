import type { CanonicalRule } from "../sg-rules.js";

/**
 * What a planned write does, as data: the privilege invariants (invariants.ts) judge these,
 * never the text of a step. Every step a remediator, a guardrail or a REVERT_DRIFT change set
 * plans carries one, so the check sees what would be set (the document, the rule, the policy),
 * not only which API is called.
 */

/** The role a write targets. `path` comes from GetRole (or the role's ARN) when known. */
export interface RoleTarget {
  name: string;
  path?: string;
}

export type WriteEffect =
  /** Takes permissions away. */
  | { kind: "detach-role-policy"; role: RoleTarget; policyArn: string }
  | { kind: "delete-role-policy"; role: RoleTarget; policyName: string }
  | { kind: "revoke-rule"; groupId: string; rule: CanonicalRule }
  /**
   * Grants. `document` is the managed policy's default version when it could be read (customer
   * managed policies); AWS managed policies are judged by their ARN.
   */
  | { kind: "attach-role-policy"; role: RoleTarget; policyArn: string; document?: unknown }
  | { kind: "put-role-policy"; role: RoleTarget; policyName: string; document: unknown }
  | { kind: "update-trust-policy"; role: RoleTarget; document: unknown; previous: unknown }
  | { kind: "authorize-rule"; groupId: string; rule: CanonicalRule }
  /**
   * A new default version of a customer managed policy (CreatePolicyVersion SetAsDefault): every
   * role in `attachedTo` gets `document` in place of `previous`, the live default version.
   */
  | { kind: "set-policy-document"; policyArn: string; document: unknown; previous: unknown; attachedTo: readonly RoleTarget[] }
  /** A version that is not the default, deleted to make room (IAM keeps five): not in effect, so no access changes. */
  | { kind: "delete-policy-version"; policyArn: string; versionId: string }
  /** Neither grants nor takes away access. */
  | { kind: "update-role"; role: RoleTarget; fields: readonly string[] }
  | { kind: "tag-role"; role: RoleTarget }
  | { kind: "describe-rule"; groupId: string }
  | { kind: "tag-resource"; resource: string }
  | { kind: "bucket-setting"; bucket: string; setting: "encryption" | "public-access-block" | "versioning" }
  /** A change set created or deleted: nothing live changes until it is executed. */
  | { kind: "stage-change-set"; stackName: string }
  /** Executing a change set: the writes it would make, read from DescribeChangeSet. */
  | { kind: "execute-change-set"; stackName: string; writes: readonly WriteEffect[]; uninterpreted: readonly string[] };
