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

test("one policy per component (workers and crons included) and per Milvus part", () => {
  const { objects } = renderNetworkPolicies(ctxOf(spec));
  assert.deepEqual(
    objects.map((o) => o.metadata.name),
    [
      "shop-admin",
      "shop-api",
      "shop-cache",
      "shop-db",
      "shop-idle",
      "shop-report",
      "shop-vectors",
      "shop-vectors-etcd",
      "shop-vectors-minio",
      "shop-worker",
    ],
  );
  for (const o of objects) {
    assert.equal(o.apiVersion, "networking.k8s.io/v1");
    assert.equal(o.kind, "NetworkPolicy");
    assert.deepEqual((o.spec as Json).policyTypes, ["Ingress", "Egress"]);
  }
});

test("workers, crons and unreached services accept no connection at all", () => {
  const { objects } = renderNetworkPolicies(ctxOf(spec));
  for (const name of ["shop-worker", "shop-report", "shop-admin"])
    assert.deepEqual((find(objects, "NetworkPolicy", name) as Json).spec.ingress, [], name);
});

const DNS = {
  to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};

test("egress: DNS, the components a pod uses on their ports, and its declared CIDRs", () => {
  const withEgress: ArchitectureSpec = {
    ...spec,
    components: spec.components.map((c) =>
      c.name === "worker"
        ? { ...c, egress: [{ cidr: "203.0.113.0/24", ports: [443] }, { cidr: "198.51.100.7" }] }
        : c,
    ),
  };
  const { objects } = renderNetworkPolicies(ctxOf(withEgress));
  const api = find(objects, "NetworkPolicy", "shop-api") as Json;
  assert.deepEqual(api.spec.egress, [
    DNS,
    { to: [pods("cache")], ports: tcp(6379) },
    { to: [pods("db")], ports: tcp(5432) },
  ]);
  const admin = find(objects, "NetworkPolicy", "shop-admin") as Json;
  assert.deepEqual(admin.spec.egress[1], { to: [pods("api")], ports: tcp(3000) });
  const worker = find(objects, "NetworkPolicy", "shop-worker") as Json;
  assert.deepEqual(worker.spec.egress, [
    DNS,
    { to: [pods("cache")], ports: tcp(6379) },
    { to: [{ ipBlock: { cidr: "203.0.113.0/24" } }], ports: tcp(443) },
    { to: [{ ipBlock: { cidr: "198.51.100.7/32" } }] },
  ]);
  const db = find(objects, "NetworkPolicy", "shop-db") as Json;
  assert.deepEqual(db.spec.egress, [DNS, { to: [pods("db")] }]);
  const vectors = find(objects, "NetworkPolicy", "shop-vectors") as Json;
  assert.equal(vectors.spec.egress.length, 4, "DNS, itself, etcd and MinIO");
});

test("egress: a backup to S3 may reach its endpoint's port anywhere, nothing more", () => {
  const s3: ArchitectureSpec = {
    ...spec,
    backups: [
      {
        component: "db",
        schedule: "0 3 * * *",
        s3: { bucket: "backups", endpoint: "http://minio.example:9000", credentialsSecret: "s3" },
      },
    ],
  };
  const db = find(renderNetworkPolicies(ctxOf(s3)).objects, "NetworkPolicy", "shop-db") as Json;
  assert.deepEqual(db.spec.egress.at(-1), {
    to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }],
    ports: tcp(9000),
  });
});

test("networkPolicy.egress: false leaves egress open (ingress policies only)", () => {
  const { objects } = renderNetworkPolicies(ctxOf({ ...spec, networkPolicy: { egress: false } }));
  assert.equal(objects.length, 10);
  for (const o of objects) {
    assert.deepEqual((o.spec as Json).policyTypes, ["Ingress"]);
    assert.equal((o.spec as Json).egress, undefined);
  }
});

test("provider gateway: routed services accept the Envoy Gateway proxies' namespace", () => {
  const gw: ArchitectureSpec = {
    ...spec,
    ingress: {
      provider: "gateway",
      gateway: { name: "edge", namespace: "infra" },
      hosts: [{ host: "shop.example.com", routes: [{ path: "/", component: "api" }] }],
    },
  };
  const api = find(renderNetworkPolicies(ctxOf(gw)).objects, "NetworkPolicy", "shop-api") as Json;
  assert.deepEqual(api.spec.ingress[0].from[0], {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } },
  });
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
