import type { SpokeClients } from "../aws/clients.js";
import type { IgnoreRule } from "../config/schema.js";
import type { RemediationAction, ResourceDrift, ResourceReport } from "../core/types.js";
import { type Classification, classify, describeFalsePositives, expectedWithIgnored } from "./classify.js";
import { gatherEvidence } from "./evidence.js";
import type { ResourceContext } from "./normalise.js";

/**
 * Drift that is not drift, settled before the remediation pipeline sees it: each resource's
 * differences are classified (false positive / ignored / real) and only real drift goes on.
 * A resource left with no real difference is reported `in-sync` or `ignored` and never repaired.
 */

export interface DriftRules {
  ignore: readonly IgnoreRule[];
  accountId: string;
  region: string;
  stackName: string;
  now: Date;
}

export interface AssessedDrift {
  /** As CloudFormation reported it. */
  original: ResourceDrift;
  classification: Classification;
  /** What the pipeline decides on: real differences only, ignored ones taken as they are live. */
  decisionInput: ResourceDrift;
  /** Set when nothing real is left: the row's action, no repair. */
  settled?: RemediationAction;
  /** Evidence reads that failed; their differences stayed real. */
  evidenceFailures: string[];
}

export function resourceContext(rules: Pick<DriftRules, "accountId" | "region">, resourceType: string): ResourceContext {
  const partition = rules.region.startsWith("cn-") ? "aws-cn" : rules.region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return { resourceType, accountId: rules.accountId, region: rules.region, partition };
}

/** Classifies with the live evidence the classes need; the classification itself is pure. */
export async function classifyDrift(drift: ResourceDrift, rules: DriftRules, clients: SpokeClients): Promise<{ classification: Classification; evidenceFailures: string[] }> {
  const evidence = await gatherEvidence(drift, clients);
  const classification = classify({
    drift,
    ctx: resourceContext(rules, drift.resourceType),
    stackName: rules.stackName,
    now: rules.now,
    ignore: rules.ignore,
    evidence: evidence.values,
  });
  return { classification, evidenceFailures: evidence.failures };
}

function settle(drift: ResourceDrift, c: Classification): RemediationAction | undefined {
  if (drift.status !== "MODIFIED" || c.real.length > 0 || drift.differences.length === 0) return undefined;
  const fp = c.falsePositives.length > 0 ? `false positive: ${describeFalsePositives(c.falsePositives)}` : "";
  if (c.ignored.length === 0) return { outcome: "in-sync", reason: fp, steps: [] };
  const ignored = c.ignored.map((i) => `${i.propertyPath} (${i.reason}${i.until ? `, until ${i.until}` : ""})`).join("; ");
  return { outcome: "ignored", reason: `ignored by accounts.yaml: ${ignored}${fp ? `; ${fp}` : ""}`, steps: [] };
}

export async function assessDrift(drift: ResourceDrift, rules: DriftRules, clients: SpokeClients): Promise<AssessedDrift> {
  const { classification, evidenceFailures } = await classifyDrift(drift, rules, clients);
  const expected = expectedWithIgnored(drift, classification.ignored);
  const decisionInput: ResourceDrift = { ...drift, ...(expected ? { expected } : {}), differences: classification.real };
  const settled = settle(drift, classification);
  return { original: drift, classification, decisionInput, evidenceFailures, ...(settled ? { settled } : {}) };
}

/**
 * The action with a loud note when ignore rules covering its differences have expired: the
 * repair (or plan) happens because a rule stopped applying, and the row says which and how to
 * keep letting it drift.
 */
export function withExpiredIgnores(action: RemediationAction, classification: Classification): RemediationAction {
  const expired = classification.expired ?? [];
  if (expired.length === 0) return action;
  const rules = [...new Set(expired.map((e) => `${e.rule} ("${e.reason}", until ${e.until ?? "?"})`))].join("; ");
  const note = `EXPIRED ignore rule(s) no longer let ${expired.map((e) => e.propertyPath).join(", ")} drift: ${rules}; extend \`until\` in accounts.yaml to keep ignoring, or remove the rule`;
  return { ...action, reason: action.reason ? `${action.reason}; ${note}` : note };
}

/** The report row: CloudFormation's differences as reported, with what driftguard made of them. */
export function annotate(row: ResourceReport, assessed: AssessedDrift): ResourceReport {
  const { falsePositives, ignored } = assessed.classification;
  return {
    ...row,
    action: withExpiredIgnores(row.action, assessed.classification),
    differences: assessed.original.differences,
    ...(assessed.original.expected ? { expected: assessed.original.expected } : {}),
    ...(falsePositives.length > 0 ? { falsePositives } : {}),
    ...(ignored.length > 0 ? { ignored } : {}),
  };
}

export function settledRow(assessed: AssessedDrift, action: RemediationAction): ResourceReport {
  return annotate({ ...assessed.original, exemption: { kind: "none" }, action }, assessed);
}
