import type { DriftguardNames } from "./names.js";

/**
 * What a spoke account grants, as plain data: the spoke role's trust and permissions and the
 * event forwarder's. Both spoke deployments render these same builders: terraform through
 * aws_iam_policy_document (policy.ts), StackSets as IAM JSON inside a CloudFormation template
 * (stackset-template.ts). No cdktf import here, so the builders are shared without a construct.
 */

export interface Statement {
  sid?: string;
  effect: "Allow" | "Deny";
  actions: string[];
  /** Resources; `self` stands for the spoke role's own ARN, which each renderer spells its own way. */
  resources?: (string | typeof SELF)[];
  principals?: { type: "AWS" | "Service"; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/** The spoke role's own ARN, a placeholder until rendered. */
export const SELF: unique symbol = Symbol("spoke-role-arn");

/** IAM's limit on a role's inline policies, in characters without whitespace. */
export const INLINE_POLICY_LIMIT = 10_240;

export const READ_ONLY_ACCESS = (partition: string) => `arn:${partition}:iam::aws:policy/ReadOnlyAccess`;
export const SPOKE_INLINE_POLICY = "driftguard-scan-and-remediate";
export const SPOKE_ROLE_DESCRIPTION = "Assumed by the driftguard hub scanner to detect and remediate drift";
export const FORWARDER_ROLE_DESCRIPTION = "Lets EventBridge forward change events to the driftguard hub bus";
export const FORWARDER_INLINE_POLICY = "driftguard-forward-to-hub";

export function spokeTrust(names: DriftguardNames, organizationId: string): Statement[] {
  return [
    {
      sid: "HubScannerOnly",
      effect: "Allow",
      actions: ["sts:AssumeRole"],
      principals: [{ type: "AWS", identifiers: [names.scannerRoleArn] }],
      condition: [{ test: "StringEquals", variable: "aws:PrincipalOrgID", values: [organizationId] }],
    },
  ];
}

/**
 * The spoke role's inline policy. Remediation needs IAM writes on any role, but driftguard must
 * never widen or rewrite the role it acts through: a bug or a poisoned template would otherwise
 * escalate its own rights.
 */
export function spokePermissions(actionList: readonly string[]): Statement[] {
  const actions = [...new Set(actionList)].sort();
  const iamWrites = actions.filter((a) => a.startsWith("iam:") && !/^iam:(Get|List)/.test(a));
  const statements: Statement[] = [
    { sid: "ScanAndRemediate", effect: "Allow", actions, resources: ["*"] },
    ...(iamWrites.length > 0 ? [{ sid: "NeverItself", effect: "Deny" as const, actions: iamWrites, resources: [SELF as typeof SELF] }] : []),
  ];
  const size = JSON.stringify({ Version: "2012-10-17", Statement: statements.map((s) => ({ ...s, resources: s.resources?.map(String) })) }).length;
  if (size > INLINE_POLICY_LIMIT) {
    throw new Error(
      `the spoke role's inline policy would be ${size} characters, over IAM's ${INLINE_POLICY_LIMIT}; ` +
        "split it into a customer-managed policy in modules/spoke-policy.ts",
    );
  }
  return statements;
}

/**
 * A trust policy letting an AWS service assume a role. No aws:SourceAccount condition: Lambda
 * does not send it when assuming an execution role, and only principals of this account can pass
 * the role to the service anyway (iam:PassRole).
 */
export function serviceTrust(service: string): Omit<Statement, "resources"> {
  return { effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: [service] }] };
}

export function forwarderPermissions(names: DriftguardNames): Statement[] {
  return [{ sid: "PutToHubBus", effect: "Allow", actions: ["events:PutEvents"], resources: [names.hubEventBusArn] }];
}

/**
 * IAM's own JSON grammar (IAM User Guide, "IAM JSON policy elements reference"), for templates;
 * `self` is the caller's spelling of the role's ARN.
 */
export function iamPolicyJson(statements: Statement[], self: unknown = undefined): { Version: "2012-10-17"; Statement: Record<string, unknown>[] } {
  return {
    Version: "2012-10-17",
    Statement: statements.map((s) => {
      const principal = s.principals && Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers.length === 1 ? p.identifiers[0] : p.identifiers]));
      const condition = s.condition && s.condition.reduce<Record<string, Record<string, string[]>>>((all, c) => {
        (all[c.test] ??= {})[c.variable] = c.values;
        return all;
      }, {});
      return {
        ...(s.sid ? { Sid: s.sid } : {}),
        Effect: s.effect,
        ...(principal ? { Principal: principal } : {}),
        Action: s.actions,
        ...(s.resources ? { Resource: s.resources.map((r) => (r === SELF ? self : r)) } : {}),
        ...(condition ? { Condition: condition } : {}),
      };
    }),
  };
}
