// Validation of an Architecture: the schema first, then the semantic checks.
// Every problem is reported at once, each with a path and a hint.
import type { z } from "zod";
import { salvage } from "./salvage.ts";
import type { Architecture } from "./schema.ts";
import { ArchitectureSchema } from "./schema.ts";
import type { Issue, IssuePath } from "./semantics.ts";
import { checkSemantics } from "./semantics.ts";

export type { Issue, IssuePath } from "./semantics.ts";

export interface ValidationResult {
  /** Present when there are no errors (warnings allowed). */
  architecture?: Architecture;
  issues: Issue[];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

/** A value as it appears in a message: JSON, cut short so a huge input cannot flood the output. */
export function shown(value: unknown, max = 60): string {
  return clip(JSON.stringify(value) ?? String(value), max);
}

export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

function valueAt(root: unknown, path: IssuePath): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

// Walks the zod schema to the object at `path` to list the fields it allows.
function schemaAt(path: IssuePath): z.ZodType | undefined {
  let node: z.ZodType | undefined = ArchitectureSchema;
  for (const key of path) {
    while (node && (node.def.type === "optional" || node.def.type === "nullable")) {
      node = (node.def as unknown as { innerType: z.ZodType }).innerType;
    }
    if (!node) return undefined;
    if (node.def.type === "object")
      node = (node.def as unknown as { shape: Record<string, z.ZodType> }).shape[String(key)];
    else if (node.def.type === "array")
      node = (node.def as unknown as { element: z.ZodType }).element;
    else return undefined;
  }
  while (node && node.def.type === "optional")
    node = (node.def as unknown as { innerType: z.ZodType }).innerType;
  return node;
}

function knownFieldsHint(key: string, path: IssuePath): string {
  const node = schemaAt(path);
  if (node?.def.type !== "object") return "remove it";
  const fields = Object.keys((node.def as unknown as { shape: Record<string, unknown> }).shape);
  const guess =
    fields.find((f) => f.toLowerCase() === key.toLowerCase()) ??
    fields.find((f) => f.startsWith(key.slice(0, 3)));
  return `${guess ? `did you mean '${guess}'? ` : ""}allowed here: ${fields.join(", ")}`;
}

function fromZod(issue: z.core.$ZodIssue, input: unknown): Issue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown field '${clip(key)}'`,
        hint: knownFieldsHint(key, path),
        severity: "error" as const,
      }));
    case "invalid_type": {
      const actual = valueAt(input, path);
      if (actual === undefined) {
        return [
          {
            path,
            message: `required field '${String(path.at(-1) ?? "")}' is missing`,
            hint: `add it (${issue.expected})`,
            severity: "error",
          },
        ];
      }
      return [
        {
          path,
          message: `expected ${issue.expected}, got ${describe(actual)}`,
          hint: `write a ${issue.expected} here`,
          severity: "error",
        },
      ];
    }
    case "invalid_value":
      if (valueAt(input, path) === undefined)
        return [
          {
            path,
            message: `required field '${String(path.at(-1) ?? "")}' is missing`,
            hint: `add it (one of: ${issue.values.map((v) => String(v)).join(", ")})`,
            severity: "error",
          },
        ];
      return [
        {
          path,
          message: `${shown(valueAt(input, path))} is not allowed here`,
          hint: `use one of: ${issue.values.map((v) => String(v)).join(", ")}`,
          severity: "error",
        },
      ];
    case "invalid_union":
      if (path.includes("secretEnv"))
        return [
          {
            path,
            message: `${shown(valueAt(input, path))} is not a secret reference`,
            hint: "write the secret's name (JWT_KEY: jwt) or {secret: jwt, key: value}",
            severity: "error",
          },
        ];
      // The other unions are quantities: say what a quantity looks like.
      return [
        {
          path,
          message: `${shown(valueAt(input, path))} is not a valid quantity`,
          hint: "write a quantity such as 250m, 1, 512Mi or 20Gi",
          severity: "error",
        },
      ];
    case "too_small":
    case "too_big": {
      const what =
        issue.origin === "array" ? "items" : issue.origin === "string" ? "characters" : "";
      const bound =
        issue.code === "too_small" ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      return [
        {
          path,
          message: `must be ${bound}${what ? ` ${what}` : ""}`,
          hint: issue.message,
          severity: "error",
        },
      ];
    }
    default:
      return [{ path, message: issue.message, severity: "error" }];
  }
}

// The semantic problems of what is left once the schema's refusals are cut out
// (see salvage.ts), minus those that only echo a refusal: a problem at a path
// the schema already reported, or a reference to an entry that was cut.
function semanticsOfSalvage(input: unknown, schemaIssues: Issue[]): Issue[] {
  const salvaged = salvage(input);
  if (!salvaged) return [];
  const reported = new Set(schemaIssues.map((i) => formatPath(i.path)));
  return checkSemantics(salvaged.architecture)
    .map((issue) => ({ ...issue, path: salvaged.toInput(issue.path) }))
    .filter((issue) => {
      if (reported.has(formatPath(issue.path))) return false;
      const value = valueAt(input, issue.path);
      return !(typeof value === "string" && salvaged.removedNames.has(value));
    });
}

/** Validates any parsed value as an Architecture, every problem at once. Pure. */
export function validateArchitecture(input: unknown): ValidationResult {
  const parsed = ArchitectureSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((i) => fromZod(i, input));
    return { issues: [...issues, ...semanticsOfSalvage(input, issues)] };
  }
  const issues = checkSemantics(parsed.data);
  if (issues.some((i) => i.severity === "error")) return { issues };
  return { architecture: parsed.data, issues };
}

/** Formats a path the way kubectl explain does: spec.components[0].uses[1]. */
export function formatPath(path: IssuePath): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${clip(JSON.stringify(p))}]`;
  }
  return out || "(root)";
}
