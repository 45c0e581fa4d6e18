import type { Bucket } from "../../state.js";
import { AwsError, type CallContext } from "../../protocol/types.js";

/** The bucket a call names, owned by the caller's account: what every bucket and object handler starts from. */

export type OwnedBucket = Bucket & { accountId: string };

export function noSuchBucket(): AwsError {
  return new AwsError("NoSuchBucket", "The specified bucket does not exist", 404);
}

export function bucketOf(ctx: CallContext, name: string | undefined): OwnedBucket {
  const bucket = name ? ctx.world.buckets.get(name) : undefined;
  if (!bucket) throw noSuchBucket();
  if (bucket.accountId !== ctx.accountId) throw new AwsError("AccessDenied", "Access Denied", 403);
  return bucket;
}
