import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { renderNetworkPolicies } from "../../../operator/render/network-policy.ts";
import { ctxOf, find, type Json } from "./app-fixtures.ts";

const NO_KEDA = { keda: false, serviceMonitors: true };
const pods = (component: string, extra: Record<string, string> = {}) => ({
  podSelector: {
    matchLabels: {
      "app.kubernetes.io/instance": `shop-${component}`,
      "archctl.io/architecture": "shop",
      ...extra,
    },
  },
});
const tcp = (port: number) => [{ protocol: "TCP", port }];

const spec: ArchitectureSpec = {
  components: [
    { name: "api", type: "service", image: "ex/api:1", port: 3000, uses: ["db", "cache"] },
    { name: "admin", type: "service", image: "ex/admin:1", uses: ["db", "api"] },
    { name: "worker", type: "worker", image: "ex/w:1", uses: ["cache"] },
    { name: "report", type: "cron", image: "ex/r:1", schedule: "0 * * * *", uses: ["db"] },
    { name: "db", type: "postgres" },
    { name: "cache", type: "redis" },
    { name: "idle", type: "mysql" },
    { name: "vectors", type: "milvus" },
  ],
  ingress: { hosts: [{ host: "shop.example.com", routes: [{ path: "/", component: "api" }] }] },
  autoscaling: [
    {
      component: "worker",
      minReplicas: 1,
      maxReplicas: 5,
      queue: { component: "cache", name: "jobs", targetLength: 10 },
    },
  ],
  backups: [{ component: "db", schedule: "0 3 * * *" }],
};

test("one policy per datastore and per routed service; none for unrouted apps", () => {
  const { objects } = renderNetworkPolicies(ctxOf(spec));
  assert.deepEqual(
    objects.map((o) => o.metadata.name),
    [
      "shop-api",
      "shop-cache",
      "shop-db",
      "shop-idle",
      "shop-vectors",
      "shop-vectors-etcd",
      "shop-vectors-minio",
    ],
  );
  for (const o of objects) {
    assert.equal(o.apiVersion, "networking.k8s.io/v1");
    assert.equal(o.kind, "NetworkPolicy");
    assert.deepEqual((o.spec as Json).policyTypes, ["Ingress"]);
  }
});

test("a datastore accepts exactly its users on the client port, its own pods, its backup and metrics", () => {
  const db = find(renderNetworkPolicies(ctxOf(spec)).objects, "NetworkPolicy", "shop-db") as Json;
  assert.deepEqual(db.spec.podSelector.matchLabels, {
    "app.kubernetes.io/instance": "shop-db",
    "archctl.io/architecture": "shop",
  });
  assert.deepEqual(db.spec.ingress, [
    { from: [pods("db")] },
    { from: [pods("admin"), pods("api"), pods("report")], ports: tcp(5432) },
    { from: [pods("db", { "archctl.io/role": "backup" })], ports: tcp(5432) },
    { from: [{ namespaceSelector: {} }], ports: tcp(9187) },
  ]);
});

test("a queue read by KEDA also accepts the keda namespace; not without KEDA", () => {
  const cache = find(
    renderNetworkPolicies(ctxOf(spec)).objects,
    "NetworkPolicy",
    "shop-cache",
  ) as Json;
  assert.deepEqual(cache.spec.ingress, [
    { from: [pods("cache")] },
    { from: [pods("api"), pods("worker")], ports: tcp(6379) },
    {
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } } }],
      ports: tcp(6379),
    },
    { from: [{ namespaceSelector: {} }], ports: tcp(9121) },
  ]);
  const noKeda = find(
    renderNetworkPolicies(ctxOf(spec, NO_KEDA)).objects,
    "NetworkPolicy",
    "shop-cache",
  ) as Json;
  assert.equal(noKeda.spec.ingress.length, 3);
});

test("an unused datastore accepts only its own pods and metrics scrapes", () => {
  const idle = find(
    renderNetworkPolicies(ctxOf(spec)).objects,
    "NetworkPolicy",
    "shop-idle",
  ) as Json;
  assert.deepEqual(idle.spec.ingress, [
    { from: [pods("idle")] },
    { from: [{ namespaceSelector: {} }], ports: tcp(9104) },
  ]);
});

test("milvus' etcd and MinIO accept only milvus and their own pods", () => {
  const etcd = find(
    renderNetworkPolicies(ctxOf(spec)).objects,
    "NetworkPolicy",
    "shop-vectors-etcd",
  ) as Json;
  const self = {
    "app.kubernetes.io/instance": "shop-vectors-etcd",
    "archctl.io/architecture": "shop",
  };
  assert.deepEqual(etcd.spec.podSelector.matchLabels, self);
  assert.deepEqual(etcd.spec.ingress, [
    { from: [{ podSelector: { matchLabels: self } }, pods("vectors")] },
  ]);
  assert.equal(etcd.metadata.labels["app.kubernetes.io/instance"], "shop-vectors-etcd");
});

test("a routed service accepts the ingress controller's namespace and its users on the container port", () => {
  const custom = { ...spec, networkPolicy: { ingressNamespace: "edge" } };
  const api = find(
    renderNetworkPolicies(ctxOf(custom)).objects,
    "NetworkPolicy",
    "shop-api",
  ) as Json;
  assert.deepEqual(api.spec.podSelector.matchLabels, {
    "app.kubernetes.io/instance": "shop-api",
    "archctl.io/architecture": "shop",
  });
  assert.deepEqual(api.spec.ingress, [
    {
      from: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } } },
        pods("admin"),
      ],
      ports: tcp(3000),
    },
  ]);
});

test("disabled: no policies", () => {
  assert.deepEqual(
    renderNetworkPolicies(ctxOf({ ...spec, networkPolicy: { enabled: false } })).objects,
    [],
  );
});
