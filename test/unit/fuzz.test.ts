// Hostile input, property-based: loadBlueprint, validateArchitecture and render
// are fed random and mutated input (random bytes and text, deep nesting, huge
// strings, wrong types, alias/anchor bombs, duplicate keys, mutations of the
// five reference blueprints, random --set and --env). Every call must return
// (never throw, never hang): either a valid result or problems that name a
// line and column. How fast is not asserted (a loaded machine would fail it):
// the slowest call is printed, and test/bench/hostile-input.ts measures the
// heaviest input. Whatever validates must render, deterministically, into
// objects with unique, valid names. A sample of the invalid inputs, a quota
// from every generator, goes through the CLI (`archctl validate -f`), which
// must exit 2 without a stack trace.
//
// No hang goes unnoticed: the calls run in a worker thread that marks each
// call's start in shared memory, and the test (main thread) terminates the
// worker and fails, naming the input, when one call has not returned after
// HANG_MS (generous: the slowest call takes tens of milliseconds). (A node:test `timeout` alone cannot do this: a synchronous loop
// blocks the timer that would fire it.) Each CLI run is killed after CLI_KILL_MS.
//
// Repeatable: the seed is fixed (ARCHCTL_FUZZ_SEED overrides it) and printed;
// ARCHCTL_FUZZ_SCALE=N multiplies the number of runs.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import type { LoadedBlueprint } from "../../cli/blueprint/model.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import type { ValidationResult } from "../../operator/api/validate.ts";
import { validateArchitecture } from "../../operator/api/validate.ts";
import type { Capabilities, RenderResult } from "../../operator/render/index.ts";
import { render } from "../../operator/render/index.ts";
import { collidingArchitectureArb } from "../support/colliding-architecture.ts";
import { prng } from "../support/prng.ts";
import { archctl, ROOT, type Run, tempDir } from "./cli/helpers.ts";

const SEED = Number(process.env.ARCHCTL_FUZZ_SEED ?? 20_260_917);
const SCALE = Number(process.env.ARCHCTL_FUZZ_SCALE ?? 1);
/** A call still running after this long is a hang: the worker is terminated. */
const HANG_MS = 60_000;
/** Each `archctl validate` is SIGKILLed after this long (and counts as a failure). */
const CLI_KILL_MS = 30_000;
/** The CLI refuses a blueprint file larger than this before parsing it (cli/input.ts). */
const CLI_MAX_BYTES = 1024 * 1024;
/** Invalid inputs of each generator that go through the CLI. */
const CLI_QUOTA = 4;
const BLUEPRINTS = ["post", "task-queue", "chat", "trading", "rag"] as const;
const TEXTS = BLUEPRINTS.map((b) => readFileSync(join(ROOT, "blueprints", `${b}.yaml`), "utf8"));

// ---------------------------------------------------------------------------
// Timing and counting

const stats = {
  cases: 0,
  loadCalls: 0,
  validateCalls: 0,
  renderCalls: 0,
  valid: 0,
  slowestMs: 0,
  slowestWhat: "",
};

/**
 * Shared with the main thread (the watchdog): [0] = Date.now() when the
 * current call started, 0 between calls; then the call's label (UTF-8).
 */
type Watch = { startedAt: Float64Array; labelLength: Int32Array; label: Uint8Array };
const LABEL_BYTES = 512;
function watchOn(buffer: SharedArrayBuffer): Watch {
  return {
    startedAt: new Float64Array(buffer, 0, 1),
    labelLength: new Int32Array(buffer, 8, 1),
    label: new Uint8Array(buffer, 16, LABEL_BYTES),
  };
}
let watch: Watch | undefined;
const encoder = new TextEncoder();

function timed<T>(what: string, fn: () => T): T {
  if (watch) {
    watch.labelLength[0] = encoder.encodeInto(what.slice(0, LABEL_BYTES / 4), watch.label).written;
    watch.startedAt[0] = Date.now();
  }
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  if (watch) watch.startedAt[0] = 0;
  if (ms > stats.slowestMs) {
    stats.slowestMs = ms;
    stats.slowestWhat = what;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Checks on every result

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LIMIT_63 = new Set(["Service", "Namespace"]);

function checkLoaded(r: LoadedBlueprint, label: string): void {
  assert.ok(Array.isArray(r.problems), `${label}: problems is a list`);
  for (const p of r.problems) {
    assert.ok(
      Number.isInteger(p.line) && p.line >= 1 && Number.isInteger(p.col) && p.col >= 1,
      `${label}: problem without a line/col: ${JSON.stringify(p)}`,
    );
    assert.equal(typeof p.message, "string");
    assert.ok(p.message.length > 0, `${label}: empty message`);
    assert.ok(
      p.message.length < 2_000,
      `${label}: a ${p.message.length}-character message: ${p.message.slice(0, 120)}`,
    );
    assert.ok(p.path.length < 2_000, `${label}: a ${p.path.length}-character path`);
  }
  const errors = r.problems.filter((p) => p.severity === "error").length;
  if (r.architecture) assert.equal(errors, 0, `${label}: an architecture despite errors`);
  else assert.ok(errors > 0, `${label}: no architecture and no error`);
}

function checkValidation(v: ValidationResult, label: string): void {
  assert.ok(Array.isArray(v.issues));
  for (const i of v.issues) {
    assert.ok(Array.isArray(i.path), `${label}: issue without a path`);
    assert.equal(typeof i.message, "string");
  }
  const errors = v.issues.filter((i) => i.severity === "error").length;
  if (v.architecture) assert.equal(errors, 0);
  else assert.ok(errors > 0, `${label}: refused without an error`);
}

const CAPS: Capabilities[] = [
  { keda: true, serviceMonitors: true },
  { keda: false, serviceMonitors: false },
];

function checkRender(arch: Architecture, label: string): void {
  for (const caps of CAPS) {
    stats.renderCalls++;
    const a = timed(`render(${label})`, () => render(arch, caps));
    const b = render(arch, caps);
    assert.equal(JSON.stringify(a), JSON.stringify(b), `${label}: render is not deterministic`);
    checkRendered(a, label);
  }
}

function checkRendered(r: RenderResult, label: string): void {
  const seen = new Set<string>();
  for (const o of r.objects) {
    const key = `${o.kind}/${o.metadata.name}`;
    assert.ok(!seen.has(key), `${label}: ${key} rendered twice`);
    seen.add(key);
    const n = o.metadata.name;
    assert.ok(DNS_SUBDOMAIN.test(n) && n.length <= 253, `${label}: invalid name ${key}`);
    if (LIMIT_63.has(o.kind)) assert.ok(n.length <= 63, `${label}: ${key} over 63 characters`);
    for (const [k, v] of Object.entries(o.metadata.labels ?? {}))
      assert.ok(v.length <= 63, `${label}: label ${k}=${v} of ${key} over 63 characters`);
  }
  const secrets = new Set(r.secrets.map((s) => s.name));
  assert.equal(secrets.size, r.secrets.length, `${label}: a credentials Secret rendered twice`);
}

/** One case through loadBlueprint, and through validate + render when it loads. */
function runText(text: string, opts: { env?: string; set?: string[] }, label: string): boolean {
  stats.cases++;
  stats.loadCalls++;
  const r = timed(`loadBlueprint(${label})`, () =>
    loadBlueprint(text, { file: "fuzz.yaml", ...opts }),
  );
  checkLoaded(r, label);
  if (!r.architecture) return false;
  stats.valid++;
  stats.validateCalls++;
  const v = timed(`validateArchitecture(${label})`, () => validateArchitecture(r.architecture));
  checkValidation(v, label);
  assert.ok(v.architecture, `${label}: loadBlueprint's result does not validate again`);
  checkRender(v.architecture, label);
  return true;
}

function runValue(value: unknown, label: string): boolean {
  stats.cases++;
  stats.validateCalls++;
  const v = timed(`validateArchitecture(${label})`, () => validateArchitecture(value));
  checkValidation(v, label);
  if (!v.architecture) return false;
  stats.valid++;
  checkRender(v.architecture, label);
  return true;
}

// ---------------------------------------------------------------------------
// Generators

const HOSTILE_SCALARS = [
  "*a",
  "&a",
  "*missing",
  "!!binary x",
  "!custom x",
  "!!map {}",
  "[",
  "{",
  "]",
  '"unterminated',
  "'unterminated",
  "- x",
  "1e309",
  "-1",
  "0x10",
  "0o17",
  ".nan",
  "-.inf",
  "~",
  "null",
  "true",
  "yes",
  "${registry}",
  "${nope}",
  "${",
  "$${x}",
  "<<: *x",
  "\t",
  "{a: 1, a: 2}",
  "[*a, *a]",
  "? complex key",
  "|",
  ">-",
  "%YAML 1.1",
  "---",
  "...",
  "@",
  "`",
  "\u0000",
  "\uFEFF",
  "\u202E",
  "é",
  "🙂",
  "A".repeat(300),
  "a-".repeat(40),
  "9999999999999999999999",
  "0",
  "",
];

const hostileScalar = fc.oneof(
  fc.constantFrom(...HOSTILE_SCALARS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.integer().map(String),
  fc.double().map(String),
);

/** Text-level mutations of a reference blueprint. */
const textMutation = fc.oneof(
  fc.record({ op: fc.constant("deleteLine" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("duplicateLine" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), s: hostileScalar }),
  fc.record({
    op: fc.constant("replace" as const),
    at: fc.nat(),
    len: fc.nat({ max: 30 }),
    s: hostileScalar,
  }),
  fc.record({
    op: fc.constant("indent" as const),
    at: fc.nat(),
    by: fc.integer({ min: -6, max: 6 }),
  }),
  fc.record({ op: fc.constant("value" as const), at: fc.nat(), s: hostileScalar }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swapLines" as const), a: fc.nat(), b: fc.nat() }),
);
type TextMutation = typeof textMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateText(text: string, m: TextMutation): string {
  const lines = text.split("\n");
  const li = (n: number) => n % lines.length;
  switch (m.op) {
    case "deleteLine":
      lines.splice(li(m.at), 1);
      return lines.join("\n");
    case "duplicateLine":
      lines.splice(li(m.at), 0, lines[li(m.at)] ?? "");
      return lines.join("\n");
    case "insert": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.s + text.slice(at);
    }
    case "replace": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.s + text.slice(at + m.len);
    }
    case "indent": {
      const i = li(m.at);
      const line = lines[i] ?? "";
      lines[i] = m.by >= 0 ? " ".repeat(m.by) + line : line.slice(Math.min(-m.by, line.length));
      return lines.join("\n");
    }
    case "value": {
      // Replace the value after "key: " on a line that has one.
      const candidates = lines.map((l, i) => (/^\s*-?\s*[\w.]+:\s+\S/.test(l) ? i : -1));
      const withValue = candidates.filter((i) => i >= 0);
      const i = withValue[m.at % withValue.length] ?? 0;
      lines[i] = (lines[i] ?? "").replace(/:\s+.*$/, `: ${m.s}`);
      return lines.join("\n");
    }
    case "truncate":
      return text.slice(0, m.at % (text.length + 1));
    case "swapLines": {
      const a = li(m.a);
      const b = li(m.b);
      [lines[a], lines[b]] = [lines[b] ?? "", lines[a] ?? ""];
      return lines.join("\n");
    }
  }
}

/** Structural mutations: walk the parsed blueprint by the choices and change one node. */
const structMutation = fc.record({
  walk: fc.array(fc.nat(), { minLength: 0, maxLength: 8 }),
  op: fc.constantFrom("delete", "replace", "wrongType", "huge", "nest", "dupEntry", "emptyList"),
  value: fc.jsonValue({ maxDepth: 3 }),
});
type StructMutation = typeof structMutation extends fc.Arbitrary<infer T> ? T : never;

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

function mutateStruct(doc: unknown, m: StructMutation): unknown {
  const root = structuredClone(doc) as Record<string, unknown>;
  let parent: Record<string | number, unknown> | unknown[] = root;
  let key: string | number | undefined;
  for (const step of m.walk) {
    const node: unknown = key === undefined ? parent : (parent as Record<string, unknown>)[key];
    if (node === null || typeof node !== "object") break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    if (key !== undefined) parent = node as Record<string, unknown>;
    key = keys[step % keys.length];
  }
  if (key === undefined) return m.op === "wrongType" ? [root] : m.value;
  const p = parent as Record<string | number, unknown>;
  switch (m.op) {
    case "delete":
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete p[key];
      break;
    case "replace":
      p[key] = m.value;
      break;
    case "wrongType": {
      const v = p[key];
      p[key] =
        typeof v === "string"
          ? 42
          : typeof v === "number"
            ? String(v)
            : Array.isArray(v)
              ? { item: v }
              : typeof v === "object" && v !== null
                ? [v]
                : { v };
      break;
    }
    case "huge":
      p[key] = "x".repeat(100_000);
      break;
    case "nest":
      p[key] = nested(60, p[key]);
      break;
    case "dupEntry":
      if (Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
      else p[key] = [p[key], p[key]];
      break;
    case "emptyList":
      p[key] = [];
      break;
  }
  return root;
}

const setArg = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        "spec.ttl",
        "spec.components[0].replicas",
        "spec.components.api.replicas",
        "spec.components[99].name",
        "metadata.name",
        "tag",
        "registry",
        "spec..x",
        "spec.components[-1]",
        "[0]",
        "",
        "spec.components[0].env.FOO",
      ),
      hostileScalar,
    )
    .map(([p, v]) => `${p}=${v}`),
  fc.string({ maxLength: 30 }),
);

const envName = fc.option(
  fc.oneof(fc.constantFrom("dev", "prod", "staging", "__proto__", ""), fc.string({ maxLength: 8 })),
  {
    nil: undefined,
  },
);

function aliasBomb(levels: number, width: number): string {
  const out = ['a0: &a0 ["lol"]'];
  for (let i = 1; i <= levels; i++)
    out.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(", ")}]`);
  out.push(`spec: *a${levels}`);
  return out.join("\n");
}

function deepNesting(kind: number, depth: number): string {
  switch (kind % 4) {
    case 0:
      return `spec: ${"[".repeat(depth)}${"]".repeat(depth)}`;
    case 1:
      return `spec: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}`;
    case 2:
      return Array.from({ length: depth }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n");
    default:
      return Array.from({ length: depth }, (_, i) => `${" ".repeat(i * 2)}- `).join("\n");
  }
}

function hugeString(size: number, where: number): string {
  const big = "x".repeat(size);
  switch (where % 3) {
    case 0:
      return TEXTS[0]?.replace("name: post", `name: ${big}`) ?? "";
    case 1:
      return `apiVersion: archctl.io/v1alpha1\nkind: Architecture\nmetadata: {name: a}\nspec:\n  description: "${big}"\n  components: [{name: api, type: service, image: x}]\n`;
    default:
      return `${big}: 1\n`;
  }
}

function duplicateKeys(n: number, where: number): string {
  const text = TEXTS[where % TEXTS.length] ?? "";
  const lines = text.split("\n");
  const keyLines = lines.map((l, i) => (/^\s*[\w.]+:/.test(l) ? i : -1)).filter((i) => i >= 0);
  const i = keyLines[n % keyLines.length] ?? 0;
  const line = lines[i] ?? "";
  lines.splice(i + 1, 0, line.replace(/:.*$/, ": duplicate"));
  return lines.join("\n");
}

// ---------------------------------------------------------------------------

const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const fcOpts = (n: number, salt: number) => ({
  numRuns: runs(n),
  seed: SEED + salt,
  endOnFailure: true,
});

type Sample = { text: string; label: string };
type GeneratorStats = {
  name: string;
  cases: number;
  valid: number;
  /** Invalid inputs offered for the CLI sample (reservoir sampling: each as likely). */
  offered: number;
  sample: Sample[];
};
type FuzzResult = {
  stats: typeof stats;
  generators: GeneratorStats[];
  seconds: number;
};

/** Every generator below, in order; each gets CLI_QUOTA inputs in the CLI sample. */
const GENERATORS = [
  "random bytes",
  "random text",
  "random YAML",
  "text mutations",
  "structural mutations",
  "alias bombs",
  "deep nesting",
  "huge strings",
  "duplicate keys",
  "arbitrary values",
  "mutated Architectures",
  "grammar-built Architectures",
] as const;
type GeneratorName = (typeof GENERATORS)[number];

/** Runs every generator (in the worker thread) and returns the counts and the CLI sample. */
function fuzz(): FuzzResult {
  const started = performance.now();
  const pick = prng(SEED);
  const gens = new Map<GeneratorName, GeneratorStats>(
    GENERATORS.map((name) => [name, { name, cases: 0, valid: 0, offered: 0, sample: [] }]),
  );
  const gen = (name: GeneratorName) => gens.get(name) as GeneratorStats;
  /** Counts one case of a generator; an invalid one is offered for the CLI sample. */
  const count = (name: GeneratorName, valid: boolean, cli?: () => string | undefined) => {
    const g = gen(name);
    g.cases++;
    if (valid) {
      g.valid++;
      return;
    }
    if (!cli) return;
    g.offered++;
    let slot = g.sample.length;
    if (slot >= CLI_QUOTA) {
      slot = Math.floor(pick() * g.offered);
      if (slot >= CLI_QUOTA) return;
    }
    const text = cli();
    if (text !== undefined) g.sample[slot] = { text, label: name };
  };
  /** A value as a blueprint file, if it is still invalid as one (the CLI must exit 2). */
  const asFile = (value: unknown, label: string) => () => {
    let text: string;
    try {
      text = stringify(value);
    } catch {
      return undefined;
    }
    // stringify(undefined) is undefined, not a document: no file to give the CLI.
    if (typeof text !== "string") return undefined;
    const r = timed(`loadBlueprint(${label} as YAML)`, () =>
      loadBlueprint(text, { file: "fuzz.yaml" }),
    );
    return r.architecture ? undefined : text;
  };
  const parsed = TEXTS.map((tx) => parse(tx) as unknown);

  // 1. Random bytes and random text.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      const text = Buffer.from(bytes).toString("utf8");
      count("random bytes", runText(text, {}, "random bytes"), () => text);
    }),
    fcOpts(1500, 1),
  );
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 512 }), (text) => {
      count("random text", runText(text, {}, "random text"), () => text);
    }),
    fcOpts(1000, 2),
  );

  // 2. Random YAML documents of any shape (wrong types everywhere).
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      const text = stringify(value);
      count("random YAML", runText(text, {}, "random YAML"), () => text);
    }),
    fcOpts(1000, 3),
  );

  // 3. Text mutations of the five reference blueprints, with random --env and --set.
  fc.assert(
    fc.property(
      fc.nat({ max: TEXTS.length - 1 }),
      fc.array(textMutation, { minLength: 1, maxLength: 4 }),
      envName,
      fc.array(setArg, { maxLength: 3 }),
      (which, mutations, env, set) => {
        const text = mutations.reduce(mutateText, TEXTS[which] ?? "");
        const ok = runText(
          text,
          { ...(env !== undefined ? { env } : {}), set },
          `${BLUEPRINTS[which]} text-mutated`,
        );
        // The CLI gets the file alone: only inputs invalid without --env/--set.
        count("text mutations", ok, set.length === 0 && env === undefined ? () => text : undefined);
      },
    ),
    fcOpts(1800, 4),
  );

  // 4. Structural mutations of the reference blueprints (types, deletions, duplicates, nesting).
  fc.assert(
    fc.property(
      fc.nat({ max: TEXTS.length - 1 }),
      structMutation,
      fc.constantFrom(undefined, "dev", "prod"),
      (which, m, env) => {
        const text = stringify(mutateStruct(parsed[which], m), { aliasDuplicateObjects: false });
        const ok = runText(text, env ? { env } : {}, `${BLUEPRINTS[which]} ${m.op}`);
        count("structural mutations", ok, env ? undefined : () => text);
      },
    ),
    fcOpts(1200, 5),
  );

  // 5. Alias/anchor bombs, deep nesting, huge strings, duplicate keys.
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      (levels, width) => {
        const text = aliasBomb(levels, width);
        count("alias bombs", runText(text, {}, `alias bomb ${levels}x${width}`), () => text);
      },
    ),
    fcOpts(150, 6),
  );
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 5_000 }), (kind, depth) => {
      const text = deepNesting(kind, depth);
      count("deep nesting", runText(text, {}, `deep nesting ${kind % 4}/${depth}`), () => text);
    }),
    fcOpts(200, 7),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1_000, max: 2_000_000 }), fc.nat(), (size, where) => {
      const text = hugeString(size, where);
      count("huge strings", runText(text, {}, `huge string ${size}`), () => text);
    }),
    fcOpts(60, 8),
  );
  fc.assert(
    fc.property(fc.nat(), fc.nat(), (n, where) => {
      const text = duplicateKeys(n, where);
      const ok = runText(text, {}, "duplicate key");
      assert.equal(ok, false, "a duplicate key was accepted");
      count("duplicate keys", ok, () => text);
    }),
    fcOpts(300, 9),
  );

  // 6. validateArchitecture on arbitrary values and on mutated valid Architectures.
  fc.assert(
    fc.property(fc.anything({ maxDepth: 4, withNullPrototype: true, withMap: true }), (v) => {
      count("arbitrary values", runValue(v, "anything"), asFile(v, "anything"));
    }),
    fcOpts(1000, 10),
  );
  const resolved = TEXTS.flatMap((tx, i) =>
    ["dev", "prod"].map((env) => {
      const a = loadBlueprint(tx, { file: `${BLUEPRINTS[i]}.yaml`, env }).architecture;
      assert.ok(a, `${BLUEPRINTS[i]} (${env}) is valid`);
      return a;
    }),
  );
  fc.assert(
    fc.property(fc.nat({ max: resolved.length - 1 }), structMutation, (which, m) => {
      const value = mutateStruct(resolved[which], m);
      const label = `architecture ${m.op}`;
      count("mutated Architectures", runValue(value, label), asFile(value, label));
    }),
    fcOpts(1500, 11),
  );

  // 7. Grammar-built Architectures: whatever validates renders with unique names.
  fc.assert(
    fc.property(collidingArchitectureArb, (a) => {
      const label = `grammar ${a.metadata.name}: ${(a.spec.components as { name: string; type: string }[]).map((c) => `${c.name}:${c.type}`).join(",")}`;
      count("grammar-built Architectures", runValue(a, label), asFile(a, label));
    }),
    fcOpts(2500, 12),
  );

  return {
    stats: { ...stats },
    generators: [...gens.values()],
    seconds: (performance.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------
// The worker thread runs fuzz(); the main thread watches it and runs the tests.

type WorkerMessage =
  | { type: "done"; result: FuzzResult }
  | { type: "failed"; message: string; stack?: string };

const role = isMainThread ? undefined : (workerData as { role?: string } | null)?.role;
if (role === "fuzz" || role === "hang") {
  watch = watchOn((workerData as { buffer: SharedArrayBuffer }).buffer);
  let message: WorkerMessage;
  try {
    // "hang": the watchdog's own check, a call that never returns.
    if (role === "hang")
      timed("an endless loop (the watchdog's self-check)", () => {
        for (;;);
      });
    message = { type: "done", result: fuzz() };
  } catch (err) {
    const e = err as Error;
    message = {
      type: "failed",
      message: e.message ?? String(err),
      ...(e.stack ? { stack: e.stack } : {}),
    };
  }
  parentPort?.postMessage(message);
}

/** fuzz() in a worker thread, terminated (and failed) when one call hangs. */
function fuzzInWorker(
  signal: AbortSignal,
  opts: { role?: "fuzz" | "hang"; hangMs?: number } = {},
): Promise<FuzzResult> {
  const hangMs = opts.hangMs ?? HANG_MS;
  const buffer = new SharedArrayBuffer(16 + LABEL_BYTES);
  const w = watchOn(buffer);
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { role: opts.role ?? "fuzz", buffer },
  });
  return new Promise<FuzzResult>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, result?: FuzzResult) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      signal.removeEventListener("abort", cancel);
      void worker.terminate();
      if (err) reject(err);
      else resolve(result as FuzzResult);
    };
    const watchdog = setInterval(() => {
      const at = w.startedAt[0] ?? 0;
      if (at > 0 && Date.now() - at > hangMs) {
        const label = new TextDecoder().decode(w.label.slice(0, w.labelLength[0]));
        finish(
          new Error(
            `a hang: ${label} has not returned after ${((Date.now() - at) / 1000).toFixed(0)} s (seed ${SEED}; the worker was terminated)`,
          ),
        );
      }
    }, 250);
    const cancel = () => finish(new Error("cancelled (test timeout)"));
    signal.addEventListener("abort", cancel);
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "done") finish(undefined, m.result);
      else finish(Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
    });
    worker.on("error", (err) => finish(err));
    worker.on("exit", (code) =>
      finish(new Error(`the fuzz worker exited (${code}) without a result`)),
    );
  });
}

/** `archctl validate -f file`, SIGKILLed after CLI_KILL_MS. */
function validateWithCli(file: string): Promise<Run> {
  return archctl(["validate", "-f", file], { timeoutMs: CLI_KILL_MS, killSignal: "SIGKILL" });
}

/** The in-process fuzz's result: the CLI test runs the sample it collected. */
let result: FuzzResult | undefined;
/** Why the in-process fuzz gave no result (its own test reports the failure). */
let fuzzFailure = "it did not run (select both fuzz tests)";

if (isMainThread) {
  test("the hang watchdog terminates a worker stuck in a call and names the call", {
    timeout: 60_000,
  }, async (t) => {
    const started = Date.now();
    await assert.rejects(
      fuzzInWorker(t.signal, { role: "hang", hangMs: 1_000 }),
      /a hang: an endless loop \(the watchdog's self-check\) has not returned after \d+ s/,
    );
    t.diagnostic(`stuck call detected and its worker terminated after ${Date.now() - started} ms`);
  });

  test("fuzz: loadBlueprint, validateArchitecture and render never throw and never hang", {
    timeout: 15 * 60_000 * Math.max(1, SCALE),
  }, async (t) => {
    try {
      result = await fuzzInWorker(t.signal);
    } catch (err) {
      fuzzFailure = `it failed: ${(err as Error).message.split("\n")[0]}`;
      throw err;
    }
    const s = result.stats;
    for (const g of result.generators)
      t.diagnostic(
        `${g.name}: ${g.cases} cases (${g.valid} valid, ${g.cases - g.valid} invalid), ${g.sample.length} to the CLI`,
      );
    t.diagnostic(
      `seed ${SEED}: ${s.cases} cases in ${result.seconds.toFixed(1)} s ` +
        `(loadBlueprint ${s.loadCalls}, validateArchitecture ${s.validateCalls}, render ${s.renderCalls}; ${s.valid} valid)`,
    );
    t.diagnostic(`slowest call: ${s.slowestMs.toFixed(1)} ms (${s.slowestWhat})`);
    assert.equal(
      result.generators.reduce((n, g) => n + g.cases, 0),
      s.cases,
      "a case not counted by its generator",
    );
    assert.ok(s.cases >= 10_000 * Math.min(1, SCALE), `only ${s.cases} cases`);
  });

  test("fuzz through the CLI: archctl validate -f exits 2 with a message, never a stack trace, never a hang; every generator represented", {
    timeout: 10 * 60_000,
  }, async (t) => {
    if (!result) {
      // Not a second failure for the same cause: the fuzz test above fails on its own.
      t.skip(`no sample to run, the in-process fuzz gave none: ${fuzzFailure}`);
      return;
    }
    const short = result.generators.filter((g) => g.sample.length < CLI_QUOTA);
    assert.deepEqual(
      short.map((g) => `${g.name}: ${g.sample.length} of ${CLI_QUOTA}`),
      [],
      "generators with too few invalid inputs for the CLI",
    );
    const sample = result.generators.flatMap((g) => g.sample);
    const dir = tempDir();
    const started = performance.now();
    let next = 0;
    const failures: string[] = [];
    const perGenerator = new Map<string, number>();
    let tooBig = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        const c = sample[i];
        if (!c) return;
        const file = join(dir, `case-${i}.yaml`);
        writeFileSync(file, c.text);
        const r = await validateWithCli(file);
        perGenerator.set(c.label, (perGenerator.get(c.label) ?? 0) + 1);
        const where = `case ${i} (${c.label}, ${file})`;
        if (r.signal)
          failures.push(`${where}: killed after ${CLI_KILL_MS} ms (${r.signal}): a hang`);
        else if (r.code !== 2) failures.push(`${where}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
        if (/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr) || /internal error/.test(r.stderr))
          failures.push(`${where}: stack trace or internal error: ${r.stderr.slice(0, 300)}`);
        if (Buffer.byteLength(c.text) > CLI_MAX_BYTES) {
          // Refused before it is parsed, in one line.
          tooBig++;
          if (!/is more than the 1 MiB a blueprint may have\n$/.test(r.stderr))
            failures.push(`${where}: too big, but: ${r.stderr.slice(0, 200)}`);
          continue;
        }
        if (!/invalid/.test(r.stderr))
          failures.push(`${where}: no verdict: ${r.stderr.slice(0, 200)}`);
        if (!/:\d+:\d+/.test(r.stdout + r.stderr))
          failures.push(`${where}: no file:line:col in the output`);
      }
    };
    await Promise.all([worker(), worker()]);
    t.diagnostic(
      `${sample.length} CLI runs in ${((performance.now() - started) / 1000).toFixed(1)} s (${tooBig} over 1 MiB, refused unread), ${failures.length} failures; per generator: ${[...perGenerator].map(([g, n]) => `${g} ${n}`).join(", ")}`,
    );
    assert.equal(sample.length, GENERATORS.length * CLI_QUOTA);
    assert.deepEqual(failures, []);
  });
}
