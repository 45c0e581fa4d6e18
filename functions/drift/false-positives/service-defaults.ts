import { matchesPattern } from "../pointer.js";
import { isObject, pattern, type FalsePositiveClass } from "./types.js";

/**
 * Settings the template leaves out and the service fills in with its default, which drift
 * detection then reports as a difference. A missing value is read as the default on both sides;
 * a value set explicitly is never touched, so "false" against "true" still counts.
 */
interface DefaultRule {
  resourceType: string;
  path: readonly string[];
  value: unknown;
  /** Where the default is documented. */
  source: string;
}

const RULES: readonly DefaultRule[] = [
  {
    resourceType: "AWS::S3::Bucket",
    path: pattern("BucketEncryption/ServerSideEncryptionConfiguration/*/BucketKeyEnabled"),
    value: false,
    // GetBucketEncryption returns "BucketKeyEnabled": false for a rule that never set it (the
    // payload in cloudformation-coverage-roadmap#2554; S3 API Reference, ServerSideEncryptionRule).
    source: "cloudformation-coverage-roadmap#2554",
  },
  // IAM API Reference, CreateRole: Path "defaults to a slash (/)"; MaxSessionDuration "the default is one hour" (3600).
  { resourceType: "AWS::IAM::Role", path: pattern("Path"), value: "/", source: "IAM API Reference, CreateRole" },
  { resourceType: "AWS::IAM::Role", path: pattern("MaxSessionDuration"), value: 3600, source: "IAM API Reference, CreateRole" },
];

const rulesFor = (resourceType: string): readonly DefaultRule[] => RULES.filter((r) => r.resourceType === resourceType);

export const serviceDefaults: FalsePositiveClass = {
  id: "service-defaults",
  summary: "a setting the template leaves out, filled in by the service with its default",
  // cloudformation-coverage-roadmap#1310: RDS fills an option's default OptionSettings, reported as drift.
  roadmapIssues: [1310, 2554],
  normalise(node, at) {
    const rules = rulesFor(at.resourceType);
    if (rules.length === 0) return node;
    if (node === undefined) return rules.find((r) => matchesPattern(r.path, at.path))?.value;
    if (!isObject(node)) return node;
    const filled = { ...node };
    for (const rule of rules) {
      const field = rule.path.at(-1) as string;
      if (filled[field] === undefined && matchesPattern(rule.path, [...at.path, field])) filled[field] = rule.value;
    }
    return filled;
  },
};
