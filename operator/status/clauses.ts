// A condition message that lists one clause per component, "<component>: <text>"
// joined by "; ", as BackupVerified and BackupSucceeded write them. Pure.

/** Free text made into one clause: no "; " inside, one space between words. */
export const oneClause = (text: string) =>
  text
    .replace(/\s*;\s*/g, ", ")
    .replace(/\s+/g, " ")
    .trim();

/** The clauses of an earlier message, by component: what to keep once the pods that said it are gone. */
export function clauseMap(message: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const clause of message?.split("; ") ?? []) {
    const at = clause.indexOf(": ");
    if (at > 0) out.set(clause.slice(0, at), clause.slice(at + 2));
  }
  return out;
}
