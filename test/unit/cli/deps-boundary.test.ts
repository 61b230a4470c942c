// Commands get the process's streams, environment, clock and exit code
// through their dependencies (cli/deps.ts), never from process.* or the wall
// clock themselves: that is what lets them run in-process in tests. Only the
// entry points, the factory and the signal wiring touch the process.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { ROOT } from "./helpers.ts";

const PROCESS_OWNERS = new Set(["cli/archctl.ts", "cli/main.ts", "cli/deps.ts", "cli/signals.ts"]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/** The code of a file without its comments (which may name process.exitCode). */
function code(path: string): string {
  return readFileSync(path, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

test("nothing in cli/ but the entry points and deps.ts reaches for process.* or the clock", () => {
  const offenders: string[] = [];
  for (const path of sources(join(ROOT, "cli"))) {
    const file = relative(ROOT, path);
    if (PROCESS_OWNERS.has(file)) continue;
    const text = code(path);
    for (const [pattern, what] of [
      [/\bprocess\.(?!exitCode\b)\w+/, "process.*"],
      [/\bprocess\.exitCode\b/, "process.exitCode"],
      [/\bDate\.now\(\)/, "Date.now()"],
      [/\bnew Date\(\)/, "new Date()"],
    ] as const) {
      const m = pattern.exec(text);
      if (m) offenders.push(`${file}: ${what} (${m[0]})`);
    }
  }
  assert.deepEqual(offenders, []);
});

test("process.exitCode is set in one place: cli/main.ts", () => {
  const setters = sources(join(ROOT, "cli"))
    .filter((p) => /\bprocess\.exitCode\s*=/.test(code(p)))
    .map((p) => relative(ROOT, p));
  assert.deepEqual(setters, ["cli/main.ts"]);
});
