import { randomUUID } from "node:crypto";

/**
 * The data handling of the Amazon States Language (JSONPath query language): Reference Paths,
 * payload templates (Parameters, ResultSelector, ItemSelector) with `.$` fields and intrinsic
 * functions, and ResultPath. Source: Amazon States Language specification
 * (states-language.net/spec.html), sections "Paths", "Reference Paths", "Payload Template",
 * "Intrinsic Functions" and "Input and Output Processing"; Step Functions Developer Guide,
 * "Intrinsic functions for JSONPath states" (intrinsic-functions.html) and "Specifying state
 * output using ResultPath" (input-output-resultpath.html).
 *
 * What the sandbox does not evaluate (JSONPath filters, wildcards, slices; the intrinsic
 * functions nobody here uses) fails the state with States.Runtime naming the construct, never
 * a silent wrong value.
 */

/** An error a state reports, by its ASL error name (Error) and a human cause (Cause). */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
  }
}

/** "States.Runtime: An execution failed due to some exception that it couldn't process" (concepts-error-handling.html). */
export const runtimeError = (cause: string) => new StatesError("States.Runtime", cause);

type Json = unknown;

/**
 * A Reference Path ("$", "$.a.b", "$['a b']", "$.list[0]"): spec "Reference Paths" — "a Path
 * with syntax limited in such a way that it can only identify a single node".
 */
export function parsePath(path: string): (string | number)[] {
  if (!path.startsWith("$")) throw runtimeError(`The path '${path}' must start with '$'`);
  const steps: (string | number)[] = [];
  let rest = path.slice(1);
  while (rest !== "") {
    let m: RegExpExecArray | null;
    if ((m = /^\.([^.[\]]+)/.exec(rest))) steps.push(m[1]!);
    else if ((m = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest))) steps.push(m[1]!.replace(/\\(.)/g, "$1"));
    else if ((m = /^\[(\d+)\]/.exec(rest))) steps.push(Number(m[1]));
    else throw runtimeError(`The sandbox does not evaluate the JSONPath '${path}' (only single-node Reference Paths: $.a.b, $['a'], $.a[0])`);
    if (steps[steps.length - 1] === "*") throw runtimeError(`The sandbox does not evaluate the JSONPath wildcard in '${path}'`);
    rest = rest.slice(m[0].length);
  }
  return steps;
}

const MISSING = Symbol("missing");

function walk(value: Json, steps: (string | number)[]): Json | typeof MISSING {
  let node: Json = value;
  for (const step of steps) {
    if (typeof step === "number" ? Array.isArray(node) && step < node.length : node !== null && typeof node === "object" && !Array.isArray(node) && Object.hasOwn(node, step)) {
      node = (node as Record<string | number, Json>)[step];
    } else return MISSING;
  }
  return node;
}

/** Whether the path selects a node (the Choice rule IsPresent). */
export function isPresent(value: Json, path: string): boolean {
  return walk(value, parsePath(path)) !== MISSING;
}

/**
 * The node at `path`; "$$." paths read the context object. A path that selects nothing is
 * States.Runtime: "Invalid path '$.x': The choice state's condition path references an invalid
 * value." and the like (spec: "If a path … does not match any node, the state fails with States.Runtime").
 */
export function select(input: Json, context: Json, path: string, where: string): Json {
  const [root, expr] = path.startsWith("$$") ? [context, path.slice(1)] : [input, path];
  const found = walk(root, parsePath(expr));
  if (found === MISSING) throw runtimeError(`An error occurred while executing the state '${where}'. Invalid path '${path}' : No results for path: $${expr.slice(1)}`);
  return found;
}

/**
 * ResultPath (input-output-resultpath.html): `null` keeps the input and discards the result;
 * "$" replaces the input; "$.a.b" places the result there in a copy of the input, creating the
 * objects on the way.
 */
export function applyResultPath(input: Json, result: Json, resultPath: string | null | undefined, where: string): Json {
  if (resultPath === null) return input;
  const steps = parsePath(resultPath ?? "$");
  if (steps.length === 0) return result;
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw runtimeError(`An error occurred while executing the state '${where}'. Unable to apply ReferencePath ${resultPath} to input ${JSON.stringify(input)}`);
  }
  const out = structuredClone(input) as Record<string | number, Json>;
  let node: Record<string | number, Json> = out;
  steps.forEach((step, i) => {
    if (i === steps.length - 1) node[step] = result;
    else {
      const next = node[step];
      if (next === undefined) node[step] = {};
      else if (next === null || typeof next !== "object") throw runtimeError(`An error occurred while executing the state '${where}'. Unable to apply ReferencePath ${resultPath}: '${String(step)}' is not an object`);
      node = node[step] as Record<string | number, Json>;
    }
  });
  return out;
}

/** InputPath / OutputPath: absent is "$", null is {} (spec "Input and Output Processing"). */
export function filterPath(input: Json, context: Json, path: string | null | undefined, where: string): Json {
  if (path === null) return {};
  if (path === undefined || path === "$") return input;
  return select(input, context, path, where);
}

/**
 * A payload template: "the value of a field whose name ends in '.$' is a Path or an intrinsic
 * function, and the field appears in the output without the '.$'" (spec "Payload Template").
 */
export function applyTemplate(template: Json, input: Json, context: Json, where: string): Json {
  if (Array.isArray(template)) return template.map((v) => applyTemplate(v, input, context, where));
  if (template === null || typeof template !== "object") return template;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$")) {
      if (typeof value !== "string") throw runtimeError(`The value of '${key}' in state '${where}' must be a path or an intrinsic function`);
      out[key.slice(0, -2)] = value.startsWith("$") ? select(input, context, value, where) : evaluateIntrinsic(value, input, context, where);
    } else out[key] = applyTemplate(value, input, context, where);
  }
  return out;
}

// ---- Intrinsic functions (intrinsic-functions.html) ------------------------------------------

type Arg = { kind: "literal"; value: Json } | { kind: "path"; path: string } | { kind: "call"; name: string; args: Arg[] };

/** A tiny recursive-descent parser of `States.Name(arg, …)`; literals are 'strings' (with \' \{ \} \\ escapes), numbers, true/false/null. */
function parseCall(text: string, at: { i: number }, where: string): Arg {
  const skip = () => {
    while (text[at.i] === " ") at.i++;
  };
  skip();
  const name = /^States\.[A-Za-z0-9]+/.exec(text.slice(at.i))?.[0];
  if (!name) throw runtimeError(`The intrinsic function '${text}' in state '${where}' cannot be parsed`);
  at.i += name.length;
  skip();
  if (text[at.i] !== "(") throw runtimeError(`The intrinsic function '${text}' in state '${where}' cannot be parsed: '(' expected after ${name}`);
  at.i++;
  const args: Arg[] = [];
  skip();
  while (text[at.i] !== ")") {
    if (at.i >= text.length) throw runtimeError(`The intrinsic function '${text}' in state '${where}' is missing ')'`);
    skip();
    const c = text[at.i];
    if (c === "'") {
      let s = "";
      at.i++;
      while (at.i < text.length && text[at.i] !== "'") {
        if (text[at.i] === "\\") at.i++;
        s += text[at.i++];
      }
      at.i++;
      args.push({ kind: "literal", value: s });
    } else if (c === "$") {
      const m = /^\$\$?[^,)\s]*/.exec(text.slice(at.i))![0];
      at.i += m.length;
      args.push({ kind: "path", path: m });
    } else if (text.startsWith("States.", at.i)) args.push(parseCall(text, at, where));
    else {
      const m = /^(-?\d+(?:\.\d+)?|true|false|null)/.exec(text.slice(at.i));
      if (!m) throw runtimeError(`The intrinsic function '${text}' in state '${where}' has an argument the sandbox cannot parse at '${text.slice(at.i)}'`);
      at.i += m[0].length;
      args.push({ kind: "literal", value: JSON.parse(m[0]) });
    }
    skip();
    if (text[at.i] === ",") at.i++;
    skip();
  }
  at.i++;
  return { kind: "call", name, args };
}

function stringify(value: Json): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

const INTRINSICS: Record<string, (args: Json[], where: string) => Json> = {
  /** "States.Format: the first argument is a string with {} placeholders, one per further argument." */
  "States.Format": ([template, ...values], where) => {
    if (typeof template !== "string") throw runtimeError(`States.Format in state '${where}' needs a string template`);
    const parts = template.split("{}");
    if (parts.length - 1 !== values.length) throw runtimeError(`States.Format in state '${where}': the template has ${parts.length - 1} placeholders but ${values.length} arguments were given`);
    return parts.reduce((s, part, i) => s + part + (i < values.length ? stringify(values[i]) : ""), "");
  },
  "States.StringToJson": ([s], where) => {
    if (typeof s !== "string") throw runtimeError(`States.StringToJson in state '${where}' needs a string`);
    return JSON.parse(s) as Json;
  },
  "States.JsonToString": ([v]) => JSON.stringify(v),
  "States.Array": (args) => args,
  "States.ArrayLength": ([a], where) => {
    if (!Array.isArray(a)) throw runtimeError(`States.ArrayLength in state '${where}' needs an array`);
    return a.length;
  },
  "States.UUID": () => randomUUID(),
};

function evalArg(arg: Arg, input: Json, context: Json, where: string): Json {
  if (arg.kind === "literal") return arg.value;
  if (arg.kind === "path") return select(input, context, arg.path, where);
  const fn = INTRINSICS[arg.name];
  if (!fn) throw runtimeError(`The sandbox does not evaluate the intrinsic function ${arg.name} (state '${where}'); it evaluates ${Object.keys(INTRINSICS).join(", ")}`);
  return fn(
    arg.args.map((a) => evalArg(a, input, context, where)),
    where,
  );
}

export function evaluateIntrinsic(text: string, input: Json, context: Json, where: string): Json {
  const at = { i: 0 };
  const call = parseCall(text, at, where);
  if (text.slice(at.i).trim() !== "") throw runtimeError(`The intrinsic function '${text}' in state '${where}' has trailing characters`);
  return evalArg(call, input, context, where);
}
