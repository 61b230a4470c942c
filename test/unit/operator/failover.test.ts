// The failover decision: the most advanced caught-up replica, fenced primary
// first, refusals unless forced.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CAUGHT_UP_BYTES,
  caughtUpWith,
  decideFailover,
  type MemberState,
  parseLsn,
  parseMemberState,
} from "../../../operator/failover/decide.ts";

const primary = (lsn: string, reachable = true): MemberState =>
  reachable
    ? parseMemberState("db-0", 0, `f,,,${lsn},f`)
    : { pod: "db-0", ordinal: 0, reachable: false };
const replica = (ordinal: number, lsn: string, streaming = true): MemberState =>
  parseMemberState(`db-${ordinal}`, ordinal, `t,${lsn},${lsn},,${streaming ? "t" : "f"}`);

test("LSNs parse as 64-bit positions; a bad line makes an unreachable member", () => {
  assert.equal(parseLsn("0/3000148"), 0x3000148n);
  assert.equal(parseLsn("1/0"), 1n << 32n);
  assert.equal(parseLsn("nonsense"), undefined);
  assert.deepEqual(parseMemberState("db-1", 1, "psql: error"), {
    pod: "db-1",
    ordinal: 1,
    reachable: false,
  });
  const r = parseMemberState("db-1", 1, "t,0/5000060,0/5000000,,t\n");
  assert.equal(r.inRecovery, true);
  assert.equal(r.receiveLsn, 0x5000060n);
  assert.equal(r.replayLsn, 0x5000000n);
  assert.equal(r.streaming, true);
});

test("promotes the most advanced streaming replica: fence, wait, promote, move, repoint", () => {
  const d = decideFailover({
    primary: "db-0",
    members: [primary("0/5000100"), replica(1, "0/5000000"), replica(2, "0/5000100")],
    force: false,
  });
  assert.ok(d.ok);
  assert.equal(d.candidate.pod, "db-2");
  assert.equal(d.lagBytes, 0n);
  assert.equal(d.forced, undefined);
  assert.deepEqual(
    d.steps.map((s) => `${s.kind} ${"pod" in s ? s.pod : s.ordinal}`),
    ["fence db-0", "await-caught-up db-2", "promote db-2", "move-service 2", "repoint db-1"],
  );
});

test("equal positions: the lowest ordinal, so the choice is stable", () => {
  const d = decideFailover({
    primary: "db-0",
    members: [primary("0/5000000"), replica(2, "0/5000000"), replica(1, "0/5000000")],
    force: false,
  });
  assert.ok(d.ok);
  assert.equal(d.candidate.pod, "db-1");
});

test("--to names the replica; the primary, a stranger or an unreachable one is refused", () => {
  const members = [primary("0/5000000"), replica(1, "0/5000000"), replica(2, "0/4000000")];
  const to1 = decideFailover({ primary: "db-0", members, to: "db-1", force: false });
  assert.ok(to1.ok);
  assert.equal(to1.candidate.pod, "db-1");
  for (const [to, why] of [
    ["db-0", /primary already/],
    ["db-9", /not a member/],
  ] as const) {
    const d = decideFailover({ primary: "db-0", members, to, force: false });
    assert.ok(!d.ok);
    assert.match(d.reason, why);
  }
  const gone = decideFailover({
    primary: "db-0",
    members: [primary("0/5000000"), { pod: "db-1", ordinal: 1, reachable: false }],
    to: "db-1",
    force: true,
  });
  assert.ok(!gone.ok);
  assert.match(gone.reason, /not a reachable replica/);
});

test("a replica further behind than one WAL segment is not caught up: refused unless forced", () => {
  const behind = (CAUGHT_UP_BYTES + 1n).toString(16).toUpperCase();
  const members = [primary(`0/${behind}`), replica(1, "0/0")];
  const d = decideFailover({ primary: "db-0", members, force: false });
  assert.ok(!d.ok);
  assert.match(d.reason, /no replica is caught up: db-1 is 16777217 bytes behind/);
  assert.match(d.hint, /--force/);
  const forced = decideFailover({ primary: "db-0", members, force: true });
  assert.ok(forced.ok);
  assert.match(forced.forced ?? "", /16777217 bytes behind/);
});

test("no streaming replica: refused; forced, the most advanced one", () => {
  const members = [
    primary("0/5000000"),
    replica(1, "0/4000000", false),
    replica(2, "0/5000000", false),
  ];
  const d = decideFailover({ primary: "db-0", members, force: false });
  assert.ok(!d.ok);
  assert.match(d.reason, /no replica is streaming/);
  const forced = decideFailover({ primary: "db-0", members, force: true });
  assert.ok(forced.ok);
  assert.equal(forced.candidate.pod, "db-2");
  assert.match(forced.forced ?? "", /not streaming/);
});

test("an unreachable primary cannot be fenced: refused unless forced, then no fence step", () => {
  const members = [primary("", false), replica(1, "0/5000000"), replica(2, "0/4000000")];
  const d = decideFailover({ primary: "db-0", members, force: false });
  assert.ok(!d.ok);
  assert.match(d.reason, /db-0 cannot be reached/);
  assert.match(d.hint, /must not come back as a primary/);
  const forced = decideFailover({ primary: "db-0", members, force: true });
  assert.ok(forced.ok);
  assert.equal(forced.candidate.pod, "db-1");
  assert.deepEqual(
    forced.steps.map((s) => s.kind),
    ["promote", "move-service", "repoint"],
  );
});

test("no replica at all: refused even when forced", () => {
  const d = decideFailover({ primary: "db-0", members: [primary("0/1")], force: true });
  assert.ok(!d.ok);
  assert.match(d.reason, /no replica can be reached/);
});

test("caught up with a fenced primary means past its last write (the shutdown checkpoint follows)", () => {
  assert.equal(caughtUpWith(replica(1, "0/5000100"), 0x5000100n), false);
  assert.equal(caughtUpWith(replica(1, "0/5000128"), 0x5000100n), true);
  assert.equal(caughtUpWith({ pod: "db-1", ordinal: 1, reachable: false }, 0n), false);
});
