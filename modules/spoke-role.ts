import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { ProtectedRole } from "../functions/config/protected-roles.js";
import type { DriftguardNames } from "./names.js";
import { policyJson } from "./policy.js";
import { READ_ONLY_ACCESS, SPOKE_INLINE_POLICY, SPOKE_ROLE_DESCRIPTION, spokePermissions, spokeTrust } from "./spoke-policy.js";

export interface SpokeRoleProps {
  names: DriftguardNames;
  organizationId: string;
  /** Scan and remediation actions; pass spokeRoleActions() so the policy follows the code. */
  actions: readonly string[];
  /** protectedRoles(config): the same list the privilege invariants refuse to write to. */
  protectedRoles: readonly ProtectedRole[];
}

/**
 * The role the hub scanner assumes in each account. ReadOnlyAccess is attached because drift
 * detection makes CloudFormation call every resource type's describe APIs with the caller's
 * credentials; the inline policy adds what scanning and remediation call beyond reads. The
 * statements come from spoke-policy.ts, which the StackSet template renders too.
 */
export class SpokeRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: SpokeRoleProps) {
    super(scope, id);
    const { names } = props;
    const permissions = spokePermissions(props.actions, names.partition, props.protectedRoles);
    this.role = new IamRole(this, "role", {
      name: names.spokeRole,
      description: SPOKE_ROLE_DESCRIPTION,
      assumeRolePolicy: policyJson(this, "trust", spokeTrust(names, props.organizationId)),
    });
    new IamRolePolicyAttachment(this, "read-only", {
      role: this.role.name,
      policyArn: READ_ONLY_ACCESS(names.partition),
    });
    new IamRolePolicy(this, "scan-and-remediate", {
      role: this.role.id,
      name: SPOKE_INLINE_POLICY,
      policy: policyJson(this, "scan-and-remediate-document", permissions),
    });
  }
}
