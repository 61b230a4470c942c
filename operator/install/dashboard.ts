// The Grafana dashboard of the operator itself (not of an Architecture): how
// fast and how well it reconciles, its queue, what it writes, who leads and
// whether its watches hold. Pure; written to charts/archctl/dashboards/operator.json
// by chart-files.ts and shipped by both the chart and `archctl install` in a
// ConfigMap labelled grafana_dashboard: "1" for Grafana's dashboard sidecar.
import type { PanelSpec } from "../render/grafana.ts";
import { DATASOURCE, grafanaDashboard } from "../render/grafana.ts";

/** Every query is limited to the namespace the operator runs in. */
const SEL = 'namespace=~"$namespace"';

const PANELS: PanelSpec[] = [
  {
    title: "Reconciles per second by result",
    description:
      "rate of archctl_reconcile_total by result: success (a scheduled TTL wake-up included) and error.",
    unit: "ops",
    targets: [
      {
        expr: `sum by (result) (rate(archctl_reconcile_total{${SEL}}[$__rate_interval]))`,
        legendFormat: "{{result}}",
      },
    ],
  },
  {
    title: "Reconcile errors",
    description:
      "Failed reconciles per second, and their share of all reconciles. Errors are retried with backoff; the operator log says why (explainKubeError).",
    unit: "percentunit",
    targets: [
      {
        expr: `sum(rate(archctl_reconcile_total{${SEL},result="error"}[$__rate_interval])) / clamp_min(sum(rate(archctl_reconcile_total{${SEL}}[$__rate_interval])), 1e-9)`,
        legendFormat: "error ratio",
      },
    ],
  },
  {
    title: "Reconcile duration (p50 / p90 / p99)",
    description:
      "Quantiles of archctl_reconcile_duration_seconds. A reconcile of an unchanged Architecture reads only caches and should take milliseconds.",
    unit: "s",
    targets: [0.5, 0.9, 0.99].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(archctl_reconcile_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
      legendFormat: `p${Math.round(q * 100)}`,
    })),
  },
  {
    title: "Work queue depth",
    description:
      "archctl_workqueue_depth per replica: keys waiting for a worker. Growing without bound means the workers (ARCHCTL_WORKERS) cannot keep up.",
    unit: "short",
    targets: [{ expr: `archctl_workqueue_depth{${SEL}}`, legendFormat: "{{pod}}" }],
  },
  {
    title: "API writes per second by kind",
    description:
      "archctl_api_writes_total: applies, creates, patches and deletes the reconciles send. Steady writes with no spec change point at drift (someone edits children by hand) or a flapping object.",
    unit: "ops",
    targets: [
      {
        expr: `sum by (kind) (rate(archctl_api_writes_total{${SEL}}[$__rate_interval]))`,
        legendFormat: "{{kind}}",
      },
    ],
  },
  {
    title: "Leader",
    description:
      "archctl_leader: 1 on the replica holding the Lease archctl-operator. Exactly one replica should show 1; none means nobody reconciles.",
    unit: "short",
    targets: [{ expr: `archctl_leader{${SEL}}`, legendFormat: "{{pod}}" }],
  },
  {
    title: "Watch restarts and relists",
    description:
      "Over 15 minutes, by resource: archctl_watch_restarts_total, watches restarted after an error (RBAC, network, API server restarts); archctl_watch_relists_total, full relists after the first list (410 Gone: a watch could not resume, so the whole kind was read again).",
    unit: "short",
    targets: [
      {
        expr: `sum by (resource) (increase(archctl_watch_restarts_total{${SEL}}[15m]))`,
        legendFormat: "restarts {{resource}}",
      },
      {
        expr: `sum by (resource) (increase(archctl_watch_relists_total{${SEL}}[15m]))`,
        legendFormat: "relists {{resource}}",
      },
    ],
  },
  {
    title: "API requests per second by status code",
    description:
      "archctl_api_requests_total: 403 means a missing RBAC rule, 409 conflicts, 0 no answer.",
    unit: "reqps",
    targets: [
      {
        expr: `sum by (code) (rate(archctl_api_requests_total{${SEL}}[$__rate_interval]))`,
        legendFormat: "{{code}}",
      },
    ],
  },
  {
    title: "Queue wait (p99)",
    description: "archctl_workqueue_wait_seconds: how long a key waited before a worker took it.",
    unit: "s",
    targets: [
      {
        expr: `histogram_quantile(0.99, sum by (le) (rate(archctl_workqueue_wait_seconds_bucket{${SEL}}[$__rate_interval])))`,
        legendFormat: "p99",
      },
    ],
  },
  {
    title: "Memory (resident)",
    description: "process_resident_memory_bytes of each replica.",
    unit: "bytes",
    targets: [
      {
        expr: `process_resident_memory_bytes{${SEL},container="operator"}`,
        legendFormat: "{{pod}}",
      },
    ],
  },
];

export const OPERATOR_DASHBOARD_UID = "archctl-operator";

export function operatorDashboard(): Record<string, unknown> {
  return grafanaDashboard({
    uid: OPERATOR_DASHBOARD_UID,
    title: "archctl / operator",
    description: "The archctl operator: reconciles, queue, API writes, leadership, watches.",
    tags: ["archctl", "operator"],
    variables: [
      {
        name: "namespace",
        label: "Namespace",
        type: "query",
        datasource: DATASOURCE,
        query: { query: "label_values(archctl_leader, namespace)", refId: "namespace" },
        definition: "label_values(archctl_leader, namespace)",
        refresh: 2,
        includeAll: true,
        multi: false,
        current: {},
        hide: 0,
      },
    ],
    panels: PANELS,
  });
}

/** The exact bytes of charts/archctl/dashboards/operator.json. */
export function operatorDashboardJson(): string {
  return `${JSON.stringify(operatorDashboard(), null, 2)}\n`;
}
