import type { World } from "../../state.js";
import { AwsError } from "../../protocol/types.js";
import { asList } from "../shared/policy-match.js";

/**
 * IAM resolves every role and user ARN in a policy's Principal to that entity's unique id when the
 * policy is saved, so a principal that does not exist is refused, by IAM for trust policies and by
 * the services that keep resource policies (S3 bucket policies, KMS key policies, SNS topic policies,
 * SQS queue policies, Lambda function policies) for theirs, each with its own error:
 * - IAM CreateRole: opstrace/opstrace#88 (aws-sdk createRole: MalformedPolicyDocument
 *   `Invalid principal in policy: "AWS":"<arn>"`), hashicorp/terraform-provider-aws#8905 ("you get
 *   this error if the role you are referencing doesn't actually exist ... translated to the
 *   underlying unique role id"); UpdateAssumeRolePolicy: databrickslabs/ucx#2269. CloudFormation's
 *   AWS::IAM::Role goes through CreateRole and fails the same way
 *   (aws-samples/aws-secure-environment-accelerator#1136).
 * - S3 PutBucketPolicy: MalformedPolicy "Invalid principal in policy", 400
 *   (cloud-custodian/cloud-custodian#4948 and aws-samples/aws-modern-application-workshop#89, botocore:
 *   "An error occurred (MalformedPolicy) when calling the PutBucketPolicy operation: Invalid principal
 *   in policy"; aws-samples/aws-batch-architecture-for-alphafold#1: "(Service: Amazon S3; Status
 *   Code: 400; Error Code: MalformedPolicy …)"); AWS knowledge center
 *   "s3-invalid-principal-in-policy-error": "If the Principal is an AWS Identity and Access
 *   Management (IAM) user or role, then confirm that the user or role wasn't deleted."
 * - KMS CreateKey / PutKeyPolicy: MalformedPolicyDocumentException "Policy contains a statement with
 *   one or more invalid principals." (awslabs/minimum-viable-dataspace-on-aws#6, CreateKey naming a
 *   role `Admin` the account lacks; LBHackney-IT/Data-Platform#2238, PutKeyPolicy "updating policy";
 *   lightspin-tech/eks-creation-engine#4, a service-linked role a new account does not have yet).
 * - SNS SetTopicAttributes Policy / CreateTopic Attributes.Policy: InvalidParameter "Invalid parameter:
 *   Policy Error: PrincipalNotFound", 400 (hashicorp/terraform#14179: "When specifying an IAM principal
 *   in a resource policy, AWS checks that the principal exists. If it doesn't, the API returns a
 *   PrincipalNotFound error", a role that does not exist; hashicorp/terraform-provider-aws#26041: the
 *   roots of two accounts that do not exist, "Error setting SNS Topic Invalid parameter: Policy Error:
 *   PrincipalNotFound").
 * - SQS SetQueueAttributes / CreateQueue Policy: InvalidAttributeValue "Invalid value for the parameter
 *   Policy.", 400 (aws/aws-cdk#15602, AWS::SQS::QueuePolicy naming a role ARN and an account;
 *   hashicorp/terraform-provider-aws#42209 quotes the wire answer
 *   {"__type":"com.amazonaws.sqs#InvalidAttributeValue","message":"Invalid value for the parameter Policy."}).
 * - Lambda AddPermission: InvalidParameterValueException "The provided principal was invalid. Please
 *   check the principal and try again.", 400 (dev.to, "Resolving 'provided principal was invalid' for
 *   AWS::Lambda::Permission", 2023: the role named as Principal had been deleted; tecracer.com,
 *   "Cross Account Resource Access - Invalid Principal in Policy", 2021-01). Lambda checks the whole
 *   resulting policy, so a statement already there that names a deleted role fails the next
 *   AddPermission too (aws-cloudformation/cloudformation-coverage-roadmap#1189: "it actually shows
 *   the same message if the currently existing Lambda Function Permissions are invalid").
 * - EventBridge PutPermission is the exception: it accepts an account that does not exist.
 *   hashicorp/terraform-provider-aws internal/service/events/permission_test.go, run against real
 *   AWS, grants 111111111111 and 222222222222 — the accounts SNS answered PrincipalNotFound for in
 *   #26041 — and expects the statement to be there. No public source shows EventBridge refusing a
 *   role ARN either, so the sandbox checks nothing there (events/service.ts putPermission).
 * - AWS knowledge center "iam-trust-policy-error": check that the user or role was not deleted.
 *
 * Accounts: an account id or account root is checked too. dev.classmethod.jp, "AWS IAM の信頼関係の
 * プリンシパルに AWS アカウントを指定した際に作成や更新ができない場合の対処" (2024-01-14, subtitle "本仕様を
 * 利用して AWS アカウント ID の存在確認が行えます" — this behaviour tells whether an account id exists):
 * CreateRole answers `Invalid principal in policy: "AWS":"123456789012"`, UpdateAssumeRolePolicy
 * `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:root"` and the S3 console's bucket
 * policy "Invalid principal in policy" for an account that does not exist. Any account that exists
 * is accepted, in the organization or not (reference_policies_elements_principal.html, "AWS account
 * principals": cross-account access names "the 12-digit identifier of the trusted account").
 * The accounts that exist are the world's (World.accounts) and the accounts a scenario declares outside
 * the organization (World.accountsOutsideOrganization: their id and root only, since their roles are
 * unknown); any other account does not exist for the sandbox and its principals are refused.
 *
 * What stays accepted, as AWS accepts it: "*", service principals, federated and canonical-user
 * principals, and assumed-role session ARNs of an existing account (the session name is free:
 * dev.classmethod.jp "リソースベースポリシーの Principal に存在しないプリンシパル", 2022-12-30).
 * The sandbox has no IAM users, so a user ARN names nobody and is refused.
 */

/** The first principal a policy names that AWS would refuse: its type key and value. */
export interface InvalidPrincipal {
  type: string;
  value: unknown;
}

const ACCOUNT = /^(\d{12})$/;
const ROOT = /^arn:aws:iam::(\d{12}):root$/;
const SESSION = /^arn:aws:sts::(\d{12}):assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+$/;
const ENTITY = /^arn:aws:iam::(\d{12}):(role|user)\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]+$/;

function awsPrincipalExists(world: World, value: unknown): boolean {
  if (typeof value !== "string") return false;
  if (value === "*") return true;
  const accountWide = ACCOUNT.exec(value) ?? ROOT.exec(value) ?? SESSION.exec(value);
  if (accountWide) return world.accounts.has(accountWide[1]!) || world.accountsOutsideOrganization?.has(accountWide[1]!) === true;
  const entity = ENTITY.exec(value);
  const account = entity ? world.accounts.get(entity[1]!) : undefined;
  return entity?.[2] === "role" && account !== undefined && [...account.roles.values()].some((role) => role.arn === value);
}

/** The first Principal / NotPrincipal value naming an AWS principal that does not exist, if any. */
export function invalidPrincipal(world: World, policy: unknown): InvalidPrincipal | undefined {
  for (const statement of asList((policy as { Statement?: unknown } | undefined)?.Statement)) {
    for (const key of ["Principal", "NotPrincipal"] as const) {
      const principal = (statement as Record<string, unknown> | undefined)?.[key];
      if (principal === undefined || principal === "*") continue;
      if (!principal || typeof principal !== "object") return { type: key, value: principal };
      const bad = asList((principal as Record<string, unknown>).AWS).find((value) => !awsPrincipalExists(world, value));
      if (bad !== undefined) return { type: "AWS", value: bad };
    }
  }
  return undefined;
}

/** Throws IAM's MalformedPolicyDocument when a trust policy's AWS principal names a role, user or account that does not exist. */
export function checkPrincipalsExist<T>(world: World, policy: T): T {
  const bad = invalidPrincipal(world, policy);
  if (bad) throw new AwsError("MalformedPolicyDocument", `Invalid principal in policy: "${bad.type}":${JSON.stringify(bad.value)}`);
  return policy;
}
