// Which operator shard owns an Architecture. N operator Deployments each own a
// shard (`archctl operator run --shard i --shards N`), in the manner of Flux's
// and Argo CD's sharding by label: the label archctl.io/shard=<i> says which.
// An Architecture without the label, or with one out of range (after the
// shard count went down), belongs to the shard its namespace/name hashes to,
// and that shard writes the label. Every shard decides with the same pure
// function from the same object, so no two shards own one Architecture and
// none is left without an owner. Pure.

export const SHARD_LABEL = "archctl.io/shard";

export interface ShardOf {
  /** This operator's shard, 0-based. */
  index: number;
  /** How many shards there are. */
  count: number;
}

/** FNV-1a (32 bit) of `namespace/name`: stable across processes, releases and platforms. */
export function shardByHash(namespace: string, name: string, count: number): number {
  let h = 0x811c9dc5;
  const s = `${namespace}/${name}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/** The shard a label value names, if it is a whole number below `count`. */
export function labelledShard(value: string | undefined, count: number): number | undefined {
  if (value === undefined || !/^(0|[1-9][0-9]{0,5})$/.test(value)) return undefined;
  const n = Number(value);
  return n < count ? n : undefined;
}

/** The shard that owns an Architecture: its label when valid, else its hash. */
export function ownerShard(
  obj: { metadata: { name: string; namespace?: string; labels?: Record<string, string> } },
  count: number,
): number {
  const { name, namespace = "", labels } = obj.metadata;
  return labelledShard(labels?.[SHARD_LABEL], count) ?? shardByHash(namespace, name, count);
}

/** The label value to write when the object does not carry its owner's yet; undefined if it does. */
export function missingShardLabel(
  obj: { metadata: { name: string; namespace?: string; labels?: Record<string, string> } },
  count: number,
): string | undefined {
  const owner = String(ownerShard(obj, count));
  return obj.metadata.labels?.[SHARD_LABEL] === owner ? undefined : owner;
}

/** The Lease a shard's replicas campaign for. */
export function shardLeaseName(base: string, shard: ShardOf | undefined): string {
  return shard ? `${base}-shard-${shard.index}` : base;
}

/**
 * The label selectors of a shard's Architecture caches: its own, and those no
 * shard has claimed (no label, or a value naming no shard, as after the count
 * went down), which it needs to see to label the ones that hash to it. A shard
 * so caches about 1/N of the Architectures, not all of them.
 */
export function shardSelectors(shard: ShardOf): [own: string, unclaimed: string] {
  const all = Array.from({ length: shard.count }, (_, i) => String(i)).join(",");
  return [`${SHARD_LABEL}=${shard.index}`, `${SHARD_LABEL} notin (${all})`];
}
