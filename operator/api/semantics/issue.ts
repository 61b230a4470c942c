// A problem found in a spec: the path it is about, what is wrong and how to fix it.
import type { Component } from "../schema.ts";

export type IssuePath = (string | number)[];

export interface Issue {
  path: IssuePath;
  message: string;
  hint?: string;
  severity: "error" | "warning";
}

export function error(path: IssuePath, message: string, hint?: string): Issue {
  return hint ? { path, message, hint, severity: "error" } : { path, message, severity: "error" };
}
export function warning(path: IssuePath, message: string, hint?: string): Issue {
  return hint
    ? { path, message, hint, severity: "warning" }
    : { path, message, severity: "warning" };
}

function closest(name: string, candidates: string[]): string | undefined {
  // A cheap "did you mean": same first letter, or one a prefix of the other.
  return (
    candidates.find((c) => c.startsWith(name) || name.startsWith(c)) ??
    candidates.find((c) => c[0] === name[0])
  );
}

export function unknownComponentHint(name: string, known: string[]): string {
  const guess = closest(name, known);
  return guess
    ? `did you mean '${guess}'? components are: ${known.join(", ")}`
    : `components are: ${known.join(", ")}`;
}

/** Lookups every rule needs: components by name, and their names in order. */
export interface SpecIndex {
  byName: Map<string, Component>;
  names: string[];
}
