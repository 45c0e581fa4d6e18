import type { ResourceDrift } from "../core/types.js";
import { parsePolicyDocument } from "./policy-document.js";
import { ruleFromTemplate, ruleKey, type CanonicalRule } from "./sg-rules.js";

/**
 * Is this drift a privilege grant made out of band? These are the classes the privilege
 * invariants protect, and a revert of them only takes privilege away, so it is always done:
 * the flapping guard, an unreadable guard state and the blast-radius budget do not hold it back
 * (a member-account user must not be able to switch the revert off by flapping the resource or
 * spending the run's budget). Pure: it reads the drift's expected (template) and actual (live)
 * properties only, and only the direction "actual grants more than expected" counts — a revert
 * that would grant (the template is more open than the live resource) is not critical.
 *
 * Classes:
 * - admin-policy: an admin-equivalent managed policy attached (AdministratorAccess, IAMFullAccess:
 *   "provides full access to IAM", so it can attach anything) or an inline/managed policy document
 *   gaining an Allow of `*` / `iam:*` (or NotAction) on Resource `*`.
 *   Source: AWS managed policies reference, "AdministratorAccess", "IAMFullAccess"
 *   (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html).
 * - trust-widened: the role's trust policy allows a principal the template does not (or `*`).
 * - world-open-ingress: an ingress rule from 0.0.0.0/0 or ::/0 that the template does not have.
 * - encryption-weakened: the bucket's default encryption removed, downgraded
 *   (aws:kms:dsse > aws:kms > AES256) or moved to another KMS key.
 * - public-access-weakened: a public access block flag the template sets to true is not true.
 */

export type CriticalClass = "admin-policy" | "trust-widened" | "world-open-ingress" | "encryption-weakened" | "public-access-weakened";

export interface CriticalFinding {
  class: CriticalClass;
  /** What was granted, for the report: "attached arn:aws:iam::aws:policy/AdministratorAccess". */
  detail: string;
}

/** AWS managed policies that are admin or can make themselves admin; matched in any partition. */
const ADMIN_EQUIVALENT_POLICY = /^arn:aws[\w-]*:iam::aws:policy\/(AdministratorAccess|IAMFullAccess)$/;
const WORLD = new Set(["0.0.0.0/0", "::/0"]);
const PAB_FLAGS = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] as const;
/** S3 default encryption strength; S3 documents DSSE-KMS as two layers of KMS encryption. */
const SSE_STRENGTH: Readonly<Record<string, number>> = { "aws:kms:dsse": 3, "aws:kms": 2, AES256: 1 };

type Props = Record<string, unknown>;

export function securityCritical(drift: Pick<ResourceDrift, "resourceType" | "status" | "expected" | "actual">): CriticalFinding[] {
  if (drift.status !== "MODIFIED" || drift.actual === undefined) return [];
  const expected = drift.expected ?? {};
  const actual = drift.actual;
  const findings: CriticalFinding[] = [];
  try {
    findings.push(...adminPolicies(expected, actual));
    if (drift.resourceType === "AWS::IAM::Role") findings.push(...trustWidened(expected, actual));
    if (drift.resourceType === "AWS::EC2::SecurityGroup") findings.push(...worldOpen(expected.SecurityGroupIngress, actual.SecurityGroupIngress));
    // The attachment resource (one rule per resource) has the same properties as one inline rule.
    if (drift.resourceType === "AWS::EC2::SecurityGroupIngress") findings.push(...worldOpen([expected], [actual]));
    if (drift.resourceType === "AWS::S3::Bucket") findings.push(...encryptionWeakened(expected, actual), ...publicAccessWeakened(expected, actual));
  } catch {
    // A document that cannot be read cannot be cleared of granting admin: treat it as critical.
    findings.push({ class: "admin-policy", detail: "a policy document that could not be parsed" });
  }
  return findings;
}

export function describeCritical(findings: readonly CriticalFinding[]): string {
  return findings.map((f) => `${f.class} (${f.detail})`).join(", ");
}

const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const strings = (v: unknown): string[] => list(v).map(String);

function adminPolicies(expected: Props, actual: Props): CriticalFinding[] {
  const had = new Set(strings(expected.ManagedPolicyArns));
  const attached = strings(actual.ManagedPolicyArns).filter((arn) => !had.has(arn) && ADMIN_EQUIVALENT_POLICY.test(arn));
  const findings: CriticalFinding[] = attached.map((arn) => ({ class: "admin-policy", detail: `attached ${arn}` }));

  // Inline policies (Role/User/Group `Policies`) and the policy resources' own `PolicyDocument`.
  const documents = (props: Props) => [...list(props.Policies).map((p) => (p as Props | null)?.PolicyDocument), ...(props.PolicyDocument === undefined ? [] : [props.PolicyDocument])];
  const before = new Set(documents(expected).flatMap(adminStatements));
  for (const statement of documents(actual).flatMap(adminStatements)) {
    if (!before.has(statement)) findings.push({ class: "admin-policy", detail: `policy statement ${statement}` });
  }
  return findings;
}

/** Allow statements on Resource "*" whose actions are everything, all of IAM, or NotAction. */
function adminStatements(document: unknown): string[] {
  if (document === undefined || document === null) return [];
  const doc = parsePolicyDocument(document) as Props;
  return list(doc.Statement)
    .map((s) => s as Props)
    .filter((s) => s.Effect === "Allow" && strings(s.Resource).includes("*"))
    .filter((s) => s.NotAction !== undefined || strings(s.Action).some((a) => a === "*" || a === "*:*" || a.toLowerCase() === "iam:*"))
    .map((s) => JSON.stringify({ Action: s.Action, NotAction: s.NotAction, Resource: s.Resource }));
}

/** "AWS:123456789012" and "AWS:arn:aws:iam::123456789012:root" are the same principal. */
function principals(document: unknown): Set<string> {
  const out = new Set<string>();
  if (document === undefined || document === null) return out;
  const doc = parsePolicyDocument(document) as Props;
  for (const statement of list(doc.Statement).map((s) => s as Props)) {
    if (statement.Effect !== "Allow") continue;
    const principal = statement.Principal;
    if (principal === "*") out.add("*");
    else if (typeof principal === "object" && principal !== null) {
      for (const [kind, values] of Object.entries(principal as Props)) {
        for (const v of strings(values)) out.add(v === "*" ? "*" : `${kind}:${v.replace(/^arn:[\w-]+:iam::(\d{12}):root$/, "$1")}`);
      }
    }
  }
  return out;
}

function trustWidened(expected: Props, actual: Props): CriticalFinding[] {
  if (actual.AssumeRolePolicyDocument === undefined) return [];
  const allowed = principals(expected.AssumeRolePolicyDocument);
  return [...principals(actual.AssumeRolePolicyDocument)]
    .filter((p) => !allowed.has(p))
    .map((p) => ({ class: "trust-widened", detail: `trust policy allows ${p === "*" ? "everyone (*)" : p}` }));
}

function worldOpen(expected: unknown, actual: unknown): CriticalFinding[] {
  const rules = (entries: unknown): CanonicalRule[] =>
    list(entries).flatMap((e) => {
      const rule = ruleFromTemplate("ingress", (e ?? {}) as Props);
      return "unsupported" in rule ? [] : [rule];
    });
  const had = new Set(rules(expected).map(ruleKey));
  return rules(actual)
    .filter((r) => (r.peer.kind === "cidr4" || r.peer.kind === "cidr6") && WORLD.has(r.peer.cidr) && !had.has(ruleKey(r)))
    .map((r) => ({
      class: "world-open-ingress",
      detail: `${r.protocol === "-1" ? "all traffic" : `${r.protocol} ${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`}`} from ${(r.peer as { cidr: string }).cidr}`,
    }));
}

function defaultEncryption(props: Props): { algorithm: string; key: string } | undefined {
  const config = (props.BucketEncryption as Props | undefined)?.ServerSideEncryptionConfiguration;
  const rule = list(config)[0] as Props | undefined;
  const byDefault = rule?.ServerSideEncryptionByDefault as Props | undefined;
  if (byDefault?.SSEAlgorithm === undefined) return undefined;
  return { algorithm: String(byDefault.SSEAlgorithm), key: String(byDefault.KMSMasterKeyID ?? "") };
}

function encryptionWeakened(expected: Props, actual: Props): CriticalFinding[] {
  const want = defaultEncryption(expected);
  if (want === undefined) return [];
  const have = defaultEncryption(actual);
  if (have === undefined) return [{ class: "encryption-weakened", detail: `default encryption ${want.algorithm} removed` }];
  if ((SSE_STRENGTH[have.algorithm] ?? 0) < (SSE_STRENGTH[want.algorithm] ?? 0)) {
    return [{ class: "encryption-weakened", detail: `default encryption downgraded from ${want.algorithm} to ${have.algorithm}` }];
  }
  if (want.key !== "" && have.key !== want.key) return [{ class: "encryption-weakened", detail: `default encryption moved from KMS key ${want.key} to ${have.key || "the AWS managed key"}` }];
  return [];
}

function publicAccessWeakened(expected: Props, actual: Props): CriticalFinding[] {
  const want = (expected.PublicAccessBlockConfiguration ?? {}) as Props;
  const have = (actual.PublicAccessBlockConfiguration ?? {}) as Props;
  const on = (v: unknown) => v === true || v === "true";
  return PAB_FLAGS.filter((flag) => on(want[flag]) && !on(have[flag])).map((flag) => ({ class: "public-access-weakened", detail: `${flag} turned off` }));
}
