/**
 * EventBridge's event-pattern matching, for the operators driftguard's rules use, so a test can
 * run a synthesized pattern against recorded CloudTrail events instead of trusting its shape.
 * Follows "Amazon EventBridge event patterns" and "Content filtering in Amazon EventBridge event
 * patterns" (docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 * eb-event-patterns-content-based-filtering.html):
 * - fields of a pattern are ANDed, the values of one field's array are ORed;
 * - a pattern object descends into the event's object of the same name;
 * - an event array matches when any of its elements matches;
 * - `{"exists": false}` matches only when the field is absent, `{"exists": true}` when it is
 *   present; exists works on leaf nodes only;
 * - `{"prefix": "..."}` matches string values that start with it.
 * Any other operator throws, so a pattern using one cannot pass a test by accident.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Matcher = Json;

const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

function leafMatches(matcher: Matcher, present: boolean, value: Json | undefined): boolean {
  if (!isObject(matcher)) {
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => v === matcher);
  }
  const [operator, ...rest] = Object.keys(matcher);
  if (operator === undefined || rest.length > 0) throw new Error(`event pattern: a matcher object has exactly one operator, got ${JSON.stringify(matcher)}`);
  const operand = matcher[operator];
  switch (operator) {
    case "exists":
      if (typeof operand !== "boolean") throw new Error(`event pattern: exists takes true or false, got ${JSON.stringify(operand)}`);
      if (present && isObject(value)) throw new Error("event pattern: exists matching works on leaf nodes only");
      return operand === present;
    case "prefix": {
      if (typeof operand !== "string") throw new Error(`event pattern: prefix takes a string, got ${JSON.stringify(operand)}`);
      const values = Array.isArray(value) ? value : [value];
      return present && values.some((v) => typeof v === "string" && v.startsWith(operand));
    }
    default:
      throw new Error(`event pattern: operator ${operator} is not emulated`);
  }
}

function objectMatches(pattern: Record<string, Json>, event: Record<string, Json>): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const present = Object.hasOwn(event, key);
    const value = present ? event[key] : undefined;
    if (Array.isArray(sub)) {
      if (sub.length === 0) throw new Error(`event pattern: ${key} has an empty list, which EventBridge rejects`);
      return sub.some((m) => leafMatches(m, present, value));
    }
    if (isObject(sub)) return isObject(value) && objectMatches(sub, value);
    throw new Error(`event pattern: ${key} must be a list of matchers or an object, got ${JSON.stringify(sub)}`);
  });
}

/** Whether EventBridge would deliver `event` to a rule with `pattern`. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error("event pattern: must be a JSON object");
  return isObject(event) && objectMatches(pattern, event);
}
