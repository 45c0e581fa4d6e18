import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import { crossFieldIssues } from "./cross-checks.js";
import { configSchema, type Config } from "./schema.js";
import { didYouMean } from "./suggest.js";

/** One problem in accounts.yaml, located precisely enough for a newcomer to fix it. */
export interface ConfigProblem {
  file: string;
  /** YAML path such as `accounts[2].id`; empty for the document root. */
  path: string;
  line?: number;
  column?: number;
  value?: unknown;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  const at = p.path === "" ? "" : ` ${p.path}`;
  const shown = p.value === undefined ? "" : ` (found ${JSON.stringify(p.value)})`;
  return `${where}:${at} ${p.message}${shown}`;
}

/** The whole report for a terminal: a header naming the file(s), then one problem per line. */
export function formatConfigError(err: ConfigError): string {
  const files = [...new Set(err.problems.map((p) => p.file))].join(", ");
  const count = err.problems.length;
  return [`${files}: ${count} problem${count === 1 ? "" : "s"} to fix:`, ...err.problems.map((p) => `  ${formatProblem(p)}`)].join("\n");
}

type Path = ReadonlyArray<PropertyKey>;

function yamlPath(path: Path): string {
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join("");
}

function nodeAt(root: unknown, path: Path): YamlNode | undefined {
  let node = root as YamlNode | undefined;
  for (const key of path) {
    if (isMap(node) || isSeq(node)) node = node.get(key as never, true) as YamlNode | undefined;
    else return undefined;
  }
  return node;
}

/** The key node of `key` inside the mapping at `path`, so an unknown key's line is its own. */
function keyNodeAt(root: unknown, path: Path, key: string): YamlNode | undefined {
  const parent = nodeAt(root, path);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair?.key as YamlNode | undefined;
}

function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Minimal view of zod's internal schema definitions, enough to walk the schema by YAML path. */
interface SchemaDef {
  type: string;
  shape?: Record<string, { def: SchemaDef }>;
  innerType?: { def: SchemaDef };
  in?: { def: SchemaDef };
  element?: { def: SchemaDef };
  options?: { def: SchemaDef }[];
}

/** The field names the schema allows at `path`, for "unknown field" messages. */
function allowedKeysAt(path: Path): string[] {
  let defs: SchemaDef[] = [(configSchema as unknown as { def: SchemaDef }).def];
  const unwrap = (d: SchemaDef): SchemaDef[] => {
    if (d.innerType) return unwrap(d.innerType.def);
    if (d.in) return unwrap(d.in.def);
    if (d.options) return d.options.flatMap((o) => unwrap(o.def));
    return [d];
  };
  for (const key of path) {
    defs = defs.flatMap(unwrap).flatMap((d) => {
      if (typeof key === "number") return d.element ? [d.element.def] : [];
      const field = d.shape?.[String(key)];
      return field ? [field.def] : [];
    });
  }
  return defs.flatMap(unwrap).flatMap((d) => Object.keys(d.shape ?? {}));
}

const TYPE_WORDS: Record<string, string> = {
  string: "text",
  number: "a number",
  boolean: "true or false",
  object: "a mapping of `key: value` fields",
  array: "a list",
};

function messageFor(issue: z.core.$ZodIssue, data: unknown): string {
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeysAt(issue.path);
    const unknown = issue.keys.map((k) => `\`${k}\`${didYouMean(k, allowed)}`).join(", ");
    return `has unknown field(s) ${unknown}; allowed fields here: ${allowed.join(", ")}`;
  }
  if (issue.code === "invalid_type") {
    // zod's own wording ("Invalid input: expected object, received undefined") is replaced by ours.
    const generic = issue.message.startsWith("Invalid input");
    const wanted = generic ? `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}` : issue.message;
    if (valueAt(data, issue.path) === undefined) {
      const section = issue.path.at(-1);
      return `is required: ${wanted}${typeof section === "string" ? ` (add \`${section}:\`, see the example accounts.yaml)` : ""}`;
    }
    return wanted;
  }
  return issue.message;
}

interface Located {
  path: Path;
  message: string;
  /** Where to point the line; defaults to `path`. */
  node?: YamlNode;
  showValue: boolean;
}

function toProblem(found: Located, file: string, root: unknown, data: unknown, lines: LineCounter): ConfigProblem {
  // A missing field has no node: point at the closest ancestor that exists.
  let node = found.node;
  for (let depth = found.path.length; node?.range === undefined && depth >= 0; depth--) {
    node = nodeAt(root, found.path.slice(0, depth));
  }
  const offset = node?.range?.[0];
  const pos = offset === undefined ? undefined : lines.linePos(offset);
  const value = found.showValue ? valueAt(data, found.path) : undefined;
  return {
    file,
    path: yamlPath(found.path),
    line: pos?.line,
    column: pos?.col,
    value: value !== null && typeof value === "object" ? undefined : value,
    message: found.message,
  };
}

/** Parses and validates config text; `file` only labels the errors. */
export function parseConfig(text: string, file = "accounts.yaml"): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, path: "", line: pos.line, column: pos.col, message: `is not valid YAML: ${e.message.split("\n")[0]}` };
      }),
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError([
      { file, path: "", line: 1, column: 1, message: "must be a YAML mapping with version, organization, hub, defaults and accounts; start from the example accounts.yaml" },
    ]);
  }
  const result = configSchema.safeParse(data);
  if (result.success) return result.data;

  const found: Located[] = result.error.issues.map((issue) => ({
    path: issue.path,
    message: messageFor(issue, data),
    node: issue.code === "unrecognized_keys" ? keyNodeAt(doc.contents, issue.path, issue.keys[0]!) : undefined,
    showValue: issue.code !== "unrecognized_keys",
  }));
  // zod skips the cross-field refinement when any field failed; run it on the raw data so a
  // newcomer sees duplicates and per-field mistakes in one go.
  const seen = new Set(found.map((f) => `${yamlPath(f.path)}|${f.message}`));
  for (const issue of crossFieldIssues(data)) {
    if (!seen.has(`${yamlPath(issue.path)}|${issue.message}`)) found.push({ ...issue, showValue: true });
  }
  const problems = found.map((f) => toProblem(f, file, doc.contents, data, lines));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  throw new ConfigError(problems);
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(err as Error).message})`;
    throw new ConfigError([
      {
        file,
        path: "",
        message: `${reason}; copy the example accounts.yaml from the repository root, or point DRIFTGUARD_CONFIG at your file`,
      },
    ]);
  }
  return parseConfig(text, file);
}
