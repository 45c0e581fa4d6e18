import { templateFormatError, validationError } from "../errors.js";
import { isPlainObject } from "./intrinsics.js";
import type { Template } from "./parse.js";

/** Names a value refers to through Ref, Fn::GetAtt and Fn::Sub (Sub's own variables excluded). */
export function referencedNames(value: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isPlainObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const argument = node[keys[0]];
      if (keys[0] === "Ref" && typeof argument === "string") return void names.add(argument);
      if (keys[0] === "Fn::GetAtt" && Array.isArray(argument) && typeof argument[0] === "string") {
        names.add(argument[0]);
        return argument.slice(1).forEach(visit);
      }
      if (keys[0] === "Fn::Sub") return subReferences(argument, names, visit);
    }
    Object.values(node).forEach(visit);
  };
  visit(value);
  return names;
}

function subReferences(argument: unknown, names: Set<string>, visit: (node: unknown) => void): void {
  const [text, variables] = typeof argument === "string" ? [argument, {}] : Array.isArray(argument) ? argument : [];
  if (typeof text !== "string") return;
  const own = isPlainObject(variables) ? variables : {};
  visit(own);
  for (const match of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
    const name = match[1].trim();
    if (name in own) continue;
    // `${Res.Attr}` refers to Res; a pseudo parameter such as AWS::Region has no dot.
    names.add(name.includes(".") ? name.slice(0, name.indexOf(".")) : name);
  }
}

function dependsOn(declaration: Template["Resources"][string]): string[] {
  const value = declaration.DependsOn;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * The order CloudFormation creates resources in: every resource after those it refers to or
 * DependsOn, ties broken by template order. Unknown names and cycles are the template errors
 * CloudFormation reports before creating anything.
 */
export function creationOrder(template: Template, parameterNames: Set<string>): string[] {
  const logicalIds = Object.keys(template.Resources);
  const resources = new Set(logicalIds);
  const unresolved = new Set<string>();
  const edges = new Map<string, Set<string>>();
  for (const logicalId of logicalIds) {
    const declaration = template.Resources[logicalId];
    const needs = new Set<string>();
    for (const name of referencedNames(declaration.Properties ?? {})) {
      if (resources.has(name)) needs.add(name);
      else if (!parameterNames.has(name)) unresolved.add(name);
    }
    for (const name of dependsOn(declaration)) {
      if (resources.has(name)) needs.add(name);
      else unresolved.add(name);
    }
    needs.delete(logicalId);
    edges.set(logicalId, needs);
  }
  if (unresolved.size > 0) {
    throw templateFormatError(`Unresolved resource dependencies [${[...unresolved].join(", ")}] in the Resources block of the template`);
  }
  const outputs = new Set<string>();
  for (const name of referencedNames(template.Outputs ?? {})) {
    if (!resources.has(name) && !parameterNames.has(name)) outputs.add(name);
  }
  if (outputs.size > 0) {
    throw templateFormatError(`Unresolved resource dependencies [${[...outputs].join(", ")}] in the Outputs block of the template`);
  }

  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < logicalIds.length) {
    const next = logicalIds.find((id) => !placed.has(id) && [...edges.get(id)!].every((need) => placed.has(need)));
    if (next === undefined) {
      const stuck = logicalIds.filter((id) => !placed.has(id));
      throw validationError(`Circular dependency between resources: [${stuck.join(", ")}]`);
    }
    order.push(next);
    placed.add(next);
  }
  return order;
}
