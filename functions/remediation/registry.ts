import { ec2SecurityGroupRemediator } from "./remediators/ec2-security-group.js";
import { securityGroupEgressRemediator, securityGroupIngressRemediator } from "./remediators/ec2-security-group-rule.js";
import { iamManagedPolicyRemediator } from "./remediators/iam-managed-policy.js";
import { iamRolePolicyRemediator } from "./remediators/iam-role-policy.js";
import { iamRoleRemediator } from "./remediators/iam-role.js";
import { s3BucketRemediator } from "./remediators/s3-bucket.js";
import type { Remediator } from "./types.js";

/** The table of property-level remediators: adding a type is one file and one line here. */
export const REMEDIATORS: readonly Remediator[] = [
  iamRoleRemediator,
  ec2SecurityGroupRemediator,
  s3BucketRemediator,
  // Attachment resources (AWS::IAM::Policy is not drift-checked by CloudFormation, so has none).
  securityGroupIngressRemediator,
  securityGroupEgressRemediator,
  iamRolePolicyRemediator,
  iamManagedPolicyRemediator,
];

export function remediatorFor(resourceType: string): Remediator | undefined {
  return REMEDIATORS.find((r) => r.resourceType === resourceType);
}
