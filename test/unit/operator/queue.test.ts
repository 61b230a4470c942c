import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { architecturePriority, workersKeptForEdits } from "../../../operator/controller.ts";
import { PRIORITY, WorkQueue } from "../../../operator/runtime/queue.ts";

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

test("priority: a key added at a higher priority goes ahead of every key waiting at a lower one", async () => {
  const q = new WorkQueue();
  for (let i = 0; i < 200; i++) q.add(`ns/bg${i}`, PRIORITY.background);
  q.add("ns/churn", PRIORITY.normal);
  q.add("ns/edited", PRIORITY.edit);
  assert.equal(q.depth, 202);
  const first = await q.get();
  assert.equal(first?.key, "ns/edited");
  assert.equal(first?.priority, PRIORITY.edit);
  assert.equal((await q.get())?.key, "ns/churn");
  // Within one priority: first in, first out.
  assert.equal((await q.get())?.key, "ns/bg0");
  assert.equal((await q.get())?.key, "ns/bg1");
  q.shutDown();
});

test("priority: a duplicate add collapses at the higher of the two priorities, never lowers it", async () => {
  const q = new WorkQueue();
  q.add("ns/a", PRIORITY.background);
  q.add("ns/b", PRIORITY.background);
  q.add("ns/b", PRIORITY.edit); // the user edits b while its resync waits
  q.add("ns/b", PRIORITY.background); // a later resync does not lower it
  assert.equal(q.depth, 2, "still one entry per key");
  assert.equal(q.priorityOf("ns/b"), PRIORITY.edit);
  assert.equal((await q.get())?.key, "ns/b");
  assert.equal((await q.get())?.key, "ns/a");
  assert.equal(q.depth, 0);
  q.shutDown();
});

test("priority: a key re-added while in flight is not handed out twice, and comes back at its new priority after done", async () => {
  const q = new WorkQueue();
  q.add("ns/a", PRIORITY.background);
  const held = await q.get();
  assert.equal(held?.key, "ns/a");
  q.add("ns/a", PRIORITY.edit);
  q.add("ns/z", PRIORITY.normal);
  assert.equal(q.depth, 1, "ns/a must not wait in the queue while a worker holds it");
  assert.equal((await q.get())?.key, "ns/z");
  let next: string | undefined;
  void q.get().then((i) => {
    next = i?.key;
  });
  await sleep(5);
  assert.equal(next, undefined, "a second worker must not get ns/a while the first holds it");
  q.done("ns/a");
  await sleep(5);
  assert.equal(next, "ns/a");
  q.shutDown();
});

test("priority: a raise that lands while a waiting worker takes the key does not queue it twice", async () => {
  const q = new WorkQueue();
  const got = q.get(); // a worker waits
  q.add("ns/a", PRIORITY.background); // handed to that worker at once
  q.add("ns/a", PRIORITY.edit); // in flight now: only marked for after done
  assert.equal((await got)?.key, "ns/a");
  assert.equal(q.depth, 0);
  assert.equal(q.inFlight, 1);
  q.done("ns/a");
  assert.equal(q.depth, 1);
  assert.equal((await q.get())?.priority, PRIORITY.edit);
  q.shutDown();
});

test("priority: of two pending delayed adds the earlier time wins and the higher priority is kept", async () => {
  const q = new WorkQueue();
  q.add("ns/bg", PRIORITY.background);
  q.addAfter("ns/a", 10, PRIORITY.edit);
  q.addAfter("ns/a", 5, PRIORITY.background);
  await sleep(30);
  assert.equal(q.depth, 2);
  const first = await q.get();
  assert.equal(first?.key, "ns/a");
  assert.equal(first?.priority, PRIORITY.edit);
  q.shutDown();
});

test("architecturePriority: a new generation of a known Architecture is an edit, a new Architecture a creation (below); the initial list is background; status churn is normal", () => {
  assert.equal(architecturePriority("update", 3, 2, false), PRIORITY.edit);
  assert.equal(architecturePriority("add", 1, undefined, false), PRIORITY.create);
  assert.ok(PRIORITY.create < PRIORITY.edit && PRIORITY.create > PRIORITY.normal);
  assert.equal(architecturePriority("delete", 3, 3, false), PRIORITY.edit);
  assert.equal(architecturePriority("update", 3, 3, false), PRIORITY.normal);
  assert.equal(architecturePriority("add", 1, undefined, true), PRIORITY.background);
  assert.equal(architecturePriority("update", 4, 3, true), PRIORITY.background);
});

test("flows: within a priority, flows take turns, each flow first in first out", async () => {
  const q = new WorkQueue({ flowOf: (k) => k.slice(0, k.indexOf("/")) });
  for (let i = 0; i < 100; i++) q.add(`bulk/a${i}`, PRIORITY.edit);
  q.add("team/edit", PRIORITY.edit);
  q.add("team/edit2", PRIORITY.edit);
  assert.equal(q.depth, 102);
  const order: string[] = [];
  for (let i = 0; i < 5; i++) order.push((await q.get())?.key ?? "");
  assert.deepEqual(order, ["bulk/a0", "team/edit", "bulk/a1", "team/edit2", "bulk/a2"]);
  // A higher priority still goes first, whatever the flows' turns.
  q.add("bulk/bg", PRIORITY.background);
  q.add("bulk/urgent", PRIORITY.edit + 1);
  assert.equal((await q.get())?.key, "bulk/urgent");
  q.shutDown();
});

test("flows: duplicates collapse, a raise moves the key to its flow at the higher level, a key in flight is not handed out twice", async () => {
  const q = new WorkQueue({ flowOf: (k) => k.slice(0, k.indexOf("/")) });
  q.add("a/1", PRIORITY.background);
  q.add("a/1", PRIORITY.background);
  q.add("b/1", PRIORITY.background);
  q.add("a/1", PRIORITY.edit);
  assert.equal(q.depth, 2);
  const first = await q.get();
  assert.equal(first?.key, "a/1");
  q.add("a/1", PRIORITY.edit); // while in flight
  assert.equal(q.depth, 1);
  assert.equal((await q.get())?.key, "b/1");
  let next: string | undefined;
  void q.get().then((i) => {
    next = i?.key;
  });
  await sleep(5);
  assert.equal(next, undefined, "a/1 is in flight: nobody else gets it");
  q.done("a/1");
  await sleep(5);
  assert.equal(next, "a/1");
  q.shutDown();
});

test("a worker kept for edits takes only keys at or above its minimum; the others take anything, edits first", async () => {
  const q = new WorkQueue();
  for (let i = 0; i < 50; i++) q.add(`ns/new${i}`, PRIORITY.create);
  q.add("ns/churn", PRIORITY.normal);
  // The kept worker waits while only creations and churn are queued.
  let kept: string | undefined;
  const keptGet = q.get(PRIORITY.edit).then((item) => {
    kept = item?.key;
  });
  await sleep(5);
  assert.equal(kept, undefined, "took a key below its minimum");
  // An edit arrives: the kept worker, waiting longest among those that take it, has it at once.
  q.add("ns/edit", PRIORITY.edit);
  await keptGet;
  assert.equal(kept, "ns/edit");
  // An ordinary worker takes creations in order, then the churn.
  assert.equal((await q.get())?.key, "ns/new0");
  q.add("ns/edit2", PRIORITY.edit);
  assert.equal((await q.get())?.key, "ns/edit2", "an ordinary worker still serves edits first");
  q.shutDown();
});

test("a waiting ordinary worker gets a creation while the kept worker, waiting longer, is passed over", async () => {
  const q = new WorkQueue();
  const got: string[] = [];
  const kept = q.get(PRIORITY.edit).then((i) => got.push(`kept:${i?.key}`));
  const plain = q.get().then((i) => got.push(`plain:${i?.key}`));
  q.add("ns/new", PRIORITY.create);
  await plain;
  q.add("ns/edit", PRIORITY.edit);
  await kept;
  assert.deepEqual(got, ["plain:ns/new", "kept:ns/edit"]);
  q.shutDown();
});

test("workersKeptForEdits: one of 4 or more workers, none of fewer", () => {
  assert.equal(workersKeptForEdits(8), 1);
  assert.equal(workersKeptForEdits(4), 1);
  assert.equal(workersKeptForEdits(3), 0);
  assert.equal(workersKeptForEdits(1), 0);
});
