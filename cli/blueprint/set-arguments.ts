// The --set arguments: a parameter value or a manifest field path each. Pure.

import type { Pos } from "./located.ts";
import type { Problems } from "./model.ts";
import type { ParamState } from "./parameters.ts";
import { setParameter, unknownNameHint } from "./parameters.ts";
import type { SetSegment } from "./set.ts";
import { parseSetPath, parseSetValue } from "./set.ts";

/** A --set of a manifest field, applied after parameter substitution. */
export interface FieldSet {
  segs: SetSegment[];
  value: unknown;
  pos: Pos;
  arg: string;
}

/** Sets the parameters named by --set arguments and returns the field overrides, in order. */
export function readSetArguments(
  set: readonly string[] | undefined,
  params: Map<string, ParamState>,
  problems: Problems,
): FieldSet[] {
  const fieldSets: FieldSet[] = [];
  for (const [n, arg] of (set ?? []).entries()) {
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
  return fieldSets;
}
