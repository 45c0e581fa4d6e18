import type { NormalizedSchema } from "@smithy/core/schema";
import { presentMembers } from "./sdk-schemas.js";

/** XML writing for the query, EC2 and REST-XML protocols, driven by the SDK's Smithy schemas. */

/**
 * Markup characters, carriage returns and the control characters XML 1.0 cannot carry raw become
 * character references, as S3 writes object keys: "carriage returns and other special characters
 * must be replaced with their equivalent XML entity code" (S3 User Guide, object-keys.html, "XML
 * related object key constraints").
 */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching the control characters is the point
  return text.replace(/[&<>"'\r\x00-\x08\x0b\x0c\x0e-\x1f]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function element(name: string, inner: string, attributes = ""): string {
  return `<${name}${attributes}>${inner}</${name}>`;
}

/** Timestamps may arrive as Date, ISO string or epoch seconds; XML bodies always carry ISO 8601. */
export function isoTimestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number") return new Date(value * 1000).toISOString();
  return String(value);
}

function scalarText(schema: NormalizedSchema, value: unknown): string {
  if (schema.isTimestampSchema()) return isoTimestamp(value);
  if (schema.isBlobSchema()) return Buffer.from(value as Uint8Array | string).toString("base64");
  return String(value);
}

/** The members of a structure as XML elements, without an enclosing element. */
export function structMembersXml(schema: NormalizedSchema, value: Record<string, unknown>): string {
  let out = "";
  for (const [memberName, member, v] of presentMembers(schema, value)) {
    const name = member.getMemberTraits().xmlName ?? memberName;
    if (member.getMergedTraits().xmlFlattened && Array.isArray(v)) {
      // A flattened list repeats the member element itself, with no wrapper.
      const item = member.isListSchema() ? member.getValueSchema() : member;
      for (const entry of v) out += shapeXml(item, entry, name);
    } else {
      out += shapeXml(member, v, name);
    }
  }
  return out;
}

/** One value as an XML element named `name`, following the schema's list/map conventions. */
function shapeXml(schema: NormalizedSchema, value: unknown, name: string): string {
  if (value === undefined || value === null) return "";
  if (schema.isStructSchema()) return element(name, structMembersXml(schema, value as Record<string, unknown>));
  if (schema.isListSchema()) {
    const item = schema.getValueSchema();
    const itemName = item.getMergedTraits().xmlName ?? "member";
    return element(name, (value as unknown[]).map((v) => shapeXml(item, v, itemName)).join(""));
  }
  if (schema.isMapSchema()) {
    const keyName = schema.getKeySchema().getMergedTraits().xmlName ?? "key";
    const valueSchema = schema.getValueSchema();
    const valueName = valueSchema.getMergedTraits().xmlName ?? "value";
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => element("entry", element(keyName, escapeXml(k)) + shapeXml(valueSchema, v, valueName)))
      .join("");
    return element(name, entries);
  }
  return element(name, escapeXml(scalarText(schema, value)));
}
