import type { Remediator } from "./types.js";

/** The table of property-level remediators: adding a type is one file and one line here. */
export const REMEDIATORS: readonly Remediator[] = [];

export function remediatorFor(resourceType: string): Remediator | undefined {
  return REMEDIATORS.find((r) => r.resourceType === resourceType);
}
