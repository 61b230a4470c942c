// The blueprint file format's public shapes (what the CLI shows) and the
// list of problems every stage adds to. Pure.
import type { Architecture } from "../../operator/api/schema.ts";
import type { IssuePath } from "../../operator/api/validate.ts";
import { clip, formatPath } from "../../operator/api/validate.ts";
import type { ConfigFileReader } from "./config-files.ts";
import type { Pos } from "./located.ts";

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
  /** Reads `fromFile` config files relative to the blueprint; absent for stdin and the catalogue. */
  readFile?: ConfigFileReader;
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

export class Problems {
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
