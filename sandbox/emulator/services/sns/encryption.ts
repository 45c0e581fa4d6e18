import { authorize } from "../../authorization/evaluate.js";
import { AwsError, type CallContext } from "../../protocol/types.js";
import type { Principal, Topic, World } from "../../state.js";
import { kmsService, kmsState } from "../kms/service.js";
import { servicePolicyAllows, type ServiceAssumption } from "../shared/service-trust.js";

/**
 * Server-side encryption of a topic (KmsMasterKeyId): SNS encrypts each published message with a
 * data key of the topic's KMS key, on the publisher's behalf, so "the publisher must have the
 * kms:GenerateDataKey* and kms:Decrypt permissions for the AWS KMS key" ("Managing Amazon SNS
 * encryption keys and costs" / "Configuring AWS KMS permissions", Amazon SNS Developer Guide,
 * sns-key-management.html). An AWS service publishing as itself (a CloudWatch alarm action) needs
 * the key policy to allow its service principal, as the same page's "Enable compatibility between
 * event sources from AWS services and encrypted topics" says — IAM policies cannot grant a service.
 * Publish's errors for a key it cannot use (API_Publish.html, Errors): KMSAccessDenied,
 * KMSDisabled, KMSInvalidState, KMSNotFound (400 each). No cryptography: the message is kept as
 * it was sent, as for every other sandbox encryption setting.
 */

/** Who is publishing: a caller with credentials, or an AWS service principal acting for a resource. */
export type Publisher = { principal: Principal } | { service: ServiceAssumption };

/** The AWS managed key of SNS: its key policy (not modelled) lets the account's SNS callers use it through SNS. */
const AWS_MANAGED_ALIAS = "alias/aws/sns";
/** Both actions SNS performs with the key for one Publish ("kms:GenerateDataKey*" covers GenerateDataKey). */
const KEY_ACTIONS = ["GenerateDataKey", "Decrypt"] as const;

/** The topic's key as KMS would resolve KmsMasterKeyId (key id, key ARN, alias name or alias ARN) in the topic's account and region. */
function topicKey(world: World, topic: Topic): { arn: string; accountId: string; region: string; state: string; policy: string } | "aws-managed" | undefined {
  const id = topic.attributes.KmsMasterKeyId;
  if (!id) return undefined;
  const [, , , topicRegion, topicAccount] = topic.arn.split(":");
  const arn = /^arn:aws[\w-]*:kms:([^:]+):(\d{12}):(.+)$/.exec(id);
  const region = arn?.[1] ?? topicRegion!;
  const accountId = arn?.[2] ?? topicAccount!;
  let resource = arn?.[3] ?? id;
  if (resource === AWS_MANAGED_ALIAS) return "aws-managed";
  const account = world.accounts.get(accountId);
  const state = account ? kmsState.at(account, region) : undefined;
  if (resource.startsWith("alias/")) resource = `key/${state?.aliases.get(resource)?.targetKeyId ?? "-"}`;
  const key = state?.keys.get(resource.replace(/^key\//, ""));
  if (!key) throw new AwsError("KMSNotFound", `Invalid keyId ${id} (Service: AWSKMS; Status Code: 400; Error Code: NotFoundException)`, 400);
  return { arn: key.arn, accountId, region, state: key.state, policy: key.policy };
}

/** Throws Publish's KMS error unless `publisher` may use the topic's key; a topic without a key passes. */
export async function checkPublisherKey(ctx: Pick<CallContext, "world" | "sandbox">, topic: Topic, publisher: Publisher): Promise<void> {
  const key = topicKey(ctx.world, topic);
  if (key === undefined || key === "aws-managed") return;
  if (key.state === "Disabled") throw new AwsError("KMSDisabled", `${key.arn} is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException)`, 400);
  if (key.state !== "Enabled") throw new AwsError("KMSInvalidState", `${key.arn} is pending deletion. (Service: AWSKMS; Status Code: 400; Error Code: KMSInvalidStateException)`, 400);
  for (const action of KEY_ACTIONS) {
    if ("service" in publisher) {
      if (!servicePolicyAllows(JSON.parse(key.policy), `kms:${action}`, publisher.service)) {
        throw new AwsError("KMSAccessDenied", `The service ${publisher.service.service} is not authorized to perform: kms:${action} on resource: ${key.arn} because no key policy statement allows it (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)`, 400);
      }
      continue;
    }
    try {
      await authorize(ctx.world, { service: kmsService, action, params: { KeyId: key.arn }, principal: publisher.principal, accountId: key.accountId, region: key.region }, { secureTransport: true, now: ctx.sandbox.now() });
    } catch (err) {
      if (err instanceof AwsError) throw new AwsError("KMSAccessDenied", `${err.message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)`, 400);
      throw err;
    }
  }
}
