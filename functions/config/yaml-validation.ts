import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "./problems.js";
import { didYouMean } from "./suggest.js";

/**
 * YAML files a person edits (accounts.yaml, sandbox scenarios) validated against a zod schema
 * whose root is an object, with every problem reported at once as file, YAML path, line, column,
 * offending value and a message that says what is allowed.
 */

/** A problem found outside the schema, at a path in the raw data. */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

export interface YamlValidationOptions {
  /** Where to find every allowed field, as the messages name it: "the example accounts.yaml". */
  example: string;
  /** What an empty or non-mapping document should hold; by default the schema's top-level fields. */
  topLevel?: string;
  /**
   * Rules spanning several fields that the schema also enforces in a refinement. zod skips
   * refinements once any field has failed, so these run on the raw data to report them together
   * with the per-field problems in a single pass.
   */
  extraIssues?: (data: unknown) => FieldIssue[];
}

type Path = ReadonlyArray<PropertyKey>;

/** The parsed document, for line numbers; absent for data built in code. */
interface Source {
  root: unknown;
  lines: LineCounter;
}

/** Parses and validates YAML text; `file` only labels the problems. Throws ConfigError. */
export function parseYamlWith<S extends z.ZodType>(text: string, file: string, schema: S, options: YamlValidationOptions): z.output<S> {
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
  const unsafe = unsafeNodes(doc, file, lines);
  if (unsafe.length > 0) throw new ConfigError(unsafe);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    // The yaml library's guard against entity expansion ("Excessive alias count indicates a resource exhaustion attack").
    const first = firstAlias(doc);
    const pos = first?.range ? lines.linePos(first.range[0]) : undefined;
    throw new ConfigError([{ file, path: "", line: pos?.line, column: pos?.col, message: `expands its aliases too far (${(err as Error).message}); write the values out instead of nesting *aliases` }]);
  }
  return validate(data, file, schema, options, { root: doc.contents, lines });
}

/**
 * Config files need neither many aliases nor custom tags. More than this many `*alias` nodes is
 * either a generated file or an expansion attack ("billion laughs"); the yaml library uses the
 * same default (maxAliasCount 100) for the expanded size.
 */
export const MAX_ALIASES = 100;

function firstAlias(doc: Document): YamlNode | undefined {
  let found: YamlNode | undefined;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * Tags such as `!Ref` (a CloudFormation habit) mean nothing here: the yaml library would keep the
 * plain string with only a warning, and the value would be read as something it is not.
 */
function unsafeNodes(doc: Document, file: string, lines: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  let aliases = 0;
  const at = (node: YamlNode) => (node.range ? lines.linePos(node.range[0]) : undefined);
  visit(doc, (_, node) => {
    if (isAlias(node)) {
      aliases += 1;
      if (aliases === MAX_ALIASES + 1) {
        const pos = at(node);
        problems.push({ file, path: "", line: pos?.line, column: pos?.col, message: `uses more than ${MAX_ALIASES} *aliases; write the values out` });
      }
      return;
    }
    if (isNode(node) && node.tag !== undefined && !node.tag.startsWith("tag:yaml.org,2002:")) {
      const pos = at(node);
      problems.push({ file, path: "", line: pos?.line, column: pos?.col, message: `uses the YAML tag ${node.tag}, which this file does not support; remove it and write the plain value` });
    }
  });
  return problems;
}

/** Validates data built in code the same way; its problems have paths but no lines. Throws ConfigError. */
export function validateWith<S extends z.ZodType>(data: unknown, file: string, schema: S, options: YamlValidationOptions): z.output<S> {
  return validate(data, file, schema, options);
}

function validate<S extends z.ZodType>(data: unknown, file: string, schema: S, options: YamlValidationOptions, source?: Source): z.output<S> {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    const topLevel = options.topLevel ?? `the fields ${allowedKeysAt(schema, []).join(", ")}`;
    throw new ConfigError([
      { file, path: "", line: source ? 1 : undefined, column: source ? 1 : undefined, message: `must be a YAML mapping with ${topLevel}; start from ${options.example}` },
    ]);
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;

  const found: Located[] = result.error.issues.map((issue) => ({
    path: issue.path,
    message: messageFor(issue, data, schema, options.example),
    node: issue.code === "unrecognized_keys" ? keyNodeAt(source?.root, issue.path, issue.keys[0]!) : undefined,
    // k18: a custom issue with params.secret (a webhook URL) never echoes the value it rejects.
    showValue: issue.code !== "unrecognized_keys" && !(issue.code === "custom" && (issue.params as { secret?: boolean } | undefined)?.secret === true),
  }));
  const seen = new Set(found.map((f) => `${yamlPath(f.path)}|${f.message}`));
  for (const issue of options.extraIssues?.(data) ?? []) {
    if (!seen.has(`${yamlPath(issue.path)}|${issue.message}`)) found.push({ ...issue, showValue: true });
  }
  const problems = found.map((f) => toProblem(f, file, data, source));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  throw new ConfigError(problems);
}

function yamlPath(path: Path): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("");
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

/** Minimal view of zod's internal schema definitions, enough to walk a schema by YAML path. */
interface SchemaDef {
  type: string;
  shape?: Record<string, { def: SchemaDef }>;
  innerType?: { def: SchemaDef };
  in?: { def: SchemaDef };
  element?: { def: SchemaDef };
  options?: { def: SchemaDef }[];
}

/** The field names `schema` allows at `path`, for "unknown field" messages. */
function allowedKeysAt(schema: z.ZodType, path: Path): string[] {
  let defs: SchemaDef[] = [(schema as unknown as { def: SchemaDef }).def];
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
  return [...new Set(defs.flatMap(unwrap).flatMap((d) => Object.keys(d.shape ?? {})))];
}

const TYPE_WORDS: Record<string, string> = {
  string: "text",
  number: "a number",
  boolean: "true or false",
  object: "a mapping of `key: value` fields",
  array: "a list",
};

function messageFor(issue: z.core.$ZodIssue, data: unknown, schema: z.ZodType, example: string): string {
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeysAt(schema, issue.path);
    const unknown = issue.keys.map((k) => `\`${k}\`${didYouMean(k, allowed)}`).join(", ");
    const fix = allowed.length > 0 ? `allowed fields here: ${allowed.join(", ")}` : `see ${example} for the fields allowed here`;
    return `has unknown field(s) ${unknown}; ${fix}`;
  }
  if (issue.code === "invalid_type") {
    // zod's own wording ("Invalid input: expected object, received undefined") is replaced by ours.
    const generic = issue.message.startsWith("Invalid input");
    const wanted = generic ? `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}` : issue.message;
    if (valueAt(data, issue.path) === undefined) {
      const section = issue.path.at(-1);
      return `is required: ${wanted}${typeof section === "string" ? ` (add \`${section}:\`, see ${example})` : ""}`;
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

function toProblem(found: Located, file: string, data: unknown, source: Source | undefined): ConfigProblem {
  // A missing field has no node: point at the closest ancestor that exists.
  let node = found.node;
  for (let depth = found.path.length; source && node?.range === undefined && depth >= 0; depth--) {
    node = nodeAt(source.root, found.path.slice(0, depth));
  }
  const offset = node?.range?.[0];
  const pos = offset === undefined ? undefined : source?.lines.linePos(offset);
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

/** 1-based line of the value at `path` in YAML text, for messages that point into a file after it was loaded. */
export function lineOfField(text: string, path: Path): number | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const offset = nodeAt(doc.contents, path)?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}
