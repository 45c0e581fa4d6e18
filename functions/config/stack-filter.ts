import { firstMatchingGlob } from "../core/glob.js";
import type { StackFilter } from "./schema.js";

/**
 * Why the account's include/exclude globs leave a stack out; undefined when they let it in.
 * The event path asks the same question, so both select exactly the same stacks.
 */
export function globExclusion(stackName: string, filter: StackFilter): string | undefined {
  const excludedBy = firstMatchingGlob(stackName, filter.exclude);
  if (excludedBy !== undefined) return `excluded by stacks.exclude glob "${excludedBy}"`;
  if (firstMatchingGlob(stackName, filter.include) === undefined) return `not matched by stacks.include [${filter.include.join(", ")}]`;
  return undefined;
}
