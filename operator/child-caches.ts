// The caches of the children the operator owns, one per kind and watched
// namespace, and the lean pod cache the status reads. Kinds come and go at
// run time (an integration installed or removed); readers get a snapshot that
// is replaced, never changed in place, so a reconcile sees one set of kinds
// from start to end.
import { ARCHITECTURE_LABEL, MANAGED_BY } from "./api/names.ts";
import type { ResourceType } from "./kube/resources.ts";
import { PODS } from "./kube/resources.ts";
import type { Child } from "./reconcile/types.ts";
import type { CacheView } from "./runtime/cache-view.ts";
import { mergedView } from "./runtime/cache-view.ts";
import type { Informer } from "./runtime/informer.ts";
import type { CachedPod, PodIndex } from "./runtime/pod-cache.ts";
import { podReady } from "./status/causes.ts";

const keyOf = (r: ResourceType) => `${r.apiVersion}/${r.kind}`;

export interface ChildCachesOptions {
  namespaces: readonly (string | undefined)[];
  /** A new (not yet started) cache of `r` in `namespace`, selected by `labelSelector`. */
  make: (r: ResourceType, namespace: string | undefined, labelSelector: string) => Informer<Child>;
  /** A child changed: wake its Architecture. */
  wake: (namespace: string, architecture: string) => void;
  /** A cache saw an event (its watch works), or went: no failures to remember for it. */
  alive: (r: ResourceType, namespace: string | undefined) => void;
}

export class ChildCaches {
  private readonly opts: ChildCachesOptions;
  private readonly byKind = new Map<string, Informer<Child>[]>();
  private pods: Informer<Child>[] = [];
  private snapshot: ReadonlyMap<string, CacheView<Child>> = new Map();

  constructor(opts: ChildCachesOptions) {
    this.opts = opts;
  }

  /** The owned kinds' caches now, by "apiVersion/kind": a snapshot, replaced on every change. */
  views(): ReadonlyMap<string, CacheView<Child>> {
    return this.snapshot;
  }

  /** Every cache, pods included, to start or stop together. */
  all(): Informer<Child>[] {
    return [...[...this.byKind.values()].flat(), ...this.pods];
  }

  /** Caches of one owned kind, one per watched namespace; not started. */
  add(r: ResourceType): Informer<Child>[] {
    const list = this.opts.namespaces.map((ns) => {
      const cache = this.opts.make(r, ns, `app.kubernetes.io/managed-by=${MANAGED_BY}`);
      // A change to a child wakes its Architecture (found by label: cheap, and
      // it also covers children whose owner reference was removed by hand).
      cache.on((_type, obj) => {
        this.opts.alive(r, ns);
        const arch = obj.metadata.labels?.[ARCHITECTURE_LABEL];
        if (arch) this.opts.wake(obj.metadata.namespace ?? "", arch);
      });
      return cache;
    });
    this.byKind.set(keyOf(r), list);
    this.publish();
    return list;
  }

  async remove(r: ResourceType): Promise<void> {
    const list = this.byKind.get(keyOf(r)) ?? [];
    this.byKind.delete(keyOf(r));
    this.publish();
    for (const ns of this.opts.namespaces) this.opts.alive(r, ns);
    await Promise.all(list.map((i) => i.stop()));
  }

  /**
   * Pod caches, one per watched namespace: only pods of Architectures (by
   * label), kept lean and indexed for the status. Not among the children the
   * reconciler applies or prunes.
   */
  addPods(index: PodIndex): Informer<Child>[] {
    this.pods = this.opts.namespaces.map((ns) => {
      const cache = this.opts.make(PODS, ns, ARCHITECTURE_LABEL);
      cache.on((type, obj) => {
        const pod = obj as unknown as CachedPod; // made lean by leanPod
        this.opts.alive(PODS, ns);
        index.apply(type, pod);
        // A pod that turns ready also changes its workload's status, which
        // wakes the Architecture; one that is not ready may have a new cause.
        const arch = pod.metadata.labels?.[ARCHITECTURE_LABEL];
        if (arch && (type === "delete" || !podReady(pod)))
          this.opts.wake(pod.metadata.namespace ?? "", arch);
      });
      return cache;
    });
    return this.pods;
  }

  private publish(): void {
    const next = new Map<string, CacheView<Child>>();
    for (const [key, list] of this.byKind) next.set(key, mergedView(list));
    this.snapshot = next;
  }
}
