// A located tree: plain YAML values that remember where each came from, so
// that every problem names a line and column. Pure.

import type { Document } from "yaml";
import { isAlias, isMap, isPair, isScalar, isSeq, type LineCounter } from "yaml";
import type { IssuePath } from "../../operator/api/validate.ts";
import type { Problems } from "./model.ts";

export interface Pos {
  line: number;
  col: number;
  /** Set for positions outside the blueprint file (a --set argument). */
  file?: string;
  /** "environment 'prod'", "--set a.b=c": why this value is what it is. */
  origin?: string;
}

export type LNode =
  | { t: "map"; entries: Map<string, LEntry>; pos: Pos }
  | { t: "seq"; items: LNode[]; pos: Pos }
  | { t: "scalar"; value: unknown; pos: Pos; note?: string };

export interface LEntry {
  key: Pos;
  value: LNode;
}

export const MAX_DEPTH = 64;
export const MAX_ALIAS_COUNT = 100;

export function firstLine(message: string): string {
  const line = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  // The parser quotes the offending text, which can be a whole paragraph.
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

export function toLNode(
  node: unknown,
  doc: Document,
  lc: LineCounter,
  problems: Problems,
  origin: string | undefined,
  depth: number,
): LNode {
  const at = (n: unknown): Pos => {
    const range = (n as { range?: [number, number, number] } | null)?.range;
    const lp = range ? lc.linePos(range[0]) : { line: 1, col: 1 };
    return origin ? { line: lp.line, col: lp.col, origin } : { line: lp.line, col: lp.col };
  };
  if (depth > MAX_DEPTH) {
    problems.add(
      at(node),
      "",
      "the document nests too deeply (a recursive alias?)",
      "remove the alias that refers to itself",
    );
    return { t: "scalar", value: null, pos: at(node) };
  }
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) return { t: "scalar", value: null, pos: at(node) };
    const resolved = toLNode(target, doc, lc, problems, origin, depth + 1);
    return { ...resolved, pos: at(node) } as LNode;
  }
  if (isMap(node)) {
    const entries = new Map<string, LEntry>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      const keyPos = at(keyNode ?? node);
      let key: string;
      if (isScalar(keyNode)) key = String(keyNode.value);
      else if (keyNode === null || keyNode === undefined) key = "";
      else {
        problems.add(
          keyPos,
          "",
          "a key must be a plain value, not a list or mapping",
          "write the key as text",
        );
        continue;
      }
      entries.set(key, {
        key: keyPos,
        value:
          pair.value === null || pair.value === undefined
            ? { t: "scalar", value: null, pos: keyPos }
            : toLNode(pair.value, doc, lc, problems, origin, depth + 1),
      });
    }
    return { t: "map", entries, pos: at(node) };
  }
  if (isSeq(node)) {
    return {
      t: "seq",
      items: node.items.map((item) =>
        item === null || item === undefined
          ? { t: "scalar" as const, value: null, pos: at(node) }
          : toLNode(item, doc, lc, problems, origin, depth + 1),
      ),
      pos: at(node),
    };
  }
  if (isScalar(node)) {
    const v = node.value;
    return { t: "scalar", value: typeof v === "bigint" ? Number(v) : v, pos: at(node) };
  }
  return { t: "scalar", value: null, pos: at(node) };
}

export function toJS(node: LNode): unknown {
  if (node.t === "scalar") return node.value;
  if (node.t === "seq") return node.items.map(toJS);
  const out: Record<string, unknown> = {};
  for (const [k, e] of node.entries) out[k] = toJS(e.value);
  return out;
}

export function withOrigin(node: LNode, origin: string): LNode {
  if (node.t === "scalar") return { ...node, pos: { ...node.pos, origin } };
  if (node.t === "seq")
    return {
      t: "seq",
      items: node.items.map((i) => withOrigin(i, origin)),
      pos: { ...node.pos, origin },
    };
  const entries = new Map<string, LEntry>();
  for (const [k, e] of node.entries)
    entries.set(k, { key: { ...e.key, origin }, value: withOrigin(e.value, origin) });
  return { t: "map", entries, pos: { ...node.pos, origin } };
}

/** Finds the deepest node along `path`; `exact` when the whole path exists. */
export function locate(
  root: LNode,
  path: IssuePath,
  atKey = false,
): { pos: Pos; node?: LNode; exact: boolean } {
  let node: LNode = root;
  let pos = root.pos;
  for (const [i, seg] of path.entries()) {
    if (node.t === "map" && node.entries.has(String(seg))) {
      const e = node.entries.get(String(seg)) as LEntry;
      pos = e.key.origin === e.value.pos.origin ? e.key : e.value.pos;
      node = e.value;
      // An unknown field is the key's fault, not its value's.
      if (atKey && i === path.length - 1) return { pos, node, exact: true };
    } else if (node.t === "seq" && typeof seg === "number" && node.items[seg]) {
      node = node.items[seg] as LNode;
      pos = node.pos;
    } else {
      return { pos, exact: false };
    }
  }
  return { pos: node.t === "scalar" ? node.pos : pos, node, exact: true };
}
