import { validationError } from "../errors.js";
import type { Template } from "./parse.js";

/** What `{ "Ref": "AWS::NoValue" }` resolves to: the enclosing property or list item disappears. */
export const NO_VALUE: unique symbol = Symbol("AWS::NoValue");

export interface ProvisionedRef {
  physicalId: string;
  attributes: Record<string, string>;
}

export interface ResolveScope {
  /** Template and pseudo parameters; list-typed parameters are arrays. */
  parameters: Record<string, string | string[]>;
  mappings?: Template["Mappings"];
  region: string;
  condition(name: string): boolean;
  /** An already-created resource of this stack, or undefined. */
  resource(logicalId: string): ProvisionedRef | undefined;
  /** The value of an export of the account-region (Fn::ImportValue), or undefined when none has the name. */
  importValue?(exportName: string): string | undefined;
}

type Intrinsic = (argument: unknown, scope: ResolveScope) => unknown;

/** Resolves every intrinsic function inside `value`, depth first, as CloudFormation does at provisioning. */
export function resolveValue(value: unknown, scope: ResolveScope): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolveValue(item, scope)).filter((item) => item !== NO_VALUE);
  }
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] in INTRINSICS) return INTRINSICS[keys[0]](value[keys[0]], scope);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolveValue(item, scope);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function templateError(message: string): Error {
  return validationError(`Template error: ${message}`);
}

function refTarget(name: string, scope: ResolveScope): unknown {
  if (name === "AWS::NoValue") return NO_VALUE;
  if (name in scope.parameters) return scope.parameters[name];
  const resource = scope.resource(name);
  if (resource) return resource.physicalId;
  throw templateError(`instance of Fn::Ref references undefined resource or parameter ${name}`);
}

function getAtt(logicalId: string, attribute: string, scope: ResolveScope): string {
  const resource = scope.resource(logicalId);
  if (!resource) throw templateError(`instance of Fn::GetAtt references undefined resource ${logicalId}`);
  const value = resource.attributes[attribute];
  if (value === undefined) {
    throw templateError(`resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`);
  }
  return value;
}

function asArguments(name: string, argument: unknown, count: number): unknown[] {
  if (!Array.isArray(argument) || argument.length !== count) {
    throw templateError(`${name} requires a list of ${count} arguments`);
  }
  return argument;
}

function asString(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw templateError(`${name} expects a string, got ${JSON.stringify(value)}`);
}

function asList(name: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw templateError(`${name} expects a list, got ${JSON.stringify(value)}`);
  return value;
}

/** `${Name}`, `${Resource.Attribute}` and the `${!Literal}` escape of Fn::Sub. */
function substitute(text: string, variables: Record<string, unknown>, scope: ResolveScope): string {
  return text.replace(/\$\{([^}]*)\}/g, (_match, inner: string) => {
    if (inner.startsWith("!")) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    if (name in variables) return asString("Fn::Sub variable", variables[name]);
    if (!(name in scope.parameters) && name.includes(".")) {
      const dot = name.indexOf(".");
      return getAtt(name.slice(0, dot), name.slice(dot + 1), scope);
    }
    return asString("Fn::Sub", refTarget(name, scope));
  });
}

const INTRINSICS: Record<string, Intrinsic> = {
  Ref: (argument, scope) => refTarget(asString("Ref", argument), scope),

  "Fn::GetAtt": (argument, scope) => {
    const [logicalId, attribute] = asArguments("Fn::GetAtt", argument, 2);
    return getAtt(asString("Fn::GetAtt", logicalId), asString("Fn::GetAtt", resolveValue(attribute, scope)), scope);
  },

  "Fn::Sub": (argument, scope) => {
    if (typeof argument === "string") return substitute(argument, {}, scope);
    const [text, variables] = asArguments("Fn::Sub", argument, 2);
    const resolved = resolveValue(variables, scope);
    if (!isPlainObject(resolved)) throw templateError("Fn::Sub variables must be a map");
    return substitute(asString("Fn::Sub", text), resolved, scope);
  },

  "Fn::Join": (argument, scope) => {
    const [delimiter, items] = asArguments("Fn::Join", argument, 2);
    const list = asList("Fn::Join", resolveValue(items, scope));
    return list.map((item) => asString("Fn::Join", item)).join(asString("Fn::Join", delimiter));
  },

  "Fn::Select": (argument, scope) => {
    const [index, items] = asArguments("Fn::Select", argument, 2);
    const list = asList("Fn::Select", resolveValue(items, scope));
    const position = Number(resolveValue(index, scope));
    if (!Number.isInteger(position) || position < 0 || position >= list.length) {
      throw templateError(`Fn::Select cannot select nonexistent value at index ${String(index)}`);
    }
    return list[position];
  },

  "Fn::Split": (argument, scope) => {
    const [delimiter, text] = asArguments("Fn::Split", argument, 2);
    return asString("Fn::Split", resolveValue(text, scope)).split(asString("Fn::Split", delimiter));
  },

  "Fn::If": (argument, scope) => {
    const [condition, whenTrue, whenFalse] = asArguments("Fn::If", argument, 3);
    return resolveValue(scope.condition(asString("Fn::If", condition)) ? whenTrue : whenFalse, scope);
  },

  "Fn::Equals": (argument, scope) => {
    const [left, right] = asArguments("Fn::Equals", argument, 2).map((item) => resolveValue(item, scope));
    return JSON.stringify(left) === JSON.stringify(right) || String(left) === String(right);
  },

  "Fn::Not": (argument, scope) => !truthy(asArguments("Fn::Not", argument, 1)[0], scope),

  "Fn::And": (argument, scope) => asList("Fn::And", argument).every((item) => truthy(item, scope)),

  "Fn::Or": (argument, scope) => asList("Fn::Or", argument).some((item) => truthy(item, scope)),

  Condition: (argument, scope) => scope.condition(asString("Condition", argument)),

  "Fn::FindInMap": (argument, scope) => {
    const [map, top, second] = asArguments("Fn::FindInMap", argument, 3).map((item) =>
      asString("Fn::FindInMap", resolveValue(item, scope)),
    );
    const value = scope.mappings?.[map]?.[top]?.[second];
    if (value === undefined) throw templateError(`Unable to get mapping for ${map}::${top}::${second}`);
    return value;
  },

  "Fn::Base64": (argument, scope) =>
    Buffer.from(asString("Fn::Base64", resolveValue(argument, scope)), "utf8").toString("base64"),

  "Fn::GetAZs": (argument, scope) => {
    const region = asString("Fn::GetAZs", resolveValue(argument, scope)) || scope.region;
    return ["a", "b", "c"].map((zone) => `${region}${zone}`);
  },

  // intrinsic-function-reference-importvalue.html: the value another stack exported in this Region.
  "Fn::ImportValue": (argument, scope) => {
    const name = asString("Fn::ImportValue", resolveValue(argument, scope));
    const value = scope.importValue?.(name);
    if (value === undefined) throw validationError(`No export named ${name} found.`);
    return value;
  },
};

function truthy(value: unknown, scope: ResolveScope): boolean {
  const resolved = resolveValue(value, scope);
  return resolved === true || resolved === "true";
}

/**
 * Evaluates the Conditions section once; conditions may refer to each other with
 * `{ "Condition": name }`, and a cycle is a template error as in CloudFormation.
 */
export function evaluateConditions(
  declared: Record<string, unknown> | undefined,
  scope: Omit<ResolveScope, "condition">,
): (name: string) => boolean {
  const results = new Map<string, boolean>();
  const visiting = new Set<string>();
  const lookup = (name: string): boolean => {
    const known = results.get(name);
    if (known !== undefined) return known;
    if (!declared || !(name in declared)) throw templateError(`Unresolved condition dependency ${name}`);
    if (visiting.has(name)) throw templateError(`Circular condition dependency ${name}`);
    visiting.add(name);
    const value = truthy(declared[name], { ...scope, condition: lookup });
    visiting.delete(name);
    results.set(name, value);
    return value;
  };
  for (const name of Object.keys(declared ?? {})) lookup(name);
  return lookup;
}
