// Sharded operators: which Architectures this instance reconciles, and the
// shard label it writes on those that lack one (runtime/shard.ts decides).
import type { ObjectClient } from "./kube/objects.ts";
import { ARCHITECTURES, resourcePath } from "./kube/resources.ts";
import { MERGE_PATCH } from "./kube/rest.ts";
import type { StoredArchitecture } from "./reconcile/reconciler.ts";
import type { CacheView } from "./runtime/cache-view.ts";
import type { Logger } from "./runtime/logger.ts";
import type { ShardOf } from "./runtime/shard.ts";
import { missingShardLabel, ownerShard, SHARD_LABEL } from "./runtime/shard.ts";

/** How long label() waits for the cache to show the labelled version before going on. */
const CACHE_CATCH_UP_MS = 10_000;

/** What the controller needs to reconcile only this shard's Architectures. */
export function shardOwnership(
  shard: ShardOf,
  objects: ObjectClient,
  log: Logger,
  architectures?: CacheView<StoredArchitecture>,
) {
  return {
    owns: (a: StoredArchitecture) => ownerShard(a, shard.count) === shard.index,
    /**
     * Writes the shard label when it is missing, and returns once the cache
     * holds a version at least as new as the write: the reconcile that follows
     * reads the Architecture from the cache, and its finalizer patch tests the
     * resourceVersion it read, so a stale copy would fail it (422) and cost a
     * retry for every new Architecture.
     */
    label: async (a: StoredArchitecture) => {
      const value = missingShardLabel(a, shard.count);
      if (value === undefined) return;
      // A merge patch of one label: the user's own fields and labels stay theirs.
      await objects.rest.request(
        "PATCH",
        resourcePath(ARCHITECTURES, a.metadata.namespace, a.metadata.name),
        { body: { metadata: { labels: { [SHARD_LABEL]: value } } }, contentType: MERGE_PATCH },
      );
      log.info("shard label written", {
        architecture: `${a.metadata.namespace}/${a.metadata.name}`,
        shard: value,
      });
      if (architectures) await cacheMovedPast(architectures, a, CACHE_CATCH_UP_MS);
    },
  };
}

/** Resolves once the cached copy's resourceVersion differs from `seen`'s (or it is gone), or after timeoutMs. */
export async function cacheMovedPast(
  cache: CacheView<StoredArchitecture>,
  seen: StoredArchitecture,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = cache.get(seen.metadata.name, seen.metadata.namespace);
    if (!now || now.metadata.resourceVersion !== seen.metadata.resourceVersion) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
}
