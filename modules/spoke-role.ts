import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { DATA_READ_DENY, IAM_WRITE_PATTERNS, IDENTITY_DENY } from "../functions/permissions.js";
import { PROTECTED_PATHS, type ProtectedRole } from "../functions/config/protected-roles.js";
import type { DriftguardNames } from "./names.js";
import { policyJson } from "./policy.js";

export interface SpokeRoleProps {
  names: DriftguardNames;
  organizationId: string;
  /** Scan and remediation actions; pass spokeRoleActions() so the policy follows the code. */
  actions: readonly string[];
  /** protectedRoles(config): the same list the privilege invariants refuse to write to. */
  protectedRoles: readonly ProtectedRole[];
}

/** Role ARNs in any account for each protected name (at any path) and under each reserved path. */
export function protectedRoleArns(partition: string, roles: readonly ProtectedRole[]): string[] {
  const arn = (rest: string) => `arn:${partition}:iam::*:role/${rest}`;
  return [...roles.flatMap((r) => [arn(r.name), arn(`*/${r.name}`)]), ...PROTECTED_PATHS.map((p) => arn(`${p.slice(1)}*`))];
}

/** IAM's limit on a role's inline policies, in characters without whitespace. */
const INLINE_POLICY_LIMIT = 10_240;

/**
 * The role the hub scanner assumes in each account. ReadOnlyAccess is attached because drift
 * detection makes CloudFormation call every resource type's describe APIs with the caller's
 * credentials; the inline policy adds what scanning and remediation call beyond reads.
 */
export class SpokeRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: SpokeRoleProps) {
    super(scope, id);
    const { names } = props;
    this.role = new IamRole(this, "role", {
      name: names.spokeRole,
      description: "Assumed by the driftguard hub scanner to detect and remediate drift",
      assumeRolePolicy: policyJson(this, "trust", [
        {
          sid: "HubScannerOnly",
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "AWS", identifiers: [names.scannerRoleArn] }],
          condition: [{ test: "StringEquals", variable: "aws:PrincipalOrgID", values: [props.organizationId] }],
        },
      ]),
    });
    new IamRolePolicyAttachment(this, "read-only", {
      role: this.role.name,
      policyArn: `arn:${names.partition}:iam::aws:policy/ReadOnlyAccess`,
    });

    const actions = [...new Set(props.actions)].sort();
    // Explicit Denies win over any Allow, so IAM itself refuses these even if driftguard's own
    // invariants (functions/remediation/safety/) had a bug or a template talked them round.
    const statements = [
      { sid: "ScanAndRemediate", effect: "Allow", actions, resources: ["*"] },
      { sid: "NeverProtectedRoles", effect: "Deny", actions: [...IAM_WRITE_PATTERNS], resources: protectedRoleArns(names.partition, props.protectedRoles) },
      { sid: "NeverIdentitiesOrPassRole", effect: "Deny", actions: [...IDENTITY_DENY], resources: ["*"] },
      { sid: "NeverDataReads", effect: "Deny", actions: [...DATA_READ_DENY], resources: ["*"] },
    ];
    const size = JSON.stringify({ Version: "2012-10-17", Statement: statements }).length;
    if (size > INLINE_POLICY_LIMIT) {
      throw new Error(
        `the spoke role's inline policy would be ${size} characters, over IAM's ${INLINE_POLICY_LIMIT}; ` +
          "split it into a customer-managed policy in modules/spoke-role.ts",
      );
    }
    new IamRolePolicy(this, "scan-and-remediate", {
      role: this.role.id,
      name: "driftguard-scan-and-remediate",
      policy: policyJson(this, "scan-and-remediate-document", statements),
    });
  }
}
