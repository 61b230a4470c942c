// runMysqlFailover's order and stops, with the members simulated (the scripts'
// statements are checked in test/unit/render/mysql-failover-scripts.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FailoverIo } from "../../../cli/failover/run.ts";
import { runMysqlFailover } from "../../../cli/failover/run-mysql.ts";

const P = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const primaryLine = (n: number) => `0;;;0;${P};${P}:1-${n};\n`;
const replicaLine = (n: number, received = n, state = "ON;ON") =>
  `1;${state};1;aaaaaaaa-0000-0000-0000-00000000000${n % 10};${P}:1-${n};${P}:1-${received}\n`;

interface Sim {
  states: Record<string, string | Error>;
  /** state.sh answers after the fence, in turn (then the last one again). */
  after?: string[];
  fenceOut?: string;
  fail?: Record<string, Error>;
}

function io(sim: Sim) {
  const calls: string[] = [];
  const events: string[] = [];
  let clock = 0;
  let fenced = false;
  const fake: FailoverIo = {
    exec: async (pod, script, args) => {
      calls.push([script, pod, ...(args ?? [])].join(" "));
      const failure = sim.fail?.[`${script} ${pod}`];
      if (failure) throw failure;
      if (script === "fence.sh") {
        fenced = true;
        return sim.fenceOut ?? `${P}:1-100\n`;
      }
      if (script === "state.sh") {
        if (fenced && sim.after?.length)
          return (sim.after.length > 1 ? sim.after.shift() : sim.after[0]) as string;
        const s = sim.states[pod];
        if (s instanceof Error || s === undefined) throw s ?? new Error("gone");
        return s;
      }
      return `${P}:1-100\n`;
    },
    movePrimary: async (o) => {
      calls.push(`move ${o}`);
    },
    event: async (type, reason, note) => {
      events.push(`${type} ${reason}: ${note}`);
    },
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    log: () => {},
  };
  return { fake, calls, events };
}

const target = { statefulSet: "db", members: 3, primaryOrdinal: 0, force: false };

test("fence, wait until the candidate holds the fenced set, promote, move, repoint the rest and the old primary, Event", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": primaryLine(99), "db-1": replicaLine(90), "db-2": replicaLine(99) },
    after: [replicaLine(99), replicaLine(99, 100)],
  });
  const out = await runMysqlFailover(fake, target);
  assert.ok(out.done);
  assert.equal(out.promoted, "db-2");
  assert.deepEqual(calls.slice(3), [
    "fence.sh db-0",
    "state.sh db-2",
    "state.sh db-2",
    "promote.sh db-2",
    "move 2",
    "repoint.sh db-0 db-2",
    "repoint.sh db-1 db-2",
  ]);
  assert.deepEqual(events.length, 1);
  assert.match(events[0] ?? "", /^Normal FailedOver: promoted db-2 in place of db-0/);
});

test("refused: only the state queries ran, no Event", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": primaryLine(5000), "db-1": replicaLine(10), "db-2": new Error("no pod") },
  });
  const out = await runMysqlFailover(fake, target);
  assert.ok(!out.done);
  assert.equal(out.changed, false);
  assert.match(out.reason, /misses 4990 transactions/);
  assert.deepEqual(calls, ["state.sh db-0", "state.sh db-1", "state.sh db-2"]);
  assert.deepEqual(events, []);
});

test("a candidate that never receives the fenced set: stopped after the fence, no promotion", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": primaryLine(100), "db-1": replicaLine(99), "db-2": replicaLine(98) },
    after: [replicaLine(99)],
  });
  const out = await runMysqlFailover(fake, { ...target, catchUpMs: 2000 });
  assert.ok(!out.done);
  assert.equal(out.changed, true);
  assert.match(out.reason, /fenced \(super_read_only\) and nothing was promoted/);
  assert.ok(!calls.some((c) => c.startsWith("promote.sh") || c.startsWith("move")));
  assert.match(events[0] ?? "", /^Warning FailoverStopped/);
});

test("with --force, a candidate that never catches up is promoted after the wait, the loss named", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": primaryLine(5000), "db-1": replicaLine(10), "db-2": replicaLine(9) },
    fenceOut: `${P}:1-5000\n`,
    after: [replicaLine(10)],
  });
  const out = await runMysqlFailover(fake, { ...target, force: true, catchUpMs: 2000 });
  assert.ok(out.done);
  assert.equal(out.promoted, "db-1");
  assert.ok(calls.includes("promote.sh db-1"));
  assert.match(
    out.forced ?? "",
    /db-1 missed 4990 transactions; db-1 lacked 3e11fa47-71ca-11e1-9e33-c80aa9429562:11-5000 of the fenced primary/,
  );
  assert.match(events[0] ?? "", /^Warning FailedOver: .*forced: db-1 missed 4990/);
});

test("a fence whose output is not a GTID set stops before anything is promoted", async () => {
  const { fake, calls } = io({
    states: { "db-0": primaryLine(100), "db-1": replicaLine(100), "db-2": replicaLine(100) },
    fenceOut: "mysql: [Warning] something\n",
  });
  const out = await runMysqlFailover(fake, target);
  assert.ok(!out.done);
  assert.equal(out.changed, true);
  assert.equal(calls[calls.length - 1], "fence.sh db-0");
});

test("a fence that fails (commits in flight past lock_wait_timeout) stops with a Warning, nothing promoted", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": primaryLine(100), "db-1": replicaLine(100), "db-2": replicaLine(100) },
    fail: { "fence.sh db-0": new Error("ERROR 1205: Lock wait timeout exceeded") },
  });
  const out = await runMysqlFailover(fake, target);
  assert.ok(!out.done);
  assert.match(
    out.reason,
    /db-0 could not be fenced \(ERROR 1205: Lock wait timeout exceeded\); nothing was promoted/,
  );
  assert.equal(calls[calls.length - 1], "fence.sh db-0");
  assert.match(events[0] ?? "", /^Warning FailoverStopped/);
});

test("a failed promotion leaves the Service where it was; a failed repoint is a Warning, not an undo", async () => {
  const states = { "db-0": primaryLine(100), "db-1": replicaLine(100), "db-2": replicaLine(99) };
  const bad = io({ states, fail: { "promote.sh db-1": new Error("applier did not apply") } });
  const out = await runMysqlFailover(bad.fake, target);
  assert.ok(!out.done);
  assert.match(out.reason, /could not be promoted \(applier did not apply\); db-0 is fenced/);
  assert.ok(!bad.calls.some((c) => c.startsWith("move")));
  const partial = io({ states, fail: { "repoint.sh db-2": new Error("exec failed") } });
  const done = await runMysqlFailover(partial.fake, target);
  assert.ok(done.done);
  assert.match(
    partial.events.join("\n"),
    /Warning FailoverRepointFailed: db-2 does not replicate from db-1: run 'sh \/etc\/archctl\/repoint.sh db-1' in it/,
  );
  assert.match(partial.events[partial.events.length - 1] ?? "", /^Normal FailedOver/);
});

test("an unreachable primary with --force: not fenced, not repointed, a Warning saying so", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": new Error("node lost"), "db-1": replicaLine(50), "db-2": replicaLine(40) },
  });
  const out = await runMysqlFailover(fake, { ...target, force: true });
  assert.ok(out.done);
  assert.deepEqual(calls.slice(3), ["promote.sh db-1", "move 1", "repoint.sh db-2 db-1"]);
  assert.match(
    events[0] ?? "",
    /^Warning FailedOver: .*forced: the primary db-0 was not reachable/,
  );
});
