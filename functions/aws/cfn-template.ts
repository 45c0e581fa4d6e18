import { parse as parseYaml, type CollectionTag, type ScalarTag } from "yaml";

/**
 * CloudFormation template bodies as data: JSON when the body looks like JSON, otherwise YAML
 * with the intrinsic functions' short forms (`!Ref X` → `{ Ref: X }`, `!GetAtt A.B` →
 * `{ "Fn::GetAtt": [A, B] }`), as the CloudFormation User Guide's "Intrinsic function
 * reference" defines them. Used by the attachment reader. The sandbox's CloudFormation keeps its
 * own parser on purpose: the emulator never imports functions/ (lint/import-boundaries.js), so
 * the two read templates independently.
 */

const SHORT_FORMS = [
  "Ref", "Condition", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or",
  "FindInMap", "Base64", "GetAZs", "ImportValue", "Cidr",
];

function longName(name: string): string {
  return name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
}

/** `!GetAtt Role.Arn` splits at the first dot; the attribute part may itself contain dots. */
function scalarArgument(name: string, value: string): unknown {
  if (name !== "GetAtt") return value;
  const dot = value.indexOf(".");
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
}

function shortForm(name: string): (ScalarTag | CollectionTag)[] {
  const collection = (kind: "seq" | "map"): CollectionTag => ({
    tag: `!${name}`,
    collection: kind,
    resolve: (node) => ({ [longName(name)]: node.toJSON() }),
  });
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [longName(name)]: scalarArgument(name, value) }) },
    collection("seq"),
    collection("map"),
  ];
}

export const CFN_YAML_TAGS = SHORT_FORMS.flatMap(shortForm);

export function isJsonBody(body: string): boolean {
  return body.trimStart().startsWith("{");
}

/** The parsed document; throws the JSON or YAML parser's error on a malformed body. */
export function parseTemplateBody(body: string): unknown {
  return isJsonBody(body) ? (JSON.parse(body) as unknown) : parseYaml(body, { customTags: CFN_YAML_TAGS });
}
