// The controller: a work queue of Architecture keys and the workers that
// reconcile them. Only the leader reconciles; a failure goes back with per-key
// backoff and, at most once a minute per Architecture, a Warning Event.
import { describeKubeError } from "./kube/errors.ts";
import type { Reconciler, StoredArchitecture } from "./reconcile/reconciler.ts";
import type { CacheView } from "./runtime/cache-view.ts";
import type { EventRecorder } from "./runtime/events.ts";
import { EventRateLimiter } from "./runtime/events.ts";
import type { Logger } from "./runtime/logger.ts";
import type { OperatorMetrics } from "./runtime/metrics.ts";
import { WorkQueue } from "./runtime/queue.ts";

/** A write refused because this instance is not (or no longer) the leader. */
export class NotLeaderError extends Error {
  override name = "NotLeaderError";
}

export interface ControllerDeps {
  reconciler: Reconciler;
  architectures: CacheView<StoredArchitecture>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  isLeader: () => boolean;
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
    this.queue = new WorkQueue({ onChange: (depth) => deps.metrics.queueDepth.set(depth) });
  }

  add(namespace: string, name: string): void {
    this.queue.add(`${namespace}/${name}`);
  }

  /** Every Architecture in the caches, when this instance leads. */
  enqueueAll(): void {
    if (!this.deps.isLeader()) return;
    for (const a of this.deps.architectures.list())
      this.add(a.metadata.namespace ?? "", a.metadata.name);
  }

  start(workers: number): void {
    for (let i = 0; i < workers; i++)
      this.workers.push(
        this.work(i).catch((err) => {
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

  private async work(worker: number): Promise<void> {
    const { queue } = this;
    const { metrics, log } = this.deps;
    for (;;) {
      const item = await queue.get();
      if (!item) return;
      const { key, waitedMs } = item;
      metrics.queueWait.observe(waitedMs / 1000);
      // Only the leader writes: a follower drops the key; it re-lists on winning.
      if (!this.deps.isLeader()) {
        queue.done(key);
        continue;
      }
      const [namespace = "", name = ""] = key.split("/");
      const reconcileId = `${Date.now().toString(36)}-${worker}`;
      const end = metrics.reconcileDuration.startTimer();
      try {
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
        const delay = queue.addRateLimited(key);
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
