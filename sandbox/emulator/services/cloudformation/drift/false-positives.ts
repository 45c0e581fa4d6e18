import type { CfnPropertyDifference } from "../../../state.js";
import { isPlainObject } from "../template/intrinsics.js";
import { canonicalPolicyDocument } from "./policy-document.js";
import { compareProperties, renderValue, type PropertyComparison, type PropertyShapes } from "./compare.js";

/**
 * The false positives real CloudFormation drift detection reports, reproduced on demand: a
 * scenario's `falsePositives:` lists the classes (ids of functions/drift/false-positives/) the
 * sandbox's CloudFormation shows, each as the issue thread documents it. Applied to one
 * resource's comparison after the faithful one.
 */

export interface QuirkInput {
  resourceType: string;
  accountId: string;
  region: string;
  expected: Record<string, unknown>;
  /** The template's own properties, before the provider put them in the form the service stores. */
  template: Record<string, unknown>;
  /** The live resource in template shape (readActual), before CloudFormation's view of it. */
  live: Record<string, unknown>;
  shapes: PropertyShapes;
  comparison: PropertyComparison;
}

/** The comparison CloudFormation reports, and the ExpectedProperties it shows when the class changes them. */
type QuirkResult = PropertyComparison & { expected?: Record<string, unknown> };
type Quirk = (input: QuirkInput) => QuirkResult;

/** Replaces every difference under `/property` by a comparison of the two given values. */
function recompare(input: QuirkInput, property: string, live: unknown): PropertyComparison {
  const { comparison } = input;
  const prefix = `/${property}`;
  const kept = comparison.differences.filter((d) => d.PropertyPath !== prefix && !d.PropertyPath.startsWith(`${prefix}/`));
  const again = compareProperties({ [property]: input.expected[property] }, { [property]: live }, { ...(input.shapes[property] ? { [property]: input.shapes[property] } : {}) });
  return { actual: { ...comparison.actual, [property]: again.actual[property] }, differences: [...kept, ...again.differences] };
}

const rulesOf = (bucketEncryption: unknown): Record<string, unknown>[] =>
  isPlainObject(bucketEncryption) && Array.isArray(bucketEncryption.ServerSideEncryptionConfiguration)
    ? (bucketEncryption.ServerSideEncryptionConfiguration as unknown[]).filter(isPlainObject)
    : [];

const ACCOUNT_ID = /^\d{12}$/;
const KEY_ID = /^(mrk-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/;

function withRootPrincipals(doc: unknown, partition: string): unknown {
  if (Array.isArray(doc)) return doc.map((d) => withRootPrincipals(d, partition));
  if (!isPlainObject(doc)) return doc;
  return Object.fromEntries(
    Object.entries(doc).map(([k, v]) => {
      if ((k === "Principal" || k === "NotPrincipal") && isPlainObject(v) && v.AWS !== undefined) {
        const ids = (Array.isArray(v.AWS) ? v.AWS : [v.AWS]).map((p) => (typeof p === "string" && ACCOUNT_ID.test(p) ? `arn:${partition}:iam::${p}:root` : p));
        return [k, { ...v, AWS: Array.isArray(v.AWS) ? ids : ids[0] }];
      }
      return [k, withRootPrincipals(v, partition)];
    }),
  );
}

/** What each class does in the sandbox's CloudFormation, keyed by class id. */
export const SANDBOX_FALSE_POSITIVES: Readonly<Record<string, Quirk>> = {
  // cloudformation-coverage-roadmap#2557: the service stores an account-id principal as the root ARN.
  "account-id-principal": (input) => {
    if (input.resourceType !== "AWS::IAM::Role" || input.live.AssumeRolePolicyDocument === undefined) return input.comparison;
    return recompare(input, "AssumeRolePolicyDocument", withRootPrincipals(input.live.AssumeRolePolicyDocument, "aws"));
  },
  // #2554: CloudFormation reads BucketEncryption as null when the rule carries a BlockedEncryptionTypes the template does not set.
  "bucket-encryption-remove": (input) => {
    if (input.resourceType !== "AWS::S3::Bucket" || input.expected.BucketEncryption === undefined) return input.comparison;
    const template = rulesOf(input.expected.BucketEncryption);
    const unread = rulesOf(input.live.BucketEncryption).some((r, i) => r.BlockedEncryptionTypes !== undefined && template[i]?.BlockedEncryptionTypes === undefined);
    if (!unread) return input.comparison;
    const kept = input.comparison.differences.filter((d) => !d.PropertyPath.startsWith("/BucketEncryption"));
    const { BucketEncryption: _dropped, ...actual } = input.comparison.actual;
    const removed: CfnPropertyDifference = { PropertyPath: "/BucketEncryption", ExpectedValue: renderValue(input.expected.BucketEncryption), ActualValue: "null", DifferenceType: "REMOVE" };
    return { actual, differences: [...kept, removed] };
  },
  // go-to-k/cdk-real-drift#877: ExpectedProperties keeps the template's "TCP", EC2 stores "tcp".
  "service-case": (input) => {
    if (input.resourceType !== "AWS::EC2::SecurityGroup") return input.comparison;
    let expected = input.expected;
    const differences = [...input.comparison.differences];
    for (const list of ["SecurityGroupIngress", "SecurityGroupEgress"]) {
      const written = Array.isArray(input.template[list]) ? (input.template[list] as unknown[]) : [];
      const stored = Array.isArray(expected[list]) ? (expected[list] as unknown[]) : [];
      const spelled = stored.map((rule, i) => {
        const original = (written[i] as { IpProtocol?: unknown } | undefined)?.IpProtocol;
        if (!isPlainObject(rule) || original === undefined || String(original) === String(rule.IpProtocol)) return rule;
        differences.push({ PropertyPath: `/${list}/${i}/IpProtocol`, ExpectedValue: String(original), ActualValue: String(rule.IpProtocol), DifferenceType: "NOT_EQUAL" });
        return { ...rule, IpProtocol: String(original) };
      });
      if (stored.length > 0) expected = { ...expected, [list]: spelled };
    }
    return { ...input.comparison, differences, expected };
  },
  // #1310 / #2554: a setting the template leaves out is reported with the value S3 filled in.
  "service-defaults": (input) => {
    if (input.resourceType !== "AWS::S3::Bucket" || input.comparison.actual.BucketEncryption === undefined) return input.comparison;
    const template = rulesOf(input.expected.BucketEncryption);
    const added = rulesOf(input.live.BucketEncryption).flatMap((r, i): CfnPropertyDifference[] =>
      template[i] !== undefined && template[i]!.BucketKeyEnabled === undefined && r.BucketKeyEnabled !== undefined
        ? [{ PropertyPath: `/BucketEncryption/ServerSideEncryptionConfiguration/${i}/BucketKeyEnabled`, ExpectedValue: "null", ActualValue: renderValue(r.BucketKeyEnabled), DifferenceType: "ADD" }]
        : [],
    );
    if (added.length === 0) return input.comparison;
    // ActualProperties shows the value S3 filled in.
    const liveRules = rulesOf(input.live.BucketEncryption);
    const shown = rulesOf(input.comparison.actual.BucketEncryption).map((r, i) => (liveRules[i]?.BucketKeyEnabled === undefined ? r : { ...r, BucketKeyEnabled: liveRules[i]!.BucketKeyEnabled }));
    return {
      actual: { ...input.comparison.actual, BucketEncryption: { ...(input.comparison.actual.BucketEncryption as object), ServerSideEncryptionConfiguration: shown } },
      differences: [...input.comparison.differences, ...added],
    };
  },
  // #1369: a set the service returns in its own order (IAM lists attachments by ARN), compared by position.
  "list-order": (input) => {
    const want = input.expected.ManagedPolicyArns;
    const live = input.live.ManagedPolicyArns;
    if (input.resourceType !== "AWS::IAM::Role" || !Array.isArray(want) || !Array.isArray(live)) return input.comparison;
    const sorted = [...live].map(String).sort();
    const sameSet = want.length === sorted.length && [...want].map(String).sort().every((v, i) => v === sorted[i]);
    if (!sameSet) return input.comparison;
    const positional = want.flatMap((v, i): CfnPropertyDifference[] =>
      String(v) === sorted[i] ? [] : [{ PropertyPath: `/ManagedPolicyArns/${i}`, ExpectedValue: String(v), ActualValue: sorted[i]!, DifferenceType: "NOT_EQUAL" }],
    );
    return { actual: { ...input.comparison.actual, ManagedPolicyArns: sorted }, differences: [...input.comparison.differences, ...positional] };
  },
  // #1322 / #2188: policy documents compared as written, so a re-saved document in another form differs.
  "policy-form": (input) => {
    if (input.resourceType !== "AWS::IAM::Role" || !Array.isArray(input.expected.Policies) || !Array.isArray(input.live.Policies)) return input.comparison;
    const live = new Map((input.live.Policies as unknown[]).filter(isPlainObject).map((p) => [String(p.PolicyName), p.PolicyDocument]));
    const differ = (input.expected.Policies as unknown[]).filter(isPlainObject).flatMap((p, i): CfnPropertyDifference[] => {
      const doc = live.get(String(p.PolicyName));
      // Documents that differ in meaning are reported by the faithful comparison already.
      const sameMeaning = doc !== undefined && JSON.stringify(canonicalPolicyDocument(p.PolicyDocument)) === JSON.stringify(canonicalPolicyDocument(doc));
      return sameMeaning && JSON.stringify(p.PolicyDocument) !== JSON.stringify(doc)
        ? [{ PropertyPath: `/Policies/${i}/PolicyDocument`, ExpectedValue: renderValue(p.PolicyDocument), ActualValue: renderValue(doc), DifferenceType: "NOT_EQUAL" }]
        : [];
    });
    return { ...input.comparison, differences: [...input.comparison.differences, ...differ] };
  },
  // #2233 / #2362: the key given by id is read back as its ARN.
  "kms-key-id": (input) => {
    if (input.resourceType !== "AWS::S3::Bucket") return input.comparison;
    const rules = rulesOf(input.comparison.actual.BucketEncryption);
    const differences = [...input.comparison.differences];
    const actualRules = rules.map((rule, i) => {
      const byDefault = isPlainObject(rule.ServerSideEncryptionByDefault) ? rule.ServerSideEncryptionByDefault : {};
      const key = byDefault.KMSMasterKeyID;
      if (typeof key !== "string" || !KEY_ID.test(key)) return rule;
      const arn = `arn:aws:kms:${input.region}:${input.accountId}:key/${key}`;
      differences.push({ PropertyPath: `/BucketEncryption/ServerSideEncryptionConfiguration/${i}/ServerSideEncryptionByDefault/KMSMasterKeyID`, ExpectedValue: key, ActualValue: arn, DifferenceType: "NOT_EQUAL" });
      return { ...rule, ServerSideEncryptionByDefault: { ...byDefault, KMSMasterKeyID: arn } };
    });
    if (rules.length === 0) return input.comparison;
    return { actual: { ...input.comparison.actual, BucketEncryption: { ServerSideEncryptionConfiguration: actualRules } }, differences };
  },
};

/** The comparison (and ExpectedProperties) as CloudFormation reports them with the given classes enabled. */
export function withFalsePositives(enabled: ReadonlySet<string>, input: QuirkInput): QuirkResult & { expected: Record<string, unknown> } {
  let result: QuirkResult & { expected: Record<string, unknown> } = { ...input.comparison, expected: input.expected };
  for (const [id, quirk] of Object.entries(SANDBOX_FALSE_POSITIVES)) {
    if (!enabled.has(id)) continue;
    const next = quirk({ ...input, comparison: { actual: result.actual, differences: result.differences } });
    result = { actual: next.actual, differences: next.differences, expected: next.expected ?? result.expected };
  }
  return result;
}
