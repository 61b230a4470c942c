import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WorkQueue } from "../../../operator/runtime/queue.ts";

test("duplicate adds of a waiting key collapse into one", async () => {
  const q = new WorkQueue();
  q.add("ns/a");
  q.add("ns/a");
  q.add("ns/b");
  assert.equal(q.depth, 2);
  assert.equal((await q.get())?.key, "ns/a");
  assert.equal((await q.get())?.key, "ns/b");
  assert.equal(q.depth, 0);
});

test("a key in flight is never handed to a second worker; re-added keys return after done", async () => {
  const q = new WorkQueue();
  q.add("ns/a");
  const first = await q.get();
  assert.equal(first?.key, "ns/a");
  q.add("ns/a"); // changed while a worker holds it
  assert.equal(q.depth, 0, "must not be queued while in flight");
  let second: string | undefined;
  void q.get().then((i) => {
    second = i?.key;
  });
  await sleep(5);
  assert.equal(second, undefined, "second worker must wait");
  q.done("ns/a");
  await sleep(5);
  assert.equal(second, "ns/a");
});

test("failures back off exponentially per key and forget resets", () => {
  const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 1000, random: () => 0.5 });
  const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited("ns/a"));
  assert.deepEqual(delays, [10, 20, 40, 80, 160]);
  assert.equal(q.failuresOf("ns/a"), 5);
  q.forget("ns/a");
  assert.equal(q.addRateLimited("ns/a"), 10);
  for (let i = 0; i < 20; i++) q.addRateLimited("ns/b");
  assert.equal(q.addRateLimited("ns/b"), 1000, "capped at maxDelayMs");
  q.shutDown();
});

test("the overall token bucket delays a storm of retries", () => {
  const q = new WorkQueue({ baseDelayMs: 1, qps: 10, burst: 5, random: () => 0.5 });
  const delays = Array.from({ length: 8 }, (_, i) => q.addRateLimited(`ns/k${i}`));
  assert.ok(
    delays.slice(0, 5).every((d) => d < 5),
    `burst passes quickly: ${delays}`,
  );
  assert.ok((delays[7] as number) >= 250, `after the burst, retries are spaced at qps: ${delays}`);
  q.shutDown();
});

test("addAfter delivers later, and the earliest pending time wins", async () => {
  const q = new WorkQueue();
  q.addAfter("ns/a", 200);
  q.addAfter("ns/a", 20);
  await sleep(60);
  assert.equal(q.depth, 1);
  q.shutDown();
});

test("shutDown wakes waiting workers with undefined and refuses new keys", async () => {
  const q = new WorkQueue();
  const waiting = q.get();
  q.shutDown();
  assert.equal(await waiting, undefined);
  q.add("ns/a");
  assert.equal(q.depth, 0);
});
