// Reconciles that need no request settle in microtasks alone; the workers must
// still let timers and I/O run between them, or a new leader's backlog of
// thousands holds off its own lease renewal (seen: every shard of the 10,000
// bench lost its Lease 10 s after winning it). A fake reconciler stands in.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Controller } from "../../../operator/controller.ts";
import type { Reconciler, StoredArchitecture } from "../../../operator/reconcile/reconciler.ts";
import type { EventRecorder } from "../../../operator/runtime/events.ts";
import { createLogger } from "../../../operator/runtime/logger.ts";
import { OperatorMetrics } from "../../../operator/runtime/metrics.ts";
import { PRIORITY } from "../../../operator/runtime/queue.ts";

test("a backlog of reconciles that make no request lets a timer fire long before it is done", async () => {
  const KEYS = 20_000;
  let reconciled = 0;
  const reconciler = {
    reconcile: async () => {
      reconciled++;
      return { writes: 0 };
    },
  } as unknown as Reconciler;
  const controller = new Controller({
    reconciler,
    architectures: { get: () => undefined, list: (): StoredArchitecture[] => [] },
    events: {} as EventRecorder,
    metrics: new OperatorMetrics(false),
    log: createLogger("error", {}, () => {}),
    isLeader: () => true,
  });
  for (let i = 0; i < KEYS; i++) controller.add("ns", `a${i}`, PRIORITY.background);
  let firedAfter: number | undefined;
  setTimeout(() => {
    firedAfter = reconciled;
  }, 0);
  controller.start(8);
  while (reconciled < KEYS) await new Promise((r) => setTimeout(r, 5));
  await controller.stop();
  assert.ok(firedAfter !== undefined, "the timer never fired");
  assert.ok(firedAfter < KEYS / 10, `the timer waited for ${firedAfter} of ${KEYS} reconciles`);
});
