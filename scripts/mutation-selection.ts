import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

/**
 * Which tests `npm run mutation` (scripts/mutation.ts) runs against a file's mutants, from the
 * static import graph of the repository's own modules.
 */

/** Per test file, each functions/ module it reaches and how far (importDistances). */
export type Distances = ReadonlyMap<string, ReadonlyMap<string, number>>;

interface Import {
  target: string;
  /** The names imported; undefined for a namespace, default or side-effect import (all of the module). */
  names: string[] | undefined;
}

// `import … from "./x.js"`, `export … from "./x.js"` and the side-effect form `import "./x.js"`.
const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:([^;"]*?)\s+from\s+)?"(\.{1,2}\/[^"]+)\.js"/g;

/** `{ a, type B, c as d }` → ["a", "c"] (the run-time names the module must export); undefined for anything else. */
function namedSpecifiers(clause: string | undefined): string[] | undefined {
  const braces = clause?.trim().match(/^\{([^}]*)\}$/);
  if (!braces) return undefined;
  return braces[1]!
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && !s.startsWith("type "))
    .map((s) => s.split(/\s+as\s+/)[0]!.trim());
}

/** A module's run-time imports and re-exports (a type-only import runs nothing of the module). */
export function parseImports(file: string, source: string): Import[] {
  return [...source.matchAll(IMPORT)]
    .filter(([, , typeOnly]) => !typeOnly)
    .map(([, , , clause, spec]) => ({ target: normalize(join(dirname(file), `${spec}.ts`)), names: namedSpecifiers(clause) }))
    .filter((i) => i.names === undefined || i.names.length > 0);
}

const isBarrel = (file: string): boolean => file.startsWith("functions/") && file.endsWith("/index.ts");

/**
 * The modules a file's imports run, with a folder's index.ts (which only re-exports) seen through:
 * `import { findOwningStack } from "../events/index.js"` reaches events/owning-stack.ts, not every
 * module events/index.ts names.
 */
export function moduleImports(read: (file: string) => string | undefined): (file: string) => string[] {
  const cache = new Map<string, Import[]>();
  const parsed = (file: string): Import[] => {
    let out = cache.get(file);
    if (out === undefined) {
      const source = read(file);
      out = source === undefined ? [] : parseImports(file, source);
      cache.set(file, out);
    }
    return out;
  };
  const through = (i: Import, seen: Set<string>): string[] => {
    if (!isBarrel(i.target)) return read(i.target) === undefined ? [] : [i.target];
    if (seen.has(i.target)) return [];
    seen.add(i.target);
    // A barrel's re-exports that give one of the names (or all of them, for a namespace import).
    return parsed(i.target)
      .filter((re) => i.names === undefined || re.names === undefined || re.names.some((n) => i.names!.includes(n)))
      .flatMap((re) => through({ target: re.target, names: i.names }, seen));
  };
  return (file) => [...new Set(parsed(file).flatMap((i) => through(i, new Set())))];
}

const fromDisk = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, "utf8") : undefined);
export const importsOf = moduleImports(fromDisk);

/**
 * How far each functions/ module is from a test file in the import graph: 1 for a module the test
 * imports (itself or through test/ helpers), one more for each functions/ module in between (a 0-1
 * breadth-first walk: a test/ helper adds nothing).
 */
export function importDistances(testFile: string, imports: (file: string) => readonly string[] = importsOf): Map<string, number> {
  const cost = (file: string): number => (file.startsWith("functions/") ? 1 : 0);
  const distance = new Map<string, number>([[testFile, 0]]);
  const queue: string[] = [testFile];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const at = distance.get(file)!;
    for (const next of imports(file)) {
      if (!next.startsWith("functions/") && !next.startsWith("test/")) continue;
      const d = at + cost(next);
      if (d >= (distance.get(next) ?? Infinity)) continue;
      distance.set(next, d);
      if (d === at) queue.unshift(next);
      else queue.push(next);
    }
  }
  for (const file of distance.keys()) if (!file.startsWith("functions/")) distance.delete(file);
  return distance;
}

/**
 * The tests a file's mutants run against: the tests nearest to it in the import graph. For a file
 * a test imports, those that import it (distance 1): a mutant must be killed by the tests written
 * for its code, not by a test three layers up that happens to pass through it, and that keeps a
 * mutant's run short (guards.ts is reached by ~10 test files through the engine; 4 import it). A
 * file no test imports is exercised only through the modules that import it (events/act.ts runs
 * inside handle.ts's tests): it gets the tests at the smallest distance that reach it, rather than
 * none — with none, every one of act.ts's 102 mutants scored "no coverage" in session 6.
 */
export function nearestTests(file: string, distances: Distances): { tests: string[]; distance: number | undefined } {
  const reach = [...distances].flatMap(([test, d]) => (d.has(file) ? [{ test, distance: d.get(file)! }] : []));
  const distance = reach.length > 0 ? Math.min(...reach.map((r) => r.distance)) : undefined;
  return { tests: reach.filter((r) => r.distance === distance).map((r) => r.test), distance };
}
