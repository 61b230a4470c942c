// The MySQL failover decision: the replica holding the most of the primary's
// transactions, fenced primary first and repointed after, refusals unless forced.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CAUGHT_UP_TRANSACTIONS,
  decideMysqlFailover,
  holdsAllOf,
  type MysqlMemberState,
  parseMysqlMemberState,
} from "../../../operator/failover/decide-mysql.ts";
import { parseGtidSet } from "../../../operator/failover/gtid.ts";

const P = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const R1 = "aaaaaaaa-0000-0000-0000-000000000001";
const R2 = "aaaaaaaa-0000-0000-0000-000000000002";

const primary = (gtids: string, reachable = true): MysqlMemberState =>
  reachable
    ? parseMysqlMemberState("db-0", 0, `0;;;0;${P};${gtids};\n`)
    : { pod: "db-0", ordinal: 0, reachable: false };
const replica = (
  ordinal: number,
  executed: string,
  received = "",
  state = "ON;ON",
): MysqlMemberState =>
  parseMysqlMemberState(
    `db-${ordinal}`,
    ordinal,
    `1;${state};1;${ordinal === 1 ? R1 : R2};${executed};${received}`,
  );
const describe = (d: ReturnType<typeof decideMysqlFailover>) =>
  d.ok
    ? d.steps.map(
        (s) =>
          `${s.kind} ${"pod" in s ? s.pod : s.ordinal}${"args" in s ? ` ${s.args.join(" ")}` : ""}`,
      )
    : [];

test("parses state.sh's line; anything else makes an unreachable member", () => {
  const r = parseMysqlMemberState("db-1", 1, `1;ON;OFF;1;${R1};${P}:1-5,\n${R1}:1;${P}:1-9\n`);
  assert.equal(r.reachable, true);
  assert.equal(r.replica, true);
  assert.equal(r.receiving, true);
  assert.equal(r.applying, false);
  assert.equal(r.superReadOnly, true);
  const p = parseMysqlMemberState("db-0", 0, `0;;;0;${P};${P}:1-9;`);
  assert.equal(p.replica, false);
  for (const bad of ["ERROR 2002 (HY000): Can't connect", `1;ON;ON;1;${R1};garbage;`, ""])
    assert.deepEqual(parseMysqlMemberState("db-1", 1, bad), {
      pod: "db-1",
      ordinal: 1,
      reachable: false,
    });
});

test("promotes the replica holding most (relay log included): fence, wait, promote, move, repoint all", () => {
  const d = decideMysqlFailover({
    primary: "db-0",
    members: [
      primary(`${P}:1-100`),
      replica(1, `${P}:1-90`),
      // Applied less, but received everything: the more advanced.
      replica(2, `${P}:1-80`, `${P}:1-100`),
    ],
    force: false,
  });
  assert.ok(d.ok);
  assert.equal(d.candidate.pod, "db-2");
  assert.equal(d.missing, 0n);
  assert.equal(d.forced, undefined);
  assert.deepEqual(describe(d), [
    "fence db-0",
    "await-caught-up db-2",
    "promote db-2",
    "move-service 2",
    "repoint db-0 db-2",
    "repoint db-1 db-2",
  ]);
});

test("--to picks a replica; the primary, a stranger or a non-replica are refused", () => {
  const members = [primary(`${P}:1-10`), replica(1, `${P}:1-10`), replica(2, `${P}:1-10`)];
  const to = decideMysqlFailover({ primary: "db-0", members, to: "db-2", force: false });
  assert.ok(to.ok);
  assert.equal(to.candidate.pod, "db-2");
  for (const [name, why] of [
    ["db-0", /primary already/],
    ["db-7", /not a member/],
  ] as const) {
    const d = decideMysqlFailover({ primary: "db-0", members, to: name, force: false });
    assert.ok(!d.ok);
    assert.match(d.reason, why);
  }
  const gone = decideMysqlFailover({
    primary: "db-0",
    members: [members[0] as MysqlMemberState, { pod: "db-1", ordinal: 1, reachable: false }],
    to: "db-1",
    force: false,
  });
  assert.ok(!gone.ok);
  assert.match(gone.reason, /not a reachable replica/);
});

test("refused unless forced: far behind, not replicating, primary unreachable, errant GTIDs", () => {
  const far = `${P}:1-${1 + Number(CAUGHT_UP_TRANSACTIONS)}`;
  const cases: [MysqlMemberState[], RegExp][] = [
    [[primary(`${P}:1-5000`), replica(1, `${P}:1-10`)], /misses 4990 transactions/],
    [[primary(`${P}:1-10`), replica(1, `${P}:1-10`, "", "OFF;ON")], /no replica is both receiving/],
    [[primary(`${P}:1-10`), replica(1, `${P}:1-10`, "", "ON;OFF")], /no replica is both receiving/],
    [[primary("", false), replica(1, `${P}:1-10`)], /cannot be reached/],
    [[primary(`${P}:1-10`), replica(1, `${P}:1-10,${R1}:1-2`)], /errant GTIDs aaaaaaaa-.*:1-2/],
    [
      [primary(`${P}:1-10`), { pod: "db-1", ordinal: 1, reachable: false }],
      /no replica can be reached/,
    ],
  ];
  for (const [members, why] of cases) {
    const d = decideMysqlFailover({ primary: "db-0", members, force: false });
    assert.ok(!d.ok, String(why));
    assert.match(d.reason, why);
  }
  // Exactly the limit is caught up.
  const edge = decideMysqlFailover({
    primary: "db-0",
    members: [primary(far), replica(1, `${P}:1`)],
    force: false,
  });
  assert.ok(edge.ok);
  assert.equal(edge.missing, CAUGHT_UP_TRANSACTIONS);
  // The primary's own transactions that arrived after it was asked are not errant.
  const race = decideMysqlFailover({
    primary: "db-0",
    members: [primary(`${P}:1-10`), replica(1, `${P}:1-12`)],
    force: false,
  });
  assert.ok(race.ok);
});

test("--force promotes anyway and says what it skipped; an unreachable primary is neither fenced nor repointed", () => {
  const d = decideMysqlFailover({
    primary: "db-0",
    members: [primary("", false), replica(1, `${P}:1-8`), replica(2, `${P}:1-9`, "", "OFF;OFF")],
    force: true,
  });
  assert.ok(d.ok);
  assert.equal(d.candidate.pod, "db-1");
  assert.match(d.forced ?? "", /db-0 was not reachable/);
  assert.deepEqual(describe(d), ["promote db-1", "move-service 1", "repoint db-2 db-1"]);
  const stale = decideMysqlFailover({
    primary: "db-0",
    members: [primary(`${P}:1-5000`), replica(1, `${P}:1-10`, "", "OFF;ON")],
    force: true,
  });
  assert.ok(stale.ok);
  assert.match(stale.forced ?? "", /missed 4990 transactions; db-1 was not replicating/);
});

test("holdsAllOf: the candidate's executed and received sets cover the fenced primary's", () => {
  const fenced = parseGtidSet(`${P}:1-10`);
  assert.ok(fenced);
  assert.equal(holdsAllOf(replica(1, `${P}:1-5`, `${P}:1-10`), fenced), true);
  assert.equal(holdsAllOf(replica(1, `${P}:1-9`, `${P}:1-9`), fenced), false);
  assert.equal(holdsAllOf({ pod: "db-1", ordinal: 1, reachable: false }, fenced), false);
});
