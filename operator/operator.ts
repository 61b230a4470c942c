// The operator process: connects, starts the caches, the controller and the
// health and metrics endpoints, campaigns for leadership, looks for optional
// integrations, and shuts all of it down in order. The parts are the
// controller (controller.ts), the caches of children (child-caches.ts), the
// integrations (integrations.ts), cache health (runtime/cache-health.ts), the
// lease-fenced REST client (fenced-rest.ts), shard ownership (shard-ownership.ts)
// and the options (operator-options.ts);
// the reconcile itself is in reconcile/.
import type { Server } from "node:http";
import { hostname } from "node:os";
import { ChildCaches } from "./child-caches.ts";
import { Controller } from "./controller.ts";
import { FencedRest, resourceLabel } from "./fenced-rest.ts";
import { Integrations } from "./integrations.ts";
import { loadKubeConfig } from "./kube/config.ts";
import { describeKubeError } from "./kube/errors.ts";
import { ObjectClient } from "./kube/objects.ts";
import type { ResourceType } from "./kube/resources.ts";
import { ARCHITECTURES, resourcePath } from "./kube/resources.ts";
import { KubeRest } from "./kube/rest.ts";
import type { OperatorOptions } from "./operator-options.ts";
import type { Child, StoredArchitecture } from "./reconcile/reconciler.ts";
import { Reconciler } from "./reconcile/reconciler.ts";
import { type Capabilities, noCapabilities } from "./render/types.ts";
import { CacheHealth } from "./runtime/cache-health.ts";
import { mergedView } from "./runtime/cache-view.ts";
import { compactChild } from "./runtime/child-entry.ts";
import { createEventRecorder } from "./runtime/events.ts";
import type { Check } from "./runtime/http-server.ts";
import { startHttpServer } from "./runtime/http-server.ts";
import { Informer } from "./runtime/informer.ts";
import { LeaderElector } from "./runtime/leader.ts";
import type { Logger } from "./runtime/logger.ts";
import { createLogger } from "./runtime/logger.ts";
import { OperatorMetrics } from "./runtime/metrics.ts";
import { PodIndex } from "./runtime/pod-cache.ts";
import { shardLeaseName, shardSelectors } from "./runtime/shard.ts";
import { STOPPED, StopSignal } from "./runtime/stop-signal.ts";
import { shardOwnership } from "./shard-ownership.ts";
import { latestDrill } from "./status/drill-results.ts";

export { NotLeaderError } from "./controller.ts";
export { capabilitiesFrom } from "./integrations.ts";
export type { OperatorOptions } from "./operator-options.ts";

/** What start() builds; absent before it and after a failed start. */
interface Running {
  rest: KubeRest;
  /** The lease-fenced client reconciles write through (benchmarks hook its REST client). */
  objects: ObjectClient;
  architectures: Informer<StoredArchitecture>[];
  caches: ChildCaches;
  integrations: Integrations;
  controller: Controller;
}

export class Operator {
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly identity: string;
  private readonly opts: OperatorOptions;
  private readonly health: CacheHealth;
  private readonly stopSignal = new StopSignal();
  private readonly podIndex = new PodIndex();
  private running?: Running;
  private leader?: LeaderElector;
  private server?: Server;
  private leading = false;
  private synced = false;
  private resyncTimer?: NodeJS.Timeout;
  private starting?: Promise<void>;
  private stopping?: Promise<void>;
  /** Writes made by reconciles, for tests and benchmarks. */
  writes = 0;

  constructor(opts: OperatorOptions = {}) {
    this.opts = opts;
    this.identity = opts.identity ?? `${hostname()}-${process.pid}`;
    this.log = opts.log ?? createLogger(opts.logLevel ?? "info", { component: "operator" });
    this.metrics = new OperatorMetrics(opts.processMetrics ?? true);
    this.health = new CacheHealth((opts.unhealthyAfterSeconds ?? 120) * 1000);
  }

  /** Leading now: with leader election, a lease renewed within the renew deadline. */
  get isLeader(): boolean {
    return this.opts.leaderElection ? (this.leader?.isLeader ?? false) : this.leading;
  }

  /** The optional integrations in use now. */
  get currentCapabilities(): Capabilities {
    return {
      ...(this.running?.integrations.capabilities ?? noCapabilities()),
    };
  }

  /** Failed reconciles in a row of the Architecture `namespace/name` (0 after a success). */
  failuresOf(key: string): number {
    return this.running?.controller.queue.failuresOf(key) ?? 0;
  }

  /** Pods cached now (for tests and benchmarks). */
  get cachedPods(): number {
    return this.podIndex.size;
  }

  private namespaces(): (string | undefined)[] {
    return this.opts.namespaces?.length ? this.opts.namespaces : [undefined];
  }

  /**
   * Lists, watches and starts working. Resolves once caches are synced and the
   * workers run, or early (without error) when stop() is called meanwhile.
   */
  start(): Promise<void> {
    this.starting ??= this.startOnce().catch(async (err) => {
      if (err === STOPPED) return;
      await this.teardown();
      throw err;
    });
    return this.starting;
  }

  /** A new cache of `r`, its failures and relists counted. */
  private cache<T extends Child | StoredArchitecture>(
    rest: KubeRest,
    r: ResourceType,
    ns: string | undefined,
    labelSelector?: string,
    keep?: <O>(obj: O) => O,
  ): Informer<T> {
    const path = resourcePath(r, ns);
    const what = ns ? `${r.plural} in ${ns}` : `${r.plural} (all namespaces)`;
    return new Informer<T>(rest, r, {
      ...(ns ? { namespace: ns } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(keep ? { keep } : {}),
      onRestart: (err) => {
        this.metrics.watchRestarts.inc({ resource: r.plural });
        const why = describeKubeError(err);
        this.log.warn("watch failed; restarting", { resource: r.plural, err: why });
        this.health.failed(path, what, why);
      },
      // A relist's pages, answered 200, end a failure streak (see the observer in startOnce).
      onRelist: () => this.metrics.watchRelists.inc({ resource: r.plural }),
      maxBackoffMs: this.health.maxBackoffMs,
    });
  }

  private async startOnce(): Promise<void> {
    // First, so probes answer while the caches sync: alive, not ready.
    if (this.opts.metricsAddress !== "") {
      this.server = await startHttpServer(
        this.opts.metricsAddress ?? "127.0.0.1:8080",
        this.metrics.registry,
        { healthy: () => this.healthCheck(), ready: () => this.readiness() },
      );
    }
    const kc = loadKubeConfig(this.opts);
    const rest = new KubeRest(kc);
    const fenced = new FencedRest(kc, () => !this.opts.leaderElection || this.isLeader);
    for (const r of [rest, fenced]) {
      r.observe((verb, path, code) => {
        this.metrics.apiRequests.inc({ verb, resource: resourceLabel(path), code: String(code) });
        // A list that succeeds ends its cache's failure streak (see CacheHealth).
        if (verb === "GET" && code === 200) this.health.worked(path);
      });
    }
    const objects = new ObjectClient(fenced);
    this.log.info("starting", {
      identity: this.identity,
      ...(this.opts.shard ? { shard: `${this.opts.shard.index} of ${this.opts.shard.count}` } : {}),
      namespaces: this.opts.namespaces?.length ? this.opts.namespaces : "all",
    });

    // A shard caches its own Architectures and the unclaimed ones it may label
    // (runtime/shard.ts), its own first: while one moves between the two on
    // being labelled, get() finds the labelled copy.
    const selectors: (string | undefined)[] = this.opts.shard
      ? shardSelectors(this.opts.shard)
      : [undefined];
    const architectures = this.namespaces().flatMap((ns) =>
      selectors.map((selector) => {
        const inf = this.cache<StoredArchitecture>(rest, ARCHITECTURES, ns, selector);
        inf.on((type, obj) => {
          this.health.worked(resourcePath(ARCHITECTURES, ns)); // an event: the watch works
          // Until the caches are synced, events are the initial list: background work.
          controller.observe(type, obj, !this.synced);
        });
        return inf;
      }),
    );
    const architectureView = mergedView(architectures);
    const caches = new ChildCaches({
      namespaces: this.namespaces(),
      make: (r, ns, selector) => this.cache<Child>(rest, r, ns, selector, compactChild),
      wake: (ns, name) => controller.add(ns, name),
      alive: (r, ns) => this.health.worked(resourcePath(r, ns)),
    });
    const integrations = new Integrations({
      rest,
      caches,
      log: this.log,
      stop: this.stopSignal,
      changed: () => controller.enqueueAll(),
    });
    const events = createEventRecorder(objects, this.identity, this.log);
    const reconciler = new Reconciler({
      objects,
      architectures: architectureView,
      children: () => caches.views(),
      pods: (namespace, architecture, component) =>
        this.podIndex.pods(namespace, architecture, component),
      capabilities: () => integrations.capabilities,
      events,
      log: this.log,
      ...(this.opts.childConcurrency ? { childConcurrency: this.opts.childConcurrency } : {}),
      onWrite: (kind, verb) => {
        this.writes++;
        this.metrics.apiWrites.inc({ kind, verb });
      },
    });
    const controller = new Controller({
      reconciler,
      architectures: architectureView,
      events,
      metrics: this.metrics,
      log: this.log,
      isLeader: () => this.isLeader,
      ...(this.opts.shard
        ? { shard: shardOwnership(this.opts.shard, objects, this.log, architectureView) }
        : {}),
    });
    this.running = { rest, objects, architectures, caches, integrations, controller };
    this.metrics.phases = () => {
      const counts = new Map<string, number>();
      for (const a of architectureView.list()) {
        const phase = a.status?.phase ?? "Pending";
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      return counts;
    };

    this.metrics.drills = () =>
      architectureView.list().flatMap((a) => {
        const namespace = a.metadata.namespace ?? "";
        const name = a.metadata.name;
        return (a.spec?.backups ?? []).flatMap((b) => {
          if (!b.verify) return [];
          const result = latestDrill(
            name,
            b.component,
            this.podIndex.pods(namespace, name, b.component),
          );
          return result ? [{ namespace, architecture: name, result }] : [];
        });
      });

    await integrations.start();
    caches.addPods(this.podIndex);
    await this.stopSignal.race(
      Promise.all([...architectures, ...caches.all()].map((i) => i.start())),
    );
    this.synced = true;
    this.log.info("caches synced", {
      architectures: architectureView.list().length,
      capabilities: this.currentCapabilities,
    });

    controller.start(this.opts.workers ?? 8);
    if (this.opts.leaderElection) {
      this.leader = new LeaderElector(
        // Not fenced: the lease is how leadership is won.
        new ObjectClient(rest),
        {
          namespace: this.opts.leaseNamespace ?? "default",
          name: shardLeaseName(this.opts.leaseName ?? "archctl-operator", this.opts.shard),
          identity: this.identity,
          log: this.log,
          ...(this.opts.leaseDurationSeconds !== undefined
            ? { leaseDurationSeconds: this.opts.leaseDurationSeconds }
            : {}),
          ...(this.opts.renewDeadlineMs !== undefined
            ? { renewDeadlineMs: this.opts.renewDeadlineMs }
            : {}),
          ...(this.opts.retryPeriodMs !== undefined
            ? { retryPeriodMs: this.opts.retryPeriodMs }
            : {}),
          onStartedLeading: () => this.lead(true),
          onStoppedLeading: (why) => {
            this.lead(false);
            this.opts.onLostLeadership?.(why);
          },
        },
      );
      this.leader.start();
    } else {
      this.lead(true);
    }

    const resync = (this.opts.resyncSeconds ?? 300) * 1000;
    this.resyncTimer = setInterval(() => controller.enqueueAll(), resync);
    this.resyncTimer.unref();
    integrations.schedule(this.opts.discoverySeconds ?? 30);
  }

  /**
   * Liveness: false when a worker loop died, or when a cache has failed to list
   * or watch without a break for longer than `unhealthyAfterSeconds`.
   */
  private healthCheck(): Check {
    const crashed = this.running?.controller.crashed;
    if (crashed)
      return { ok: false, reason: `a reconcile worker stopped (${crashed}): restart the operator` };
    return this.health.check();
  }

  /** Readiness: caches synced and not shutting down. A follower is ready too: it can take over at once. */
  private readiness(): Check {
    if (this.stopSignal.requested) return { ok: false, reason: "shutting down" };
    if (!this.synced) return { ok: false, reason: "caches not synced yet" };
    return { ok: true };
  }

  private lead(leading: boolean): void {
    this.leading = leading;
    this.metrics.isLeader.set(leading ? 1 : 0);
    if (leading) this.running?.controller.enqueueAll();
  }

  /** SIGTERM: take no new work, finish what is in flight, release the lease. Safe during start(). */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    this.log.info("shutting down");
    this.stopSignal.stop();
    await this.starting?.catch(() => {});
    await this.teardown();
    this.log.info("stopped");
  }

  private async teardown(): Promise<void> {
    this.stopSignal.stop();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    const running = this.running;
    await running?.integrations.stop();
    await running?.controller.stop();
    await this.leader?.stop();
    this.leading = false;
    this.metrics.isLeader.set(0);
    if (running)
      await Promise.all([...running.architectures, ...running.caches.all()].map((i) => i.stop()));
    const server = this.server;
    this.server = undefined;
    if (server) {
      // Keep-alive connections of a scraper would hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
