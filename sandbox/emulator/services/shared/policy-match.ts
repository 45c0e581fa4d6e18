/**
 * The two pieces every hand-evaluated policy in the sandbox needs (trust policies, service trust,
 * Lambda resource policies): a policy element that may be one value or a list, and IAM's `*` / `?`
 * wildcards ("IAM JSON policy elements: Condition operators", StringLike / ArnLike:
 * docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 * `ignoreCase` where a caller compares without case (the trust-policy evaluator, as before).
 */

export function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function wildcardMatch(pattern: string, value: string, opts: { ignoreCase?: boolean } = {}): boolean {
  const source = `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`;
  return new RegExp(source, opts.ignoreCase ? "i" : "").test(value);
}
