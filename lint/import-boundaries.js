// @ts-check
import path from "node:path";

/**
 * driftguard's layer boundaries as one ESLint rule (STYLE.md #20: boundaries are lint rules, not
 * conventions). It resolves every relative import to a repository path, so it judges where an
 * import lands, not how its string is spelt:
 *
 * - functions/core, functions/config and functions/aws are the kernel: core imports nothing of
 *   driftguard, config only core, aws only core and config. Nothing in the kernel imports a feature.
 * - every other folder of functions/ is a feature. Code outside a feature (another feature, the
 *   handler, modules/, sandbox/, bench/) imports it only through its index.ts; inside, a feature
 *   never imports its own index (that would be a cycle through the barrel).
 * - report/ does not import scanner/: the report is built from plain data (core/types.ts).
 * - functions/ and modules/ never import sandbox/; the emulator never imports functions/, so it
 *   cannot share driftguard's assumptions about AWS. Only the drivers (below) set it up from
 *   accounts.yaml and run driftguard against it.
 * - nothing outside test/ imports test/: what `npm start` or a deployment runs never depends on
 *   a test helper (helpers both need live in the code, e.g. sandbox/harness/terraform.ts).
 *
 * Tests are exempt: a unit test may reach into a feature's internals.
 */

/** @type {Record<"core" | "config" | "aws", string[]>} */
export const KERNEL = { core: [], config: ["core"], aws: ["core", "config"] };

/** Feature pairs that may not import each other at all, with the reason. */
export const FORBIDDEN = [{ from: "report", to: "scanner", why: "the report is built from plain data (core/types.ts), never from scanner internals" }];

/**
 * The emulator (sandbox/emulator/: protocols, IAM evaluation, one folder per service) follows AWS and
 * never imports functions/. The harness (sandbox/harness/: cli, server, world, scenario, run-local,
 * deployed-iam) drives it with driftguard's own config: deployed-iam.ts reads what driftguard's
 * stacks deploy (synthesized from accounts.yaml) into the world.
 */
export const SANDBOX_EMULATOR = "sandbox/emulator/";

/**
 * `functions/<folder>/…` → folder; a file directly in functions/ → "(root)"; elsewhere → top-level dir.
 * @param {string} repoPath
 */
export function areaOf(repoPath) {
  const parts = repoPath.split("/");
  if (parts[0] === "functions") return parts.length > 2 ? parts[1] : "(root)";
  return parts[0];
}

/**
 * Why importing `to` from `from` (repository paths, `.ts`) breaks a boundary; undefined when it
 * does not. Shared with test/unit/architecture.test.ts.
 * @param {string} from
 * @param {string} to
 * @returns {string | undefined}
 */
export function boundaryViolation(from, to) {
  const fromArea = areaOf(from);
  const toArea = areaOf(to);
  const fromFunctions = from.startsWith("functions/");
  if (toArea === "test") return "code outside test/ never imports test/: move what both need out of test/";
  if (toArea === "sandbox") return fromFunctions || fromArea === "modules" ? "functions/ and modules/ never import the sandbox" : undefined;
  if (!to.startsWith("functions/")) return undefined;
  if (from.startsWith(SANDBOX_EMULATOR)) {
    return `the sandbox's emulator never imports functions/ (only the harness, sandbox/harness/, does): it follows AWS, not driftguard's assumptions`;
  }
  const index = `functions/${toArea}/index.ts`;
  if (fromFunctions && fromArea === toArea) {
    return !isKernel(toArea) && to === index ? `a feature never imports its own index.ts (a cycle through the barrel); import the module itself` : undefined;
  }
  if (fromFunctions && isKernel(fromArea)) {
    const allowed = KERNEL[fromArea];
    if (allowed.includes(toArea)) return undefined;
    return `functions/${fromArea} is kernel and may import ${allowed.length ? `only ${allowed.map((a) => `functions/${a}`).join(", ")}` : "nothing else of driftguard"}, never ${to}`;
  }
  if (isKernel(toArea) || toArea === "(root)") return undefined;
  const forbidden = FORBIDDEN.find((f) => f.from === fromArea && f.to === toArea);
  if (forbidden) return `${fromArea}/ never imports ${toArea}/: ${forbidden.why}`;
  return to === index ? undefined : `import functions/${toArea} through its public surface ${index}, not ${to}`;
}

/** @param {string} area @returns {area is keyof typeof KERNEL} */
function isKernel(area) {
  return Object.hasOwn(KERNEL, area);
}

/** @type {import("eslint").Rule.RuleModule} */
const rule = {
  meta: {
    type: "problem",
    docs: { description: "driftguard's layer boundaries: kernel, feature index.ts surfaces, sandbox isolation" },
    schema: [],
  },
  create(context) {
    const from = path.relative(context.cwd, context.filename).split(path.sep).join("/");
    if (from.startsWith("..") || areaOf(from) === "test") return {};
    /** @param {import("estree").Node & { source?: import("estree").Node | null }} node */
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== "Literal" || typeof source.value !== "string" || !source.value.startsWith(".")) return;
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(from), source.value)).replace(/\.js$/, ".ts");
      const why = boundaryViolation(from, to);
      if (why) context.report({ node: source, message: why });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { "import-boundaries": rule } };
