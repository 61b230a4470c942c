// --set path=value: overrides after the environment and the parameters. Pure.

import { parse } from "yaml";
import { describeNode, keyOf } from "./environments.ts";
import type { LEntry, LNode, Pos } from "./located.ts";
import { KEYED_LISTS, type Problems } from "./model.ts";

export type SetSegment = string | number;

/** Parses `a.b[0].c`, `a.b.0.c` and `a["x.y/z"]`. Returns an error message on bad syntax. */
export function parseSetPath(text: string): SetSegment[] | string {
  const segs: SetSegment[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === "[") {
      const close = text.indexOf("]", i);
      if (close < 0) return `unclosed '[' at character ${i + 1}`;
      const inner = text.slice(i + 1, close);
      if (/^[0-9]+$/.test(inner)) segs.push(Number(inner));
      else if (/^"[^"]*"$|^'[^']*'$/.test(inner)) segs.push(inner.slice(1, -1));
      else if (inner !== "") segs.push(inner);
      else return `empty [] at character ${i + 1}`;
      i = close + 1;
      if (i < text.length && text[i] !== "." && text[i] !== "[")
        return `expected '.' or '[' after ']' at character ${i + 1}`;
      if (text[i] === ".") {
        i++;
        if (i >= text.length) return "the path ends with '.'";
      }
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== "." && text[j] !== "[") j++;
    const seg = text.slice(i, j);
    if (seg === "") return `empty segment at character ${i + 1}`;
    segs.push(/^[0-9]+$/.test(seg) ? Number(seg) : seg);
    i = j;
    if (text[i] === ".") {
      i++;
      if (i >= text.length) return "the path ends with '.'";
    }
  }
  if (segs.length === 0) return "the path is empty";
  return segs;
}

export function parseSetValue(text: string): unknown {
  if (text === "") return "";
  try {
    // logLevel error: a tag in a --set value must not print a process warning.
    return parse(text, { maxAliasCount: 0, logLevel: "error" });
  } catch {
    return text;
  }
}

export function applySet(
  root: LNode,
  segs: SetSegment[],
  value: unknown,
  pos: Pos,
  arg: string,
  problems: Problems,
): LNode {
  const fail = (message: string, hint: string): LNode => {
    problems.add(pos, arg.slice(0, arg.indexOf("=")), message, hint, "error", `--set ${arg}`);
    return root;
  };
  // Copy-on-write along the path.
  const make = (v: unknown, p: Pos): LNode => {
    if (Array.isArray(v)) return { t: "seq", items: v.map((x) => make(x, p)), pos: p };
    if (v !== null && typeof v === "object") {
      const entries = new Map<string, LEntry>();
      for (const [k, x] of Object.entries(v)) entries.set(k, { key: p, value: make(x, p) });
      return { t: "map", entries, pos: p };
    }
    return { t: "scalar", value: v, pos: p };
  };
  const setPos: Pos = { ...pos, origin: `--set ${arg}` };
  const walk = (node: LNode, i: number, listPath: string): LNode | string => {
    const seg = segs[i] as SetSegment;
    const last = i === segs.length - 1;
    const here = segs.slice(0, i).join(".");
    if (node.t === "map") {
      const key = String(seg);
      const existing = node.entries.get(key);
      const entries = new Map(node.entries);
      const childPath = listPath ? `${listPath}.${key}` : key;
      if (last) {
        if (value === null) entries.delete(key);
        else entries.set(key, { key: existing?.key ?? setPos, value: make(value, setPos) });
      } else {
        const child: LNode = existing?.value ?? { t: "map", entries: new Map(), pos: setPos };
        const r = walk(
          child.t === "scalar" && child.value === null
            ? { t: "map", entries: new Map(), pos: child.pos }
            : child,
          i + 1,
          childPath,
        );
        if (typeof r === "string") return r;
        entries.set(key, { key: existing?.key ?? setPos, value: r });
      }
      return { ...node, entries };
    }
    if (node.t === "seq") {
      const keyField = KEYED_LISTS[listPath];
      let index: number;
      if (typeof seg === "number") {
        if (seg >= node.items.length)
          return `${here} has ${node.items.length} entries; index ${seg} is out of range`;
        index = seg;
      } else {
        index = node.items.findIndex(
          (item) => keyOf(item, "name") === seg || keyOf(item, "component") === seg,
        );
        if (index < 0) {
          const known = node.items
            .map((item) => keyOf(item, keyField ?? "name") ?? keyOf(item, "component"))
            .filter((k): k is string => k !== undefined);
          return `no entry '${seg}' in ${here}${known.length ? ` (entries: ${known.join(", ")})` : ""}`;
        }
      }
      const items = [...node.items];
      if (last) {
        if (value === null) items.splice(index, 1);
        else items[index] = make(value, setPos);
      } else {
        const r = walk(items[index] as LNode, i + 1, `${listPath}[]`);
        if (typeof r === "string") return r;
        items[index] = r;
      }
      return { ...node, items };
    }
    return `${here || "(root)"} is ${describeNode(node)}, not a mapping or list`;
  };
  const r = walk(root, 0, "");
  if (typeof r === "string")
    return fail(
      `cannot set ${arg.slice(0, arg.indexOf("="))}: ${r}`,
      "check the path against the blueprint: archctl render -f FILE shows the resolved manifest",
    );
  return r;
}
