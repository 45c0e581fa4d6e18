/**
 * Tags as driftguard reads and restores them: exemption tags, guardrail checks and the
 * remediators' tag repair. Only tags the template sets are managed: their values are put back,
 * tags added outside the template are kept, and `aws:*` tags (reserved, set by AWS itself) are
 * never written.
 */

export type TagMap = Record<string, string>;

/** `[{Key, Value}]` (CloudFormation and SDK shape) as a map; anything else is no tags. */
export function tagMap(list: unknown): TagMap {
  const map: TagMap = {};
  if (!Array.isArray(list)) return map;
  for (const item of list) {
    if (item !== null && typeof item === "object" && typeof (item as { Key?: unknown }).Key === "string") {
      const { Key, Value } = item as { Key: string; Value?: unknown };
      map[Key] = Value === undefined || Value === null ? "" : String(Value);
    }
  }
  return map;
}

export function tagList(map: Readonly<TagMap>): { Key: string; Value: string }[] {
  return Object.entries(map).map(([Key, Value]) => ({ Key, Value }));
}

/** The template-managed tags whose live value is missing or different. */
export function tagsToRestore(expectedTags: unknown, live: Readonly<TagMap>): TagMap {
  const restore: TagMap = {};
  for (const [key, value] of Object.entries(tagMap(expectedTags))) {
    if (!key.startsWith("aws:") && live[key] !== value) restore[key] = value;
  }
  return restore;
}
