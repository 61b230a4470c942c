// Sharded operators: which Architectures this instance reconciles, and the
// shard label it writes on those that lack one (runtime/shard.ts decides).
import type { ObjectClient } from "./kube/objects.ts";
import { ARCHITECTURES, resourcePath } from "./kube/resources.ts";
import { MERGE_PATCH } from "./kube/rest.ts";
import type { StoredArchitecture } from "./reconcile/reconciler.ts";
import type { Logger } from "./runtime/logger.ts";
import type { ShardOf } from "./runtime/shard.ts";
import { missingShardLabel, ownerShard, SHARD_LABEL } from "./runtime/shard.ts";

/** What the controller needs to reconcile only this shard's Architectures. */
export function shardOwnership(shard: ShardOf, objects: ObjectClient, log: Logger) {
  return {
    owns: (a: StoredArchitecture) => ownerShard(a, shard.count) === shard.index,
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
    },
  };
}
