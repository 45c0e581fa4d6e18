import type { NormalizedSchema } from "@smithy/core/schema";
import { ec2QueryName } from "../../protocol/query.js";
import { lowerFirst, type OperationSchema, presentMembers } from "../../protocol/sdk-schemas.js";

/**
 * EC2's requestParameters and responseElements as CloudTrail records them. EC2 logs the request
 * in the shape of its original XML API: lowerCamel names, lists as `{ "items": [...] }` (an
 * empty one as `{}`), and a few lists under their old SOAP names (`resourcesSet`, `tagSet`,
 * `groupSet` …) that the SDK's query names no longer carry. The response is the XML body as JSON,
 * with `requestId` and `return` spelled `_return`. Operations added after that API (see
 * WRAPPED) are logged instead as `{ "<Action>Request": {…query names…} }`.
 */

interface LegacyList {
  /** The list's CloudTrail name. */
  name: string;
  /** For lists of strings: the key each item is wrapped in. */
  item?: string;
  /** A plain JSON array instead of `{ items }`. */
  plain?: boolean;
}

/** Keyed by the list's EC2 query name, or `<Structure>.<query name>` where the parent matters. */
const LEGACY_LISTS: Readonly<Record<string, LegacyList>> = {
  ResourceId: { name: "resourcesSet", item: "resourceId" },
  Tag: { name: "tagSet" },
  TagSpecification: { name: "tagSpecificationSet" },
  "TagSpecification.Tag": { name: "tags", plain: true },
  SecurityGroupId: { name: "groupSet", item: "groupId" },
  SecurityGroup: { name: "groupSet", item: "groupName" },
  InstanceId: { name: "instancesSet", item: "instanceId" },
  SecurityGroupRuleId: { name: "securityGroupRuleIds", item: "securityGroupRuleId" },
  SecurityGroupRuleDescription: { name: "securityGroupRuleDescriptions" },
};

/** Top-level request members the old API nested in a one-item set (RunInstances' instancesSet). */
const NESTED_SETS: Readonly<Record<string, { name: string; members: readonly string[] }>> = {
  RunInstances: { name: "instancesSet", members: ["imageId", "minCount", "maxCount"] },
};

/** Logged as `{ "<Action>Request": … }` / `{ "<Action>Response": … }`. */
const WRAPPED = new Set(["ModifySecurityGroupRules"]);

/** Actions whose response carries `<return>true</return>` though the SDK's model leaves it out. */
const RETURNS_TRUE = new Set(["CreateSecurityGroup", "CreateTags", "DeleteTags"]);

function scalar(value: unknown): unknown {
  return value instanceof Date ? value.getTime() : value;
}

function items(list: unknown[]): Record<string, unknown> {
  return list.length > 0 ? { items: list } : {};
}

function legacyList(parent: NormalizedSchema, name: string): LegacyList | undefined {
  return LEGACY_LISTS[`${parent.getName()}.${name}`] ?? LEGACY_LISTS[name];
}

/** One structure of the request, in the old API's names; `inList` items show their empty lists as `{}`. */
function legacyStruct(schema: NormalizedSchema, value: Record<string, unknown>, inList: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (inList) {
    for (const [memberName, member] of schema.structIterator()) {
      const legacy = legacyList(schema, ec2QueryName(member, memberName));
      if (member.isListSchema() && !legacy?.plain) out[legacy?.name ?? lowerFirst(ec2QueryName(member, memberName))] = {};
    }
  }
  for (const [memberName, member, v] of presentMembers(schema, value)) {
    const name = ec2QueryName(member, memberName);
    if (member.isListSchema()) {
      const legacy = legacyList(schema, name);
      const itemSchema = member.getValueSchema();
      const rendered = (v as unknown[]).map((item) =>
        itemSchema.isStructSchema() ? legacyStruct(itemSchema, item as Record<string, unknown>, true) : { [legacy?.item ?? lowerFirst(name)]: item },
      );
      out[legacy?.name ?? lowerFirst(name)] = legacy?.plain ? rendered : items(rendered);
    } else {
      out[lowerFirst(name)] = member.isStructSchema() ? legacyStruct(member, v as Record<string, unknown>, false) : scalar(v);
    }
  }
  return out;
}

/** The request in query form (ModifySecurityGroupRules): query names, list entries tagged with their position. */
function queryStruct(schema: NormalizedSchema, value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    presentMembers(schema, value).map(([memberName, member, v]) => {
      const name = ec2QueryName(member, memberName);
      if (!member.isListSchema()) return [name, member.isStructSchema() ? queryStruct(member, v as Record<string, unknown>) : scalar(v)];
      const itemSchema = member.getValueSchema();
      const entries = (v as unknown[]).map((item, i) => (itemSchema.isStructSchema() ? { tag: i + 1, ...queryStruct(itemSchema, item as Record<string, unknown>) } : item));
      return [name, entries.length === 1 ? entries[0] : entries];
    }),
  );
}

/** The response body's XML as JSON: element names, lists as `{ items }`. */
function xmlStruct(schema: NormalizedSchema, value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    presentMembers(schema, value).map(([memberName, member, v]) => {
      const name = (member.getMergedTraits() as { xmlName?: string }).xmlName ?? lowerFirst(memberName);
      const key = name === "return" ? "_return" : name;
      if (!member.isListSchema()) return [key, member.isStructSchema() ? xmlStruct(member, v as Record<string, unknown>) : scalar(v)];
      const itemSchema = member.getValueSchema();
      return [key, items((v as unknown[]).map((item) => (itemSchema.isStructSchema() ? xmlStruct(itemSchema, item as Record<string, unknown>) : item)))];
    }),
  );
}

export function ec2RequestParameters(action: string, schema: OperationSchema, params: Record<string, unknown>): Record<string, unknown> {
  if (WRAPPED.has(action)) return { [`${action}Request`]: queryStruct(schema.input, params) };
  const out = legacyStruct(schema.input, params, false);
  const nested = NESTED_SETS[action];
  if (nested) {
    const item = Object.fromEntries(nested.members.filter((m) => m in out).map((m) => [m, out[m]]));
    for (const m of nested.members) delete out[m];
    out[nested.name] = items([item]);
  }
  return out;
}

export function ec2ResponseElements(action: string, schema: OperationSchema, result: Record<string, unknown>, requestId: string, namespace: string): Record<string, unknown> {
  const body = schema.output.isStructSchema() ? xmlStruct(schema.output, result) : {};
  if (WRAPPED.has(action)) {
    const { _return, ...rest } = body;
    return { requestId, [`${action}Response`]: { xmlns: namespace, ...rest, ...(_return === undefined ? {} : { return: _return }) } };
  }
  return { requestId, ...(RETURNS_TRUE.has(action) ? { _return: true } : {}), ...body };
}
