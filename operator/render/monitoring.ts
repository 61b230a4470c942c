// Monitoring: a Prometheus Operator ServiceMonitor per component that serves
// metrics (every datastore, through its exporter or its own endpoint), and one
// Grafana dashboard ConfigMap whose panels follow the Architecture's shape.
import { createHash } from "node:crypto";
import type { ResolvedComponent } from "../api/defaults.ts";
import { DATASTORE_DEFAULTS } from "../api/defaults.ts";
import { childName, selectorLabels } from "../api/names.ts";
import { type DatastoreType, isDatastoreType } from "../api/schema.ts";
import type { KubeObject } from "../kube/types.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { metricsServiceName } from "./datastores/read-only-service.ts";
import { METRICS_LABEL, METRICS_PORT_NAME } from "./datastores/statefulset.ts";
import type { PanelSpec } from "./grafana.ts";
import { grafanaDashboard } from "./grafana.ts";
import { childMeta } from "./meta.ts";
import { replicationPanels } from "./replication-panels.ts";
import type { RenderNotice } from "./types.ts";

/** The label Grafana's dashboard sidecar looks for. */
export const DASHBOARD_LABEL = "grafana_dashboard";

/** Components that serve Prometheus metrics on a Service port named `metrics`. */
export function scrapedComponents(ctx: RenderContext): ResolvedComponent[] {
  return ctx.arch.components.filter(
    (c) => isDatastoreType(c.type) && DATASTORE_DEFAULTS[c.type].metricsPort !== undefined,
  );
}

function serviceMonitor(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const { monitoring, namespace, name } = ctx.arch;
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: childMeta(ctx, c.name, undefined, { release: monitoring.release }),
    spec: {
      selector: { matchLabels: { ...selectorLabels(name, c.name), [METRICS_LABEL]: "true" } },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [
        {
          port: METRICS_PORT_NAME,
          path: "/metrics",
          interval: monitoring.interval,
          scheme: "http",
        },
      ],
    },
  };
}

// ---- dashboard ----

/** The standard metric of each datastore's exporter (or the server's own endpoint). */
export const DATASTORE_PANELS: Record<
  DatastoreType,
  { title: string; unit: string; expr: (sel: string) => string; legend: string }
> = {
  mysql: {
    title: "connected threads",
    unit: "short",
    expr: (s) => `sum(mysql_global_status_threads_connected{${s}})`,
    legend: "threads",
  },
  postgres: {
    title: "backends",
    unit: "short",
    expr: (s) => `sum(pg_stat_database_numbackends{${s}})`,
    legend: "backends",
  },
  mongodb: {
    title: "connections",
    unit: "short",
    expr: (s) => `sum by (state) (mongodb_connections{${s}})`,
    legend: "{{state}}",
  },
  redis: {
    title: "connected clients",
    unit: "short",
    expr: (s) => `sum(redis_connected_clients{${s}})`,
    legend: "clients",
  },
  rabbitmq: {
    title: "messages ready",
    unit: "short",
    expr: (s) => `sum(rabbitmq_queue_messages_ready{${s}})`,
    legend: "ready",
  },
  kafka: {
    title: "consumer group lag",
    unit: "short",
    expr: (s) => `sum by (consumergroup, topic) (kafka_consumergroup_lag{${s}})`,
    legend: "{{consumergroup}} {{topic}}",
  },
  milvus: {
    title: "proxy requests/s",
    unit: "reqps",
    expr: (s) => `sum(rate(milvus_proxy_req_count{${s}}[5m]))`,
    legend: "requests",
  },
};

/** Regex escaping for a PromQL label matcher (inside a double-quoted string). */
function promRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&");
}

/** Matches the pods of a Deployment, StatefulSet, Job or CronJob named `name`, not of longer names. */
export function podRegex(name: string): string {
  return `${name}-([a-z0-9]{6,10}-[a-z0-9]{5}|[0-9]+|[0-9]{8,}-[a-z0-9]{5}|[a-z0-9]{5})`;
}

function routedComponents(ctx: RenderContext): Set<string> {
  return new Set((ctx.arch.ingress?.hosts ?? []).flatMap((h) => h.routes.map((r) => r.component)));
}

function hostMatcher(ctx: RenderContext): string {
  return (ctx.arch.ingress?.hosts ?? []).map((h) => promRegex(h.host)).join("|");
}

function appPanels(ctx: RenderContext, c: ResolvedComponent): PanelSpec[] {
  const ns = ctx.arch.namespace;
  const object = childName(ctx.arch.name, c.name);
  const pods = `namespace="${ns}", pod=~"${podRegex(object)}"`;
  const panels: PanelSpec[] = [];
  if (routedComponents(ctx).has(c.name)) {
    panels.push({
      title: `${c.name}: request rate`,
      unit: "reqps",
      targets: [
        {
          expr: `sum by (status) (rate(nginx_ingress_controller_requests{host=~"${hostMatcher(ctx)}", service="${object}"}[5m]))`,
          legendFormat: "{{status}}",
        },
      ],
    });
  }
  panels.push(
    {
      title: `${c.name}: ready replicas`,
      unit: "short",
      targets: [
        { expr: `sum(kube_pod_status_ready{${pods}, condition="true"})`, legendFormat: "ready" },
      ],
    },
    {
      title: `${c.name}: CPU`,
      unit: "cores",
      targets: [
        {
          expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{${pods}, container!="", container!="POD"}[5m]))`,
          legendFormat: "{{pod}}",
        },
      ],
    },
    {
      title: `${c.name}: memory`,
      unit: "bytes",
      targets: [
        {
          expr: `sum by (pod) (container_memory_working_set_bytes{${pods}, container!="", container!="POD"})`,
          legendFormat: "{{pod}}",
        },
      ],
    },
  );
  if (c.gpu) {
    const gpuPods = podRegex(object);
    panels.push({
      title: `${c.name}: GPU utilisation`,
      unit: "percent",
      // dcgm-exporter's own pod/namespace labels become exported_* when Prometheus scrapes it.
      targets: [
        {
          expr: `avg by (exported_pod) (DCGM_FI_DEV_GPU_UTIL{exported_namespace="${ns}", exported_pod=~"${gpuPods}"})`,
          legendFormat: "{{exported_pod}}",
        },
        {
          expr: `avg by (pod) (DCGM_FI_DEV_GPU_UTIL{namespace="${ns}", pod=~"${gpuPods}"})`,
          legendFormat: "{{pod}}",
        },
      ],
    });
  }
  return panels;
}

function datastorePanel(
  ctx: RenderContext,
  c: ResolvedComponent & { type: DatastoreType },
): PanelSpec {
  const p = DATASTORE_PANELS[c.type];
  const sel = `namespace="${ctx.arch.namespace}", service="${metricsServiceName(ctx, c)}"`;
  return {
    title: `${c.name}: ${p.title}`,
    unit: p.unit,
    targets: [{ expr: p.expr(sel), legendFormat: p.legend }],
  };
}

/** How old each datastore's last successful backup is, and the last one a drill restored. */
function backupAgePanel(ctx: RenderContext): PanelSpec {
  const ns = `namespace="${ctx.arch.namespace}"`;
  return {
    title: "backups: age of the last successful backup",
    description:
      "From kube-state-metrics (the backup CronJob's last success) and, for drilled backups, the operator's archctl_backup_verified_timestamp_seconds.",
    unit: "s",
    targets: ctx.arch.backups.flatMap((b) => [
      {
        expr: `time() - kube_cronjob_status_last_successful_time{${ns}, cronjob="${childName(ctx.arch.name, b.component, "backup")}"}`,
        legendFormat: `${b.component}: last backup`,
      },
      ...(b.verify
        ? [
            {
              expr: `time() - archctl_backup_verified_timestamp_seconds{${ns}, architecture="${ctx.arch.name}", component="${b.component}"}`,
              legendFormat: `${b.component}: last verified backup`,
            },
          ]
        : []),
    ]),
  };
}

/** Every panel of the dashboard, in a stable order: ingress, then components as declared, then autoscaling. */
export function dashboardPanels(ctx: RenderContext): PanelSpec[] {
  const panels: PanelSpec[] = [];
  if (ctx.arch.ingress) {
    const hosts = hostMatcher(ctx);
    panels.push(
      {
        title: "ingress: requests by status",
        unit: "reqps",
        targets: [
          {
            expr: `sum by (status) (rate(nginx_ingress_controller_requests{host=~"${hosts}"}[5m]))`,
            legendFormat: "{{status}}",
          },
        ],
      },
      {
        title: "ingress: rate-limited (429)",
        unit: "reqps",
        targets: [
          {
            expr: `sum by (host) (rate(nginx_ingress_controller_requests{host=~"${hosts}", status="429"}[5m]))`,
            legendFormat: "{{host}}",
          },
        ],
      },
    );
  }
  for (const c of ctx.arch.components) {
    if (isDatastoreType(c.type))
      panels.push(
        datastorePanel(ctx, c as ResolvedComponent & { type: DatastoreType }),
        ...replicationPanels(ctx, c),
      );
    else panels.push(...appPanels(ctx, c));
  }
  if (ctx.arch.backups.length) panels.push(backupAgePanel(ctx));
  for (const a of ctx.arch.autoscaling) {
    const hpa = childName(ctx.arch.name, a.component);
    panels.push({
      title: `${a.component}: autoscaling replicas`,
      unit: "short",
      targets: [
        {
          // KEDA names the HPA it manages keda-hpa-<ScaledObject>.
          expr: `max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{namespace="${ctx.arch.namespace}", horizontalpodautoscaler=~"(keda-hpa-)?${hpa}"})`,
          legendFormat: "current",
        },
        {
          expr: `max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas{namespace="${ctx.arch.namespace}", horizontalpodautoscaler=~"(keda-hpa-)?${hpa}"})`,
          legendFormat: "max",
        },
      ],
    });
  }
  return panels;
}

/** The Grafana dashboard model: stable ids, grid positions and key order. */
export function dashboard(ctx: RenderContext): Record<string, unknown> {
  const { name, namespace } = ctx.arch;
  const uid = `archctl-${createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 16)}`;
  return grafanaDashboard({
    uid,
    title: `archctl / ${namespace} / ${name}`,
    tags: ["archctl", name],
    panels: dashboardPanels(ctx),
  });
}

export const renderMonitoring: ConcernRenderer = (ctx) => {
  const { monitoring } = ctx.arch;
  const objects: KubeObject[] = [];
  const notices: RenderNotice[] = [];
  const scraped = scrapedComponents(ctx);
  if (monitoring.serviceMonitors && scraped.length > 0) {
    if (ctx.capabilities.serviceMonitors)
      objects.push(...scraped.map((c) => serviceMonitor(ctx, c)));
    else {
      notices.push({
        reason: "PrometheusOperatorMissing",
        message: `ServiceMonitors for ${scraped.map((c) => c.name).join(", ")} are not created: the cluster has no monitoring.coreos.com/v1 ServiceMonitor CRD (install the Prometheus Operator, or set spec.monitoring.serviceMonitors: false)`,
      });
    }
  }
  if (monitoring.dashboard) {
    objects.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: childMeta(ctx, "dashboard", undefined, { [DASHBOARD_LABEL]: "1" }),
      data: { [`${ctx.arch.name}.json`]: `${JSON.stringify(dashboard(ctx), null, 2)}\n` },
    });
  }
  return { objects, notices };
};
