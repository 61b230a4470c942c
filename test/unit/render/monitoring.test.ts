import assert from "node:assert/strict";
import { test } from "node:test";
import { renderMonitoring } from "../../../operator/render/monitoring.ts";
import { ctxOf, find, type Json, type Spec } from "./datastore-helpers.ts";

const SPEC: Spec = {
  components: [
    { name: "api", type: "service", image: "example/api:1", uses: ["db", "cache"] },
    { name: "worker", type: "worker", image: "example/worker:1", gpu: { pool: "a100", count: 1 } },
    { name: "db", type: "mysql" },
    { name: "cache", type: "redis" },
    { name: "bus", type: "kafka" },
  ],
  gpuPools: [{ name: "a100" }],
  autoscaling: [{ component: "api", minReplicas: 2, maxReplicas: 10, targetCPUUtilization: 70 }],
  ingress: {
    hosts: [{ host: "shop.example.com", routes: [{ path: "/", component: "api" }] }],
    rateLimit: { rps: 10 },
  },
  monitoring: { release: "prom", interval: "15s" },
};

function render(spec: Spec = SPEC, serviceMonitors = true) {
  const r = renderMonitoring(ctxOf(spec, { keda: true, serviceMonitors }));
  return { objects: r.objects, notices: r.notices ?? [] };
}

function dashboardOf(objects: Json[]): Json {
  const cm = find(objects, "ConfigMap", "shop-dashboard");
  assert.equal(cm.metadata.labels.grafana_dashboard, "1");
  return JSON.parse(cm.data["shop.json"]);
}

test("a ServiceMonitor per datastore, with the release label, interval and the metrics port", () => {
  const { objects, notices } = render();
  assert.deepEqual(notices, []);
  const monitors = objects.filter((o) => o.kind === "ServiceMonitor");
  assert.deepEqual(
    monitors.map((m) => m.metadata.name),
    ["shop-db", "shop-cache", "shop-bus"],
  );
  const sm: Json = monitors[0];
  assert.equal(sm.apiVersion, "monitoring.coreos.com/v1");
  assert.equal(sm.metadata.labels.release, "prom");
  assert.deepEqual(sm.spec.selector.matchLabels, {
    "app.kubernetes.io/instance": "shop-db",
    "archctl.io/architecture": "shop",
    "archctl.io/metrics": "true",
  });
  assert.deepEqual(sm.spec.namespaceSelector, { matchNames: ["prod"] });
  assert.deepEqual(sm.spec.endpoints, [
    { port: "metrics", path: "/metrics", interval: "15s", scheme: "http" },
  ]);
});

test("default release label is kube-prometheus-stack", () => {
  const { objects } = render({ components: [{ name: "db", type: "postgres" }] });
  assert.equal(
    find(objects, "ServiceMonitor", "shop-db").metadata.labels.release,
    "kube-prometheus-stack",
  );
});

test("no Prometheus Operator: a notice instead of ServiceMonitors", () => {
  const { objects, notices } = render(SPEC, false);
  assert.equal(objects.filter((o) => o.kind === "ServiceMonitor").length, 0);
  assert.equal(notices.length, 1);
  assert.equal(notices[0]?.reason, "PrometheusOperatorMissing");
  // Not asked for: neither ServiceMonitors nor a notice.
  const off = render({ ...SPEC, monitoring: { serviceMonitors: false } }, false);
  assert.deepEqual(off.notices, []);
  assert.equal(off.objects.filter((o) => o.kind === "ServiceMonitor").length, 0);
});

test("dashboard panels fit the components", () => {
  const dash = dashboardOf(render().objects);
  const titles: string[] = dash.panels.map((p: Json) => p.title);
  const exprs: string = dash.panels
    .flatMap((p: Json) => p.targets.map((t: Json) => t.expr))
    .join("\n");
  for (const t of [
    "api: request rate",
    "api: ready replicas",
    "api: CPU",
    "api: memory",
    "worker: CPU",
    "worker: GPU utilisation",
  ]) {
    assert.ok(titles.includes(t), t);
  }
  assert.ok(!titles.includes("worker: request rate"));
  assert.match(
    exprs,
    /mysql_global_status_threads_connected\{namespace="prod", service="shop-db"\}/,
  );
  assert.match(exprs, /redis_connected_clients\{namespace="prod", service="shop-cache"\}/);
  assert.match(exprs, /kafka_consumergroup_lag/);
  assert.match(
    exprs,
    /kube_horizontalpodautoscaler_status_current_replicas\{namespace="prod", horizontalpodautoscaler=~"\(keda-hpa-\)\?shop-api"\}/,
  );
  assert.match(exprs, /DCGM_FI_DEV_GPU_UTIL/);
  assert.match(
    exprs,
    /nginx_ingress_controller_requests\{host=~"shop\\\\\.example\\\\\.com", status="429"\}/,
  );
  assert.match(
    exprs,
    /nginx_ingress_controller_requests\{host=~"shop\\\\\.example\\\\\.com", service="shop-api"\}/,
  );
  assert.match(exprs, /pod=~"shop-api-\(/);
  // Stable, unique ids and a two-column grid.
  assert.deepEqual(
    dash.panels.map((p: Json) => p.id),
    dash.panels.map((_: Json, i: number) => i + 1),
  );
  assert.deepEqual(dash.panels[0].gridPos, { h: 8, w: 12, x: 0, y: 0 });
  assert.deepEqual(dash.panels[3].gridPos, { h: 8, w: 12, x: 12, y: 8 });
});

test("no ingress, GPU or autoscaling panels when the Architecture has none", () => {
  const dash = dashboardOf(
    render({
      components: [
        { name: "api", type: "service", image: "x/y:1" },
        { name: "db", type: "postgres" },
      ],
    }).objects,
  );
  const exprs: string = dash.panels
    .flatMap((p: Json) => p.targets.map((t: Json) => t.expr))
    .join("\n");
  assert.doesNotMatch(exprs, /nginx_ingress|DCGM|horizontalpodautoscaler/);
  assert.match(exprs, /pg_stat_database_numbackends/);
  assert.equal(dash.panels.length, 4);
});

test("every datastore type has its exporter's metric", () => {
  const types = ["mysql", "postgres", "mongodb", "redis", "rabbitmq", "kafka", "milvus"] as const;
  const metrics = [
    "mysql_global_status_threads_connected",
    "pg_stat_database_numbackends",
    "mongodb_connections",
    "redis_connected_clients",
    "rabbitmq_queue_messages_ready",
    "kafka_consumergroup_lag",
    "milvus_proxy_req_count",
  ];
  const dash = dashboardOf(
    render({ components: types.map((type) => ({ name: `s-${type}`, type })) }).objects,
  );
  assert.equal(dash.panels.length, types.length);
  for (const [i, m] of metrics.entries())
    assert.match(dash.panels[i].targets[0].expr, new RegExp(m));
});

test("dashboard disabled: no ConfigMap", () => {
  const { objects } = render({ ...SPEC, monitoring: { dashboard: false } });
  assert.equal(objects.filter((o) => o.kind === "ConfigMap").length, 0);
});

test("monitoring: deterministic, 2-space JSON", () => {
  const a = render().objects;
  assert.equal(JSON.stringify(a), JSON.stringify(render().objects));
  const text: string = find(a, "ConfigMap", "shop-dashboard").data["shop.json"];
  assert.ok(text.startsWith('{\n  "uid": "archctl-'));
});
