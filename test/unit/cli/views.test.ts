// The pure views behind graph and estimate.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { estimate, formatBytes, parseQuantity, podAmounts } from "../../../cli/views/estimate.ts";
import { buildGraph, toDot, toMermaid, toText } from "../../../cli/views/graph.ts";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";

const ARCH: Architecture = {
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "demo" },
  spec: {
    components: [
      { name: "api", type: "service", image: "x/api:1", uses: ["db"] },
      { name: "work", type: "worker", image: "x/w:1", uses: ["q"], gpu: { pool: "gpu", count: 2 } },
      { name: "tick", type: "cron", image: "x/t:1", schedule: "*/5 * * * *" },
      { name: "db", type: "postgres" },
      { name: "q", type: "redis" },
    ],
    ingress: {
      hosts: [{ host: "demo.example.com", routes: [{ path: "/", component: "api" }] }],
      rateLimit: { rpm: 60 },
    },
    gpuPools: [{ name: "gpu" }],
    autoscaling: [
      {
        component: "work",
        minReplicas: 0,
        maxReplicas: 4,
        queue: { component: "q", name: "jobs", targetLength: 10 },
      },
    ],
    backups: [{ component: "db", schedule: "0 3 * * *" }],
  },
};

describe("graph", () => {
  const g = buildGraph(applyDefaults(ARCH));
  test("nodes and edges", () => {
    assert.deepEqual(
      g.nodes.map((n) => `${n.kind}:${n.label}`),
      [
        "host:http://demo.example.com",
        "app:api",
        "app:work",
        "app:tick",
        "datastore:db",
        "datastore:q",
        "gpuPool:GPU pool gpu",
        "backup:backup db",
      ],
    );
    assert.deepEqual(
      g.edges.map((e) => `${e.from}-${e.kind}->${e.to}`),
      [
        "host_demo_example_com-route->c_api",
        "c_api-uses->c_db",
        "c_work-uses->c_q",
        "c_work-runsOn->pool_gpu",
        "c_q-scalesOn->c_work",
        "c_db-backup->backup_db",
      ],
    );
  });
  test("renderings are deterministic and mention the essentials", () => {
    assert.equal(toMermaid(g), toMermaid(buildGraph(applyDefaults(ARCH))));
    assert.match(toText(g), /limit 60 rpm per IP/);
    assert.match(toText(g), /tick {2}cron, cron '\*\/5 \* \* \* \*'/);
    assert.match(toDot(g), /c_db \[shape=cylinder/);
    assert.match(toMermaid(g), /c_db\[\("db/);
  });
});

describe("estimate", () => {
  test("quantities", () => {
    assert.equal(parseQuantity("250m"), 0.25);
    assert.equal(parseQuantity("2"), 2);
    assert.equal(parseQuantity("1Gi"), 2 ** 30);
    assert.equal(parseQuantity("1G"), 1e9);
    assert.equal(parseQuantity(3), 3);
    assert.equal(formatBytes(1.5 * 2 ** 30), "1.5Gi");
  });

  test("a pod is the sum of its containers and sidecars, or its largest init container", () => {
    const pod = podAmounts({
      containers: [
        { resources: { requests: { cpu: "500m", memory: "1Gi" } } },
        { resources: { limits: { cpu: "100m", memory: "64Mi", "nvidia.com/gpu": 1 } } },
      ],
      initContainers: [{ resources: { requests: { cpu: "2", memory: "10Mi" } } }],
    });
    assert.deepEqual(pod, { cpu: 2, memory: 2 ** 30 + 64 * 2 ** 20, gpu: 1 });
  });

  test("replicas from HPA and ScaledObject; jobs count only at max; storage from claims", () => {
    const container = { resources: { requests: { cpu: "1", memory: "1Gi" } } };
    const labels = (c: string) => ({ "app.kubernetes.io/component": c });
    const e = estimate({
      types: { api: "service", db: "postgres", tick: "cron" },
      autoscaling: [],
      objects: [
        {
          kind: "Deployment",
          metadata: { name: "d-api", labels: labels("api") },
          spec: { template: { spec: { containers: [container] } } },
        },
        {
          kind: "HorizontalPodAutoscaler",
          metadata: { name: "d-api", labels: labels("api") },
          spec: { scaleTargetRef: { name: "d-api" }, minReplicas: 2, maxReplicas: 5 },
        },
        {
          kind: "StatefulSet",
          metadata: { name: "d-db", labels: labels("db") },
          spec: {
            replicas: 1,
            template: { spec: { containers: [container, container] } },
            volumeClaimTemplates: [{ spec: { resources: { requests: { storage: "10Gi" } } } }],
          },
        },
        {
          kind: "CronJob",
          metadata: { name: "d-tick", labels: labels("tick") },
          spec: { jobTemplate: { spec: { template: { spec: { containers: [container] } } } } },
        },
        {
          kind: "PersistentVolumeClaim",
          metadata: { name: "d-db-backup", labels: labels("db") },
          spec: { resources: { requests: { storage: "20Gi" } } },
        },
      ],
    });
    assert.deepEqual(
      e.components.map((c) => [c.component, c.replicas.min, c.replicas.max, c.min.cpu, c.max.cpu]),
      [
        ["api", 2, 5, 2, 5],
        ["db", 1, 1, 2, 2],
        ["tick", 0, 1, 0, 1],
      ],
    );
    assert.equal(e.components[1]?.storage, 30 * 2 ** 30);
    assert.deepEqual([e.total.min.cpu, e.total.max.cpu], [4, 8]);
  });
});
