// Leader election's decisions and its renew deadline, on an injected clock.
import assert from "node:assert/strict";
import { mock, type TestContext, test } from "node:test";
import { KubeApiError } from "../../../operator/kube/errors.ts";
import type { ObjectClient } from "../../../operator/kube/objects.ts";
import type { Lease, Observed } from "../../../operator/runtime/leader.ts";
import {
  checkTiming,
  decideLease,
  LeaderElector,
  observe,
  withinRenewDeadline,
} from "../../../operator/runtime/leader.ts";
import { createLogger } from "../../../operator/runtime/logger.ts";

const ME = { namespace: "ns", name: "l", identity: "me", leaseDurationSeconds: 15 };

function lease(holder: string | null, renewTime = "2026-01-01T00:00:00.000000Z"): Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "l", namespace: "ns", resourceVersion: "7" },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime, leaseTransitions: 2 },
  };
}

test("no Lease yet: create one naming this instance", () => {
  const d = decideLease(undefined, undefined, ME, 1_000);
  assert.equal(d.action, "create");
  assert.equal(d.action === "create" && d.lease.spec?.holderIdentity, "me");
});

test("another holder's lease is respected until its record has been unchanged for a lease duration on our clock", () => {
  const other = lease("other");
  const seen: Observed = observe(undefined, other, 100_000);
  assert.equal(decideLease(other, seen, ME, 100_000 + 15_000).action, "wait");
  // The holder renewed: the record changed, so its age starts again.
  const renewed = lease("other", "2026-01-01T00:00:02.000000Z");
  const seenAgain = observe(seen, renewed, 110_000);
  assert.equal(seenAgain.at, 110_000);
  assert.equal(decideLease(renewed, seenAgain, ME, 120_000).action, "wait");
  // Unchanged record: the observation keeps its first time, and after 15 s we take over.
  assert.equal(observe(seenAgain, renewed, 124_000).at, 110_000);
  const d = decideLease(renewed, seenAgain, ME, 125_001);
  assert.equal(d.action, "update");
  assert.ok(d.action === "update" && d.takingOver);
  assert.equal(d.action === "update" && d.lease.spec?.leaseTransitions, 3);
  assert.equal(d.action === "update" && d.lease.metadata.resourceVersion, "7", "guarded write");
});

test("a released lease (no holder) is taken at once, not after it expires", () => {
  const released = lease(null);
  const d = decideLease(released, observe(undefined, released, 5_000), ME, 5_000);
  assert.equal(d.action, "update");
  assert.equal(d.action === "update" && d.lease.spec?.holderIdentity, "me");
});

test("the holder renews its own lease without counting a transition", () => {
  const mine = lease("me");
  const d = decideLease(mine, observe(undefined, mine, 0), ME, 1);
  assert.ok(d.action === "update" && !d.takingOver);
  assert.equal(d.action === "update" && d.lease.spec?.leaseTransitions, 2);
});

test("the renew deadline is measured from the start of the last successful renew", () => {
  assert.ok(withinRenewDeadline(1_000, 10_999, 10_000));
  assert.ok(!withinRenewDeadline(1_000, 11_000, 10_000));
});

test("timings under which a deposed leader could overlap its successor are refused", () => {
  assert.throws(
    () => checkTiming({ leaseDurationSeconds: 10, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    /lease duration \(10 s\) must be longer than the renew deadline/,
  );
  assert.throws(
    () => checkTiming({ leaseDurationSeconds: 15, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
    /renew deadline \(2000 ms\) must be longer than the retry period/,
  );
});

// One Lease in memory behind the elector's REST calls (a stand-in for the API
// server inside this one unit test); `hang` makes every later request never
// answer, as an API server behind a dead connection would.
function leaseApi() {
  let stored: Lease | undefined;
  let rv = 0;
  const state = {
    hang: false,
    /** Milliseconds (on the mocked clock) before each answer. */
    delayMs: 0,
    requests: [] as { verb: string; timeoutMs: number | undefined }[],
  };
  const answer = <T>(value: () => T) =>
    state.delayMs > 0
      ? new Promise<T>((resolve, reject) =>
          setTimeout(() => {
            try {
              resolve(value());
            } catch (err) {
              reject(err);
            }
          }, state.delayMs),
        )
      : new Promise<T>((resolve) => resolve(value()));
  const request = (verb: string, path: string, opts: { body?: Lease; timeoutMs?: number } = {}) => {
    state.requests.push({ verb, timeoutMs: opts.timeoutMs });
    if (state.hang) return new Promise(() => {});
    return answer(() => {
      if (verb === "GET") {
        if (!stored) throw new KubeApiError(verb, path, 404, { reason: "NotFound" });
        return structuredClone(stored);
      }
      const body = structuredClone(opts.body as Lease);
      // As the API server: a PUT of an older resourceVersion is a conflict.
      if (verb === "PUT" && body.metadata.resourceVersion !== stored?.metadata.resourceVersion)
        throw new KubeApiError(verb, path, 409, { reason: "Conflict" });
      body.metadata.resourceVersion = String(++rv);
      stored = body;
      return body;
    });
  };
  /** Another instance's write: it holds the lease now. */
  const steal = (holder: string) => {
    const taken = structuredClone(stored as Lease);
    taken.spec = { ...taken.spec, holderIdentity: holder, renewTime: new Date().toISOString() };
    taken.metadata.resourceVersion = String(++rv);
    stored = taken;
  };
  return { objects: { rest: { request } } as unknown as ObjectClient, state, steal };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** On mocked timers from 0: an elector over one in-memory Lease, started and leading. */
async function leading(t: TestContext) {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  t.after(() => mock.timers.reset());
  const api = leaseApi();
  const events: string[] = [];
  const elector = new LeaderElector(api.objects, {
    ...ME,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    log: createLogger("error", {}, () => {}),
    now: () => Date.now(),
    onStartedLeading: () => events.push(`lead@${Date.now()}`),
    onStoppedLeading: (why) => events.push(`lost@${Date.now()}: ${why}`),
  });
  elector.start();
  await settle();
  return { api, events, elector };
}

test("a renew that never returns: the leader steps down at the renew deadline, on its own timer", async (t) => {
  const { api, events, elector } = await leading(t);
  const { state } = api;
  assert.deepEqual(events, ["lead@0"], "created the Lease and leads");
  mock.timers.tick(2_000);
  await settle(); // renewed at 2 s
  state.hang = true;
  mock.timers.tick(2_000);
  await settle(); // the renew sent at 4 s never answers
  mock.timers.tick(7_999);
  await settle();
  assert.ok(elector.isLeader, "still within the renew deadline at 11.999 s");
  assert.equal(events.length, 1);
  mock.timers.tick(1);
  await settle();
  assert.ok(!elector.isLeader);
  assert.deepEqual(events, [
    "lead@0",
    "lost@12000: the lease was not renewed within the renew deadline (10000 ms)",
  ]);
  // The hung renew (sent at 4 s, after the renew at 2 s) was given until the
  // renew deadline at 12 s, not one retry period: 8 s.
  const hung = state.requests.at(-1);
  assert.equal(hung?.verb, "PUT");
  assert.equal(hung?.timeoutMs, 8_000);
  void elector.stop(); // waits for the hung request, which never ends here
});

test("isLeader reads the clock: a stalled event loop whose timers fire late cannot extend leadership", async (t) => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  t.after(() => mock.timers.reset());
  const { objects, state } = leaseApi();
  let now = 0;
  const elector = new LeaderElector(objects, {
    ...ME,
    log: createLogger("error", {}, () => {}),
    now: () => now,
    onStartedLeading: () => {},
    onStoppedLeading: () => {},
  });
  elector.start();
  await settle();
  assert.ok(elector.isLeader);
  state.hang = true;
  now = 10_000; // the clock moved on, no timer has run yet
  assert.ok(!elector.isLeader, "past the renew deadline");
  void elector.stop();
});

test("the holder renews with one PUT of the lease it last wrote, no GET first", async (t) => {
  const { api, elector } = await leading(t);
  for (let i = 0; i < 3; i++) {
    mock.timers.tick(2_000);
    await settle();
  }
  assert.deepEqual(
    api.state.requests.map((r) => r.verb),
    ["GET", "POST", "PUT", "PUT", "PUT"],
  );
  assert.ok(elector.isLeader);
  await elector.stop();
});

test("renews the API server answers slowly (3 s, over the retry period) keep the lease", async (t) => {
  const { api, events, elector } = await leading(t);
  api.state.delayMs = 3_000;
  for (let i = 0; i < 12; i++) {
    mock.timers.tick(1_000);
    await settle();
  }
  // Renews sent at 2, 7 and 12 s (each 2 s after the last answer), answered 3 s later.
  assert.ok(elector.isLeader, "the renew sent at 7 s answered at 10 s");
  assert.deepEqual(events, ["lead@0"]);
  const renew = api.state.requests[2];
  assert.equal(renew?.verb, "PUT");
  assert.equal(renew?.timeoutMs, 8_000, "the renew sent at 2 s may take until 0 + 10 s");
  api.state.delayMs = 0;
  // stop() waits for the renew in flight (sent at 12 s) before releasing the lease.
  const stopping = elector.stop();
  mock.timers.tick(3_000);
  await stopping;
});

test("a lease another instance wrote meanwhile: the holder's PUT is a conflict, it reads the lease and steps down", async (t) => {
  const { api, events, elector } = await leading(t);
  api.steal("other");
  mock.timers.tick(2_000);
  await settle();
  assert.deepEqual(events, ["lead@0", "lost@2000: another instance holds the lease"]);
  assert.deepEqual(
    api.state.requests.slice(2).map((r) => r.verb),
    ["PUT", "GET"],
  );
  assert.ok(!elector.isLeader);
  await elector.stop();
});
