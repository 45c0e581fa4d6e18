import type { Config } from "../../config/schema.js";
import { matchesGlob } from "../../core/glob.js";
import { parsePolicyDocument } from "../policy-document.js";
import { type CanonicalRule, describeRule } from "../sg-rules.js";
import type { RoleTarget, WriteEffect } from "./effects.js";
import { protectedRoles, protectionOf, type ProtectedRole } from "../../config/protected-roles.js";

/**
 * The privilege invariants: what no planned write may do, whatever the template says. A
 * template is not a trusted source of privilege (anyone who can create a stack, or import an
 * existing resource into one, chooses its properties), so every step a remediator, guardrail or
 * REVERT_DRIFT change set plans is judged here before it is sent (remediation/pipeline.ts). A
 * step is refused when it would:
 * 1. write to a protected role (config/protected-roles.ts), whatever the write;
 * 2. trust a principal outside the organization: `*`, an account Organizations does not list as a
 *    member (the scan's walk; unreadable membership refuses every account not allowlisted), a
 *    federated or other non-AWS-service principal — unless listed in defaults.safety.trustedPrincipals;
 * 3. attach or put an admin-equivalent policy (AdministratorAccess, IAMFullAccess,
 *    PowerUserAccess; any statement allowing `*`, `iam:*` or iam:PassRole on `*`; NotAction on
 *    `*`) — unless allowlisted in defaults.safety.adminPolicies;
 * 4. authorize ingress from 0.0.0.0/0 or ::/0 to all ports or to a guardrails.openIngressPorts port;
 * 5. give a managed policy a document that allows anything its live default version does not
 *    (or drops one of its Deny statements), or any new document when it is attached to a protected role.
 * Steps that only take permissions away (detach, delete, revoke, a narrower document) pass rules 2-5.
 */

export interface AdminAllowance {
  /** A managed policy ARN, or the name of an inline policy. */
  policy: string;
  /** Role-name globs the policy may be granted to. */
  roles: readonly string[];
}

/**
 * The organization's members as Organizations reported them this run (the scanner's walk), or why
 * they could not be read: then no account principal outside trustedPrincipals can be trusted.
 */
export type OrganizationMembership = { accountIds: ReadonlySet<string> } | { error: string };

export interface SafetyPolicy {
  organizationId: string;
  /** Accounts whose principals may be trusted: the organization's members and trusted ids. */
  accountIds: ReadonlySet<string>;
  /** Set when the membership could not be read: trust in any other account is refused, saying why. */
  membershipError?: string;
  /** Principals (globs) trusted beyond the organization: ARNs, federated providers, service principals. */
  trustedPrincipals: readonly string[];
  adminPolicies: readonly AdminAllowance[];
  protectedRoles: readonly ProtectedRole[];
  openIngressPorts: readonly number[];
}

/**
 * `membership`: the organization's real members, read from Organizations by every path that
 * plans writes (the scan's walk, the fan-out worker's, the event path's cached walk, `apply`'s).
 * accounts.yaml is never taken as the membership: it names what to scan, not whom to trust.
 */
export function safetyPolicy(config: Config, membership: OrganizationMembership): SafetyPolicy {
  const { safety } = config.defaults;
  const ids = safety.trustedPrincipals.filter((p) => /^\d{12}$/.test(p));
  const members = "error" in membership ? [] : [...membership.accountIds];
  return {
    organizationId: config.organization.id,
    accountIds: new Set([...members, ...ids]),
    ...("error" in membership ? { membershipError: membership.error } : {}),
    trustedPrincipals: safety.trustedPrincipals,
    adminPolicies: safety.adminPolicies,
    protectedRoles: protectedRoles(config),
    openIngressPorts: config.defaults.events.guardrails.openIngressPorts,
  };
}

/** AWS managed policies that grant administrator-equivalent access by name. */
export const ADMIN_MANAGED_POLICIES = ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"] as const;
const ADMIN_ARN = new RegExp(`^arn:[\\w-]+:iam::aws:policy/(${ADMIN_MANAGED_POLICIES.join("|")})$`);

/**
 * Service principals of AWS services (`lambda.amazonaws.com`, `ec2.amazonaws.com.cn`): an AWS
 * service acting for this account, not an outside identity. Federated principals
 * (cognito-identity.amazonaws.com, OIDC and SAML providers) are outside identities and must be
 * listed.
 */
const AWS_SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;

/** The reasons a write is refused; empty when it may be sent. */
export function refusals(effect: WriteEffect, policy: SafetyPolicy): string[] {
  if (effect.kind === "execute-change-set") {
    return [
      ...effect.uninterpreted.map((what) => `would execute change set on ${effect.stackName} that changes ${what}, which cannot be checked for privilege`),
      ...effect.writes.flatMap((w) => refusals(w, policy)),
    ];
  }
  const what = describeEffect(effect);
  if ("role" in effect) {
    const protection = protectionOf(effect.role, policy.protectedRoles);
    if (protection !== undefined) return [`would ${what}: ${protection}`];
  }
  // A managed policy's new document is a write to every role it is attached to.
  if (effect.kind === "set-policy-document") {
    const protectedRoles = effect.attachedTo.flatMap((r) => protectionOf(r, policy.protectedRoles) ?? []);
    if (protectedRoles.length > 0) return protectedRoles.map((p) => `would ${what}: it is attached to a protected role: ${p}`);
  }
  return grantProblems(effect, policy).map((problem) => `would ${what}: ${problem}`);
}

function grantProblems(effect: WriteEffect, policy: SafetyPolicy): string[] {
  switch (effect.kind) {
    case "update-trust-policy":
      return newlyTrusted(effect.document, effect.previous)
        .map((p) => untrusted(p, policy))
        .filter((p): p is string => p !== undefined);
    case "attach-role-policy":
      if (allowlisted(effect.policyArn, effect.role, policy)) return [];
      if (ADMIN_ARN.test(effect.policyArn)) return [`${effect.policyArn} is administrator-equivalent`];
      if (/^arn:[\w-]+:iam::aws:policy\//.test(effect.policyArn)) return [];
      if (effect.document === undefined) return [`the document of ${effect.policyArn} could not be read, so it cannot be checked`];
      return adminStatements(effect.document);
    case "put-role-policy":
      return allowlisted(effect.policyName, effect.role, policy) ? [] : adminStatements(effect.document);
    case "authorize-rule":
      return openIngressProblem(effect.rule, policy.openIngressPorts);
    case "set-policy-document":
      return grantsBeyond(effect.document, effect.previous);
    default:
      return [];
  }
}

function roleName(role: RoleTarget): string {
  return role.name;
}

export function describeEffect(effect: WriteEffect): string {
  switch (effect.kind) {
    case "detach-role-policy":
      return `detach ${effect.policyArn} from ${roleName(effect.role)}`;
    case "delete-role-policy":
      return `delete inline policy ${effect.policyName} of ${roleName(effect.role)}`;
    case "attach-role-policy":
      return `attach ${effect.policyArn} to ${roleName(effect.role)}`;
    case "put-role-policy":
      return `put inline policy ${effect.policyName} on ${roleName(effect.role)}`;
    case "update-trust-policy":
      return `replace the trust policy of ${roleName(effect.role)}`;
    case "update-role":
      return `update ${effect.fields.join(" and ")} of ${roleName(effect.role)}`;
    case "tag-role":
      return `tag ${roleName(effect.role)}`;
    case "authorize-rule":
      return `authorize ${describeRule(effect.rule)} on ${effect.groupId}`;
    case "revoke-rule":
      return `revoke ${describeRule(effect.rule)} on ${effect.groupId}`;
    case "describe-rule":
      return `update a rule description on ${effect.groupId}`;
    case "tag-resource":
      return `tag ${effect.resource}`;
    case "bucket-setting":
      return `restore the ${effect.setting} of bucket ${effect.bucket}`;
    case "set-policy-document":
      return `make the template's document the default version of ${effect.policyArn}`;
    case "delete-policy-version":
      return `delete version ${effect.versionId} (not the default) of ${effect.policyArn}`;
    case "stage-change-set":
      return `create or delete a change set of ${effect.stackName}`;
    case "execute-change-set":
      return `execute a change set of ${effect.stackName}`;
  }
}

function allowlisted(policyId: string, role: RoleTarget, policy: SafetyPolicy): boolean {
  return policy.adminPolicies.some((a) => a.policy === policyId && a.roles.some((g) => matchesGlob(role.name, g)));
}

// ---- trust policies ----

interface TrustedPrincipal {
  type: string;
  /** Accounts as their 12-digit id, whichever form the document used (IAM stores the root ARN). */
  value: string;
  /** As the document wrote it, for the message. */
  written: string;
  /** The statement's Condition, canonical JSON; "" when none. */
  condition: string;
  negated: boolean;
}

const asList = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

function statements(document: unknown): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = parsePolicyDocument(document);
  } catch {
    return [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*", Unparseable: true }];
  }
  return asList((doc as { Statement?: unknown } | null)?.Statement).filter((s): s is Record<string, unknown> => s !== null && typeof s === "object");
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).sort().join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(String(value));
}

function trustedBy(document: unknown): TrustedPrincipal[] {
  return statements(document)
    .filter((s) => s.Effect === "Allow")
    .flatMap((s) => {
      const condition = canonicalJson(s.Condition);
      const negated = s.NotPrincipal !== undefined;
      const principal = negated ? s.NotPrincipal : s.Principal;
      if (principal === "*") return [{ type: "AWS", value: "*", written: "*", condition, negated }];
      if (principal === null || typeof principal !== "object") return [];
      return Object.entries(principal as Record<string, unknown>).flatMap(([type, values]) =>
        asList(values).map((v) => ({ type, value: rootToAccount(String(v)), written: String(v), condition, negated })),
      );
    });
}

/** IAM stores an account principal as its root ARN; both forms name the whole account. */
function rootToAccount(value: string): string {
  return /^arn:[\w-]+:iam::(\d{12}):root$/.exec(value)?.[1] ?? value;
}

const principalKey = (p: TrustedPrincipal) => `${p.negated}|${p.type}|${p.value}|${p.condition}`;

/** Principals the new document trusts that the live one did not (with the same condition). */
export function newlyTrusted(document: unknown, previous: unknown): TrustedPrincipal[] {
  const before = new Set(trustedBy(previous).map(principalKey));
  return trustedBy(document).filter((p) => !before.has(principalKey(p)));
}

function pinsOrganization(condition: string, organizationId: string): boolean {
  try {
    // canonicalJson keeps JSON syntax (lists sorted, scalars as strings), so it parses back.
    const parsed = JSON.parse(condition === "" ? "{}" : condition) as Record<string, Record<string, unknown>>;
    return Object.entries(parsed).some(
      ([op, entries]) => /^StringEquals$/i.test(op) && Object.entries(entries).some(([k, v]) => /^aws:PrincipalOrgID$/i.test(k) && asList(v).every((x) => x === organizationId)),
    );
  } catch {
    return false;
  }
}

function untrusted(p: TrustedPrincipal, policy: SafetyPolicy): string | undefined {
  const listed = policy.trustedPrincipals.some((g) => matchesGlob(p.value, g) || matchesGlob(p.written, g));
  if (p.negated) return `it would trust every principal except ${p.written} (NotPrincipal)`;
  if (listed) return undefined;
  if (p.type === "AWS") {
    if (p.value === "*") {
      return pinsOrganization(p.condition, policy.organizationId) ? undefined : "it would trust every AWS principal (*)";
    }
    const account = /^\d{12}$/.test(p.value) ? p.value : /^arn:[\w-]+:(?:iam|sts)::(\d{12}):/.exec(p.value)?.[1];
    if (account === undefined) return `it would trust ${p.written}, whose account cannot be told; list it in defaults.safety.trustedPrincipals if intended`;
    if (policy.accountIds.has(account)) return undefined;
    if (policy.membershipError !== undefined) {
      return `it would trust ${p.written}, and the organization's membership could not be read (${policy.membershipError}), so account ${account} cannot be checked; list it in defaults.safety.trustedPrincipals if intended`;
    }
    return `it would trust ${p.written}, and account ${account} is not in the organization; list it in defaults.safety.trustedPrincipals if intended`;
  }
  if (p.type === "Service" && AWS_SERVICE_PRINCIPAL.test(p.value)) return undefined;
  return `it would trust the ${p.type.toLowerCase()} principal ${p.written}, which is not in defaults.safety.trustedPrincipals`;
}

// ---- permission policies ----

const matchesAction = (pattern: string, action: string) => matchesGlob(action.toLowerCase(), pattern.toLowerCase());

/** Statements of a permission policy that amount to administrator access. */
export function adminStatements(document: unknown): string[] {
  const problems: string[] = [];
  for (const s of statements(document)) {
    if (s.Unparseable) return ["the policy document cannot be parsed, so it cannot be checked"];
    if (s.Effect !== "Allow") continue;
    const onAll = asList(s.Resource).some((r) => r === "*");
    if (!onAll) continue;
    const sid = typeof s.Sid === "string" ? ` (statement ${s.Sid})` : "";
    if (s.NotAction !== undefined) {
      problems.push(`it allows every action except ${asList(s.NotAction).join(", ")} on *${sid}`);
      continue;
    }
    const actions = asList(s.Action).map(String);
    const wide = actions.find((a) => a === "*" || matchesAction(a, "iam:*") || a.toLowerCase() === "iam:*");
    const passRole = actions.find((a) => matchesAction(a, "iam:PassRole"));
    if (wide !== undefined) problems.push(`it allows ${wide} on *${sid}`);
    else if (passRole !== undefined) problems.push(`it allows ${passRole} (iam:PassRole) on *${sid}`);
  }
  return problems;
}

// ---- security group rules ----

const ALL_PORTS: [number, number] = [0, 65535];

function openIngressProblem(rule: CanonicalRule, ports: readonly number[]): string[] {
  if (rule.direction !== "ingress") return [];
  const open = (rule.peer.kind === "cidr4" && rule.peer.cidr === "0.0.0.0/0") || (rule.peer.kind === "cidr6" && rule.peer.cidr === "::/0");
  if (!open) return [];
  const cidr = rule.peer.kind === "cidr4" || rule.peer.kind === "cidr6" ? rule.peer.cidr : "";
  if (rule.protocol === "-1") return [`it would open all traffic to the internet (${cidr})`];
  if (rule.protocol !== "tcp" && rule.protocol !== "udp") return [];
  if (rule.fromPort <= ALL_PORTS[0] && rule.toPort >= ALL_PORTS[1]) return [`it would open every ${rule.protocol} port to the internet (${cidr})`];
  const hit = ports.filter((p) => rule.fromPort <= p && p <= rule.toPort);
  return hit.length > 0 ? [`it would open port ${hit.join(", ")} to the internet (${cidr}); guardrails.openIngressPorts forbids it`] : [];
}

// ---- managed policy documents ----

/**
 * What `document` would allow that `previous` (the live default version) does not, as far as can
 * be told without evaluating requests: each Allow statement must be covered by one live Allow
 * statement — its actions and resources each matched by the live statement's (wildcards
 * included: `s3:Get*` is covered by `s3:*`), under the same Condition or none — or be the same
 * statement; and every live Deny statement must still be there. NotAction, NotResource and
 * conditions are only ever covered by the identical statement. Anything else is reported: a
 * restore that would grant is refused, whatever the template says; one that takes away passes.
 */
export function grantsBeyond(document: unknown, previous: unknown): string[] {
  const next = statements(document);
  const live = statements(previous);
  if (next.some((s) => s.Unparseable)) return ["the template's policy document cannot be parsed, so it cannot be checked"];
  if (live.some((s) => s.Unparseable)) return ["the live policy document cannot be parsed, so what the template's would add cannot be told"];
  const same = (a: Record<string, unknown>, b: Record<string, unknown>) => canonicalJson({ ...a, Sid: undefined }) === canonicalJson({ ...b, Sid: undefined });
  const problems: string[] = [];
  for (const s of next.filter((x) => x.Effect === "Allow")) {
    if (live.some((l) => l.Effect === "Allow" && (same(l, s) || covers(l, s)))) continue;
    problems.push(`it would allow ${describeStatement(s)}, which the live document does not`);
  }
  for (const d of live.filter((x) => x.Effect === "Deny")) {
    if (!next.some((s) => s.Effect === "Deny" && same(d, s))) problems.push(`it would drop the live Deny of ${describeStatement(d)}`);
  }
  return problems;
}

function describeStatement(s: Record<string, unknown>): string {
  const sid = typeof s.Sid === "string" ? ` (statement ${s.Sid})` : "";
  const actions = s.NotAction !== undefined ? `every action except ${asList(s.NotAction).join(", ")}` : asList(s.Action).join(", ");
  const resources = s.NotResource !== undefined ? `every resource except ${asList(s.NotResource).join(", ")}` : asList(s.Resource).join(", ");
  return `${actions} on ${resources}${s.Condition !== undefined ? " under a condition" : ""}${sid}`;
}

/** Whether every request `narrow` allows, `wide` allows too. */
function covers(wide: Record<string, unknown>, narrow: Record<string, unknown>): boolean {
  if ([wide, narrow].some((s) => s.NotAction !== undefined || s.NotResource !== undefined || s.Action === undefined || s.Resource === undefined)) return false;
  if (wide.Condition !== undefined && canonicalJson(wide.Condition) !== canonicalJson(narrow.Condition)) return false;
  const actions = asList(wide.Action).map(String);
  const resources = asList(wide.Resource).map(String);
  return (
    asList(narrow.Action).every((a) => actions.some((w) => patternCovers(w.toLowerCase(), String(a).toLowerCase()))) &&
    asList(narrow.Resource).every((r) => resources.some((w) => patternCovers(w, String(r))))
  );
}

/**
 * Whether the IAM wildcard pattern `wide` matches everything `narrow` matches. Reading `narrow`'s
 * own `*` and `?` as literal characters is sound when `wide` has only `*` wildcards (each of
 * `narrow`'s wildcards is then consumed by one of them); with `?` in `wide`, only the same pattern counts.
 */
function patternCovers(wide: string, narrow: string): boolean {
  if (wide.includes("?")) return wide === narrow;
  return matchesGlob(narrow, wide);
}
