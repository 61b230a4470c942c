// Environment overlays: `environments.<name>` deep-merged onto the manifest. Pure.
import type { LEntry, LNode } from "./located.ts";
import { KEYED_LISTS, type Problems } from "./model.ts";

export function describeNode(node: LNode): string {
  if (node.t === "map") return "a mapping";
  if (node.t === "seq") return "a list";
  return node.value === null ? "null" : typeof node.value;
}

export function keyOf(node: LNode, key: string): string | undefined {
  if (node.t !== "map") return undefined;
  const v = node.entries.get(key)?.value;
  return v?.t === "scalar" && v.value !== null ? String(v.value) : undefined;
}

/**
 * Deep-merges `over` onto `base`: mappings merge key by key, `null` deletes a
 * key, keyed lists (KEYED_LISTS) merge entry by entry, every other value
 * (scalars, other lists) replaces.
 */
export function mergeOverlay(
  base: LNode | undefined,
  over: LNode,
  path: string,
  problems: Problems,
): LNode | undefined {
  if (over.t === "scalar" && over.value === null) return undefined;
  if (base?.t === "map" && over.t === "map") {
    const entries = new Map(base.entries);
    for (const [k, e] of over.entries) {
      const merged = mergeOverlay(
        entries.get(k)?.value,
        e.value,
        path ? `${path}.${k}` : k,
        problems,
      );
      if (merged === undefined) entries.delete(k);
      else
        entries.set(
          k,
          entries.has(k) && merged !== e.value
            ? { ...(entries.get(k) as LEntry), value: merged }
            : { key: e.key, value: merged },
        );
    }
    return { t: "map", entries, pos: base.pos };
  }
  const keyField = KEYED_LISTS[path];
  if (keyField && base?.t === "seq" && over.t === "seq") {
    const items = [...base.items];
    for (const item of over.items) {
      const key = keyOf(item, keyField);
      if (key === undefined) {
        problems.add(
          item.pos,
          path,
          `an overlay entry of ${path} has no ${keyField}`,
          `add ${keyField}: to say which entry it changes or adds`,
        );
        continue;
      }
      const i = items.findIndex((b) => keyOf(b, keyField) === key);
      if (i < 0) items.push(item);
      else {
        const merged = mergeOverlay(items[i], item, `${path}[]`, problems);
        if (merged === undefined) items.splice(i, 1);
        else items[i] = merged;
      }
    }
    return { t: "seq", items, pos: base.pos };
  }
  return over;
}
