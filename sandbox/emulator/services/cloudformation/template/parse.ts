import { parse as parseYaml, YAMLParseError, type CollectionTag, type ScalarTag } from "yaml";
import { templateFormatError } from "../errors.js";
import { requireRecognizedTypes } from "./resource-types.js";

export interface ParameterDeclaration {
  Type: string;
  Default?: unknown;
  AllowedValues?: unknown[];
  NoEcho?: boolean;
  Description?: string;
}

export interface ResourceDeclaration {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface OutputDeclaration {
  Value: unknown;
  Description?: string;
  Condition?: string;
  Export?: { Name: unknown };
}

export interface Template {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<string, ParameterDeclaration>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, ResourceDeclaration>;
  Outputs?: Record<string, OutputDeclaration>;
  Transform?: string | string[];
}

/** YAML short forms, each rewritten to the long JSON form (`!Ref X` → `{ Ref: X }`). */
const SHORT_FORMS = [
  "Ref", "Condition", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or",
  "FindInMap", "Base64", "GetAZs", "ImportValue",
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

const customTags = SHORT_FORMS.flatMap(shortForm);

/** Parses a template body as CloudFormation does: JSON when it looks like JSON, otherwise YAML. */
export function parseTemplate(body: string): Template {
  const document = body.trimStart().startsWith("{") ? parseJson(body) : parseYamlBody(body);
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw templateFormatError("unsupported structure.");
  }
  const template = document as Partial<Template>;
  const resources = template.Resources;
  if (typeof resources !== "object" || resources === null || Object.keys(resources).length === 0) {
    throw templateFormatError("At least one Resources member must be defined.");
  }
  for (const [logicalId, declaration] of Object.entries(resources)) {
    if (typeof declaration !== "object" || declaration === null || typeof declaration.Type !== "string") {
      throw templateFormatError(`[/Resources/${logicalId}] Every Resources object must contain a Type member.`);
    }
  }
  requireRecognizedTypes(Object.values(resources).map((declaration) => declaration.Type));
  return template as Template;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw templateFormatError(`JSON not well-formed. (${(error as Error).message})`);
  }
}

function parseYamlBody(body: string): unknown {
  try {
    return parseYaml(body, { customTags });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const at = error.linePos?.[0];
      throw templateFormatError(`YAML not well-formed. ${at ? `(line ${at.line}, column ${at.col})` : error.message}`);
    }
    throw error;
  }
}
