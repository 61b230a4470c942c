// The hostile-input generators of the fuzz test (test/unit/fuzz.test.ts):
// hostile scalars, text and structural mutations of a blueprint, --set and
// --env values, alias bombs, deep nesting, huge strings and duplicate keys.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { ROOT } from "../unit/cli/helpers.ts";

/** The five reference blueprints the mutations start from. */
export const BLUEPRINTS = ["post", "task-queue", "chat", "trading", "rag"] as const;
export const TEXTS = BLUEPRINTS.map((b) =>
  readFileSync(join(ROOT, "blueprints", `${b}.yaml`), "utf8"),
);

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
export const textMutation = fc.oneof(
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

export function mutateText(text: string, m: TextMutation): string {
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
export const structMutation = fc.record({
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

export function mutateStruct(doc: unknown, m: StructMutation): unknown {
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

export const setArg = fc.oneof(
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

export const envName = fc.option(
  fc.oneof(fc.constantFrom("dev", "prod", "staging", "__proto__", ""), fc.string({ maxLength: 8 })),
  {
    nil: undefined,
  },
);

export function aliasBomb(levels: number, width: number): string {
  const out = ['a0: &a0 ["lol"]'];
  for (let i = 1; i <= levels; i++)
    out.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(", ")}]`);
  out.push(`spec: *a${levels}`);
  return out.join("\n");
}

export function deepNesting(kind: number, depth: number): string {
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

export function hugeString(size: number, where: number): string {
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

export function duplicateKeys(n: number, where: number): string {
  const text = TEXTS[where % TEXTS.length] ?? "";
  const lines = text.split("\n");
  const keyLines = lines.map((l, i) => (/^\s*[\w.]+:/.test(l) ? i : -1)).filter((i) => i >= 0);
  const i = keyLines[n % keyLines.length] ?? 0;
  const line = lines[i] ?? "";
  lines.splice(i + 1, 0, line.replace(/:.*$/, ": duplicate"));
  return lines.join("\n");
}
