// The operator process: caches, work queue, workers, leader election, metrics
// and health endpoints, and a clean shutdown. The reconcile itself is in
// reconcile/reconciler.ts.

import type { Server } from "node:http";
import { hostname } from "node:os";
import { ARCHITECTURE_LABEL, MANAGED_BY } from "./api/names.ts";
import type { ConnectionOptions } from "./kube/config.ts";
import { loadKubeConfig } from "./kube/config.ts";
import { explainKubeError, isNotFound } from "./kube/errors.ts";
import { ObjectClient } from "./kube/objects.ts";
import type { ResourceType } from "./kube/resources.ts";
import { ARCHITECTURES, OWNED } from "./kube/resources.ts";
import { KubeRest } from "./kube/rest.ts";
import type { StoredArchitecture } from "./reconcile/reconciler.ts";
import { Reconciler } from "./reconcile/reconciler.ts";
import type { Capabilities, KubeObject } from "./render/types.ts";
import { createEventRecorder } from "./runtime/events.ts";
import { startHttpServer } from "./runtime/http-server.ts";
import { Informer } from "./runtime/informer.ts";
import { LeaderElector } from "./runtime/leader.ts";
import type { Logger, LogLevel } from "./runtime/logger.ts";
import { createLogger } from "./runtime/logger.ts";
import { OperatorMetrics } from "./runtime/metrics.ts";
import { WorkQueue } from "./runtime/queue.ts";

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
  identity?: string;
  logLevel?: LogLevel;
  log?: Logger;
  processMetrics?: boolean;
}

type Child = KubeObject & {
  metadata: KubeObject["metadata"] & { uid?: string; ownerReferences?: { uid: string }[] };
};

function resourceLabel(path: string): string {
  const m = /\/(?:api|apis)\/(?:[^/]+\/)?v[0-9][^/]*\/(?:namespaces\/[^/]+\/)?([a-z]+)/.exec(path);
  return m?.[1] ?? "other";
}

export class Operator {
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly identity: string;
  private readonly opts: OperatorOptions;
  private rest!: KubeRest;
  private objects!: ObjectClient;
  private architectures: Informer<StoredArchitecture>[] = [];
  private children = new Map<string, Informer<Child>[]>();
  private queue!: WorkQueue;
  private leader?: LeaderElector;
  private server?: Server;
  private reconciler!: Reconciler;
  private leading = false;
  private synced = false;
  private workers: Promise<void>[] = [];
  private resyncTimer?: NodeJS.Timeout;
  /** Writes made by reconciles, for tests and benchmarks. */
  writes = 0;

  constructor(opts: OperatorOptions = {}) {
    this.opts = opts;
    this.identity = opts.identity ?? `${hostname()}-${process.pid}`;
    this.log = opts.log ?? createLogger(opts.logLevel ?? "info", { component: "operator" });
    this.metrics = new OperatorMetrics(opts.processMetrics ?? true);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private namespaces(): (string | undefined)[] {
    return this.opts.namespaces?.length ? this.opts.namespaces : [undefined];
  }

  /** Optional integrations are used only where their CRDs exist. */
  private async discover(): Promise<Capabilities> {
    const has = async (groupVersion: string) => {
      try {
        await this.rest.get(`/apis/${groupVersion}`);
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    };
    return {
      keda: await has("keda.sh/v1alpha1"),
      serviceMonitors: await has("monitoring.coreos.com/v1"),
    };
  }

  async start(): Promise<void> {
    const kc = loadKubeConfig(this.opts);
    this.rest = new KubeRest(kc);
    this.rest.observe((verb, path, code) => {
      const resource = resourceLabel(path);
      this.metrics.apiRequests.inc({ verb, resource, code: String(code) });
    });
    this.objects = new ObjectClient(this.rest);
    const capabilities = await this.discover();
    this.log.info("starting", {
      identity: this.identity,
      namespaces: this.opts.namespaces?.length ? this.opts.namespaces : "all",
      capabilities,
    });

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
    this.queue = new WorkQueue({ onChange: (depth) => this.metrics.queueDepth.set(depth) });
    const enqueue = (obj: KubeObject) =>
      this.queue.add(`${obj.metadata.namespace ?? ""}/${obj.metadata.name}`);
    const onRestart = (resource: string) => (err: unknown) => {
      this.metrics.watchRestarts.inc({ resource });
      this.log.warn("watch failed; restarting", { resource, err: explainKubeError(err) });
    };

    for (const ns of this.namespaces()) {
      const inf = new Informer<StoredArchitecture>(this.rest, ARCHITECTURES, {
        ...(ns ? { namespace: ns } : {}),
        onRestart: onRestart("architectures"),
      });
      inf.on((_type, obj) => enqueue(obj));
      this.architectures.push(inf);
    }
    const ownedKinds: ResourceType[] = OWNED.filter(
      (r) =>
        !r.optional ||
        (r.apiVersion.startsWith("keda.sh") ? capabilities.keda : capabilities.serviceMonitors),
    );
    for (const r of ownedKinds) {
      const list: Informer<Child>[] = [];
      for (const ns of this.namespaces()) {
        const inf = new Informer<Child>(this.rest, r, {
          ...(ns ? { namespace: ns } : {}),
          labelSelector: `app.kubernetes.io/managed-by=${MANAGED_BY}`,
          onRestart: onRestart(r.plural),
        });
        // A change to a child wakes its Architecture (found by label: cheap, and
        // it also covers children whose owner reference was removed by hand).
        inf.on((_type, obj) => {
          const arch = obj.metadata.labels?.[ARCHITECTURE_LABEL];
          if (arch) this.queue.add(`${obj.metadata.namespace ?? ""}/${arch}`);
        });
        list.push(inf);
      }
      this.children.set(`${r.apiVersion}/${r.kind}`, list);
    }

    const events = createEventRecorder(this.objects, this.identity, this.log);
    this.reconciler = new Reconciler({
      objects: this.objects,
      architectures: mergedInformer(this.architectures),
      children: new Map([...this.children].map(([k, v]) => [k, mergedInformer(v)])),
      capabilities,
      events,
      log: this.log,
      onWrite: (kind, verb) => {
        this.writes++;
        this.metrics.apiWrites.inc({ kind, verb });
      },
    });

    if (this.opts.metricsAddress !== "") {
      this.server = await startHttpServer(
        this.opts.metricsAddress ?? "127.0.0.1:8080",
        this.metrics.registry,
        {
          healthy: () => true,
          ready: () => this.synced,
        },
      );
    }

    await Promise.all(
      [...this.architectures, ...[...this.children.values()].flat()].map((i) => i.start()),
    );
    this.synced = true;
    this.log.info("caches synced", {
      architectures: this.architectures.reduce((n, i) => n + i.list().length, 0),
    });

    const workers = this.opts.workers ?? 4;
    for (let i = 0; i < workers; i++) this.workers.push(this.work(i));

    if (this.opts.leaderElection) {
      this.leader = new LeaderElector(this.objects, {
        namespace: this.opts.leaseNamespace ?? "default",
        name: this.opts.leaseName ?? "archctl-operator",
        identity: this.identity,
        log: this.log,
        onStartedLeading: () => this.lead(true),
        onStoppedLeading: () => this.lead(false),
      });
      this.leader.start();
    } else {
      this.lead(true);
    }

    const resync = (this.opts.resyncSeconds ?? 300) * 1000;
    this.resyncTimer = setInterval(() => this.enqueueAll(), resync);
    this.resyncTimer.unref();
  }

  private lead(leading: boolean): void {
    this.leading = leading;
    this.metrics.isLeader.set(leading ? 1 : 0);
    if (leading) this.enqueueAll();
  }

  private enqueueAll(): void {
    if (!this.leading) return;
    for (const inf of this.architectures)
      for (const a of inf.list())
        this.queue.add(`${a.metadata.namespace ?? ""}/${a.metadata.name}`);
  }

  private async work(worker: number): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (!item) return;
      const { key, waitedMs } = item;
      this.metrics.queueWait.observe(waitedMs / 1000);
      // Only the leader writes: a follower drops the key; it re-lists on winning.
      if (!this.leading) {
        this.queue.done(key);
        continue;
      }
      const [namespace = "", name = ""] = key.split("/");
      const reconcileId = `${Date.now().toString(36)}-${worker}`;
      const end = this.metrics.reconcileDuration.startTimer();
      try {
        const result = await this.reconciler.reconcile(namespace, name, reconcileId);
        this.queue.forget(key);
        this.metrics.reconciles.inc({
          result: result.requeueAfterMs !== undefined ? "requeue" : "success",
        });
        if (result.requeueAfterMs !== undefined)
          this.queue.addAfter(key, Math.min(result.requeueAfterMs + 500, 2 ** 31 - 1));
      } catch (err) {
        const delay = this.queue.addRateLimited(key);
        this.metrics.reconciles.inc({ result: "error" });
        this.log.error("reconcile failed; will retry", {
          architecture: key,
          reconcileId,
          err: explainKubeError(err),
          retryInMs: Math.round(delay),
          failures: this.queue.failuresOf(key),
        });
      } finally {
        end();
        this.queue.done(key);
      }
    }
  }

  /** SIGTERM: take no new work, finish what is in flight, release the lease. */
  async stop(): Promise<void> {
    this.log.info("shutting down");
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.queue?.shutDown();
    await Promise.all(this.workers);
    await this.leader?.stop();
    this.leading = false;
    await Promise.all(
      [...this.architectures, ...[...this.children.values()].flat()].map((i) => i.stop()),
    );
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.log.info("stopped");
  }
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
