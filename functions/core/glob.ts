/**
 * The glob dialect of accounts.yaml: `*` matches any run of characters (including none), `?`
 * exactly one; everything else is literal and the whole name must match. Stack names cannot
 * contain `/`, so there is no path semantics to honour.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

export function matchesGlob(name: string, glob: string): boolean {
  return globToRegExp(glob).test(name);
}

/** The first glob of `globs` that matches `name`, so callers can say which rule applied. */
export function firstMatchingGlob(name: string, globs: readonly string[]): string | undefined {
  return globs.find((g) => matchesGlob(name, g));
}
