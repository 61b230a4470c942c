// What the operator process is told: connection, namespaces, workers, endpoints,
// leader election, sharding, logging. Read by operator.ts and `archctl operator run`.
import type { ConnectionOptions } from "./kube/config.ts";
import type { Logger, LogLevel } from "./runtime/logger.ts";
import type { ShardOf } from "./runtime/shard.ts";

export interface OperatorOptions extends ConnectionOptions {
  /** Namespaces to watch; empty = all. */
  namespaces?: string[];
  workers?: number;
  /** Children one reconcile applies at once (reconcile/children.ts CHILD_CONCURRENCY by default). */
  childConcurrency?: number;
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
  /**
   * This instance's shard (runtime/shard.ts): it reconciles only the
   * Architectures of that shard, and campaigns for that shard's Lease
   * (`<leaseName>-shard-<index>`). Absent: one shard, every Architecture.
   */
  shard?: ShardOf;
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
