// Replication panels of an Architecture's dashboard, for each datastore with
// replicas > 1: members ready (kube-state-metrics), each member's role and the
// replicas' lag, from the metrics each engine's exporter already exposes.
import type { ResolvedComponent } from "../api/defaults.ts";
import { childName } from "../api/names.ts";
import type { RenderContext } from "./context.ts";
import { metricsServiceName } from "./datastores/read-only-service.ts";
import type { PanelSpec } from "./grafana.ts";

/** Per engine: a member's role as 1 (primary) or 0, and a replica's lag in seconds. */
const ENGINE: Record<string, { role: (s: string) => string; lag: (s: string) => string }> = {
  postgres: {
    role: (s) => `1 - pg_replication_is_replica{${s}}`,
    lag: (s) => `pg_replication_lag_seconds{${s}}`,
  },
  mysql: {
    // Replicas run with super_read_only; mysqld_exporter reads SHOW REPLICA STATUS.
    role: (s) => `1 - mysql_global_variables_super_read_only{${s}}`,
    lag: (s) => `mysql_slave_status_seconds_behind_source{${s}}`,
  },
  redis: {
    role: (s) => `max by (pod) (redis_instance_info{${s}, role="master"})`,
    lag: (s) => `max by (pod) (redis_connected_slave_lag_seconds{${s}})`,
  },
  mongodb: {
    // replSetGetStatus states: 1 primary, 2 secondary.
    role: (s) => `mongodb_mongod_replset_my_state{${s}} == bool 1`,
    lag: (s) => `mongodb_mongod_replset_member_replication_lag{${s}}`,
  },
};

export function replicationPanels(ctx: RenderContext, c: ResolvedComponent): PanelSpec[] {
  const engine = ENGINE[c.type];
  if (!engine || c.replicas < 2) return [];
  const name = childName(ctx.arch.name, c.name);
  const sel = `namespace="${ctx.arch.namespace}", service="${metricsServiceName(ctx, c)}"`;
  return [
    {
      title: `${c.name}: members ready`,
      unit: "short",
      targets: [
        {
          expr: `kube_statefulset_status_replicas_ready{namespace="${ctx.arch.namespace}", statefulset="${name}"}`,
          legendFormat: "ready",
        },
        {
          expr: `kube_statefulset_replicas{namespace="${ctx.arch.namespace}", statefulset="${name}"}`,
          legendFormat: "desired",
        },
      ],
    },
    {
      title: `${c.name}: role (1 = primary)`,
      unit: "short",
      targets: [{ expr: engine.role(sel), legendFormat: "{{pod}}" }],
    },
    {
      title: `${c.name}: replication lag`,
      unit: "s",
      targets: [{ expr: engine.lag(sel), legendFormat: "{{pod}}" }],
    },
  ];
}
