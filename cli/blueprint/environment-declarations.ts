// The `environments:` block of a blueprint: names, shape and parameter values checked. Pure.

import { didYouMean } from "../../operator/api/suggest.ts";
import type { IssuePath } from "../../operator/api/validate.ts";
import { clip } from "../../operator/api/validate.ts";
import { describeNode } from "./environments.ts";
import type { LEntry } from "./located.ts";
import type { Problems } from "./model.ts";
import type { ParamState } from "./parameters.ts";
import { unknownNameHint } from "./parameters.ts";

/** Reads the declared environments by name; problems go to `problems`, the usable ones are returned. */
export function readEnvironments(
  envEntry: LEntry | undefined,
  params: Map<string, ParamState>,
  problems: Problems,
): Map<string, LEntry> {
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
  return envs;
}
