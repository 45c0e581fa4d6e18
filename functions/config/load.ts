import { readFileSync } from "node:fs";
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import { configSchema, type Config } from "./schema.js";

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

function yamlPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join("");
}

function nodeAt(root: unknown, path: ReadonlyArray<PropertyKey>): YamlNode | undefined {
  let node = root as YamlNode | undefined;
  for (const key of path) {
    if (isMap(node) || isSeq(node)) node = node.get(key as never, true) as YamlNode | undefined;
    else return undefined;
  }
  return node;
}

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Parses and validates config text; `file` only labels the errors. */
export function parseConfig(text: string, file = "accounts.yaml"): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { file, path: "", line: pos?.line, column: pos?.col, message: `is not valid YAML: ${e.message.split("\n")[0]}` };
      }),
    );
  }
  const data: unknown = doc.toJS();
  const result = configSchema.safeParse(data);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => toProblem(issue, file, doc.contents, data, lineCounter)));
}

function toProblem(
  issue: z.core.$ZodIssue,
  file: string,
  root: unknown,
  data: unknown,
  lines: LineCounter,
): ConfigProblem {
  const path = issue.path;
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    message = `has unknown field(s) ${issue.keys.map((k) => `\`${k}\``).join(", ")}; check the spelling against the example accounts.yaml`;
  } else if (issue.code === "invalid_type" && valueAt(data, path) === undefined) {
    message = `is required: ${issue.message}`;
  }
  // Unknown keys are reported on their parent; point the line at the first unknown key instead.
  const located = issue.code === "unrecognized_keys" ? [...path, issue.keys[0]!] : path;
  let node = nodeAt(root, located);
  if (issue.code === "unrecognized_keys" && isMap(nodeAt(root, path))) {
    const pair = (nodeAt(root, path) as { items: { key: YamlNode }[] }).items.find(
      (p) => (p.key as unknown as { value: unknown }).value === issue.keys[0],
    );
    node = pair?.key ?? node;
  }
  const offset = node?.range?.[0] ?? nodeAt(root, path.slice(0, -1))?.range?.[0];
  const pos = offset === undefined ? undefined : lines.linePos(offset);
  const value = issue.code === "unrecognized_keys" ? undefined : valueAt(data, path);
  return {
    file,
    path: yamlPath(path),
    line: pos?.line,
    column: pos?.col,
    value: value !== null && typeof value === "object" ? undefined : value,
    message,
  };
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([
      { file, path: "", message: `cannot be read (${(err as Error).message}); pass the path to your accounts.yaml` },
    ]);
  }
  return parseConfig(text, file);
}
