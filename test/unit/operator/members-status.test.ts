// A replicated datastore's status: its primary, and Redis held back without a Sentinel quorum.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import {
  electedPrimaryNote,
  primaryMember,
  withMembers,
} from "../../../operator/status/members.ts";

function resolved(components: unknown[], annotations?: Record<string, string>) {
  const arch = {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "prod", ...(annotations ? { annotations } : {}) },
    spec: { components },
  } as unknown as Architecture;
  return applyDefaults(arch);
}

test("postgres with replicas reports its primary: ordinal 0, or the one a failover recorded", () => {
  const a = resolved([{ name: "db", type: "postgres", replicas: 3 }]);
  const db = a.components[0];
  assert.ok(db);
  assert.equal(primaryMember(db, a), "shop-db-0");
  const s = withMembers(
    { name: "db", type: "postgres", ready: 3, desired: 3, message: "3/3 replicas ready" },
    db,
    a,
  );
  assert.equal(s.primary, "shop-db-0");
  assert.match(s.message ?? "", /primary shop-db-0$/);
  const moved = resolved([{ name: "db", type: "postgres", replicas: 3 }], {
    "primary.archctl.io/db": "2",
  });
  assert.equal(primaryMember(moved.components[0] as never, moved), "shop-db-2");
  // A single instance has no primary to report.
  const single = resolved([{ name: "db", type: "postgres" }]);
  assert.equal(primaryMember(single.components[0] as never, single), undefined);
});

test("redis with replicas is not ready while its Sentinels are below quorum", () => {
  const a = resolved([{ name: "cache", type: "redis", replicas: 3 }]);
  const c = a.components[0];
  assert.ok(c);
  const base = {
    name: "cache",
    type: "redis",
    ready: 3,
    desired: 3,
    message: "3/3 replicas ready",
  };
  const low = withMembers(base, c, a, { ready: 1, desired: 3 });
  assert.equal(low.ready, 0);
  assert.match(low.message ?? "", /1\/3 Sentinels ready, below their quorum/);
  const ok = withMembers(base, c, a, { ready: 2, desired: 3 });
  assert.equal(ok.ready, 3);
  assert.match(
    ok.message ?? "",
    /2\/3 Sentinels ready; master elected by Sentinel, not tracked here: kubectl exec shop-cache-sentinel-0 -c sentinel -- redis-cli -p 26379 sentinel get-master-addr-by-name cache$/,
  );
  assert.equal(ok.primary, undefined);
});

test("mysql with replicas reports its primary too; a single mysql or a mongodb has none", () => {
  const a = resolved([{ name: "posts", type: "mysql", replicas: 2 }], {
    "primary.archctl.io/posts": "1",
  });
  assert.equal(primaryMember(a.components[0] as never, a), "shop-posts-1");
  const single = resolved([{ name: "posts", type: "mysql" }]);
  assert.equal(primaryMember(single.components[0] as never, single), undefined);
  const mongo = resolved([{ name: "m", type: "mongodb" }]);
  assert.equal(primaryMember(mongo.components[0] as never, mongo), undefined);
});

test("a mongodb replica set says its primary is elected, not chosen, and how to ask; a single one says nothing", () => {
  const base = { name: "m", type: "mongodb", ready: 3, desired: 3, message: "3/3 replicas ready" };
  const a = resolved([{ name: "m", type: "mongodb", replicas: 3 }]);
  const s = withMembers(base, a.components[0] as never, a);
  assert.equal(s.primary, undefined);
  assert.equal(s.ready, 3);
  assert.equal(
    s.message,
    "3/3 replicas ready; primary elected by the replica set, not tracked here: kubectl exec shop-m-0 -c mongodb -- mongosh --quiet --port 27017 --eval 'db.hello().primary'",
  );
  const single = resolved([{ name: "m", type: "mongodb" }]);
  assert.deepEqual(withMembers(base, single.components[0] as never, single), base);
  const redis = resolved([{ name: "cache", type: "redis" }]);
  assert.equal(electedPrimaryNote(redis.components[0] as never, redis), undefined);
});
