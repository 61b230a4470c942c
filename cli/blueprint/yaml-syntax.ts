// YAML syntax errors and warnings of a blueprint as BlueprintProblems. Pure.

import type { Document } from "yaml";
import { firstLine } from "./located.ts";
import type { Problems } from "./model.ts";

// After the first few syntax errors the rest are mostly echoes of them (a
// Markdown file passed by mistake gives dozens): report the first ones.
const MAX_SYNTAX_ERRORS = 5;

/** Adds the syntax problems of `doc`; false when it has errors. */
export function parseProblems(doc: Document, problems: Problems): boolean {
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
