// What the CLI prints on a user's mistake, checked: one `archctl: ` line,
// never a stack trace.
import assert from "node:assert/strict";

/** Exactly one line on stderr, `archctl: ...`, and never a stack trace. */
export function oneLine(stderr: string): string {
  assert.doesNotMatch(stderr, /\n\s+at |internal error/, stderr);
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0] as string, /^archctl: /);
  return lines[0] as string;
}

/** The error of a command that printed progress first: its one `archctl: ` line, last, no trace. */
export function errorLine(stderr: string): string {
  assert.doesNotMatch(stderr, /\n\s+at |internal error/, stderr);
  const errors = stderr.split("\n").filter((l) => l.startsWith("archctl: "));
  assert.equal(errors.length, 1, stderr);
  assert.equal(stderr.trim().split("\n").at(-1), errors[0], stderr);
  return errors[0] as string;
}
