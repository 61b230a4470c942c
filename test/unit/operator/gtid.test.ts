// GTID sets as MySQL prints and compares them (GTID_SUBSET, GTID_SUBTRACT), without a server.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatGtidSet,
  gtidCount,
  gtidSubset,
  gtidSubtract,
  gtidUnion,
  gtidWithoutServer,
  parseGtidSet,
} from "../../../operator/failover/gtid.ts";

const A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const B = "4f22fb58-82db-22f2-af44-d91bb0530673";
const set = (text: string) => {
  const s = parseGtidSet(text);
  assert.ok(s, text);
  return s;
};

test("parses @@gtid_executed as printed: line breaks, merged and unordered intervals, tags", () => {
  const s = set(`${B}:1-3,\n${A}:7:1-5:6`);
  assert.equal(formatGtidSet(s), `${A}:1-7,${B}:1-3`);
  assert.equal(gtidCount(s), 10n);
  const tagged = set(`${A}:1-5:blue:1-2:9`);
  assert.equal(formatGtidSet(tagged), `${A}:1-5,${A}:blue:1-2:9`);
  assert.equal(gtidCount(tagged), 8n);
  assert.equal(gtidCount(set("")), 0n);
  assert.equal(formatGtidSet(set(`${A.toUpperCase()}:1`)), `${A}:1`);
});

test("refuses what is not a GTID set", () => {
  for (const bad of [
    "nonsense",
    `${A}`,
    `${A}:`,
    `${A}:5-3`,
    `${A}:0`,
    "x:1-2",
    `${A}:tag`,
    `${A}:1-2,`,
  ])
    assert.equal(parseGtidSet(bad), undefined, bad);
});

test("subtract, subset and union agree with MySQL's GTID_SUBTRACT and GTID_SUBSET", () => {
  const primary = set(`${A}:1-100,${B}:1-10`);
  const replica = set(`${A}:1-40:45-90`);
  assert.equal(formatGtidSet(gtidSubtract(primary, replica)), `${A}:41-44:91-100,${B}:1-10`);
  assert.equal(gtidCount(gtidSubtract(primary, replica)), 24n);
  assert.equal(gtidSubset(replica, primary), true);
  assert.equal(gtidSubset(primary, replica), false);
  assert.equal(formatGtidSet(gtidSubtract(replica, primary)), "");
  assert.equal(formatGtidSet(gtidUnion(replica, set(`${A}:41-44:91-100`))), `${A}:1-100`);
  // A hole punched in the middle of one interval by another's bounds.
  assert.equal(
    formatGtidSet(gtidSubtract(set(`${A}:1-10`), set(`${A}:3-4:7`))),
    `${A}:1-2:5-6:8-10`,
  );
  assert.equal(formatGtidSet(gtidWithoutServer(primary, A)), `${B}:1-10`);
});
