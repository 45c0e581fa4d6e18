import type { PropertyDifference } from "../core/types.js";

/** "ManagedPolicyArns" for "/ManagedPolicyArns/1": the template property a difference is about. */
export function topLevelProperty(propertyPath: string): string {
  return propertyPath.split("/").find((p) => p !== "") ?? "";
}

const MAX_VALUE = 120;

function clip(value: string): string {
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 1)}…` : value;
}

function describeOne(d: PropertyDifference): string {
  switch (d.differenceType) {
    case "ADD":
      return `${d.propertyPath} added ${clip(d.actualValue)}`;
    case "REMOVE":
      return `${d.propertyPath} removed (expected ${clip(d.expectedValue)})`;
    case "NOT_EQUAL":
      return `${d.propertyPath} expected ${clip(d.expectedValue)}, actual ${clip(d.actualValue)}`;
  }
}

/** "/VisibilityTimeout expected 30, actual 60; /Tags/0/Value …", at most `max` entries. */
export function describeDifferences(differences: readonly PropertyDifference[], max = 5): string {
  if (differences.length === 0) return "no property differences reported";
  const shown = differences.slice(0, max).map(describeOne);
  const more = differences.length - shown.length;
  return more > 0 ? `${shown.join("; ")}; and ${more} more` : shown.join("; ");
}
