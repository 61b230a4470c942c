// The wait logic behind apply --wait and status -w: durations, when it is
// Ready or Degraded, timeouts, and API server blips retried with backoff.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseDuration, waitFor } from "../../../cli/wait.ts";
import { arch, READY } from "./arch-view-fixtures.ts";

describe("wait", () => {
  function fakeClock() {
    let t = 0;
    return {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
  }
  const transient = (e: unknown) => (e as Error).message === "blip";
  const base = { isTransient: transient, describeError: (e: unknown) => (e as Error).message };

  test("durations", () => {
    assert.equal(parseDuration("10m"), 600_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("90"), 90_000);
    assert.equal(parseDuration("3s"), 3000);
    assert.equal(parseDuration("soon"), undefined);
  });

  test("ready only when the operator observed the generation we wrote", async () => {
    const clock = fakeClock();
    const reads = [
      arch({ phase: "Ready", observedGeneration: 1 }, { generation: 2 }),
      arch({}),
      READY,
    ];
    let i = 0;
    const out = await waitFor(
      { ...base, ...clock, get: async () => reads[Math.min(i++, reads.length - 1)] },
      { timeoutMs: 60_000, generation: 2 },
    );
    assert.equal(out.kind, "ready");
    assert.equal(i, 3);
  });

  test("degraded ends the wait with the Degraded message", async () => {
    const degraded = arch({
      phase: "Degraded",
      conditions: [
        { type: "Ready", status: "False", reason: "DestructiveChangeRefused", message: "x" },
        {
          type: "Degraded",
          status: "True",
          reason: "DestructiveChangeRefused",
          message: "StatefulSet post-mysql: the data volume template changed",
        },
      ],
    });
    const out = await waitFor(
      { ...base, ...fakeClock(), get: async () => degraded },
      { timeoutMs: 10_000 },
    );
    assert.equal(out.kind, "degraded");
    assert.match((out as { message: string }).message, /data volume template changed/);
  });

  test("timeout returns the last state; no-operator warning once after the grace period", async () => {
    const clock = fakeClock();
    let warned = 0;
    const out = await waitFor(
      { ...base, ...clock, get: async () => arch({ observedGeneration: 1 }) },
      { timeoutMs: 30_000, onNoOperator: () => warned++, operatorGraceMs: 10_000 },
    );
    assert.equal(out.kind, "timeout");
    assert.equal(warned, 1);
    assert.equal(clock.now(), 30_000);
  });

  test("an API server blip is retried with backoff and reported once", async () => {
    const clock = fakeClock();
    let n = 0;
    const blips: [string, boolean][] = [];
    const out = await waitFor(
      {
        ...base,
        ...clock,
        get: async () => {
          n++;
          if (n >= 2 && n <= 5) throw new Error("blip");
          return n > 6 ? READY : arch();
        },
      },
      { timeoutMs: 120_000, onBlip: (m, r) => blips.push([m, r]) },
    );
    assert.equal(out.kind, "ready");
    assert.equal(blips.length, 2);
    assert.match(
      blips[0]?.[0] ?? "",
      /lost contact with the API server \(blip\); retrying until the timeout/,
    );
    assert.equal(blips[1]?.[1], true);
  });

  test("other errors are not retried", async () => {
    await assert.rejects(
      waitFor(
        { ...base, ...fakeClock(), get: async () => Promise.reject(new Error("forbidden")) },
        { timeoutMs: 10_000 },
      ),
      /forbidden/,
    );
  });

  test("untilGone waits for a missing object", async () => {
    let n = 0;
    const out = await waitFor(
      { ...base, ...fakeClock(), get: async () => (n++ < 3 ? READY : undefined) },
      { timeoutMs: 60_000, untilGone: true },
    );
    assert.equal(out.kind, "gone");
  });
});
