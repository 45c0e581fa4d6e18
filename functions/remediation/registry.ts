import { ec2SecurityGroupRemediator } from "./remediators/ec2-security-group.js";
import { iamRoleRemediator } from "./remediators/iam-role.js";
import { s3BucketRemediator } from "./remediators/s3-bucket.js";
import type { Remediator } from "./types.js";

/** The table of property-level remediators: adding a type is one file and one line here. */
export const REMEDIATORS: readonly Remediator[] = [iamRoleRemediator, ec2SecurityGroupRemediator, s3BucketRemediator];

export function remediatorFor(resourceType: string): Remediator | undefined {
  return REMEDIATORS.find((r) => r.resourceType === resourceType);
}
