// The shard label write: it returns only once the cache shows the labelled
// version, since the reconcile after it reads the cache and its finalizer
// patch tests that version (a stale copy failed every new Architecture's
// first reconcile with 422 in the 2,000-Architecture bench).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ObjectClient } from "../../../operator/kube/objects.ts";
import type { StoredArchitecture } from "../../../operator/reconcile/reconciler.ts";
import type { CacheView } from "../../../operator/runtime/cache-view.ts";
import { createLogger } from "../../../operator/runtime/logger.ts";
import { SHARD_LABEL, shardByHash } from "../../../operator/runtime/shard.ts";
import { cacheMovedPast, shardOwnership } from "../../../operator/shard-ownership.ts";

const arch = (rv: string, labels?: Record<string, string>): StoredArchitecture =>
  ({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: {
      name: "shop",
      namespace: "team",
      resourceVersion: rv,
      ...(labels ? { labels } : {}),
    },
    spec: { components: [] },
  }) as unknown as StoredArchitecture;

function fakes(initial: StoredArchitecture, catchUpMs: number) {
  let cached = initial;
  const writes: unknown[] = [];
  const cache: CacheView<StoredArchitecture> = {
    get: () => cached,
    list: () => [cached],
  };
  const objects = {
    rest: {
      request: async (_verb: string, _path: string, opts: { body: unknown }) => {
        writes.push(opts.body);
        setTimeout(() => {
          cached = arch("2", { [SHARD_LABEL]: "0" });
        }, catchUpMs);
        return {};
      },
    },
  } as unknown as ObjectClient;
  return { cache, objects, writes, cachedRv: () => cached.metadata.resourceVersion };
}

const log = createLogger("error", {}, () => {});
const shard = { index: shardByHash("team", "shop", 3), count: 3 };

test("label(): writes the missing label and returns once the cache holds a newer version", async () => {
  const f = fakes(arch("1"), 30);
  await shardOwnership(shard, f.objects, log, f.cache).label(arch("1"));
  assert.equal(f.writes.length, 1);
  assert.equal(f.cachedRv(), "2", "returned before the cache caught up");
});

test("label(): no write and no wait when the label is already the owner's", async () => {
  const f = fakes(arch("1"), 30);
  await shardOwnership(shard, f.objects, log, f.cache).label(
    arch("1", { [SHARD_LABEL]: String(shard.index) }),
  );
  assert.equal(f.writes.length, 0);
  assert.equal(f.cachedRv(), "1");
});

test("cacheMovedPast(): false once the bound passes with the cache still stale; true when the object is gone", async () => {
  const stale = arch("1");
  assert.equal(await cacheMovedPast({ get: () => stale, list: () => [] }, stale, 20), false);
  assert.equal(await cacheMovedPast({ get: () => undefined, list: () => [] }, stale, 20), true);
});
