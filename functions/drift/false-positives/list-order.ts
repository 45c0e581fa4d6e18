import { matchesPattern } from "../pointer.js";
import { sortedSet } from "./sorted-set.js";
import { pattern, type FalsePositiveClass } from "./types.js";

/**
 * Lists the service keeps as sets and returns in its own order, compared by position. Only lists
 * whose order AWS documents as meaningless are sorted; an ordered list (a CloudFront cache
 * behaviour list, a NACL) keeps its order.
 */
const UNORDERED: Readonly<Record<string, readonly (readonly string[])[]>> = {
  // IAM ListAttachedRolePolicies has no order; EC2 rules are a set (EC2 User Guide, "Security group rules").
  "AWS::IAM::Role": [pattern("ManagedPolicyArns")],
  "AWS::IAM::User": [pattern("ManagedPolicyArns")],
  "AWS::IAM::Group": [pattern("ManagedPolicyArns")],
  "AWS::EC2::SecurityGroup": [pattern("SecurityGroupIngress"), pattern("SecurityGroupEgress")],
  // cloudformation-coverage-roadmap#1369: origins listed in another order than the template's.
  "AWS::CloudFront::Distribution": [pattern("DistributionConfig/Origins")],
};

/** Tags are a set on every taggable type (Tagging AWS Resources, "tag keys are unique"). */
const TAGS = pattern("Tags");

export const listOrder: FalsePositiveClass = {
  id: "list-order",
  summary: "a set the service returns in another order, compared position by position",
  roadmapIssues: [1369],
  normalise(node, at) {
    if (!Array.isArray(node)) return node;
    const unordered = matchesPattern(TAGS, at.path) || (UNORDERED[at.resourceType] ?? []).some((p) => matchesPattern(p, at.path));
    return unordered ? sortedSet(node) : node;
  },
};
