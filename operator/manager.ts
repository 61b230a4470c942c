// The operator process: caches, work queue, workers, leader election, metrics
// and health endpoints, optional integrations found (and found again) by
// discovery, and a clean shutdown. The reconcile itself is in
// reconcile/reconciler.ts.

import type { Server } from "node:http";
import { hostname } from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import { ARCHITECTURE_LABEL, MANAGED_BY } from "./api/names.ts";
import type { ConnectionOptions } from "./kube/config.ts";
import { loadKubeConfig } from "./kube/config.ts";
import { explainKubeError, isNotFound } from "./kube/errors.ts";
import { ObjectClient } from "./kube/objects.ts";
import type { ResourceType } from "./kube/resources.ts";
import { ARCHITECTURES, capabilityOf, OWNED, PODS, resourcePath } from "./kube/resources.ts";
import type { RequestOptions, Verb } from "./kube/rest.ts";
import { KubeRest } from "./kube/rest.ts";
import type { StoredArchitecture } from "./reconcile/reconciler.ts";
import { Reconciler } from "./reconcile/reconciler.ts";
import type { Capabilities, KubeObject } from "./render/types.ts";
import type { EventRecorder } from "./runtime/events.ts";
import { createEventRecorder, EventRateLimiter } from "./runtime/events.ts";
import type { Check } from "./runtime/http-server.ts";
import { startHttpServer } from "./runtime/http-server.ts";
import { Informer } from "./runtime/informer.ts";
import { LeaderElector } from "./runtime/leader.ts";
import type { Logger, LogLevel } from "./runtime/logger.ts";
import { createLogger } from "./runtime/logger.ts";
import { OperatorMetrics } from "./runtime/metrics.ts";
import type { CachedPod } from "./runtime/pod-cache.ts";
import { PodIndex } from "./runtime/pod-cache.ts";
import { WorkQueue } from "./runtime/queue.ts";
import { podReady } from "./status/causes.ts";

export interface OperatorOptions extends ConnectionOptions {
  /** Namespaces to watch; empty = all. */
  namespaces?: string[];
  workers?: number;
  resyncSeconds?: number;
  /** host:port for /metrics, /healthz, /readyz; empty string disables. */
  metricsAddress?: string;
  leaderElection?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  /** Lease timing; client-go's 15 s / 10 s / 2 s unless a test shortens it. */
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  identity?: string;
  logLevel?: LogLevel;
  log?: Logger;
  processMetrics?: boolean;
  /** How often KEDA and the Prometheus Operator are looked up again (default 30 s). */
  discoverySeconds?: number;
  /** /healthz fails once a cache has been unable to list or watch for this long (default 120 s). */
  unhealthyAfterSeconds?: number;
  /**
   * Called when this instance loses a lease it held (not when stop() releases
   * it). Writes are fenced off either way; `archctl operator run` exits here,
   * as client-go does; without it the instance campaigns again.
   */
  onLostLeadership?: (why: string) => void;
}

type Child = KubeObject & {
  metadata: KubeObject["metadata"] & { uid?: string; ownerReferences?: { uid: string }[] };
};

function resourceLabel(path: string): string {
  const m = /\/(?:api|apis)\/(?:[^/]+\/)?v[0-9][^/]*\/(?:namespaces\/[^/]+\/)?([a-z]+)/.exec(path);
  return m?.[1] ?? "other";
}

/** A write refused because this instance is not (or no longer) the leader. */
export class NotLeaderError extends Error {
  override name = "NotLeaderError";
}

/**
 * Refuses every write while `mayWrite()` says no. The fence between a deposed
 * leader and the cluster: a reconcile in flight when the lease is lost stops at
 * its next write instead of finishing alongside the new leader.
 */
class FencedRest extends KubeRest {
  private readonly mayWrite: () => boolean;
  constructor(kc: KubeConfig, mayWrite: () => boolean) {
    super(kc);
    this.mayWrite = mayWrite;
  }
  override request<T = unknown>(verb: Verb, path: string, opts?: RequestOptions): Promise<T> {
    if (verb !== "GET" && !this.mayWrite())
      return Promise.reject(new NotLeaderError(`not the leader: ${verb} ${path} was not sent`));
    return super.request<T>(verb, path, opts);
  }
}

const OPTIONAL = OWNED.filter((r) => r.optional);

/**
 * Capabilities from discovery: `served(groupVersion)` lists the resources a
 * group/version serves (undefined: the group is absent). A capability needs
 * every kind the renderer may emit for it (KEDA: ScaledObject and
 * TriggerAuthentication), or its caches could not list. Pure.
 */
export function capabilitiesFrom(
  served: (groupVersion: string) => string[] | undefined,
): Capabilities {
  const has = (cap: keyof Capabilities) =>
    OPTIONAL.filter((r) => capabilityOf(r) === cap).every(
      (r) => served(r.apiVersion)?.includes(r.plural) ?? false,
    );
  return { keda: has("keda"), serviceMonitors: has("serviceMonitors") };
}

/** Rejects start-up and discovery steps once stop() was called. */
const STOPPED = Symbol("operator stopped");

export class Operator {
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly identity: string;
  private readonly opts: OperatorOptions;
  private rest!: KubeRest;
  private objects!: ObjectClient;
  private architectures: Informer<StoredArchitecture>[] = [];
  private architectureView?: Informer<StoredArchitecture>;
  private children = new Map<string, Informer<Child>[]>();
  /** The reconciler's view of the child caches: changed in place when an integration comes or goes. */
  private readonly childCaches = new Map<string, Informer<Child>>();
  /** The pods of Architectures, by architecture and component (see runtime/pod-cache.ts). */
  private readonly podIndex = new PodIndex();
  /** Changed in place: the reconciler renders with this very object. */
  private readonly capabilities: Capabilities = { keda: false, serviceMonitors: false };
  private queue?: WorkQueue;
  private leader?: LeaderElector;
  private server?: Server;
  private reconciler!: Reconciler;
  private events!: EventRecorder;
  private readonly failureEvents = new EventRateLimiter(60_000);
  private leading = false;
  private synced = false;
  private workers: Promise<void>[] = [];
  private crashed?: string;
  private resyncTimer?: NodeJS.Timeout;
  private discoveryTimer?: NodeJS.Timeout;
  private discovering?: Promise<void>;
  /** List path -> its cache's current run of failures (see health()). */
  private readonly cacheFailures = new Map<
    string,
    { since: number; last: number; what: string; err: string }
  >();
  private starting?: Promise<void>;
  private stopping?: Promise<void>;
  private stopRequested = false;
  private signalStop!: () => void;
  private readonly stopSignal = new Promise<never>((_, reject) => {
    this.signalStop = () => reject(STOPPED);
  });
  /** Writes made by reconciles, for tests and benchmarks. */
  writes = 0;

  constructor(opts: OperatorOptions = {}) {
    this.opts = opts;
    this.identity = opts.identity ?? `${hostname()}-${process.pid}`;
    this.log = opts.log ?? createLogger(opts.logLevel ?? "info", { component: "operator" });
    this.metrics = new OperatorMetrics(opts.processMetrics ?? true);
    this.stopSignal.catch(() => {}); // only ever observed through untilStopped
  }

  /** Leading now: with leader election, a lease renewed within the renew deadline. */
  get isLeader(): boolean {
    return this.opts.leaderElection ? (this.leader?.isLeader ?? false) : this.leading;
  }

  /** The optional integrations in use now (a copy). */
  get currentCapabilities(): Capabilities {
    return { ...this.capabilities };
  }

  private namespaces(): (string | undefined)[] {
    return this.opts.namespaces?.length ? this.opts.namespaces : [undefined];
  }

  private untilStopped<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.stopSignal]);
  }

  /** Optional integrations are used only where their CRDs are served. Discovery needs no RBAC. */
  private async discover(): Promise<Capabilities> {
    const served = new Map<string, string[] | undefined>();
    for (const gv of new Set(OPTIONAL.map((r) => r.apiVersion))) {
      try {
        const list = await this.rest.get<{ resources?: { name: string }[] }>(`/apis/${gv}`, {
          timeoutMs: 10_000,
        });
        served.set(gv, list.resources?.map((r) => r.name) ?? []);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        served.set(gv, undefined);
      }
    }
    return capabilitiesFrom((gv) => served.get(gv));
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

  private async startOnce(): Promise<void> {
    // First, so probes answer while the caches sync: alive, not ready.
    if (this.opts.metricsAddress !== "") {
      this.server = await startHttpServer(
        this.opts.metricsAddress ?? "127.0.0.1:8080",
        this.metrics.registry,
        { healthy: () => this.health(), ready: () => this.readiness() },
      );
    }
    const kc = loadKubeConfig(this.opts);
    this.rest = new KubeRest(kc);
    const fenced = new FencedRest(kc, () => !this.opts.leaderElection || this.isLeader);
    for (const rest of [this.rest, fenced]) {
      rest.observe((verb, path, code) => {
        this.metrics.apiRequests.inc({ verb, resource: resourceLabel(path), code: String(code) });
        // A list that succeeds ends its cache's failure streak (see health()).
        if (verb === "GET" && code === 200) this.cacheFailures.delete(path);
      });
    }
    this.objects = new ObjectClient(fenced);
    this.log.info("starting", {
      identity: this.identity,
      namespaces: this.opts.namespaces?.length ? this.opts.namespaces : "all",
    });
    Object.assign(this.capabilities, await this.untilStopped(this.discover()));

    this.metrics.phases = () => {
      const counts = new Map<string, number>();
      for (const inf of this.architectures) {
        for (const a of inf.list()) {
          const phase = a.status?.phase ?? "Pending";
          counts.set(phase, (counts.get(phase) ?? 0) + 1);
        }
      }
      return counts;
    };
    const queue = new WorkQueue({ onChange: (depth) => this.metrics.queueDepth.set(depth) });
    this.queue = queue;
    for (const ns of this.namespaces()) {
      const inf = new Informer<StoredArchitecture>(
        this.rest,
        ARCHITECTURES,
        this.cacheOptions(ARCHITECTURES, ns),
      );
      const path = resourcePath(ARCHITECTURES, ns);
      inf.on((_type, obj) => {
        this.cacheFailures.delete(path); // an event: the watch works
        queue.add(`${obj.metadata.namespace ?? ""}/${obj.metadata.name}`);
      });
      this.architectures.push(inf);
    }
    for (const r of OWNED) if (!r.optional || this.capabilities[capabilityOf(r)]) this.addKind(r);
    this.addPods();

    this.architectureView = mergedInformer(this.architectures);
    this.events = createEventRecorder(this.objects, this.identity, this.log);
    this.reconciler = new Reconciler({
      objects: this.objects,
      architectures: this.architectureView,
      children: this.childCaches,
      pods: (namespace, architecture, component) =>
        this.podIndex.pods(namespace, architecture, component),
      capabilities: this.capabilities,
      events: this.events,
      log: this.log,
      onWrite: (kind, verb) => {
        this.writes++;
        this.metrics.apiWrites.inc({ kind, verb });
      },
    });

    await this.untilStopped(Promise.all(this.allInformers().map((i) => i.start())));
    this.synced = true;
    this.log.info("caches synced", {
      architectures: this.architectures.reduce((n, i) => n + i.list().length, 0),
      capabilities: this.currentCapabilities,
    });

    const workers = this.opts.workers ?? 4;
    for (let i = 0; i < workers; i++)
      this.workers.push(
        this.work(i).catch((err) => {
          // A bug, not an API error (those are caught per reconcile): fail /healthz.
          this.crashed = err instanceof Error ? err.message : String(err);
          this.log.error("worker stopped", { worker: i, err });
        }),
      );

    if (this.opts.leaderElection) {
      this.leader = new LeaderElector(
        // Not fenced: the lease is how leadership is won.
        new ObjectClient(this.rest),
        {
          namespace: this.opts.leaseNamespace ?? "default",
          name: this.opts.leaseName ?? "archctl-operator",
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
    this.resyncTimer = setInterval(() => this.enqueueAll(), resync);
    this.resyncTimer.unref();
    this.scheduleDiscovery();
  }

  private allInformers(): Informer<KubeObject>[] {
    return [...this.architectures, ...[...this.children.values()].flat()] as Informer<KubeObject>[];
  }

  private onRestart(r: ResourceType, ns: string | undefined): (err: unknown) => void {
    const path = resourcePath(r, ns);
    const what = ns ? `${r.plural} in ${ns}` : `${r.plural} (all namespaces)`;
    return (err) => {
      this.metrics.watchRestarts.inc({ resource: r.plural });
      const why = explainKubeError(err);
      this.log.warn("watch failed; restarting", { resource: r.plural, err: why });
      const now = Date.now();
      const streak = this.cacheFailures.get(path);
      this.cacheFailures.set(path, { since: streak?.since ?? now, last: now, what, err: why });
    };
  }

  private get unhealthyAfterMs(): number {
    return (this.opts.unhealthyAfterSeconds ?? 120) * 1000;
  }

  /**
   * A failing cache retries at least four times within unhealthyAfterSeconds
   * (and at most 30 s apart, as before), so "failing for that long" is told
   * apart from one failure followed by a quiet, working watch.
   */
  private get watchMaxBackoffMs(): number {
    return Math.min(30_000, this.unhealthyAfterMs / 4);
  }

  private cacheOptions(r: ResourceType, ns: string | undefined) {
    return {
      ...(ns ? { namespace: ns } : {}),
      onRestart: this.onRestart(r, ns),
      // A relist's pages, answered 200, end a failure streak (the observe callback in startOnce).
      onRelist: () => this.metrics.watchRelists.inc({ resource: r.plural }),
      maxBackoffMs: this.watchMaxBackoffMs,
    };
  }

  /** Caches of one owned kind, one per watched namespace, visible to the reconciler. */
  private addKind(r: ResourceType): Informer<Child>[] {
    const list = this.namespaces().map((ns) => {
      const inf = new Informer<Child>(this.rest, r, {
        ...this.cacheOptions(r, ns),
        labelSelector: `app.kubernetes.io/managed-by=${MANAGED_BY}`,
      });
      const path = resourcePath(r, ns);
      // A change to a child wakes its Architecture (found by label: cheap, and
      // it also covers children whose owner reference was removed by hand).
      inf.on((_type, obj) => {
        this.cacheFailures.delete(path); // an event: the watch works
        const arch = obj.metadata.labels?.[ARCHITECTURE_LABEL];
        if (arch) this.queue?.add(`${obj.metadata.namespace ?? ""}/${arch}`);
      });
      return inf;
    });
    const key = `${r.apiVersion}/${r.kind}`;
    this.children.set(key, list);
    this.childCaches.set(key, mergedInformer(list));
    return list;
  }

  /**
   * Pod caches, one per watched namespace: only pods of Architectures (by
   * label), kept lean and indexed for the status. Not among the children the
   * reconciler applies or prunes.
   */
  private addPods(): void {
    const list = this.namespaces().map((ns) => {
      const inf = new Informer<Child>(this.rest, PODS, {
        ...this.cacheOptions(PODS, ns),
        labelSelector: ARCHITECTURE_LABEL,
      });
      const path = resourcePath(PODS, ns);
      inf.on((type, obj) => {
        const pod = obj as unknown as CachedPod; // made lean by leanPod
        this.cacheFailures.delete(path); // an event: the watch works
        this.podIndex.apply(type, pod);
        // A pod that turns ready also changes its workload's status, which
        // wakes the Architecture; one that is not ready may have a new cause.
        const arch = pod.metadata.labels?.[ARCHITECTURE_LABEL];
        if (arch && (type === "delete" || !podReady(pod)))
          this.queue?.add(`${pod.metadata.namespace ?? ""}/${arch}`);
      });
      return inf;
    });
    this.children.set(`${PODS.apiVersion}/${PODS.kind}`, list);
  }

  /** Pods cached now (for tests and benchmarks). */
  get cachedPods(): number {
    return this.podIndex.size;
  }

  private async removeKind(r: ResourceType): Promise<void> {
    const key = `${r.apiVersion}/${r.kind}`;
    const list = this.children.get(key) ?? [];
    this.children.delete(key);
    this.childCaches.delete(key);
    for (const ns of this.namespaces()) this.cacheFailures.delete(resourcePath(r, ns));
    await Promise.all(list.map((i) => i.stop()));
  }

  private scheduleDiscovery(): void {
    if (this.stopRequested) return;
    this.discoveryTimer = setTimeout(
      () => {
        this.discovering = this.rediscover().finally(() => {
          this.discovering = undefined;
          this.scheduleDiscovery();
        });
      },
      (this.opts.discoverySeconds ?? 30) * 1000,
    );
    this.discoveryTimer.unref();
  }

  /** KEDA or the Prometheus Operator installed (or removed) while running: adapt, then reconcile all. */
  private async rediscover(): Promise<void> {
    let found: Capabilities;
    try {
      found = await this.untilStopped(this.discover());
    } catch (err) {
      if (err !== STOPPED)
        this.log.warn("discovery of optional integrations failed; keeping what was found before", {
          err: explainKubeError(err),
        });
      return;
    }
    const before = this.currentCapabilities;
    const next = { ...found };
    const caps = Object.keys(next) as (keyof Capabilities)[];
    for (const cap of caps.filter((c) => next[c] && !before[c])) {
      // Caches first, synced, so the first reconcile that renders these kinds
      // sees what already exists instead of applying blind.
      const kinds = OPTIONAL.filter((r) => capabilityOf(r) === cap);
      const started = kinds.flatMap((r) => this.addKind(r));
      try {
        await this.untilStopped(
          withTimeout(
            Promise.all(started.map((i) => i.start())),
            60_000,
            `the caches of ${kinds.map((r) => r.plural).join(", ")} did not sync within 60 s`,
          ),
        );
      } catch (err) {
        for (const r of kinds) await this.removeKind(r);
        if (err === STOPPED) return;
        this.log.warn(
          "an optional integration appeared but cannot be used yet; trying again later",
          {
            capability: cap,
            err: explainKubeError(err),
          },
        );
        next[cap] = false;
      }
    }
    if (caps.every((c) => next[c] === before[c])) return;
    Object.assign(this.capabilities, next);
    for (const cap of caps.filter((c) => before[c] && !next[c]))
      for (const r of OPTIONAL.filter((k) => capabilityOf(k) === cap)) await this.removeKind(r);
    this.log.info("optional integrations changed; reconciling every Architecture", {
      from: before,
      to: this.currentCapabilities,
    });
    this.enqueueAll();
  }

  /**
   * Liveness: false when a worker loop died, or when a cache has failed to list
   * or watch without a break for longer than `unhealthyAfterSeconds`. A run of
   * failures ends with a successful list, a watch event, or a retry that does
   * not fail again within the longest backoff (the watch reconnected quietly).
   */
  health(): Check {
    if (this.crashed)
      return {
        ok: false,
        reason: `a reconcile worker stopped (${this.crashed}): restart the operator`,
      };
    const now = Date.now();
    // The informer's jitter is at most +20 %; one second for the reconnect itself.
    const quietMs = this.watchMaxBackoffMs * 1.2 + 1000;
    for (const [path, f] of this.cacheFailures) {
      if (now - f.last > quietMs) {
        this.cacheFailures.delete(path);
        continue;
      }
      if (now - f.since > this.unhealthyAfterMs)
        return {
          ok: false,
          reason: `the cache of ${f.what} has failed to list or watch for ${Math.round((now - f.since) / 1000)} s (last error: ${f.err}); check that the API server is reachable and that the operator may list and watch it`,
        };
    }
    return { ok: true };
  }

  /** Readiness: caches synced and not shutting down. A follower is ready too: it can take over at once. */
  readiness(): Check {
    if (this.stopRequested) return { ok: false, reason: "shutting down" };
    if (!this.synced) return { ok: false, reason: "caches not synced yet" };
    return { ok: true };
  }

  private lead(leading: boolean): void {
    this.leading = leading;
    this.metrics.isLeader.set(leading ? 1 : 0);
    if (leading) this.enqueueAll();
  }

  private enqueueAll(): void {
    if (!this.isLeader || !this.queue) return;
    for (const inf of this.architectures)
      for (const a of inf.list())
        this.queue.add(`${a.metadata.namespace ?? ""}/${a.metadata.name}`);
  }

  private async work(worker: number): Promise<void> {
    const queue = this.queue as WorkQueue;
    for (;;) {
      const item = await queue.get();
      if (!item) return;
      const { key, waitedMs } = item;
      this.metrics.queueWait.observe(waitedMs / 1000);
      // Only the leader writes: a follower drops the key; it re-lists on winning.
      if (!this.isLeader) {
        queue.done(key);
        continue;
      }
      const [namespace = "", name = ""] = key.split("/");
      const reconcileId = `${Date.now().toString(36)}-${worker}`;
      const end = this.metrics.reconcileDuration.startTimer();
      try {
        const result = await this.reconciler.reconcile(namespace, name, reconcileId);
        queue.forget(key);
        // A TTL wake-up is scheduled, not a retry: the reconcile itself succeeded.
        this.metrics.reconciles.inc({ result: "success" });
        if (result.requeueAfterMs !== undefined)
          queue.addAfter(key, Math.min(result.requeueAfterMs + 500, 2 ** 31 - 1));
      } catch (err) {
        if (err instanceof NotLeaderError) {
          // Leadership ended mid-reconcile; whoever leads next reconciles everything.
          this.log.info("reconcile cut short: no longer the leader", {
            architecture: key,
            reconcileId,
          });
          continue;
        }
        const delay = queue.addRateLimited(key);
        const failures = queue.failuresOf(key);
        const message = explainKubeError(err);
        this.metrics.reconciles.inc({ result: "error" });
        this.log.error("reconcile failed; will retry", {
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
    const arch = this.architectureView?.get(name, namespace);
    if (!arch || !this.failureEvents.allow(`${namespace}/${name}`, Date.now())) return;
    const retry =
      retryInMs < 1000 ? `${Math.round(retryInMs)} ms` : `${Math.round(retryInMs / 1000)} s`;
    this.events.record(
      arch,
      "Warning",
      "ReconcileFailed",
      "Reconcile",
      `reconcile failed (${failures} in a row; retrying in ${retry}; at most one such Event a minute): ${message}`,
    );
  }

  /** SIGTERM: take no new work, finish what is in flight, release the lease. Safe during start(). */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    this.log.info("shutting down");
    this.stopRequested = true;
    this.signalStop();
    await this.starting?.catch(() => {});
    await this.teardown();
    this.log.info("stopped");
  }

  private async teardown(): Promise<void> {
    this.stopRequested = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.discoveryTimer) clearTimeout(this.discoveryTimer);
    this.signalStop();
    await this.discovering?.catch(() => {});
    this.queue?.shutDown();
    await Promise.all(this.workers);
    await this.leader?.stop();
    this.leading = false;
    this.metrics.isLeader.set(0);
    await Promise.all(this.allInformers().map((i) => i.stop()));
    const server = this.server;
    this.server = undefined;
    if (server) {
      // Keep-alive connections of a scraper would hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** One read view over the per-namespace informers of a kind. */
function mergedInformer<T extends KubeObject>(informers: Informer<T>[]): Informer<T> {
  if (informers.length === 1) return informers[0] as Informer<T>;
  const view = Object.create(informers[0] ?? null) as Informer<T>;
  view.get = (name: string, namespace?: string) => {
    for (const i of informers) {
      const o = i.get(name, namespace);
      if (o) return o;
    }
    return undefined;
  };
  view.list = (namespace?: string) => informers.flatMap((i) => i.list(namespace));
  return view;
}
