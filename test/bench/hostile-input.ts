// How long loadBlueprint takes on the fuzz test's heaviest input: each
// reference blueprint with one value replaced by a 100 KB string, at every
// place in turn (the "huge" structural mutation of test/support/fuzz-generators.ts),
// and the deepest nesting it generates (5,000 levels), next to the YAML
// parser's own time for the same text. The fuzz test only watches for hangs;
// this is where the speed is measured.
//
//   node test/bench/hostile-input.ts            # BENCH_HUGE_BYTES, BENCH_HUGE_RUNS to change
//
// No cluster, a few seconds; prints the slowest places and the spread. Not
// part of `npm run bench` (it asserts nothing there either).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LineCounter, parse, parseDocument, stringify } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import { percentile } from "./lib.ts";

const BYTES = Number(process.env.BENCH_HUGE_BYTES ?? 100_000);
const RUNS = Number(process.env.BENCH_HUGE_RUNS ?? 3);

type Path = (string | number)[];

/** Every path to a value in a parsed YAML document. */
function pathsOf(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (at.length > 0) out.push(at);
  if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value))
      pathsOf(v, [...at, Array.isArray(value) ? Number(k) : k], out);
  return out;
}

function withHugeAt(doc: unknown, path: Path, huge: string): string {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let parent = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  parent[path[path.length - 1] as string | number] = huge;
  return stringify(copy, { aliasDuplicateObjects: false });
}

const huge = "x".repeat(BYTES);
const dir = join(REPO_ROOT, "blueprints");
const rows: { ms: number; what: string }[] = [];
for (const f of readdirSync(dir)
  .filter((x) => x.endsWith(".yaml"))
  .sort()) {
  const doc = parse(readFileSync(join(dir, f), "utf8")) as unknown;
  for (const path of pathsOf(doc)) {
    const text = withHugeAt(doc, path, huge);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      loadBlueprint(text, { file: f });
      times.push(performance.now() - t0);
    }
    rows.push({ ms: Math.min(...times), what: `${f} ${path.join(".")}` });
  }
}
rows.sort((a, b) => b.ms - a.ms);
const all = rows.map((r) => r.ms).sort((a, b) => a - b);
process.stdout.write(
  `loadBlueprint with a ${BYTES}-byte string at each of ${rows.length} places (best of ${RUNS} runs each):\n` +
    `median ${percentile(all, 50).toFixed(1)} ms, p90 ${percentile(all, 90).toFixed(1)} ms, max ${(all.at(-1) ?? 0).toFixed(1)} ms\n` +
    `slowest:\n${rows
      .slice(0, 8)
      .map((r) => `  ${r.ms.toFixed(1).padStart(8)} ms  ${r.what}`)
      .join("\n")}\n`,
);

// Deep nesting: the four shapes of the fuzz test's generator at its largest depth.
const DEPTH = 5_000;
const nestings: [string, string][] = [
  ["flow lists", `spec: ${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}`],
  ["flow maps", `spec: ${"{a: ".repeat(DEPTH)}1${"}".repeat(DEPTH)}`],
  ["block maps", Array.from({ length: DEPTH }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")],
  ["block lists", Array.from({ length: DEPTH }, (_, i) => `${" ".repeat(i * 2)}- `).join("\n")],
];
const best = (fn: () => unknown) => {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return Math.min(...times)
    .toFixed(1)
    .padStart(8);
};
process.stdout.write(
  `\n${DEPTH} levels of nesting (best of ${RUNS}): loadBlueprint / the YAML parse alone\n`,
);
for (const [what, text] of nestings)
  process.stdout.write(
    `  ${best(() => loadBlueprint(text, { file: "deep.yaml" }))} ms / ${best(() =>
      parseDocument(text, { lineCounter: new LineCounter(), uniqueKeys: true, strict: true }),
    )} ms  ${what}\n`,
  );
