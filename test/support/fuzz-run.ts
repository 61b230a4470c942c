// One fuzz run (in the fuzz test's worker thread): every generator of
// fuzz-generators.ts in turn through the checks of fuzz-checks.ts, seeded,
// counted per generator, with a sample of each one's invalid inputs kept for
// the CLI (reservoir sampling).
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { collidingArchitectureArb } from "./colliding-architecture.ts";
import { runText, runValue } from "./fuzz-checks.ts";
import {
  aliasBomb,
  BLUEPRINTS,
  deepNesting,
  duplicateKeys,
  envName,
  hugeString,
  mutateStruct,
  mutateText,
  setArg,
  structMutation,
  TEXTS,
  textMutation,
} from "./fuzz-generators.ts";
import { stats, timed } from "./fuzz-watch.ts";
import { prng } from "./prng.ts";

export const SEED = Number(process.env.ARCHCTL_FUZZ_SEED ?? 20_260_917);
export const SCALE = Number(process.env.ARCHCTL_FUZZ_SCALE ?? 1);
/** Invalid inputs of each generator that go through the CLI. */
export const CLI_QUOTA = 4;

const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const fcOpts = (n: number, salt: number) => ({
  numRuns: runs(n),
  seed: SEED + salt,
  endOnFailure: true,
});

export type Sample = { text: string; label: string };
export type GeneratorStats = {
  name: string;
  cases: number;
  valid: number;
  /** Invalid inputs offered for the CLI sample (reservoir sampling: each as likely). */
  offered: number;
  sample: Sample[];
};
export type FuzzResult = {
  stats: typeof stats;
  generators: GeneratorStats[];
  seconds: number;
};

/** Every generator below, in order; each gets CLI_QUOTA inputs in the CLI sample. */
export const GENERATORS = [
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
export function fuzz(): FuzzResult {
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
    // yaml writes no document for undefined (or a function): nothing to load.
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
