import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { renderWorker } from "../../../operator/render/components/worker.ts";
import { assertRestricted, comp, ctxOf, find, type Json } from "./app-fixtures.ts";

const spec: ArchitectureSpec = {
  gpuPools: [{ name: "gpu" }],
  components: [
    { name: "queue", type: "redis" },
    {
      name: "worker",
      type: "worker",
      image: "ex/worker:1",
      uses: ["queue"],
      gpu: { pool: "gpu", count: 1 },
    },
    { name: "scheduler", type: "worker", image: "ex/sched:1", singleton: true },
    { name: "mailer", type: "worker", image: "ex/mailer:1", replicas: 3 },
    { name: "single", type: "worker", image: "ex/single:1" },
  ],
  autoscaling: [
    {
      component: "worker",
      minReplicas: 0,
      maxReplicas: 8,
      queue: { component: "queue", name: "jobs", targetLength: 5 },
    },
  ],
};

function renderOf(name: string) {
  const ctx = ctxOf(spec);
  return renderWorker(comp(ctx, name), ctx).objects;
}

test("worker: Deployment only, no Service, restricted pod, no ports or probes", () => {
  const objects = renderOf("mailer");
  assert.deepEqual(objects.map((o) => o.kind).sort(), ["Deployment", "PodDisruptionBudget"]);
  const d = find(objects, "Deployment", "shop-mailer") as Json;
  assert.equal(d.spec.replicas, 3);
  assert.deepEqual(d.spec.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" },
  });
  const pod = d.spec.template.spec;
  assertRestricted(pod);
  assert.equal(pod.containers[0].ports, undefined);
  assert.equal(pod.containers[0].readinessProbe, undefined);
  assert.equal(pod.nodeSelector, undefined);
  assert.equal(pod.tolerations, undefined);
  assert.equal(pod.containers[0].resources.limits["nvidia.com/gpu"], undefined);
});

test("singleton: one replica, Recreate, no PDB, no spreading", () => {
  const objects = renderOf("scheduler");
  assert.deepEqual(
    objects.map((o) => o.kind),
    ["Deployment"],
  );
  const d = objects[0] as Json;
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: "Recreate" });
  assert.equal(d.spec.template.spec.topologySpreadConstraints, undefined);
});

test("a single-replica worker gets no PDB (it would block every drain)", () => {
  assert.deepEqual(
    renderOf("single").map((o) => o.kind),
    ["Deployment"],
  );
});

test("GPU worker: pool placement, GPU limits, autoscaled so no replicas, replaced without surge", () => {
  const objects = renderOf("worker");
  const d = find(objects, "Deployment", "shop-worker") as Json;
  assert.equal("replicas" in d.spec, false);
  assert.deepEqual(d.spec.strategy.rollingUpdate, { maxUnavailable: 1, maxSurge: 0 });
  const pod = d.spec.template.spec;
  assertRestricted(pod);
  assert.deepEqual(pod.nodeSelector, { "nvidia.com/gpu.present": "true" });
  assert.deepEqual(pod.tolerations, [
    { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
  ]);
  assert.equal(pod.containers[0].resources.limits["nvidia.com/gpu"], "1");
  assert.equal(pod.containers[0].resources.requests["nvidia.com/gpu"], "1");
  const env = pod.containers[0].env;
  assert.deepEqual(env.find((e: Json) => e.name === "QUEUE_PASSWORD").valueFrom.secretKeyRef, {
    name: "shop-queue-credentials",
    key: "password",
  });
  find(objects, "PodDisruptionBudget", "shop-worker");
});
