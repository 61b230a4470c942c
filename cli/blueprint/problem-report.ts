// The order and the one-line form in which blueprint problems are reported. Pure.

import type { BlueprintProblem } from "./model.ts";

/** Sorts by file (the blueprint before --set), line and column, and drops exact duplicates. */
export function sortProblems(list: BlueprintProblem[]): BlueprintProblem[] {
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

/** Formats one problem as `file:line:col  path  message  (hint)`. */
export function formatProblem(p: BlueprintProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  const sev = p.severity === "warning" ? "warning: " : "";
  const origin = p.origin ? ` [${p.origin}]` : "";
  return `${where}  ${p.path || "(root)"}  ${sev}${p.message}${origin}${p.hint ? `  (${p.hint})` : ""}`;
}
