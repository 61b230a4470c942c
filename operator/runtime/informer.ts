// A cache of one resource kind, kept current by list + watch (client-node's
// ListWatch). client-node restarts a watch itself on timeouts and 410 Gone, but
// stops on any other error: this wrapper restarts it with backoff, forever,
// and counts each restart.
//
// What client-node does on its own, and so never reaches onRestart:
// - 30 s without a byte on a watch (its inactivity timeout): it reconnects
//   from the last resourceVersion it saw, without listing.
// - 410 Gone (the resourceVersion it resumes from is older than the API
//   server's watch cache holds: after an API server restart, or after other
//   objects of the kind changed a lot while it was away): it lists the kind
//   again — every object — and watches from there, emitting updates for what
//   changed and deletes for what is gone. That relist is counted (onRelist,
//   `relists`), since it is the expensive case; bookmarks keep the
//   resourceVersion of a quiet watch current so that it happens less often.
//
// Memory: the cache is most of the operator's heap beyond its libraries (one
// entry per child, about 23 per Architecture), so lean() keeps each entry small.

import type { KubernetesObject } from "@kubernetes/client-node";
import { ListWatch, Watch } from "@kubernetes/client-node";
import type { ListResult } from "../kube/objects.ts";
import type { ResourceType } from "../kube/resources.ts";
import { resourcePath } from "../kube/resources.ts";
import type { KubeRest } from "../kube/rest.ts";
import type { KubeObject } from "../kube/types.ts";
import { leanPod } from "./pod-cache.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Objects per page of the informer's LIST (see listFn). */
export const LIST_PAGE_SIZE = 500;

type Meta = { managedFields?: unknown; annotations?: Record<string, string> };

/**
 * What the cache keeps of an object, changed in place (the caller uses the
 * return value: a Secret is a new object). Measured on 7,400 children of 500
 * Architectures, heap after GC: 4,425 bytes per object before, 3,250 after.
 * - managedFields and the last-applied annotation go: nothing here reads them
 *   and they are often the largest part of an object (controller-runtime
 *   strips them the same way). metadata is rebuilt without them rather than
 *   `delete`d from: deleting a property of an object JSON.parse made turns it
 *   into a dictionary-mode object, about 400 bytes more each.
 * - a Secret keeps no values: the operator reads only a cached Secret's name,
 *   labels, owner references and key names (it creates credentials once and
 *   never compares their values), so the values need not sit in its heap.
 * - short strings are shared (internString): the same label values, owner
 *   references, namespaces, image and probe strings repeat in every child.
 * - a Pod keeps only what the status reads of it (leanPod).
 */
export function lean<T>(obj: T): T {
  let o = obj as { kind?: string; metadata?: Meta; data?: unknown; stringData?: unknown };
  if (o.kind === "Pod") {
    const pod = leanPod(o as Record<string, unknown>);
    internStrings(pod);
    return pod as T;
  }
  const meta = o.metadata;
  if (
    meta &&
    (meta.managedFields !== undefined || meta.annotations?.[LAST_APPLIED] !== undefined)
  ) {
    const { managedFields: _, ...rest } = meta;
    if (rest.annotations?.[LAST_APPLIED] !== undefined) {
      const { [LAST_APPLIED]: _a, ...annotations } = rest.annotations;
      rest.annotations = annotations;
    }
    o.metadata = rest;
  }
  if (o.kind === "Secret" && (o.data !== undefined || o.stringData !== undefined)) {
    const { data, stringData: _s, ...rest } = o;
    // Key names stay (with empty values): a kept Secret is adopted only if its keys fit.
    o = data && typeof data === "object" ? { ...rest, data: keysOnly(data) } : rest;
  }
  internStrings(o);
  return o as T;
}

function keysOnly(data: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(data)) out[k] = "";
  return out;
}

// One table for every informer of the process: strings repeat across kinds.
// Bounded by clearing it when full, so strings of deleted objects are not kept
// alive by it; objects cached before a clear keep sharing their copies.
const MAX_INTERNED = 5_000;
const MAX_INTERNED_LENGTH = 256;
const interned = new Map<string, string>();

export function internString(s: string): string {
  if (s.length > MAX_INTERNED_LENGTH) return s;
  const known = interned.get(s);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(s, s);
  return s;
}

/** Replaces every string value in a JSON value (not the keys: V8 shares those) by its shared copy. */
export function internStrings(value: unknown): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === "string") value[i] = internString(v);
      else if (v !== null && typeof v === "object") internStrings(v);
    }
  } else if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    for (const k in o) {
      const v = o[k];
      if (typeof v === "string") o[k] = internString(v);
      else if (v !== null && typeof v === "object") internStrings(v);
    }
  }
}

/**
 * What the cache is handed of a watch event's object: the kept form of an
 * object watched, and anything else as served. An ERROR carries a Status whose
 * `code` (410: the resourceVersion is gone) is how client-node's ListWatch
 * knows to list afresh; projected like a child, it lost the code, and after an
 * API server restart every informer resumed from a version the server no
 * longer had, forever, and the caches stopped changing.
 */
export function watchedForm<T>(phase: string, obj: T, keep: <O>(o: O) => O): T {
  return phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED" ? keep(obj) : obj;
}

/**
 * client-node's Watch, with every event's object made lean before it is
 * cached, and bookmarks asked for: the API server then sends the current
 * resourceVersion now and then even when nothing we watch changes, so a
 * reconnect resumes from a recent one instead of one it may no longer have (410).
 */
class LeanWatch extends Watch {
  /** Settles once the last watch started has ended (its done callback has run). */
  ended: Promise<void> = Promise.resolve();
  private readonly keep: <T>(obj: T) => T;

  constructor(kc: ConstructorParameters<typeof Watch>[0], keep: <T>(obj: T) => T) {
    super(kc);
    this.keep = keep;
  }

  override watch(
    ...[path, query, callback, done]: Parameters<Watch["watch"]>
  ): ReturnType<Watch["watch"]> {
    let end = () => {};
    this.ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    return super.watch(
      path,
      { ...query, allowWatchBookmarks: true },
      (phase, obj, raw) => callback(phase, watchedForm(phase, obj, this.keep), raw),
      (err) => {
        done(err);
        end();
      },
    );
  }
}

export type EventType = "add" | "update" | "delete";

export interface InformerOptions {
  /** Watch one namespace; undefined watches all. */
  namespace?: string;
  labelSelector?: string;
  onRestart?: (err: unknown) => void;
  /** Called after each list but the first: client-node lists again after a 410 Gone. */
  onRelist?: () => void;
  maxBackoffMs?: number;
  /** Objects per LIST page; default LIST_PAGE_SIZE. */
  listPageSize?: number;
  /** What the cache keeps of each object served (default lean; child caches keep less: child-entry.ts). */
  keep?: <O>(obj: O) => O;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly resource: ResourceType;
  private lw: ListWatch<KubernetesObject & T>;
  private readonly watcher: LeanWatch;
  private handlers: ((type: EventType, obj: T) => void)[] = [];
  private stopped = false;
  private synced = false;
  private backoffMs = 0;
  private retry?: NodeJS.Timeout;
  private failedSinceStart = false;
  private lists = 0;
  private markSynced!: () => void;
  private readonly syncedPromise = new Promise<void>((resolve) => {
    this.markSynced = resolve;
  });
  private readonly opts: InformerOptions;

  constructor(rest: KubeRest, resource: ResourceType, opts: InformerOptions = {}) {
    this.resource = resource;
    this.opts = opts;
    const path = resourcePath(resource, opts.namespace);
    const keep = opts.keep ?? lean;
    // In pages: a relist of 23,000 children (1,000 Architectures) is otherwise
    // a few responses of tens of MB each, held as one string and its parsed
    // copy at once, and the process keeps that peak as resident memory. Every
    // page is of the same snapshot (the continue token pins its
    // resourceVersion); an expired token (410) fails the list, and the restart
    // lists again from the first page.
    const listFn = async () => {
      const { apiVersion, kind } = resource;
      const items: (KubernetesObject & T)[] = [];
      let metadata: ListResult<unknown>["metadata"] = {};
      let token: string | undefined;
      do {
        const page: ListResult<KubernetesObject & T> = await rest.get(path, {
          query: {
            labelSelector: opts.labelSelector,
            limit: opts.listPageSize ?? LIST_PAGE_SIZE,
            continue: token,
          },
        });
        for (const item of page.items) {
          // A LIST's items carry no apiVersion/kind (watch events do): add them,
          // or every object cached by a (re)list looks drifted to decideApply
          // and is re-applied on each reconcile after an operator restart.
          item.apiVersion = apiVersion;
          item.kind = kind;
          items.push(keep(item));
        }
        metadata = page.metadata;
        token = page.metadata.continue || undefined;
      } while (token);
      this.backoffMs = 0; // the API server answers again
      if (this.lists++ > 0) opts.onRelist?.();
      return { apiVersion: "v1", kind: "List", items, metadata };
    };
    this.watcher = new LeanWatch(rest.kc, keep);
    this.lw = new ListWatch<KubernetesObject & T>(
      path,
      this.watcher,
      listFn,
      false,
      opts.labelSelector,
    );
    this.lw.on("add", (o) => this.emit("add", o));
    this.lw.on("update", (o) => this.emit("update", o));
    this.lw.on("delete", (o) => this.emit("delete", o));
    // Backoff resets on a successful list or a watch event, not on "connect":
    // ListWatch emits that before it even lists, so while the API server is
    // down every attempt reset the backoff and each informer retried every
    // ~250 ms for as long as the outage lasted.
    this.lw.on("error", (err) => {
      this.failedSinceStart = true;
      this.restart(err);
    });
  }

  on(handler: (type: EventType, obj: T) => void): void {
    this.handlers.push(handler);
  }

  /** Lists and starts watching; resolves once the cache holds a first full list. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.startOnce();
    return this.syncedPromise;
  }

  // ListWatch.start() resolves after its list and watch began, or after it
  // reported an error (and gave up): only the first case is a synced cache.
  private async startOnce(): Promise<void> {
    this.failedSinceStart = false;
    await this.lw.start();
    if (!this.failedSinceStart && !this.synced) {
      this.synced = true;
      this.markSynced();
    }
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Lists after the first (a relist of every object of the kind). */
  get relists(): number {
    return Math.max(0, this.lists - 1);
  }

  list(namespace?: string): T[] {
    return this.lw.list(namespace) as T[];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, namespace) as T | undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.lw.stop();
    // The aborted watch reports its end (an AbortError) a few ticks later, to
    // ListWatch, which then aborts whatever request it has: wait for that, or a
    // start() right after this stop() would have its new watch killed by it.
    await Promise.race([this.watcher.ended, new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  private emit(type: EventType, obj: T): void {
    this.backoffMs = 0;
    for (const h of this.handlers) h(type, obj);
  }

  private restart(err: unknown): void {
    if (this.stopped) return;
    this.opts.onRestart?.(err);
    this.backoffMs = Math.min(
      this.opts.maxBackoffMs ?? 30_000,
      this.backoffMs ? this.backoffMs * 2 : 250,
    );
    const delay = this.backoffMs * (0.8 + 0.4 * Math.random());
    this.retry = setTimeout(() => {
      if (this.stopped) return;
      this.startOnce().catch((e) => this.restart(e));
    }, delay);
  }
}
