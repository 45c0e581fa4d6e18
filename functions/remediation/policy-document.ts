/**
 * IAM policy documents compared by meaning rather than by text. IAM returns documents
 * URL-encoded and without the template's key order, and rewrites account ids in principals to
 * root ARNs; the template may write a one-element list as a plain string. Every list in the policy grammar (Statement, Action, Resource, Principal
 * values, condition values) is a set, so lists compare without order or duplicates.
 */

/** A document as a value: objects pass through, strings are parsed (URL-decoded first when IAM encoded them). */
export function parsePolicyDocument(doc: unknown): unknown {
  if (typeof doc !== "string") return doc;
  const text = doc.trimStart().startsWith("{") ? doc : decodeURIComponent(doc);
  return JSON.parse(text) as unknown;
}

export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(parsePolicyDocument(a), false)) === JSON.stringify(canonical(parsePolicyDocument(b), false));
}

const ROOT_ARN = /^arn:[\w-]+:iam::(\d{12}):root$/;

function canonical(value: unknown, inPrincipal: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) {
    const items = [...new Map(value.map((v) => canonical(v, inPrincipal)).map((v) => [JSON.stringify(v), v])).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v);
    return items.length === 1 ? items[0] : items;
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = canonical((value as Record<string, unknown>)[key], inPrincipal || key === "Principal" || key === "NotPrincipal");
    }
    return out;
  }
  // Condition values may be written as numbers or booleans; IAM treats them as strings.
  const text = String(value);
  return inPrincipal ? text.replace(ROOT_ARN, "$1") : text;
}
