// The blueprint file format: an Architecture manifest plus what only the CLI
// needs. Pure (no fs): the CLI reads the file and hands the text in here.
//
//   apiVersion: archctl.io/v1alpha1
//   kind: Architecture
//   metadata: {name: post}
//   spec: {...}                     # may use ${param} anywhere in a string
//   parameters:                     # CLI-only
//     - {name: tag, description: image tag, default: "1.0.0", type: string}
//   environments:                   # CLI-only: overlays chosen with --env
//     prod:
//       parameters: {replicas: 4}   # parameter values for this environment
//       metadata: {...}
//       spec: {...}                 # deep-merged onto spec (see mergeOverlay)
//
// Resolution: overlay of the chosen environment -> parameter substitution ->
// --set overrides -> CLI-only fields stripped -> validateArchitecture. Every
// problem, whatever its stage, comes back as a BlueprintProblem that names a
// line and column of the file (or of the --set argument it came from).
import type { Document } from "yaml";
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parse, parseDocument } from "yaml";
import type { Architecture } from "./schema.ts";
import { didYouMean } from "./suggest.ts";
import type { IssuePath } from "./validate.ts";
import { clip, formatPath, shown, validateArchitecture } from "./validate.ts";

export const BLUEPRINT_ONLY_FIELDS = ["parameters", "environments"] as const;

/** Lists in an Architecture whose entries are identified by a key field. */
export const KEYED_LISTS: Record<string, string> = {
  "spec.components": "name",
  "spec.gpuPools": "name",
  "spec.autoscaling": "component",
  "spec.backups": "component",
};

export const PARAMETER_TYPES = ["string", "integer", "number", "boolean"] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export interface Parameter {
  name: string;
  description: string;
  type: ParameterType;
  default?: string | number | boolean;
  /** The value in effect after the environment and --set. */
  value?: string | number | boolean;
  /** Where the value came from: default, environment <name>, or --set. */
  source: string;
}

export interface BlueprintProblem {
  file: string;
  line: number;
  col: number;
  /** The path in the resolved manifest (or in the blueprint, for blueprint-only fields). */
  path: string;
  message: string;
  hint?: string;
  severity: "error" | "warning";
  /** Set when the offending value came from an environment overlay, a parameter or --set. */
  origin?: string;
}

export interface BlueprintOptions {
  /** Shown in every problem; the CLI passes the path the user gave. */
  file: string;
  env?: string;
  /** `path=value` overrides, in command-line order. */
  set?: string[];
}

export interface LoadedBlueprint {
  problems: BlueprintProblem[];
  /** The Architecture manifest after resolution (present unless the file could not be read as YAML). */
  manifest?: Record<string, unknown>;
  /** Present exactly when there are no errors (warnings allowed). */
  architecture?: Architecture;
  environments: string[];
  parameters: Parameter[];
}

// ---------------------------------------------------------------------------
// A located tree: plain YAML values that remember where each came from.

interface Pos {
  line: number;
  col: number;
  /** Set for positions outside the blueprint file (a --set argument). */
  file?: string;
  /** "environment 'prod'", "--set a.b=c": why this value is what it is. */
  origin?: string;
}

type LNode =
  | { t: "map"; entries: Map<string, LEntry>; pos: Pos }
  | { t: "seq"; items: LNode[]; pos: Pos }
  | { t: "scalar"; value: unknown; pos: Pos; note?: string };

interface LEntry {
  key: Pos;
  value: LNode;
}

const MAX_DEPTH = 64;
const MAX_ALIAS_COUNT = 100;

class Problems {
  readonly list: BlueprintProblem[] = [];
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }
  add(
    pos: Pos,
    path: IssuePath | string,
    message: string,
    hint?: string,
    severity: "error" | "warning" = "error",
    origin?: string,
  ): void {
    const p: BlueprintProblem = {
      file: pos.file ?? this.file,
      line: pos.line,
      col: pos.col,
      // Clipped: a value echoed from a hostile file must not flood the terminal.
      path: clip(typeof path === "string" ? path : formatPath(path), 300),
      message: clip(message, 1000),
      severity,
    };
    if (hint) p.hint = clip(hint, 1000);
    const o = origin ?? pos.origin;
    if (o) p.origin = o;
    this.list.push(p);
  }
  get hasErrors(): boolean {
    return this.list.some((p) => p.severity === "error");
  }
}

function firstLine(message: string): string {
  const line = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  // The parser quotes the offending text, which can be a whole paragraph.
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

function toLNode(
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

function toJS(node: LNode): unknown {
  if (node.t === "scalar") return node.value;
  if (node.t === "seq") return node.items.map(toJS);
  const out: Record<string, unknown> = {};
  for (const [k, e] of node.entries) out[k] = toJS(e.value);
  return out;
}

function withOrigin(node: LNode, origin: string): LNode {
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
function locate(
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

// ---------------------------------------------------------------------------
// Environment overlays

function describeNode(node: LNode): string {
  if (node.t === "map") return "a mapping";
  if (node.t === "seq") return "a list";
  return node.value === null ? "null" : typeof node.value;
}

function keyOf(node: LNode, key: string): string | undefined {
  if (node.t !== "map") return undefined;
  const v = node.entries.get(key)?.value;
  return v?.t === "scalar" && v.value !== null ? String(v.value) : undefined;
}

/**
 * Deep-merges `over` onto `base`: mappings merge key by key, `null` deletes a
 * key, keyed lists (KEYED_LISTS) merge entry by entry, every other value
 * (scalars, other lists) replaces.
 */
function mergeOverlay(
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

// ---------------------------------------------------------------------------
// Parameters

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;

function typeOfValue(v: unknown): ParameterType | undefined {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return undefined;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function fitsType(v: unknown, type: ParameterType): boolean {
  const actual = typeOfValue(v);
  return actual === type || (type === "number" && actual === "integer");
}

function knownList(what: string, known: string[]): string {
  return known.length ? `${what}: ${known.join(", ")}` : `this blueprint declares no ${what}`;
}

function unknownNameHint(name: string, known: string[], what: string): string {
  const guess = didYouMean(name, known);
  return `${guess ? `did you mean '${guess}'? ` : ""}${knownList(what, known)}`;
}

interface ParamState {
  decl: Parameter;
  pos: Pos;
}

function readParameters(node: LNode | undefined, problems: Problems): Map<string, ParamState> {
  const params = new Map<string, ParamState>();
  if (!node) return params;
  if (node.t !== "seq") {
    problems.add(
      node.pos,
      "parameters",
      `parameters must be a list, got ${describeNode(node)}`,
      "write - {name: tag, description: ..., default: ...}",
    );
    return params;
  }
  for (const [i, item] of node.items.entries()) {
    const at: IssuePath = ["parameters", i];
    if (item.t !== "map") {
      problems.add(
        item.pos,
        at,
        `a parameter must be a mapping, got ${describeNode(item)}`,
        "write {name: tag, description: ..., default: ...}",
      );
      continue;
    }
    for (const [k, e] of item.entries) {
      if (!["name", "description", "default", "type"].includes(k)) {
        problems.add(
          e.key,
          [...at, k],
          `unknown field '${clip(k)}'`,
          "allowed here: name, description, default, type",
        );
      }
    }
    const nameNode = item.entries.get("name")?.value;
    const name =
      nameNode?.t === "scalar" && typeof nameNode.value === "string" ? nameNode.value : undefined;
    if (name === undefined || !PARAM_NAME.test(name)) {
      problems.add(
        nameNode?.pos ?? item.pos,
        [...at, "name"],
        name === undefined ? "a parameter needs a name" : `'${name}' is not a valid parameter name`,
        "use letters, digits and _, starting with a letter (it is referenced as ${name})",
      );
      continue;
    }
    if (params.has(name)) {
      problems.add(
        nameNode?.pos ?? item.pos,
        [...at, "name"],
        `parameter '${name}' is declared twice`,
        "declare each parameter once",
      );
      continue;
    }
    const descNode = item.entries.get("description")?.value;
    const description =
      descNode?.t === "scalar" && typeof descNode.value === "string" ? descNode.value : "";
    if (descNode && (descNode.t !== "scalar" || typeof descNode.value !== "string")) {
      problems.add(
        descNode.pos,
        [...at, "description"],
        "description must be text",
        "write one line saying what the parameter changes",
      );
    }
    const defNode = item.entries.get("default")?.value;
    let def: string | number | boolean | undefined;
    if (defNode) {
      if (defNode.t !== "scalar" || typeOfValue(defNode.value) === undefined) {
        problems.add(
          defNode.pos,
          [...at, "default"],
          `a default must be a string, number or boolean, got ${describeNode(defNode)}`,
          "write a single value",
        );
      } else def = defNode.value as string | number | boolean;
    }
    const typeNode = item.entries.get("type")?.value;
    let type: ParameterType | undefined;
    if (typeNode) {
      const t = typeNode.t === "scalar" ? typeNode.value : undefined;
      if (typeof t === "string" && (PARAMETER_TYPES as readonly string[]).includes(t))
        type = t as ParameterType;
      else
        problems.add(
          typeNode.pos,
          [...at, "type"],
          `${shown(toJS(typeNode))} is not a parameter type`,
          `use one of: ${PARAMETER_TYPES.join(", ")}`,
        );
    }
    type ??= (def === undefined ? undefined : typeOfValue(def)) ?? "string";
    if (def !== undefined && !fitsType(def, type)) {
      problems.add(
        defNode?.pos ?? item.pos,
        [...at, "default"],
        `default ${shown(def)} is not ${article(type)}`,
        `write ${article(type)} or change type`,
      );
    }
    const decl: Parameter = { name, description, type, source: "default" };
    if (def !== undefined) {
      decl.default = def;
      decl.value = def;
    }
    params.set(name, { decl, pos: nameNode?.pos ?? item.pos });
  }
  return params;
}

function setParameter(
  state: ParamState,
  raw: unknown,
  rawText: string | undefined,
  pos: Pos,
  path: string,
  source: string,
  problems: Problems,
): void {
  let value = raw;
  // --set tag=1.10 means the string "1.10" for a string parameter, not a number.
  if (state.decl.type === "string" && rawText !== undefined) value = rawText;
  if (state.decl.type === "string" && (typeof value === "number" || typeof value === "boolean"))
    value = String(value);
  if (!fitsType(value, state.decl.type)) {
    problems.add(
      pos,
      path,
      `parameter '${state.decl.name}' is ${article(state.decl.type)}, got ${shown(value)}`,
      `give ${article(state.decl.type)}`,
      "error",
      source,
    );
    return;
  }
  state.decl.value = value as string | number | boolean;
  state.decl.source = source;
}

/** Substitutes ${name} in every string of the tree. */
function substitute(
  node: LNode,
  params: Map<string, ParamState>,
  problems: Problems,
  path: IssuePath,
): LNode {
  if (node.t === "map") {
    const entries = new Map<string, LEntry>();
    for (const [k, e] of node.entries)
      entries.set(k, { key: e.key, value: substitute(e.value, params, problems, [...path, k]) });
    return { ...node, entries };
  }
  if (node.t === "seq")
    return {
      ...node,
      items: node.items.map((item, i) => substitute(item, params, problems, [...path, i])),
    };
  if (typeof node.value !== "string" || !node.value.includes("${")) return node;
  const text = node.value;
  const used: string[] = [];
  const paramValue = (name: string): string | number | boolean | undefined => {
    const p = params.get(name);
    if (!p) {
      problems.add(
        node.pos,
        path,
        `unknown parameter '\${${name}}'`,
        unknownNameHint(name, [...params.keys()], "parameters"),
      );
      return undefined;
    }
    used.push(
      `${name}=${JSON.stringify(p.decl.value)}${p.decl.source === "default" ? "" : ` from ${p.decl.source}`}`,
    );
    if (p.decl.value === undefined) {
      problems.add(
        node.pos,
        path,
        `parameter '${name}' has no value`,
        `give it a default or pass --set ${name}=...`,
      );
    }
    return p.decl.value;
  };
  const exact = /^\$\{([^}]*)\}$/.exec(text);
  let value: unknown;
  if (exact) value = paramValue(exact[1] as string) ?? text;
  else
    value = text.replace(REFERENCE, (m, name: string | undefined) => {
      if (name === undefined) return "${";
      const v = paramValue(name);
      return v === undefined ? m : String(v);
    });
  const out: LNode = { t: "scalar", value, pos: node.pos };
  if (used.length) out.note = `parameter ${used.join(", ")}`;
  return out;
}

/** Every ${name} referenced anywhere in the tree, with where. */
function references(
  node: LNode,
  path: IssuePath,
  out: { name: string; pos: Pos; path: IssuePath }[],
): void {
  if (node.t === "map") for (const [k, e] of node.entries) references(e.value, [...path, k], out);
  else if (node.t === "seq")
    for (const [i, item] of node.items.entries()) references(item, [...path, i], out);
  else if (typeof node.value === "string")
    for (const m of node.value.matchAll(REFERENCE))
      if (m[1] !== undefined) out.push({ name: m[1], pos: node.pos, path });
}

// ---------------------------------------------------------------------------
// --set path=value

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

function parseSetValue(text: string): unknown {
  if (text === "") return "";
  try {
    // logLevel error: a tag in a --set value must not print a process warning.
    return parse(text, { maxAliasCount: 0, logLevel: "error" });
  } catch {
    return text;
  }
}

function applySet(
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

// ---------------------------------------------------------------------------

// After the first few syntax errors the rest are mostly echoes of them (a
// Markdown file passed by mistake gives dozens): report the first ones.
const MAX_SYNTAX_ERRORS = 5;

function parseProblems(doc: Document, problems: Problems): boolean {
  for (const e of doc.errors.slice(0, MAX_SYNTAX_ERRORS)) {
    const lp = e.linePos?.[0] ?? { line: 1, col: 1 };
    let hint = "fix the YAML syntax";
    if (e.code === "DUPLICATE_KEY") hint = "remove or rename one of the two keys";
    else if (e.code === "TAB_AS_INDENT") hint = "indent with spaces, not tabs";
    else if (e.code === "MULTIPLE_DOCS")
      hint = "a blueprint is one YAML document: remove the '---' separators";
    else if (/indent/i.test(e.message))
      hint = "check the indentation of this line and the one above";
    problems.add(lp, "", firstLine(e.message), hint);
  }
  const more = doc.errors.length - MAX_SYNTAX_ERRORS;
  if (more > 0) {
    const last = doc.errors[MAX_SYNTAX_ERRORS - 1]?.linePos?.[0] ?? { line: 1, col: 1 };
    problems.add(
      last,
      "",
      `${more} more YAML syntax error${more === 1 ? "" : "s"} not shown`,
      "fix the first ones, then validate again (is this a YAML file?)",
    );
  }
  for (const w of doc.warnings) {
    const lp = w.linePos?.[0] ?? { line: 1, col: 1 };
    problems.add(lp, "", firstLine(w.message), "remove the tag", "warning");
  }
  return doc.errors.length === 0;
}

function sortProblems(list: BlueprintProblem[]): BlueprintProblem[] {
  return list
    .map((p, i) => ({ p, i }))
    .sort((a, b) => {
      const fa = a.p.file.startsWith("(") ? 1 : 0;
      const fb = b.p.file.startsWith("(") ? 1 : 0;
      return fa - fb || a.p.line - b.p.line || a.p.col - b.p.col || a.i - b.i;
    })
    .map((x) => x.p)
    .filter((p, i, all) => {
      const prev = all[i - 1];
      return (
        !prev ||
        prev.line !== p.line ||
        prev.col !== p.col ||
        prev.message !== p.message ||
        prev.file !== p.file
      );
    });
}

/** Parses and resolves a blueprint into an Architecture manifest, and validates it. Never throws on bad input. */
export function loadBlueprint(text: string, options: BlueprintOptions): LoadedBlueprint {
  const problems = new Problems(options.file);
  const result: LoadedBlueprint = { problems: problems.list, environments: [], parameters: [] };
  const finish = (): LoadedBlueprint => {
    result.problems = sortProblems(problems.list);
    return result;
  };

  // 1. YAML
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    uniqueKeys: true,
    prettyErrors: true,
    strict: true,
  });
  if (!parseProblems(doc, problems)) return finish();
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    problems.add(
      { line: 1, col: 1 },
      "",
      /alias/i.test(msg) ? `too many aliases: ${msg}` : firstLine(msg),
      `expand the YAML aliases (*name); at most ${MAX_ALIAS_COUNT} are allowed`,
    );
    return finish();
  }
  if (doc.contents === null) {
    problems.add(
      { line: 1, col: 1 },
      "",
      "the file is empty",
      "start from a catalogue blueprint: archctl init post FILE",
    );
    return finish();
  }
  const root = toLNode(doc.contents, doc, lc, problems, undefined, 0);
  if (problems.hasErrors) return finish();
  if (root.t !== "map") {
    problems.add(
      root.pos,
      "",
      `a blueprint is a mapping (apiVersion, kind, metadata, spec, ...), got ${describeNode(root)}`,
      "start from a catalogue blueprint: archctl init post FILE",
    );
    return finish();
  }

  // 2. Parameters and environments
  const params = readParameters(root.entries.get("parameters")?.value, problems);
  const envEntry = root.entries.get("environments");
  const envs = new Map<string, LEntry>();
  if (envEntry) {
    const envNode = envEntry.value;
    if (envNode.t !== "map") {
      problems.add(
        envNode.pos,
        "environments",
        `environments must be a mapping of name to overlay, got ${describeNode(envNode)}`,
        "write environments: {dev: {spec: ...}, prod: {spec: ...}}",
      );
    } else {
      for (const [name, e] of envNode.entries) {
        const at: IssuePath = ["environments", name];
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
          problems.add(
            e.key,
            at,
            `'${name}' is not a valid environment name`,
            "use lower-case letters, digits and '-'",
          );
        if (e.value.t === "scalar" && e.value.value === null) {
          envs.set(name, e);
          continue;
        }
        if (e.value.t !== "map") {
          problems.add(
            e.value.pos,
            at,
            `an environment is a mapping with metadata, spec and parameters, got ${describeNode(e.value)}`,
            "write prod: {spec: {...}}",
          );
          continue;
        }
        for (const [k, f] of e.value.entries) {
          if (!["metadata", "spec", "parameters"].includes(k))
            problems.add(
              f.key,
              [...at, k],
              `unknown field '${clip(k)}' in environment '${clip(name)}'`,
              `${didYouMean(k, ["metadata", "spec", "parameters"]) ? `did you mean '${didYouMean(k, ["metadata", "spec", "parameters"])}'? ` : ""}allowed here: metadata, spec, parameters`,
            );
        }
        const pv = e.value.entries.get("parameters")?.value;
        if (pv && pv.t !== "map")
          problems.add(
            pv.pos,
            [...at, "parameters"],
            `environment parameters are a mapping of parameter name to value, got ${describeNode(pv)}`,
            "write parameters: {replicas: 3}",
          );
        else if (pv?.t === "map") {
          for (const [pname, pe] of pv.entries) {
            if (!params.has(pname))
              problems.add(
                pe.key,
                [...at, "parameters", pname],
                `unknown parameter '${pname}'`,
                unknownNameHint(pname, [...params.keys()], "parameters"),
              );
          }
        }
        envs.set(name, e);
      }
    }
  }
  result.environments = [...envs.keys()];

  // Every ${name} anywhere in the file must be declared; every declared one should be used.
  const refs: { name: string; pos: Pos; path: IssuePath }[] = [];
  for (const [k, e] of root.entries) if (k !== "parameters") references(e.value, [k], refs);
  const referenced = new Set(refs.map((r) => r.name));
  for (const r of refs) {
    if (!params.has(r.name)) {
      problems.add(
        r.pos,
        r.path,
        `unknown parameter '\${${r.name}}'`,
        unknownNameHint(r.name, [...params.keys()], "parameters"),
      );
    }
  }
  for (const p of params.values()) {
    if (!referenced.has(p.decl.name))
      problems.add(
        p.pos,
        "parameters",
        `parameter '${p.decl.name}' is declared but never used`,
        `reference it as \${${p.decl.name}} or remove it`,
        "warning",
      );
  }

  // 3. Environment overlay
  let merged: LNode = {
    t: "map",
    entries: new Map(
      [...root.entries].filter(([k]) => !(BLUEPRINT_ONLY_FIELDS as readonly string[]).includes(k)),
    ),
    pos: root.pos,
  };
  if (options.env !== undefined) {
    const env = envs.get(options.env);
    if (!env) {
      const known = [...envs.keys()];
      problems.add(
        envEntry?.key ?? { line: 1, col: 1 },
        "environments",
        `unknown environment '${options.env}'`,
        envs.size
          ? `${didYouMean(options.env, known) ? `did you mean '${didYouMean(options.env, known)}'? ` : ""}available: ${known.join(", ")}`
          : "this blueprint defines no environments: leave out --env",
        "error",
        "--env",
      );
      return finish();
    }
    if (env.value.t === "map") {
      const origin = `environment '${options.env}'`;
      const overlay = withOrigin(env.value, origin);
      if (overlay.t === "map") {
        for (const [pname, pe] of (
          overlay.entries.get("parameters")?.value as Extract<LNode, { t: "map" }> | undefined
        )?.entries ?? []) {
          const state = params.get(pname);
          if (state)
            setParameter(
              state,
              toJS(pe.value),
              undefined,
              pe.value.pos,
              formatPath(["environments", options.env, "parameters", pname]),
              origin,
              problems,
            );
        }
        const overlayManifest: LNode = {
          t: "map",
          entries: new Map([...overlay.entries].filter(([k]) => k !== "parameters")),
          pos: overlay.pos,
        };
        merged = mergeOverlay(merged, overlayManifest, "", problems) ?? merged;
      }
    }
  }

  // 4. --set: parameters first (they feed substitution), fields after.
  const fieldSets: { segs: SetSegment[]; value: unknown; pos: Pos; arg: string }[] = [];
  for (const [n, arg] of (options.set ?? []).entries()) {
    const pos: Pos = { file: "(--set)", line: n + 1, col: 1 };
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      problems.add(
        pos,
        "",
        `--set '${arg}' is not path=value`,
        "write --set spec.components.api.replicas=3 or --set PARAMETER=value",
        "error",
        `--set ${arg}`,
      );
      continue;
    }
    const pathText = arg.slice(0, eq);
    const rawValue = arg.slice(eq + 1);
    const segs = parseSetPath(pathText);
    if (typeof segs === "string") {
      problems.add(
        pos,
        pathText,
        `--set '${arg}': ${segs}`,
        'write a path like spec.components.api.replicas or metadata.labels["team.io/owner"]',
        "error",
        `--set ${arg}`,
      );
      continue;
    }
    const value = parseSetValue(rawValue);
    const valuePos: Pos = { ...pos, col: eq + 2 };
    const first = segs[0];
    if (typeof first === "string" && params.has(first)) {
      if (segs.length > 1) {
        problems.add(
          pos,
          pathText,
          `'${first}' is a parameter; it has no fields`,
          `write --set ${first}=value`,
          "error",
          `--set ${arg}`,
        );
        continue;
      }
      setParameter(
        params.get(first) as ParamState,
        value,
        rawValue,
        valuePos,
        pathText,
        `--set ${arg}`,
        problems,
      );
      continue;
    }
    if (segs.length === 1 && !["apiVersion", "kind", "metadata", "spec"].includes(String(first))) {
      problems.add(
        pos,
        pathText,
        `'${String(first)}' is neither a parameter nor a manifest field`,
        `${unknownNameHint(String(first), [...params.keys()], "parameters")}; to set a field give its path, e.g. spec.ttl=2h`,
        "error",
        `--set ${arg}`,
      );
      continue;
    }
    if (
      ["apiVersion", "kind"].includes(String(first)) ||
      !["metadata", "spec"].includes(String(first))
    ) {
      problems.add(
        pos,
        pathText,
        `--set can change metadata.* and spec.* fields or parameters, not '${String(first)}'`,
        unknownNameHint(String(first), [...params.keys()], "parameters"),
        "error",
        `--set ${arg}`,
      );
      continue;
    }
    fieldSets.push({ segs, value, pos: valuePos, arg });
  }
  result.parameters = [...params.values()].map((p) => p.decl);

  // 5. Substitution, then field overrides (their values are taken literally).
  merged = substitute(merged, params, new Problems(options.file), []); // unknown references were reported above
  for (const s of fieldSets) merged = applySet(merged, s.segs, s.value, s.pos, s.arg, problems);

  // 6. The Architecture itself
  const manifest = toJS(merged) as Record<string, unknown>;
  result.manifest = manifest;
  const validation = validateArchitecture(manifest);
  for (const issue of validation.issues) {
    const found = locate(merged, issue.path, issue.message.startsWith("unknown field"));
    const origins: string[] = [];
    if (found.pos.origin) origins.push(found.pos.origin);
    if (found.exact && found.node?.t === "scalar" && found.node.note) origins.push(found.node.note);
    let hint = issue.hint;
    if (
      found.pos.origin?.startsWith("--set ") &&
      /^expected string, got (number|boolean)$/.test(issue.message)
    ) {
      // --set reads YAML: 1 and true are not text unless quoted.
      const arg = found.pos.origin.slice("--set ".length);
      const eq = arg.indexOf("=");
      hint = `quote the value to pass text: --set '${arg.slice(0, eq)}="${arg.slice(eq + 1)}"'`;
    }
    problems.add(
      found.pos,
      issue.path,
      issue.message,
      hint,
      issue.severity,
      origins.length ? origins.join("; ") : undefined,
    );
  }
  if (!problems.hasErrors && validation.architecture) result.architecture = validation.architecture;
  return finish();
}

/**
 * Validates the blueprint as written and in every environment it declares,
 * so that CI catches a broken prod overlay while someone edits dev. Problems
 * found only in some environments say which.
 */
export function validateBlueprint(
  text: string,
  options: Omit<BlueprintOptions, "env">,
): BlueprintProblem[] {
  const base = loadBlueprint(text, options);
  if (!base.manifest) return base.problems;
  const runs: { env: string | undefined; problems: BlueprintProblem[] }[] = [
    { env: undefined, problems: base.problems },
  ];
  for (const env of base.environments)
    runs.push({ env, problems: loadBlueprint(text, { ...options, env }).problems });
  const key = (p: BlueprintProblem): string =>
    `${p.file}:${p.line}:${p.col}:${p.path}:${p.message}`;
  const seenIn = new Map<string, { problem: BlueprintProblem; envs: string[] }>();
  for (const run of runs) {
    for (const p of run.problems) {
      const k = key(p);
      const entry = seenIn.get(k) ?? { problem: p, envs: [] };
      entry.envs.push(run.env ?? "(base)");
      seenIn.set(k, entry);
    }
  }
  const out: BlueprintProblem[] = [];
  for (const { problem, envs } of seenIn.values()) {
    if (envs.length === runs.length || runs.length === 1) out.push(problem);
    else {
      const where = envs.map((e) => (e === "(base)" ? "without --env" : `--env ${e}`)).join(", ");
      const named = envs.length === 1 && problem.origin?.includes(`environment '${envs[0]}'`);
      out.push(
        named
          ? problem
          : { ...problem, origin: problem.origin ? `${problem.origin}; ${where}` : where },
      );
    }
  }
  return sortProblems(out);
}

/** Formats one problem as `file:line:col  path  message  (hint)`. */
export function formatProblem(p: BlueprintProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  const sev = p.severity === "warning" ? "warning: " : "";
  const origin = p.origin ? ` [${p.origin}]` : "";
  return `${where}  ${p.path || "(root)"}  ${sev}${p.message}${origin}${p.hint ? `  (${p.hint})` : ""}`;
}
