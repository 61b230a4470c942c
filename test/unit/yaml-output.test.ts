// The YAML writer (operator/render/yaml-output.ts): what it writes reads back
// the same under YAML 1.1 (kubectl, Helm, Argo CD, Flux) and YAML 1.2, and
// equal to what was written. Over arbitrary JSON-like values with strings
// drawn mostly from the scalars YAML 1.1 resolves to something else, and over
// every object every reference blueprint renders in every environment.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { parse, parseAllDocuments } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { render } from "../../operator/render/index.ts";
import { ALL_CAPABILITIES } from "../../operator/render/types.ts";
import { needsQuotes, toYaml, toYamlStream } from "../../operator/render/yaml-output.ts";

const ROOT = join(import.meta.dirname, "../..");

/** Both readings of a text, and the value it was written from, must agree. */
function assertReadsBack(text: string, value: unknown): void {
  // go-yaml takes these as line breaks even inside quotes: they must be escaped.
  assert.doesNotMatch(text, /[\u0085\u2028\u2029]/, "a raw YAML 1.1 line break");
  const v11 = parse(text, { version: "1.1" });
  const v12 = parse(text, { version: "1.2" });
  assert.deepStrictEqual(v11, v12, `1.1 and 1.2 readings differ:\n${text}`);
  assert.deepStrictEqual(v12, value, `does not read back as written:\n${text}`);
}

const WORDS = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "=", "<<"];
const SPECIAL = [
  ...[".inf", "-.inf", "+.inf", ".nan", ".NaN", ".Inf", "+.INF", ".", "-", "?", ":", "#"],
  ...["0755", "-0755", "0o17", "0O17", "+0o17", "0x1F", "0X1F", "-0x_1f", "0b101", "0B1", "08"],
  ...["1:20", "-1:20:30", "190:20:30.15", "1_000", "1__0", "_1", "1_", "1.5e1_0", "1e3", "1.e+3"],
  ...["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2001-1-1"],
  ...["1.5.0", "v1", "- a", "a: b", "a #b", " a", "a ", "", "'", '"', "@x", "%x", "`x", "!x"],
  ...["&a", "*a", "|", ">", "{}", "[]", "---", "...", "a\nb", "a\n", "\n", "\t", "a\u2028b"],
  ...["a\u2029b", "a\u0085b", "\u007f", "\u0080x", "\ufeffx", "x\ufeff", "\ufffe", "a\u00a0b"],
];
const tricky = fc.oneof(
  fc.constantFrom(...WORDS).chain((w) => fc.mixedCase(fc.constant(w))),
  fc.constantFrom(...SPECIAL),
  fc.stringMatching(/^[-+]?(0[xXoObB]?)?[0-9a-fA-F_.:eE+-]{0,8}$/),
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
const anyString = fc.oneof(
  { weight: 4, arbitrary: tricky },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
);
/** JSON-like values whose strings (keys included) are mostly tricky ones. */
const jsonLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    anyString,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(anyString, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

test("any JSON-like value reads back identically under YAML 1.1 and 1.2", () => {
  fc.assert(
    fc.property(jsonLike, (value) => assertReadsBack(toYaml(value), value)),
    { numRuns: 2000, seed: 13 },
  );
});

test("every tricky scalar is quoted, as a value and as a key", () => {
  for (const s of [...WORDS, ...SPECIAL]) {
    assertReadsBack(toYaml({ [s]: s, list: [s] }), { [s]: s, list: [s] });
  }
  for (const s of ["yes", "No", "ON", "0755", "1:20", "2001-12-14", "<<", "=", "0O17", "yEs"])
    assert.ok(needsQuotes(s), s);
  for (const s of ["nginx", "1.5.0", "v1", "redis-server", "appendonly", "5s", "500m"])
    assert.ok(!needsQuotes(s), s);
});

test("the Redis argument `yes` is written quoted (kubectl read it as a boolean)", () => {
  const text = toYaml({ args: ["--appendonly", "yes"] });
  assert.match(text, /- "yes"/);
});

test("a stream of documents reads back document by document", () => {
  fc.assert(
    fc.property(fc.array(jsonLike, { minLength: 1, maxLength: 4 }), fc.boolean(), (vs, leading) => {
      const text = toYamlStream(vs, { leading });
      for (const version of ["1.1", "1.2"] as const) {
        const docs = parseAllDocuments(text, { version });
        assert.ok(Array.isArray(docs), "a stream");
        assert.deepStrictEqual(
          docs.map((d) => d.toJS()),
          vs,
        );
      }
    }),
    { numRuns: 300, seed: 13 },
  );
});

test("every blueprint × environment renders to objects that read back under 1.1 and 1.2", () => {
  const files = readdirSync(join(ROOT, "blueprints")).filter((f) => f.endsWith(".yaml"));
  let checked = 0;
  for (const f of files) {
    const path = join(ROOT, "blueprints", f);
    const text = readFileSync(path, "utf8");
    const envs = loadBlueprint(text, { file: path }).environments;
    for (const env of [undefined, ...envs]) {
      const loaded = loadBlueprint(text, { file: path, ...(env ? { env } : {}) });
      assert.ok(loaded.architecture, `${f} ${env ?? ""}`);
      for (const capabilities of [ALL_CAPABILITIES, { keda: false, serviceMonitors: false }]) {
        const objects = render(loaded.architecture, capabilities).objects;
        const plain = JSON.parse(JSON.stringify(objects)) as unknown[];
        assertReadsBack(toYaml(plain), plain);
        checked++;
      }
    }
  }
  assert.ok(checked >= 2 * files.length, `${checked} renders`);
});
