import type { CfnPropertyDifference } from "../../../state.js";
import { isPlainObject } from "../template/intrinsics.js";
import { canonicalPolicyDocument } from "./policy-document.js";

/**
 * How a property is compared, where plain structural comparison would be wrong.
 * - `set`: an unordered list (security group rules, managed policy ARNs, tags). With `key`,
 *   items are paired by that field and then compared field by field; with `onlyExpectedKeys`,
 *   live items whose key the template never mentions are not drift (tags added out of band).
 * - `list`: an ordered list, compared position by position.
 * - `object`: a structure whose fields have their own rules.
 * - `policy`: an IAM policy document, compared as IAM canonicalizes it.
 * Properties without a shape are compared structurally: objects field by field over the
 * template's fields only, lists by position, scalars by their string form ("80" equals 80).
 */
export type PropertyShape =
  | { kind: "set"; key?: string; onlyExpectedKeys?: boolean; item?: PropertyShape }
  | { kind: "list"; item?: PropertyShape }
  | { kind: "object"; fields: Record<string, PropertyShape> }
  | { kind: "policy" };

export type PropertyShapes = Record<string, PropertyShape>;

export interface PropertyComparison {
  /** The live properties CloudFormation reports: the template's properties only, tags it doesn't manage left out. */
  actual: Record<string, unknown>;
  differences: CfnPropertyDifference[];
}

/**
 * In `strict` mode (inside policy documents) every field counts and lists are unordered; in
 * `template` mode only what the template sets counts, as in CloudFormation drift detection.
 */
type Mode = "template" | "strict";

const POLICY_SHAPE: PropertyShape = { kind: "object", fields: { Statement: { kind: "list" } } };

/** Compares a resource's expected (template) properties with its live properties. */
export function compareProperties(
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  shapes: PropertyShapes,
): PropertyComparison {
  const differences: CfnPropertyDifference[] = [];
  const view = compareObject(expected, actual, shapes, "", "template", differences);
  return { actual: view, differences };
}

/** A PropertyDifferences value: strings as they are, everything else as JSON, absence as "null". */
export function renderValue(value: unknown): string {
  if (value === undefined) return "null";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function removed(path: string, expected: unknown): CfnPropertyDifference {
  return { PropertyPath: path, ExpectedValue: renderValue(expected), ActualValue: "null", DifferenceType: "REMOVE" };
}

function added(path: string, actual: unknown): CfnPropertyDifference {
  return { PropertyPath: path, ExpectedValue: "null", ActualValue: renderValue(actual), DifferenceType: "ADD" };
}

function notEqual(path: string, expected: unknown, actual: unknown): CfnPropertyDifference {
  return { PropertyPath: path, ExpectedValue: renderValue(expected), ActualValue: renderValue(actual), DifferenceType: "NOT_EQUAL" };
}

/** Records the differences between two present values under `path` and returns the live value to report. */
function compareValue(
  expected: unknown,
  actual: unknown,
  shape: PropertyShape | undefined,
  path: string,
  mode: Mode,
  out: CfnPropertyDifference[],
): unknown {
  if (shape?.kind === "policy") {
    compareValue(canonicalPolicyDocument(expected), canonicalPolicyDocument(actual), POLICY_SHAPE, path, "strict", out);
    return actual;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push(notEqual(path, expected, actual));
      return actual;
    }
    const asSet = shape?.kind === "set" || (shape === undefined && mode === "strict");
    if (asSet) return compareSet(expected, actual, shape?.kind === "set" ? shape : { kind: "set" }, path, mode, out);
    return compareList(expected, actual, shape?.kind === "list" ? shape.item : undefined, path, mode, out);
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) {
      out.push(notEqual(path, expected, actual));
      return actual;
    }
    return compareObject(expected, actual, shape?.kind === "object" ? shape.fields : {}, path, mode, out);
  }
  if (isPlainObject(actual) || Array.isArray(actual) || String(expected) !== String(actual)) {
    out.push(notEqual(path, expected, actual));
  }
  return actual;
}

function compareObject(
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  fields: Record<string, PropertyShape>,
  path: string,
  mode: Mode,
  out: CfnPropertyDifference[],
): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(expected)) {
    if (actual[name] === undefined) out.push(removed(`${path}/${name}`, value));
    else view[name] = compareValue(value, actual[name], fields[name], `${path}/${name}`, mode, out);
  }
  if (mode === "strict") {
    for (const [name, value] of Object.entries(actual)) {
      if (!(name in expected)) {
        out.push(notEqual(`${path}/${name}`, undefined, value));
        view[name] = value;
      }
    }
  }
  return view;
}

function compareList(
  expected: unknown[],
  actual: unknown[],
  item: PropertyShape | undefined,
  path: string,
  mode: Mode,
  out: CfnPropertyDifference[],
): unknown[] {
  const length = Math.max(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    if (i >= actual.length) out.push(removed(`${path}/${i}`, expected[i]));
    else if (i >= expected.length) out.push(added(`${path}/${i}`, actual[i]));
    else compareValue(expected[i], actual[i], item, `${path}/${i}`, mode, out);
  }
  return actual;
}

function matches(expected: unknown, actual: unknown, item: PropertyShape | undefined, mode: Mode): boolean {
  const probe: CfnPropertyDifference[] = [];
  compareValue(expected, actual, item, "", mode, probe);
  return probe.length === 0;
}

/**
 * An unordered list: each template item is paired with a live item (by key, or by being equal);
 * template items left unpaired were REMOVEd, live items left unpaired were ADDed. Paths index the
 * expected list for removals and the reported live list for additions, as CloudFormation does.
 */
function compareSet(
  expected: unknown[],
  actual: unknown[],
  shape: Extract<PropertyShape, { kind: "set" }>,
  path: string,
  mode: Mode,
  out: CfnPropertyDifference[],
): unknown[] {
  const keyOf = (value: unknown): unknown => (shape.key && isPlainObject(value) ? value[shape.key] : undefined);
  const expectedKeys = new Set(expected.map(keyOf).map(String));
  const live = shape.key && shape.onlyExpectedKeys ? actual.filter((value) => expectedKeys.has(String(keyOf(value)))) : actual;
  const paired = new Set<number>();
  expected.forEach((value, i) => {
    const j = live.findIndex((candidate, index) =>
      !paired.has(index) && (shape.key ? String(keyOf(candidate)) === String(keyOf(value)) : matches(value, candidate, shape.item, mode)),
    );
    if (j < 0) {
      out.push(removed(`${path}/${i}`, value));
      return;
    }
    paired.add(j);
    if (shape.key) compareValue(value, live[j], shape.item, `${path}/${i}`, mode, out);
  });
  live.forEach((value, j) => {
    if (!paired.has(j)) out.push(added(`${path}/${j}`, value));
  });
  return live;
}
