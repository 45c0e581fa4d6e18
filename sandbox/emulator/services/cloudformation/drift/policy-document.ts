import { isPlainObject } from "../template/intrinsics.js";

const LIST_ELEMENTS = ["Action", "NotAction", "Resource", "NotResource"];

function asList(value: unknown): unknown {
  return typeof value === "string" ? [value] : value;
}

function canonicalPrincipal(principal: unknown): unknown {
  if (!isPlainObject(principal)) return principal;
  return Object.fromEntries(Object.entries(principal).map(([kind, ids]) => [kind, asList(ids)]));
}

function canonicalCondition(condition: unknown): unknown {
  if (!isPlainObject(condition)) return condition;
  return Object.fromEntries(
    Object.entries(condition).map(([operator, entries]) => [
      operator,
      isPlainObject(entries)
        ? Object.fromEntries(
            Object.entries(entries).map(([key, value]) => [
              key,
              (Array.isArray(value) ? value : [value]).map((item) => (typeof item === "string" ? item : String(item))),
            ]),
          )
        : entries,
    ]),
  );
}

function canonicalStatement(statement: unknown): unknown {
  if (!isPlainObject(statement)) return statement;
  const out: Record<string, unknown> = { ...statement };
  for (const key of LIST_ELEMENTS) if (key in out) out[key] = asList(out[key]);
  if ("Principal" in out) out.Principal = canonicalPrincipal(out.Principal);
  if ("NotPrincipal" in out) out.NotPrincipal = canonicalPrincipal(out.NotPrincipal);
  if ("Condition" in out) out.Condition = canonicalCondition(out.Condition);
  return out;
}

/**
 * The form IAM treats as equivalent: a JSON string parsed, a lone Statement object wrapped in a
 * list, and single strings in Action/Resource/Principal/Condition values turned into one-element
 * lists. Order inside those lists carries no meaning; the comparison treats them as sets.
 */
export function canonicalPolicyDocument(document: unknown): unknown {
  let parsed = document;
  if (typeof document === "string") {
    try {
      parsed = JSON.parse(document);
    } catch {
      return document;
    }
  }
  if (!isPlainObject(parsed)) return parsed;
  const out: Record<string, unknown> = { ...parsed };
  if ("Statement" in out) {
    const statements = Array.isArray(out.Statement) ? out.Statement : [out.Statement];
    out.Statement = statements.map(canonicalStatement);
  }
  return out;
}
