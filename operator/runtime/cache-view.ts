// What a reader of a cache needs: get one object, list them. One view may
// stand for the caches of several namespaces.
import type { KubeObject } from "../kube/types.ts";

export interface CacheView<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): T[];
}

/** One read view over the per-namespace caches of a kind. */
export function mergedView<T extends KubeObject>(caches: readonly CacheView<T>[]): CacheView<T> {
  if (caches.length === 1) return caches[0] as CacheView<T>;
  return {
    get(name, namespace) {
      for (const c of caches) {
        const o = c.get(name, namespace);
        if (o) return o;
      }
      return undefined;
    },
    list: (namespace) => caches.flatMap((c) => c.list(namespace)),
  };
}
