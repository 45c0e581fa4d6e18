import { AwsError, type CallContext } from "../../protocol/types.js";
import { regionOf, type AccountState } from "../../state.js";

/**
 * Per-account, per-region state of the services the deployment adds (CloudWatch Logs, EventBridge,
 * KMS, SQS, Lambda, Step Functions). Each service declares its state's shape and initial value
 * once; the world only carries an opaque slot per signing name, so adding a service touches no
 * shared type.
 */

export interface RegionalState<T> {
  /** The state of the caller's account and region, created on first use. */
  of(ctx: Pick<CallContext, "world" | "accountId" | "region">): T;
  /** The state of any account and region (cross-account delivery, in-process inspection). */
  at(account: AccountState, region: string): T;
}

export function regionalState<T>(service: string, init: () => T): RegionalState<T> {
  const at = (account: AccountState, region: string): T => {
    const r = regionOf(account, region);
    const slots = (r.services ??= {});
    return (slots[service] ??= init()) as T;
  };
  return {
    at,
    of(ctx) {
      const account = ctx.world.accounts.get(ctx.accountId);
      // Each service answers an unknown caller its own way before this; this is the backstop.
      if (!account) throw new AwsError("UnrecognizedClientException", `Account ${ctx.accountId} is not part of the sandbox organization`, 403);
      return at(account, ctx.region);
    },
  };
}
