// runFailover's order and stops, with the members simulated (the scripts
// themselves run against real servers in test/dataplane).
import assert from "node:assert/strict";
import { test } from "node:test";
import { type FailoverIo, runFailover, scriptCommand } from "../../../cli/failover/run.ts";

interface Sim {
  states: Record<string, string | Error>;
  /** state.sh answers for the candidate after the fence, in turn. */
  after?: string[];
  fenceOut?: string;
}

function io(sim: Sim) {
  const calls: string[] = [];
  const events: string[] = [];
  let clock = 0;
  let fenced = false;
  const fake: FailoverIo = {
    exec: async (pod, script) => {
      calls.push(`${script} ${pod}`);
      if (script === "fence.sh") {
        fenced = true;
        return sim.fenceOut ?? "0/5000100\n";
      }
      if (script === "state.sh") {
        if (fenced && sim.after?.length) return sim.after.shift() as string;
        const s = sim.states[pod];
        if (s instanceof Error || s === undefined) throw s ?? new Error("gone");
        return s;
      }
      return "t\n";
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

const HEALTHY = {
  "db-0": "f,,,0/5000100,f",
  "db-1": "t,0/5000000,0/5000000,,t",
  "db-2": "t,0/5000100,0/5000100,,t",
};

test("fence, wait until past the fenced position, promote, move the Service, repoint, Event", async () => {
  const { fake, calls, events } = io({
    states: HEALTHY,
    after: ["t,0/5000100,0/5000100,,f", "t,0/5000128,0/5000128,,f"],
  });
  const out = await runFailover(fake, {
    statefulSet: "db",
    members: 3,
    primaryOrdinal: 0,
    force: false,
  });
  assert.ok(out.done);
  assert.equal(out.promoted, "db-2");
  assert.deepEqual(calls.slice(3), [
    "fence.sh db-0",
    "state.sh db-2",
    "state.sh db-2",
    "promote.sh db-2",
    "move 2",
    "repoint.sh db-1",
  ]);
  assert.equal(events.length, 1);
  assert.match(events[0] ?? "", /^Normal FailedOver: promoted db-2 in place of db-0/);
  assert.deepEqual(scriptCommand("fence.sh"), ["sh", "/etc/archctl/fence.sh"]);
});

test("refused: nothing but the state queries ran, no Event", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": "f,,,0/9000000,f", "db-1": "t,0/1000000,0/1000000,,t" },
  });
  const out = await runFailover(fake, {
    statefulSet: "db",
    members: 2,
    primaryOrdinal: 0,
    force: false,
  });
  assert.ok(!out.done);
  assert.equal(out.changed, false);
  assert.match(out.reason, /no replica is caught up/);
  assert.deepEqual(calls, ["state.sh db-0", "state.sh db-1"]);
  assert.deepEqual(events, []);
});

test("a candidate that never receives the last write: stopped after the fence, a Warning, no promotion", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": "f,,,0/5000100,f", "db-1": "t,0/5000100,0/5000100,,t" },
    after: Array.from({ length: 500 }, () => "t,0/5000100,0/5000100,,f"),
  });
  const out = await runFailover(fake, {
    statefulSet: "db",
    members: 2,
    primaryOrdinal: 0,
    force: false,
    catchUpMs: 2000,
  });
  assert.ok(!out.done);
  assert.equal(out.changed, true);
  assert.ok(!calls.includes("promote.sh db-1"));
  assert.match(events[0] ?? "", /^Warning FailoverStopped/);
});

test("an unreachable primary with --force: no fence, promote, a Warning Event saying what was skipped", async () => {
  const { fake, calls, events } = io({
    states: { "db-0": new Error("pod not found"), "db-1": "t,0/5000000,0/5000000,,t" },
  });
  const out = await runFailover(fake, {
    statefulSet: "db",
    members: 2,
    primaryOrdinal: 0,
    force: true,
  });
  assert.ok(out.done);
  assert.ok(!calls.some((c) => c.startsWith("fence.sh")));
  assert.match(
    events[0] ?? "",
    /^Warning FailedOver: .*forced: the primary db-0 was not reachable/,
  );
});
