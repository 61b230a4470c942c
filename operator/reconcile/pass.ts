// One reconcile of one Architecture: what it reads (the stored object, the
// caches, one clock reading) and the writes it makes, counted.
import { ownerReference } from "../api/names.ts";
import type { CacheView } from "../runtime/cache-view.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Child, ReconcilerDeps, StoredArchitecture } from "./types.ts";

export class Pass {
  readonly deps: ReconcilerDeps;
  readonly stored: StoredArchitecture;
  readonly log: Logger;
  readonly now: Date;
  readonly namespace: string;
  readonly name: string;
  /** Writes this pass made. */
  writes = 0;
  /** Versions of the Architecture this pass produced before its status write (older than it). */
  readonly archVersions: string[] = [];
  /** The child caches as they are at the start of this pass. */
  private readonly children: ReadonlyMap<string, CacheView<Child>>;

  constructor(deps: ReconcilerDeps, stored: StoredArchitecture, log: Logger, now: Date) {
    this.deps = deps;
    this.stored = stored;
    this.log = log;
    this.now = now;
    this.namespace = stored.metadata.namespace ?? "default";
    this.name = stored.metadata.name;
    this.children = typeof deps.children === "function" ? deps.children() : deps.children;
  }

  wrote(kind: string, verb: string): void {
    this.writes++;
    this.deps.onWrite?.(kind, verb);
  }

  cache(apiVersion: string, kind: string): CacheView<Child> | undefined {
    return this.children.get(`${apiVersion}/${kind}`);
  }

  /** The owner reference every child carries. */
  ownerRef() {
    return ownerReference(this.name, this.stored.metadata.uid ?? "");
  }

  /** An Event about this Architecture. */
  event(type: "Normal" | "Warning", reason: string, action: string, note: string): void {
    this.deps.events.record(this.stored, type, reason, action, note);
  }
}
