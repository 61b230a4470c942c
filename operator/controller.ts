// The controller: a work queue of Architecture keys and the workers that
// reconcile them. Only the leader reconciles; a failure goes back with per-key
// backoff and, at most once a minute per Architecture, a Warning Event.
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { describeKubeError } from "./kube/errors.ts";
import type { Reconciler, StoredArchitecture } from "./reconcile/reconciler.ts";
import type { CacheView } from "./runtime/cache-view.ts";
import type { EventRecorder } from "./runtime/events.ts";
import { EventRateLimiter } from "./runtime/events.ts";
import type { Logger } from "./runtime/logger.ts";
import type { OperatorMetrics } from "./runtime/metrics.ts";
import { PRIORITY, WorkQueue } from "./runtime/queue.ts";

/** A write refused because this instance is not (or no longer) the leader. */
export class NotLeaderError extends Error {
  override name = "NotLeaderError";
}

/**
 * How urgent an Architecture's event is. A generation the controller has not
 * seen (a new object, a user's edit of its spec) or a deletion goes first; the
 * initial list after a start goes last, behind everything else; an update that
 * leaves the generation alone (status, labels, a resync) is ordinary work.
 */
export function architecturePriority(
  type: "add" | "update" | "delete",
  generation: number | undefined,
  seen: number | undefined,
  initial: boolean,
): number {
  if (initial) return PRIORITY.background;
  if (type === "delete") return PRIORITY.edit;
  if (seen === undefined) return PRIORITY.create;
  if (generation !== seen) return PRIORITY.edit;
  return PRIORITY.normal;
}

/**
 * Workers that take only edits (a new generation, a deletion): with 4 or more,
 * one, so that an edit starts at once even while every other worker is busy
 * with a burst of creations or resyncs, instead of waiting for one to finish.
 */
export function workersKeptForEdits(workers: number): number {
  return workers >= 4 ? 1 : 0;
}

export interface ControllerDeps {
  reconciler: Reconciler;
  architectures: CacheView<StoredArchitecture>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  isLeader: () => boolean;
  /**
   * With sharding (runtime/shard.ts): whether this shard owns an Architecture,
   * and the write of its shard label when it lacks it. Without, every
   * Architecture is this instance's.
   */
  shard?: {
    owns: (arch: StoredArchitecture) => boolean;
    label: (arch: StoredArchitecture) => Promise<void>;
  };
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly deps: ControllerDeps;
  private readonly failureEvents = new EventRateLimiter(60_000);
  private readonly workers: Promise<void>[] = [];
  /** Why a worker loop died (a bug, not an API error): /healthz fails. */
  crashed?: string;

  constructor(deps: ControllerDeps) {
    this.deps = deps;
    this.queue = new WorkQueue({
      onChange: (depth) => deps.metrics.queueDepth.set(depth),
      // Namespaces take turns within a priority: one team's burst of edits does
      // not hold up another's edit (keys are namespace/name).
      flowOf: (key) => key.slice(0, key.indexOf("/")),
    });
  }

  /** The generation of each Architecture as its cache last showed it. */
  private readonly generations = new Map<string, number | undefined>();

  add(namespace: string, name: string, priority: number = PRIORITY.normal): void {
    this.queue.add(`${namespace}/${name}`, priority);
  }

  /** An event of the Architectures' cache; `initial` while the caches first list. */
  observe(type: "add" | "update" | "delete", obj: StoredArchitecture, initial: boolean): void {
    const namespace = obj.metadata.namespace ?? "";
    const key = `${namespace}/${obj.metadata.name}`;
    const generation = obj.metadata.generation;
    if (type !== "delete" && this.deps.shard && !this.deps.shard.owns(obj)) {
      // Another shard's (or moved there by its label): not queued here.
      this.generations.delete(key);
      return;
    }
    const priority = architecturePriority(type, generation, this.generations.get(key), initial);
    if (type === "delete") this.generations.delete(key);
    else this.generations.set(key, generation);
    this.add(namespace, obj.metadata.name, priority);
  }

  /** Every Architecture in the caches, when this instance leads: background work. */
  enqueueAll(): void {
    if (!this.deps.isLeader()) return;
    for (const a of this.deps.architectures.list())
      if (!this.deps.shard || this.deps.shard.owns(a))
        this.add(a.metadata.namespace ?? "", a.metadata.name, PRIORITY.background);
  }

  start(workers: number): void {
    const reserved = workersKeptForEdits(workers);
    for (let i = 0; i < workers; i++)
      this.workers.push(
        this.work(i, i < reserved ? PRIORITY.edit : Number.NEGATIVE_INFINITY).catch((err) => {
          this.crashed = err instanceof Error ? err.message : String(err);
          this.deps.log.error("worker stopped", { worker: i, err });
        }),
      );
  }

  /** Takes no new keys and waits for the reconciles in flight. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  private async work(worker: number, minPriority: number): Promise<void> {
    const { queue } = this;
    const { metrics, log } = this.deps;
    for (;;) {
      // A turn of the event loop between reconciles: one that needs no request
      // (nothing changed) settles in microtasks alone, and a backlog of them,
      // as a new leader's list of thousands, would otherwise hold off timers
      // and I/O — the lease renewal among them — until the backlog is done.
      await yieldToEventLoop();
      const item = await queue.get(minPriority);
      if (!item) return;
      const { key, waitedMs, priority } = item;
      metrics.queueWait.observe(waitedMs / 1000);
      // Only the leader writes: a follower drops the key; it re-lists on winning.
      if (!this.deps.isLeader()) {
        queue.done(key);
        continue;
      }
      const [namespace = "", name = ""] = key.split("/");
      const shard = this.deps.shard;
      const arch = shard ? this.deps.architectures.get(name, namespace) : undefined;
      // A child's event wakes its Architecture whichever shard owns it.
      if (shard && arch && !shard.owns(arch)) {
        queue.forget(key);
        queue.done(key);
        continue;
      }
      const reconcileId = `${Date.now().toString(36)}-${worker}`;
      const end = metrics.reconcileDuration.startTimer();
      try {
        if (shard && arch) await shard.label(arch);
        const result = await this.deps.reconciler.reconcile(namespace, name, reconcileId);
        queue.forget(key);
        // A TTL wake-up is scheduled, not a retry: the reconcile itself succeeded.
        metrics.reconciles.inc({ result: "success" });
        if (result.requeueAfterMs !== undefined)
          queue.addAfter(key, Math.min(result.requeueAfterMs + 500, 2 ** 31 - 1));
      } catch (err) {
        if (err instanceof NotLeaderError) {
          // Leadership ended mid-reconcile; whoever leads next reconciles everything.
          log.info("reconcile cut short: no longer the leader", { architecture: key, reconcileId });
          continue;
        }
        // A retry keeps the urgency of what failed, but never more than normal.
        const delay = queue.addRateLimited(key, Math.min(priority, PRIORITY.normal));
        const failures = queue.failuresOf(key);
        const message = describeKubeError(err);
        metrics.reconciles.inc({ result: "error" });
        log.error("reconcile failed; will retry", {
          architecture: key,
          reconcileId,
          err: message,
          retryInMs: Math.round(delay),
          failures,
        });
        this.reportFailure(namespace, name, message, failures, delay);
      } finally {
        end();
        queue.done(key);
      }
    }
  }

  /** A Warning Event for `kubectl describe`: at most one per Architecture a minute. */
  private reportFailure(
    namespace: string,
    name: string,
    message: string,
    failures: number,
    retryInMs: number,
  ): void {
    const arch = this.deps.architectures.get(name, namespace);
    if (!arch || !this.failureEvents.allow(`${namespace}/${name}`, Date.now())) return;
    const retry =
      retryInMs < 1000 ? `${Math.round(retryInMs)} ms` : `${Math.round(retryInMs / 1000)} s`;
    this.deps.events.record(
      arch,
      "Warning",
      "ReconcileFailed",
      "Reconcile",
      `reconcile failed (${failures} in a row; retrying in ${retry}; at most one such Event a minute): ${message}`,
    );
  }
}
