// Parameters: declared with a type and default, given per environment or by
// --set, substituted wherever a string says ${name}. Pure.
import { didYouMean } from "../../operator/api/suggest.ts";
import type { IssuePath } from "../../operator/api/validate.ts";
import { clip, shown } from "../../operator/api/validate.ts";
import { describeNode } from "./environments.ts";
import type { LEntry, LNode, Pos } from "./located.ts";
import { toJS } from "./located.ts";
import type { Parameter, ParameterType } from "./model.ts";
import { PARAMETER_TYPES, type Problems } from "./model.ts";

export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;

export function typeOfValue(v: unknown): ParameterType | undefined {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return undefined;
}

export function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

export function fitsType(v: unknown, type: ParameterType): boolean {
  const actual = typeOfValue(v);
  return actual === type || (type === "number" && actual === "integer");
}

export function knownList(what: string, known: string[]): string {
  return known.length ? `${what}: ${known.join(", ")}` : `this blueprint declares no ${what}`;
}

export function unknownNameHint(name: string, known: string[], what: string): string {
  const guess = didYouMean(name, known);
  return `${guess ? `did you mean '${guess}'? ` : ""}${knownList(what, known)}`;
}

export interface ParamState {
  decl: Parameter;
  pos: Pos;
}

export function readParameters(
  node: LNode | undefined,
  problems: Problems,
): Map<string, ParamState> {
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

export function setParameter(
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
export function substitute(
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
export function references(
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
