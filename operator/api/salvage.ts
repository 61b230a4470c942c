// Salvage: the part of an invalid spec that the schema accepts.
//
// The semantic checks need a schema-valid Architecture, yet `archctl validate`
// promises every problem at once. So the values the schema refuses are cut out
// (a field, or a whole list entry when its name or type is refused), the rest
// is parsed again, and the semantic checks run on what survives. Paths are
// mapped back to the input's own, so file:line:col still points at the file.
// Pure: no I/O.
import type { Architecture } from "./schema.ts";
import { ArchitectureSchema } from "./schema.ts";
import type { IssuePath } from "./semantics.ts";

export interface Salvaged {
  architecture: Architecture;
  /** A path in `architecture` as a path in the original input. */
  toInput(path: IssuePath): IssuePath;
  /** Names of list entries cut out whole: a reference to one is not a new problem. */
  removedNames: Set<string>;
}

// Cut-out list entries stay in place as this marker until the list is compacted,
// so indices in the work copy keep matching the input's.
const CUT = Symbol("cut");
// Keys whose refusal makes a list entry meaningless (a component with no valid
// name cannot be referred to; one with no valid type has no shape).
const IDENTITY_KEYS = new Set(["name", "type"]);
// Each round cuts at least one value; a spec with more broken parts than this
// gets its schema problems reported and no semantic pass.
const MAX_ROUNDS = 8;

type Tree = unknown;

function clone(value: Tree, depth = 0): Tree {
  if (depth > 64) throw new RangeError("too deep to salvage");
  if (Array.isArray(value)) return value.map((v) => clone(v, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, Tree> = {};
    for (const [k, v] of Object.entries(value)) out[k] = clone(v, depth + 1);
    return out;
  }
  return value;
}

function childOf(node: Tree, key: string | number): Tree {
  if (node === null || typeof node !== "object") return undefined;
  return (node as Record<string | number, Tree>)[key];
}

function has(root: Tree, path: IssuePath): boolean {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(key in node)) return false;
    node = childOf(node, key);
    if (node === CUT) return false;
  }
  return true;
}

/** The list without cut entries, and for each kept entry its index in the work copy. */
interface Compacted {
  value: Tree;
  indexMaps: Map<string, number[]>;
}

function compact(node: Tree, at: string, maps: Map<string, number[]>): Tree {
  if (Array.isArray(node)) {
    const kept: Tree[] = [];
    const map: number[] = [];
    node.forEach((v, i) => {
      if (v === CUT) return;
      map.push(i);
      kept.push(compact(v, `${at}/${kept.length}`, maps));
    });
    maps.set(at, map);
    return kept;
  }
  if (node !== null && typeof node === "object") {
    const out: Record<string, Tree> = {};
    for (const [k, v] of Object.entries(node)) out[k] = compact(v, `${at}/${k}`, maps);
    return out;
  }
  return node;
}

function compacted(work: Tree): Compacted {
  const indexMaps = new Map<string, number[]>();
  return { value: compact(work, "", indexMaps), indexMaps };
}

function toWork(path: IssuePath, maps: Map<string, number[]>): IssuePath {
  const out: IssuePath = [];
  let at = "";
  for (const key of path) {
    out.push(typeof key === "number" ? (maps.get(at)?.[key] ?? key) : key);
    at = `${at}/${key}`;
  }
  return out;
}

/** The value to cut for a refused path: the field itself, or the entry it identifies. */
function cutTarget(work: Tree, path: IssuePath): IssuePath {
  let target = has(work, path) ? path : path.slice(0, -1);
  const last = target.at(-1);
  if (typeof last === "string" && IDENTITY_KEYS.has(last) && typeof target.at(-2) === "number")
    target = target.slice(0, -1);
  return target;
}

function cut(work: Tree, path: IssuePath): boolean {
  if (path.length === 0) return false; // the whole input: nothing left to check
  const parent = path.slice(0, -1).reduce<Tree>((node, key) => childOf(node, key), work);
  const key = path.at(-1) as string | number;
  if (Array.isArray(parent) && typeof key === "number" && parent[key] !== CUT) {
    parent[key] = CUT;
    return true;
  }
  if (parent !== null && typeof parent === "object" && !Array.isArray(parent) && key in parent) {
    delete (parent as Record<string | number, Tree>)[key];
    return true;
  }
  return false;
}

function entryNameAt(work: Tree, path: IssuePath): string | undefined {
  if (typeof path.at(-1) !== "number") return undefined;
  const name = childOf(
    path.reduce<Tree>((node, key) => childOf(node, key), work),
    "name",
  );
  return typeof name === "string" ? name : undefined;
}

/**
 * The largest schema-valid Architecture left after cutting what the schema
 * refuses, or undefined when too little is left to check (or the input is too
 * large or deep to copy cheaply).
 */
export function salvage(input: unknown): Salvaged | undefined {
  let work: Tree;
  try {
    work = clone(input);
  } catch {
    return undefined;
  }
  const removedNames = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { value, indexMaps } = compacted(work);
    const parsed = ArchitectureSchema.safeParse(value);
    if (parsed.success) {
      return {
        architecture: parsed.data,
        toInput: (path) => toWork(path, indexMaps),
        removedNames,
      };
    }
    let progress = false;
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
      const refused =
        issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...path, k]) : [path];
      for (const p of refused) {
        const target = cutTarget(work, toWork(p, indexMaps));
        const name = entryNameAt(work, target);
        if (!cut(work, target)) continue;
        progress = true;
        if (name !== undefined) removedNames.add(name);
      }
    }
    if (!progress) return undefined;
  }
  return undefined;
}
