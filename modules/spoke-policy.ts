import { PROTECTED_PATHS, type ProtectedRole } from "../functions/config/protected-roles.js";
import { DATA_READ_DENY, IAM_WRITE_PATTERNS, IDENTITY_DENY } from "../functions/permissions.js";
import type { DriftguardNames } from "./names.js";

/**
 * What a spoke account grants, as plain data: the spoke role's trust and permissions and the
 * event forwarder's. Both spoke deployments render these same builders: terraform through
 * aws_iam_policy_document (policy.ts), StackSets as IAM JSON inside a CloudFormation template
 * (stackset-template.ts). No cdktf import here, so the builders are shared without a construct.
 */

/** `V` is how a value is spelled: a string, or a CloudFormation intrinsic (Fn::GetAtt) in templates. */
export interface Statement<V = string> {
  sid?: string;
  effect: "Allow" | "Deny";
  actions: string[];
  resources?: V[];
  principals?: { type: "AWS" | "Service"; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: V[] }[];
}

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

/** Role ARNs in any account for each protected name (at any path) and under each reserved path. */
export function protectedRoleArns(partition: string, roles: readonly ProtectedRole[]): string[] {
  const arn = (rest: string) => `arn:${partition}:iam::*:role/${rest}`;
  return [...roles.flatMap((r) => [arn(r.name), arn(`*/${r.name}`)]), ...PROTECTED_PATHS.map((p) => arn(`${p.slice(1)}*`))];
}

/**
 * The spoke role's inline policy: what scanning and remediation call, then explicit Denies, which
 * win over any Allow, so IAM itself refuses these even if driftguard's own invariants
 * (functions/remediation/safety/) had a bug or a template talked them round. The protected
 * roles include the spoke role itself: driftguard never widens the role it acts through.
 */
export function spokePermissions(actionList: readonly string[], partition: string, protectedRoles: readonly ProtectedRole[]): Statement[] {
  const actions = [...new Set(actionList)].sort();
  const statements: Statement[] = [
    { sid: "ScanAndRemediate", effect: "Allow", actions, resources: ["*"] },
    { sid: "NeverProtectedRoles", effect: "Deny", actions: [...IAM_WRITE_PATTERNS], resources: protectedRoleArns(partition, protectedRoles) },
    { sid: "NeverIdentitiesOrPassRole", effect: "Deny", actions: [...IDENTITY_DENY], resources: ["*"] },
    { sid: "NeverDataReads", effect: "Deny", actions: [...DATA_READ_DENY], resources: ["*"] },
  ];
  const size = JSON.stringify({ Version: "2012-10-17", Statement: statements }).length;
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
 * Delivery to the hub bus is retried for an hour, 10 attempts (EventBridge's default is 24 hours
 * and 185: a change event that old is no faster than the next scheduled scan), then the event
 * goes to the region's dead-letter queue ("Event retry policy and using dead-letter queues",
 * EventBridge User Guide), where it waits 14 days, SQS's maximum, for someone to look.
 */
export const FORWARD_RETRY = { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 10 } as const;
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 86_400;

/** The dead-letter queue's policy: EventBridge may send it this rule's undelivered events only. */
export function deadLetterPolicy<V>(queueArn: V, ruleArn: V): Statement<V>[] {
  return [
    {
      sid: "EventBridgeDeadLetters",
      effect: "Allow",
      actions: ["sqs:SendMessage"],
      resources: [queueArn],
      principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
      condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [ruleArn] }],
    },
  ];
}

/** IAM's own JSON grammar (IAM User Guide, "IAM JSON policy elements reference"), for templates. */
export function iamPolicyJson<V>(statements: Statement<V>[]): { Version: "2012-10-17"; Statement: Record<string, unknown>[] } {
  return {
    Version: "2012-10-17",
    Statement: statements.map((s) => {
      const principal = s.principals && Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers.length === 1 ? p.identifiers[0] : p.identifiers]));
      const condition = s.condition && s.condition.reduce<Record<string, Record<string, V[]>>>((all, c) => {
        (all[c.test] ??= {})[c.variable] = c.values;
        return all;
      }, {});
      return {
        ...(s.sid ? { Sid: s.sid } : {}),
        Effect: s.effect,
        ...(principal ? { Principal: principal } : {}),
        Action: s.actions,
        ...(s.resources ? { Resource: s.resources } : {}),
        ...(condition ? { Condition: condition } : {}),
      };
    }),
  };
}
