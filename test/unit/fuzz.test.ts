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
// ARCHCTL_FUZZ_SCALE=N multiplies the number of runs.//
// The generators are in test/support/fuzz-generators.ts, the checks in
// fuzz-checks.ts, one run of them all in fuzz-run.ts, the shared-memory
// watch in fuzz-watch.ts. This file is also the worker thread's entry.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { CLI_QUOTA, type FuzzResult, fuzz, GENERATORS, SCALE, SEED } from "../support/fuzz-run.ts";
import { LABEL_BYTES, timed, watchCallsIn, watchOn } from "../support/fuzz-watch.ts";
import { archctl, type Run, tempDir } from "./cli/helpers.ts";

/** A call still running after this long is a hang: the worker is terminated. */
const HANG_MS = 60_000;
/** Each `archctl validate` is SIGKILLed after this long (and counts as a failure). */
const CLI_KILL_MS = 30_000;
/** The CLI refuses a blueprint file larger than this before parsing it (cli/input.ts). */
const CLI_MAX_BYTES = 1024 * 1024;

// ---------------------------------------------------------------------------
// The worker thread runs fuzz(); the main thread watches it and runs the tests.

type WorkerMessage =
  | { type: "done"; result: FuzzResult }
  | { type: "failed"; message: string; stack?: string };

const role = isMainThread ? undefined : (workerData as { role?: string } | null)?.role;
if (role === "fuzz" || role === "hang") {
  watchCallsIn((workerData as { buffer: SharedArrayBuffer }).buffer);
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
