// The operator's Prometheus metrics. One registry per operator instance, so
// tests can run several side by side.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { DrillResult } from "../status/drill-results.ts";

/** A drill result with where it belongs, for the backup-verified metrics. */
export interface DrillSample {
  namespace: string;
  architecture: string;
  result: DrillResult;
}

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: "archctl_reconcile_total",
    help: "Reconciles by result: success (a TTL wake-up included) or error.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: "archctl_reconcile_duration_seconds",
    help: "Time spent in one reconcile.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "archctl_workqueue_depth",
    help: "Keys waiting in the work queue.",
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: "archctl_workqueue_wait_seconds",
    help: "Time a key waited in the queue before a worker took it.",
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: "archctl_api_requests_total",
    help: "Requests to the API server by verb, resource and HTTP status code (0 = no answer).",
    labelNames: ["verb", "resource", "code"] as const,
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: "archctl_api_writes_total",
    help: "Write requests (create, apply, patch, update, delete) by kind and verb.",
    labelNames: ["kind", "verb"] as const,
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: "archctl_watch_restarts_total",
    help: "Watches restarted after an error, by resource.",
    labelNames: ["resource"] as const,
    registers: [this.registry],
  });
  readonly watchRelists = new Counter({
    name: "archctl_watch_relists_total",
    help: "Full relists of a cache after its first list (410 Gone: the watch could not resume), by resource.",
    labelNames: ["resource"] as const,
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: "archctl_leader",
    help: "1 when this instance holds the leader lease.",
    registers: [this.registry],
  });
  /** Set by the operator: counts of cached Architectures by phase, read at scrape time. */
  phases?: () => Map<string, number>;
  readonly architectures: Gauge<"phase">;
  /** Set by the operator: the newest finished restore drill of each drilled datastore, read at scrape time. */
  drills?: () => DrillSample[];
  readonly backupVerified: Gauge<"namespace" | "architecture" | "component">;
  readonly backupVerifiedTime: Gauge<"namespace" | "architecture" | "component">;

  constructor(processMetrics = true) {
    const metrics = this;
    this.architectures = new Gauge({
      name: "archctl_architectures",
      help: "Architectures in the operator's cache, by phase.",
      labelNames: ["phase"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [phase, n] of metrics.phases?.() ?? []) this.set({ phase }, n);
      },
    });
    const drillLabels = ["namespace", "architecture", "component"] as const;
    const labelsOf = (d: DrillSample) => ({
      namespace: d.namespace,
      architecture: d.architecture,
      component: d.result.component,
    });
    this.backupVerified = new Gauge({
      name: "archctl_backup_verified",
      help: "1 when the newest restore drill of a datastore's backups passed, 0 when it failed.",
      labelNames: drillLabels,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const d of metrics.drills?.() ?? []) this.set(labelsOf(d), d.result.ok ? 1 : 0);
      },
    });
    this.backupVerifiedTime = new Gauge({
      name: "archctl_backup_verified_timestamp_seconds",
      help: "When the backup the newest passing restore drill restored was taken (Unix time).",
      labelNames: drillLabels,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const d of metrics.drills?.() ?? []) {
          const at =
            d.result.ok && d.result.backupTime ? Date.parse(d.result.backupTime) : Number.NaN;
          if (Number.isFinite(at)) this.set(labelsOf(d), at / 1000);
        }
      },
    });
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
