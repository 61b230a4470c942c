// Which shard owns an Architecture: pure, so every shard agrees.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  labelledShard,
  missingShardLabel,
  ownerShard,
  SHARD_LABEL,
  shardByHash,
  shardLeaseName,
  shardSelectors,
} from "../../../operator/runtime/shard.ts";

const arch = (name: string, labels?: Record<string, string>) => ({
  metadata: { name, namespace: "team", ...(labels ? { labels } : {}) },
});

test("the hash is stable and spreads 3,000 names evenly over 3 shards (each within 10% of a third)", () => {
  assert.equal(shardByHash("team", "shop", 3), shardByHash("team", "shop", 3));
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) (counts[shardByHash(`ns${i % 7}`, `app-${i}`, 3)] as number)++;
  for (const c of counts) assert.ok(c > 900 && c < 1100, `uneven: ${counts}`);
});

test("exactly one of N shards owns each Architecture, labelled or not", () => {
  for (const count of [1, 2, 3, 5])
    for (let i = 0; i < 200; i++) {
      const a = arch(`app-${i}`, i % 3 === 0 ? { [SHARD_LABEL]: String(i % 4) } : undefined);
      const owners = Array.from({ length: count }, (_, s) => s).filter(
        (s) => ownerShard(a, count) === s,
      );
      assert.equal(owners.length, 1);
    }
});

test("a valid label wins over the hash; one out of range (fewer shards now) or malformed falls back to the hash", () => {
  const name = "shop";
  const hashed = shardByHash("team", name, 2);
  const other = 1 - hashed;
  assert.equal(ownerShard(arch(name, { [SHARD_LABEL]: String(other) }), 2), other);
  assert.equal(ownerShard(arch(name, { [SHARD_LABEL]: "2" }), 2), hashed, "3 -> 2 shards");
  for (const bad of ["", "01", "-1", "x", "1.0", " 1"])
    assert.equal(labelledShard(bad, 3), undefined, `'${bad}'`);
});

test("the label to write: the owner's, only when the object does not carry it", () => {
  const hashed = String(shardByHash("team", "shop", 3));
  assert.equal(missingShardLabel(arch("shop"), 3), hashed);
  assert.equal(missingShardLabel(arch("shop", { [SHARD_LABEL]: hashed }), 3), undefined);
  assert.equal(missingShardLabel(arch("shop", { [SHARD_LABEL]: "7" }), 3), hashed);
  assert.equal(
    missingShardLabel(arch("shop", { [SHARD_LABEL]: "0" }), 3),
    undefined,
    "a valid label is kept",
  );
});

test("one Lease per shard; the unsharded Lease keeps its name", () => {
  assert.equal(shardLeaseName("archctl-operator", undefined), "archctl-operator");
  assert.equal(
    shardLeaseName("archctl-operator", { index: 2, count: 3 }),
    "archctl-operator-shard-2",
  );
});

test("a shard's Architecture caches select its own label and the values no shard claims", () => {
  assert.deepEqual(shardSelectors({ index: 1, count: 3 }), [
    "archctl.io/shard=1",
    "archctl.io/shard notin (0,1,2)",
  ]);
  // After the count went down from 3 to 2, a label "2" names no shard: unclaimed.
  assert.deepEqual(shardSelectors({ index: 0, count: 2 })[1], "archctl.io/shard notin (0,1)");
});
