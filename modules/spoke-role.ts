import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { DriftguardNames } from "./names.js";
import { policyJson } from "./policy.js";

export interface SpokeRoleProps {
  names: DriftguardNames;
  organizationId: string;
  /** Scan and remediation actions; pass spokeRoleActions() so the policy follows the code. */
  actions: readonly string[];
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
    // Remediation needs IAM writes on any role, but driftguard must never widen or rewrite the role
    // it acts through: a bug or a poisoned template would otherwise escalate its own rights.
    const iamWrites = actions.filter((a) => a.startsWith("iam:") && !/^iam:(Get|List)/.test(a));
    const statements = [
      { sid: "ScanAndRemediate", effect: "Allow", actions, resources: ["*"] },
      ...(iamWrites.length > 0 ? [{ sid: "NeverItself", effect: "Deny", actions: iamWrites, resources: [this.role.arn] }] : []),
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
