/**
 * Drift that is not drift: the public surface. The false-positive catalogue (and the IAM
 * actions its evidence probes need), the classification that runs before the remediation
 * pipeline, and the convergence check the pipeline calls before it applies a plan.
 */
export { annotate, assessDrift, classifyDrift, resourceContext, settledRow, withExpiredIgnores, type AssessedDrift, type DriftRules } from "./assess.js";
export { describeExpired, expiredIgnoreRules, type ExpiredIgnoreRule } from "./ignore.js";
export { checkConvergence, type Convergence } from "./convergence.js";
export { comparable, equivalentAt, type ResourceContext } from "./normalise.js";
export { FALSE_POSITIVE_CLASSES, falsePositiveActions } from "./false-positives/registry.js";
