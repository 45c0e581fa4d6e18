import type { Tags } from "../../state.js";

/** AWS APIs carry tags as [{ Key, Value }]; the world keeps them as a plain map. */

export interface TagEntry {
  Key?: string;
  Value?: string;
}

export function toTagList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromTagList(list: TagEntry[] | undefined): Tags {
  const out: Tags = {};
  for (const t of list ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}
