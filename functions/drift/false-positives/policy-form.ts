import { sortedSet } from "./sorted-set.js";
import { isPolicyDocumentPath } from "./policy-paths.js";
import { isObject, type FalsePositiveClass } from "./types.js";

/**
 * Policy documents that differ only in form: a JSON string (URL-encoded, as IAM returns it)
 * against an object, a scalar against a one-element list, statements or list items in another
 * order, `"Principal": "*"` against `{"AWS": "*"}`, condition values as numbers, and `Version`
 * written as a YAML date. IAM evaluates all of these identically (IAM User Guide, "IAM JSON policy
 * elements": Action/Resource/Principal values are "a single value or an array"; "Version ...
 * if you do not include a Version element, the value defaults to 2008-10-17").
 * Source: aws-cloudformation/cloudformation-coverage-roadmap#1322 (AWS::ApiGateway::RestApi Policy
 * reported drifted with no change) and #2188 (AWS::Events::EventBus Policy with a lone Statement
 * object reported removed).
 */

const LIST_ELEMENTS = ["Action", "NotAction", "Resource", "NotResource"] as const;
const DEFAULT_VERSION = "2008-10-17";
/** YAML 1.1 reads an unquoted 2012-10-17 as a date; converters then write it as a timestamp. */
const DATE_VERSION = /^(\d{4}-\d{2}-\d{2})T00:00:00(\.000)?Z$/;

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function parse(doc: unknown): unknown {
  if (typeof doc !== "string") return doc;
  const text = doc.trimStart().startsWith("{") ? doc : safeDecode(doc);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return doc;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function principal(value: unknown): unknown {
  if (value === "*") return { AWS: ["*"] };
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([kind, ids]) => [kind, sortedSet(asList(ids).map(String))]));
}

function condition(value: unknown): unknown {
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([operator, entries]) => [
      operator,
      isObject(entries) ? Object.fromEntries(Object.entries(entries).map(([key, v]) => [key, sortedSet(asList(v).map(String))])) : entries,
    ]),
  );
}

function statement(value: unknown): unknown {
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const key of LIST_ELEMENTS) if (key in out) out[key] = sortedSet(asList(out[key]).map(String));
  for (const key of ["Principal", "NotPrincipal"]) if (key in out) out[key] = principal(out[key]);
  if ("Condition" in out) out.Condition = condition(out.Condition);
  return out;
}

export function canonicalPolicy(doc: unknown): unknown {
  const parsed = parse(doc);
  if (!isObject(parsed)) return parsed;
  const out: Record<string, unknown> = { ...parsed };
  const version = String(out.Version ?? DEFAULT_VERSION);
  out.Version = version.replace(DATE_VERSION, "$1");
  if ("Statement" in out) out.Statement = sortedSet(asList(out.Statement).map(statement));
  return out;
}

export const policyForm: FalsePositiveClass = {
  id: "policy-form",
  summary: "policy documents that differ only in form (string vs object, scalar vs one-element list, statement order, Version)",
  roadmapIssues: [1322, 2188],
  normalise(node, at) {
    return node !== undefined && isPolicyDocumentPath(at.resourceType, at.path) ? canonicalPolicy(node) : node;
  },
};
