// The functional core stays pure: operator/api, operator/render,
// operator/status, the reconcile plan and the blueprint file format
// (cli/blueprint) import no I/O and read no clock or randomness, and imports
// point one way (cli -> operator runtime -> reconcile -> status -> render ->
// api), dynamic import() included.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  if (dir.endsWith(".ts")) return [join(ROOT, dir)];
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(ROOT, dir, f));
}

const FORBIDDEN: [RegExp, string][] = [
  [/from "node:(fs|fs\/promises|net|http|https|child_process|os|dns|tls|timers)"/, "I/O module"],
  [
    /from "(@kubernetes\/client-node|undici|execa|ink|react|commander|prom-client)"/,
    "I/O or UI package",
  ],
  [/Date\.now\(\)|new Date\(\)|performance\.now\(\)/, "reads the clock"],
  [/Math\.random\(\)|randomBytes|randomUUID/, "randomness"],
  [/process\.(env|argv|exit|cwd)/, "process state"],
];

for (const dir of [
  "operator/api",
  "operator/render",
  "operator/status",
  "cli/blueprint",
  "operator/reconcile/plan.ts",
  "operator/reconcile/owned-digest.ts",
]) {
  test(`${dir} is pure`, () => {
    const problems: string[] = [];
    for (const file of sources(dir)) {
      const text = readFileSync(file, "utf8");
      for (const [pattern, what] of FORBIDDEN) {
        if (pattern.test(text))
          problems.push(`${relative(ROOT, file)}: ${what} (${pattern.exec(text)?.[0]})`);
      }
    }
    assert.deepEqual(problems, []);
  });
}

const LAYERS: [string, string[]][] = [
  [
    "operator/api",
    [
      "operator/render",
      "operator/status",
      "operator/reconcile",
      "operator/runtime",
      "operator/kube",
      "cli",
    ],
  ],
  [
    "operator/render",
    ["operator/status", "operator/reconcile", "operator/runtime", "operator/kube", "cli"],
  ],
  ["operator/status", ["operator/reconcile", "operator/runtime", "operator/kube", "cli"]],
  ["operator", ["cli", "test"]],
  // The published package ships no test/: nothing in it may load test/ at run time.
  ["cli", ["test"]],
];

/** Relative module paths a file imports, statically (`from "…"`) or dynamically (`import("…")`). */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\(\s*)"(\.[^"]+)"/g)].map((m) => m[1] as string);
}

// The shape of a Kubernetes object is a type every layer shares; the file holds
// types only (checked below), so importing it brings in no I/O.
const SHARED_TYPES = "operator/kube/types.ts";

test(`${SHARED_TYPES} holds types only and imports nothing`, () => {
  const text = readFileSync(join(ROOT, SHARED_TYPES), "utf8");
  const code = text
    .split("\n")
    .filter((l) => /^(export |import |const |let |function |class )/.test(l))
    .filter((l) => !/^export (interface|type) /.test(l));
  assert.deepEqual(code, []);
});

for (const [dir, banned] of LAYERS) {
  test(`${dir} imports nothing from ${banned.join(", ")}`, () => {
    const problems: string[] = [];
    for (const file of sources(dir)) {
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        const target = relative(ROOT, join(file, "..", spec));
        if (target === SHARED_TYPES) continue;
        if (banned.some((b) => target === b || target.startsWith(`${b}/`)))
          problems.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    assert.deepEqual(problems, []);
  });
}
