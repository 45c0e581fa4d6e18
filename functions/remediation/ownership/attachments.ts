import { type CanonicalRule, type Direction, ruleFromTemplate } from "../sg-rules.js";
import type { Attachment, AttachmentOrigin } from "./owned.js";

/**
 * The attachment resources of one stack's template, with their targets and contents resolved
 * as far as the stack's own data allows: Ref to a parameter (its current value) or to a
 * resource (its physical id), Fn::GetAtt of a group's GroupId or a role's Arn, Fn::ImportValue
 * (the account-region's exports), Fn::Sub and Fn::Join over those, and pseudo parameters.
 * Anything else stays unresolved, and the planners treat what it might own as owned (fail closed).
 */

export const ATTACHMENT_TYPES = [
  "AWS::EC2::SecurityGroupIngress",
  "AWS::EC2::SecurityGroupEgress",
  "AWS::IAM::Policy",
  "AWS::IAM::ManagedPolicy",
  "AWS::IAM::RolePolicy",
] as const;

export interface StackScope {
  stackName: string;
  accountId: string;
  region: string;
  partition: string;
  parameters: Readonly<Record<string, string>>;
  /** Logical id → physical id and type (ListStackResources). */
  resources: ReadonlyMap<string, { physicalId: string; type: string }>;
  /** Export name → value (ListExports). */
  exports: ReadonlyMap<string, string>;
}

type Resources = Record<string, { Type?: unknown; Properties?: Record<string, unknown> }>;

const PSEUDO = (scope: StackScope): Record<string, string> => ({
  "AWS::AccountId": scope.accountId,
  "AWS::Region": scope.region,
  "AWS::Partition": scope.partition,
  "AWS::StackName": scope.stackName,
  "AWS::URLSuffix": scope.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com",
});

function ref(name: string, scope: StackScope): string | undefined {
  return PSEUDO(scope)[name] ?? scope.parameters[name] ?? scope.resources.get(name)?.physicalId;
}

/** Fn::GetAtt of the attributes an attachment names its target by. */
function getAtt(logicalId: string, attribute: string, scope: StackScope): string | undefined {
  const resource = scope.resources.get(logicalId);
  if (!resource) return undefined;
  if (resource.type === "AWS::EC2::SecurityGroup" && attribute === "GroupId") return resource.physicalId;
  if (resource.type === "AWS::IAM::Role" && attribute === "Arn") return `arn:${scope.partition}:iam::${scope.accountId}:role/${resource.physicalId}`;
  if (resource.type === "AWS::IAM::ManagedPolicy" && (attribute === "PolicyArn" || attribute === "Arn")) return resource.physicalId;
  return undefined;
}

/** The value as a string, or undefined when it depends on something driftguard cannot evaluate. */
export function resolveValue(value: unknown, scope: StackScope): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) return undefined;
  const [fn, arg] = entries[0] as [string, unknown];
  switch (fn) {
    case "Ref":
      return typeof arg === "string" ? ref(arg, scope) : undefined;
    case "Fn::GetAtt": {
      const [id, attr] = Array.isArray(arg) ? arg : typeof arg === "string" ? arg.split(/\.(.*)/s) : [];
      return typeof id === "string" && typeof attr === "string" ? getAtt(id, attr, scope) : undefined;
    }
    case "Fn::ImportValue": {
      const name = resolveValue(arg, scope);
      return name === undefined ? undefined : scope.exports.get(name);
    }
    case "Fn::Join": {
      if (!Array.isArray(arg) || typeof arg[0] !== "string" || !Array.isArray(arg[1])) return undefined;
      const parts = (arg[1] as unknown[]).map((p) => resolveValue(p, scope));
      return parts.every((p) => p !== undefined) ? parts.join(arg[0]) : undefined;
    }
    case "Fn::Sub": {
      const [text, vars] = typeof arg === "string" ? [arg, {}] : Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [undefined, {}];
      if (typeof text !== "string") return undefined;
      let unresolved = false;
      const out = text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
        const local = (vars as Record<string, unknown>)[name];
        const dot = name.indexOf(".");
        const v = local !== undefined ? resolveValue(local, scope) : dot > 0 ? getAtt(name.slice(0, dot), name.slice(dot + 1), scope) : ref(name, scope);
        if (v === undefined) unresolved = true;
        return v ?? "";
      });
      return unresolved ? undefined : out.replace(/\$\{!/g, "${");
    }
    default:
      return undefined;
  }
}

/** A whole JSON value (a policy document) with every intrinsic in it resolved, or undefined when one cannot be. */
export function resolveDeep(value: unknown, scope: StackScope): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => resolveDeep(v, scope));
    return items.some((v) => v === undefined) ? undefined : items;
  }
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && (entries[0]![0] === "Ref" || entries[0]![0].startsWith("Fn::"))) return resolveValue(value, scope);
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    const resolved = resolveDeep(v, scope);
    if (resolved === undefined) return undefined;
    out[key] = resolved;
  }
  return out;
}

function list(value: unknown, scope: StackScope): (string | undefined)[] {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  // A whole-list intrinsic (Fn::Split, a CommaDelimitedList parameter) is one unknown target.
  return value === undefined ? [] : [undefined];
}

/** A role named by name or by ARN (`arn:…:role/path/name`). */
function roleName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.startsWith("arn:") ? value.slice(value.lastIndexOf("/") + 1) : value;
}

/** Rule fields resolved, or undefined when one the rule depends on is not. */
function ruleOf(direction: Direction, properties: Record<string, unknown>, scope: StackScope): CanonicalRule | undefined {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (key === "GroupId" || key === "GroupName") continue;
    const v = resolveValue(value, scope);
    if (v === undefined) return undefined;
    resolved[key] = v;
  }
  const rule = ruleFromTemplate(direction, resolved);
  return "unsupported" in rule ? undefined : rule;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function attachmentsOf(template: unknown, scope: StackScope): Attachment[] {
  const resources = ((template as { Resources?: Resources } | null)?.Resources ?? {}) as Resources;
  const out: Attachment[] = [];
  for (const [logicalId, declaration] of Object.entries(resources)) {
    const type = typeof declaration?.Type === "string" ? declaration.Type : "";
    if (!(ATTACHMENT_TYPES as readonly string[]).includes(type)) continue;
    const properties = declaration.Properties ?? {};
    const origin: AttachmentOrigin = { stackName: scope.stackName, logicalId, resourceType: type };
    switch (type) {
      case "AWS::EC2::SecurityGroupIngress":
      case "AWS::EC2::SecurityGroupEgress": {
        const direction = type.endsWith("Ingress") ? "ingress" : "egress";
        // Egress rules name the group by id only; ingress may name a default-VPC group by name.
        const group = resolveValue(properties.GroupId ?? properties.GroupName, scope);
        const rule = ruleOf(direction, properties, scope);
        out.push({ kind: "sg-rule", origin, ...(group !== undefined ? { group } : {}), ...(rule ? { rule } : {}) });
        break;
      }
      case "AWS::IAM::Policy":
      case "AWS::IAM::RolePolicy": {
        const policyName = resolveValue(properties.PolicyName, scope);
        const document = typeof properties.PolicyDocument === "string" ? parsedJson(properties.PolicyDocument) : resolveDeep(properties.PolicyDocument, scope);
        const roles = type === "AWS::IAM::RolePolicy" ? [resolveValue(properties.RoleName, scope)] : list(properties.Roles, scope);
        for (const role of roles.map(roleName)) out.push({
            kind: "inline-policy",
            origin,
            ...(role !== undefined ? { role } : {}),
            ...(policyName !== undefined ? { policyName } : {}),
            ...(document !== undefined ? { document } : {}),
          });
        break;
      }
      case "AWS::IAM::ManagedPolicy": {
        // Its physical id is the policy ARN (Ref returns the ARN).
        const policyArn = scope.resources.get(logicalId)?.physicalId;
        for (const role of list(properties.Roles, scope).map(roleName)) {
          out.push({ kind: "managed-policy", origin, ...(role !== undefined ? { role } : {}), ...(policyArn !== undefined ? { policyArn } : {}) });
        }
        break;
      }
    }
  }
  return out;
}
