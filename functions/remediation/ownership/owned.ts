import type { PropertyDifference } from "../../core/types.js";
import { type CanonicalRule, describeRule, ruleFromTemplate, ruleKey } from "../sg-rules.js";

/**
 * Attachment resources own state on another resource: AWS::EC2::SecurityGroupIngress/Egress
 * add rules to a group, AWS::IAM::Policy / AWS::IAM::RolePolicy put inline policies on roles and
 * AWS::IAM::ManagedPolicy (Roles) attaches itself. CloudFormation user guide, "Detect unmanaged
 * configuration changes to stacks and resources with drift detection", Considerations: "the
 * AWS::EC2::SecurityGroupIngress and AWS::EC2::SecurityGroupEgress resources may be used to
 * attach and remove values from AWS::EC2::SecurityGroup resources. In these cases,
 * CloudFormation analyses the stack template for attachments before performing the drift
 * comparison. However, CloudFormation cannot perform this analysis across stacks, and so may not
 * return accurate drift results where resources that are attached reside in different stacks."
 * (awsdocs/aws-cloudformation-user-guide, doc_source/using-cfn-stack-drift.md). So a repair of
 * a group or a role must never remove what an attachment owns, and an attachment in another
 * stack shows up as drift that is not drift.
 */

export interface AttachmentOrigin {
  stackName: string;
  logicalId: string;
  resourceType: string;
}

/** `undefined` fields could not be resolved from the template (an intrinsic driftguard cannot evaluate). */
export type Attachment =
  /** `document`: the template's PolicyDocument with its intrinsics resolved. */
  | { kind: "inline-policy"; origin: AttachmentOrigin; role?: string; policyName?: string; document?: unknown }
  | { kind: "managed-policy"; origin: AttachmentOrigin; role?: string; policyArn?: string }
  | { kind: "sg-rule"; origin: AttachmentOrigin; group?: string; rule?: CanonicalRule };

/** The attachments that (may) target one physical resource. */
export interface Owned {
  attachments: readonly Attachment[];
}

export const NOTHING_OWNED: Owned = { attachments: [] };

export function describeAttachment(a: Attachment): string {
  const where = `${a.origin.resourceType} ${a.origin.logicalId} in stack ${a.origin.stackName}`;
  switch (a.kind) {
    case "inline-policy":
      return `inline policy ${a.policyName ?? "(name unresolved)"} from ${where}`;
    case "managed-policy":
      return `${a.policyArn ?? "a managed policy (ARN unresolved)"} from ${where}`;
    case "sg-rule":
      return `${a.rule ? describeRule(a.rule) : "a rule (unresolved)"} from ${where}`;
  }
}

/** An owned item whose content could not be resolved: removing anything of its kind would be a guess. */
export function unresolvedContent(owned: Owned, kind: Attachment["kind"]): Attachment | undefined {
  return owned.attachments.find(
    (a) =>
      a.kind === kind &&
      ((a.kind === "inline-policy" && a.policyName === undefined) ||
        (a.kind === "managed-policy" && a.policyArn === undefined) ||
        (a.kind === "sg-rule" && a.rule === undefined)),
  );
}

export function ownedPolicyNames(owned: Owned): Map<string, Attachment> {
  const out = new Map<string, Attachment>();
  for (const a of owned.attachments) if (a.kind === "inline-policy" && a.policyName !== undefined) out.set(a.policyName, a);
  return out;
}

export function ownedPolicyArns(owned: Owned): Map<string, Attachment> {
  const out = new Map<string, Attachment>();
  for (const a of owned.attachments) if (a.kind === "managed-policy" && a.policyArn !== undefined) out.set(a.policyArn, a);
  return out;
}

export function ownedRules(owned: Owned): Map<string, Attachment & { kind: "sg-rule"; rule: CanonicalRule }> {
  const out = new Map<string, Attachment & { kind: "sg-rule"; rule: CanonicalRule }>();
  for (const a of owned.attachments) if (a.kind === "sg-rule" && a.rule !== undefined) out.set(ruleKey(a.rule), a as Attachment & { kind: "sg-rule"; rule: CanonicalRule });
  return out;
}

function parsedValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Whether a drift difference is an item an attachment owns: an added rule, managed policy or
 * inline policy (PropertyDifferences ADD of a whole list item, whose ActualValue is the item as
 * JSON, or the string for ARNs) that an attachment resource put there.
 */
export function explainedByAttachments(difference: PropertyDifference, owned: Owned): boolean {
  if (difference.differenceType !== "ADD" || owned.attachments.length === 0) return false;
  const [property, index, ...rest] = difference.propertyPath.split("/").filter((p) => p !== "");
  if (index === undefined || rest.length > 0 || !/^\d+$/.test(index)) return false;
  const value = parsedValue(difference.actualValue);
  switch (property) {
    case "SecurityGroupIngress":
    case "SecurityGroupEgress": {
      if (value === null || typeof value !== "object") return false;
      const rule = ruleFromTemplate(property === "SecurityGroupIngress" ? "ingress" : "egress", value as Record<string, unknown>);
      return !("unsupported" in rule) && ownedRules(owned).has(ruleKey(rule));
    }
    case "ManagedPolicyArns":
      return typeof value === "string" && ownedPolicyArns(owned).has(value);
    case "Policies": {
      const name = (value as { PolicyName?: unknown } | null)?.PolicyName;
      return typeof name === "string" && ownedPolicyNames(owned).has(name);
    }
    default:
      return false;
  }
}
