import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { renderAutoscaling } from "../../../operator/render/autoscaling.ts";
import { ctxOf, find, type Json } from "./app-fixtures.ts";

const NO_KEDA = { keda: false, serviceMonitors: true };

const spec: ArchitectureSpec = {
  components: [
    { name: "api", type: "service", image: "ex/api:1" },
    { name: "cache", type: "redis" },
    { name: "mq", type: "rabbitmq" },
    { name: "bus", type: "kafka" },
    { name: "worker", type: "worker", image: "ex/w:1", uses: ["cache"] },
    { name: "relay", type: "worker", image: "ex/r:1", uses: ["mq"] },
    { name: "engine", type: "worker", image: "ex/e:1", uses: ["bus"] },
  ],
  autoscaling: [
    {
      component: "api",
      minReplicas: 2,
      maxReplicas: 20,
      targetCPUUtilization: 65,
      targetMemoryUtilization: 80,
    },
    {
      component: "worker",
      minReplicas: 0,
      maxReplicas: 10,
      targetCPUUtilization: 75,
      queue: { component: "cache", name: "jobs", targetLength: 5 },
    },
    {
      component: "relay",
      minReplicas: 1,
      maxReplicas: 4,
      queue: { component: "mq", name: "events", targetLength: 100 },
    },
    {
      component: "engine",
      minReplicas: 1,
      maxReplicas: 6,
      queue: { component: "bus", name: "orders", consumerGroup: "engine", targetLength: 50 },
    },
  ],
};

test("CPU/memory autoscaling: an autoscaling/v2 HPA with utilization metrics and behavior", () => {
  const { objects, notices = [] } = renderAutoscaling(ctxOf(spec));
  assert.deepEqual(notices, []);
  const hpa = find(objects, "HorizontalPodAutoscaler", "shop-api") as Json;
  assert.equal(hpa.apiVersion, "autoscaling/v2");
  assert.deepEqual(hpa.spec.scaleTargetRef, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "shop-api",
  });
  assert.equal(hpa.spec.minReplicas, 2);
  assert.equal(hpa.spec.maxReplicas, 20);
  assert.deepEqual(hpa.spec.metrics, [
    {
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 65 } },
    },
    {
      type: "Resource",
      resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } },
    },
  ]);
  assert.equal(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds, 300);
  assert.equal(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds, 0);
  // No queue entry with KEDA gets an HPA of its own: KEDA makes it.
  assert.deepEqual(
    objects.filter((o) => o.kind === "HorizontalPodAutoscaler").map((o) => o.metadata.name),
    ["shop-api"],
  );
});

test("redis queue with KEDA: ScaledObject with a redis-list trigger, password via TriggerAuthentication", () => {
  const { objects } = renderAutoscaling(ctxOf(spec));
  const so = find(objects, "ScaledObject", "shop-worker") as Json;
  assert.equal(so.apiVersion, "keda.sh/v1alpha1");
  assert.deepEqual(so.spec.scaleTargetRef, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "shop-worker",
  });
  assert.equal(so.spec.minReplicaCount, 0);
  assert.equal(so.spec.maxReplicaCount, 10);
  assert.equal(
    so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds,
    300,
  );
  assert.deepEqual(so.spec.triggers, [
    {
      type: "redis",
      metadata: { address: "shop-cache.prod.svc:6379", listName: "jobs", listLength: "5" },
      authenticationRef: { name: "shop-worker-queue" },
    },
    { type: "cpu", metricType: "Utilization", metadata: { value: "75" } },
  ]);
  const auth = find(objects, "TriggerAuthentication", "shop-worker-queue") as Json;
  assert.deepEqual(auth.spec.secretTargetRef, [
    { parameter: "password", name: "shop-cache-credentials", key: "password" },
  ]);
});

test("rabbitmq queue with KEDA: QueueLength trigger, host from the Secret's url", () => {
  const { objects } = renderAutoscaling(ctxOf(spec));
  const so = find(objects, "ScaledObject", "shop-relay") as Json;
  assert.deepEqual(so.spec.triggers, [
    {
      type: "rabbitmq",
      metadata: { protocol: "amqp", queueName: "events", mode: "QueueLength", value: "100" },
      authenticationRef: { name: "shop-relay-queue" },
    },
  ]);
  const auth = find(objects, "TriggerAuthentication", "shop-relay-queue") as Json;
  assert.deepEqual(auth.spec.secretTargetRef, [
    { parameter: "host", name: "shop-mq-credentials", key: "url" },
  ]);
});

test("kafka queue with KEDA: lag trigger, no credentials", () => {
  const { objects } = renderAutoscaling(ctxOf(spec));
  const so = find(objects, "ScaledObject", "shop-engine") as Json;
  assert.deepEqual(so.spec.triggers, [
    {
      type: "kafka",
      metadata: {
        bootstrapServers: "shop-bus.prod.svc:9092",
        consumerGroup: "engine",
        topic: "orders",
        lagThreshold: "50",
      },
    },
  ]);
  assert.equal(
    objects.some((o) => o.metadata.name === "shop-engine-queue"),
    false,
  );
});

test("without KEDA: a CPU HPA (default 70%, at least one replica) and a KedaMissing notice per queue entry", () => {
  const { objects, notices = [] } = renderAutoscaling(ctxOf(spec, NO_KEDA));
  assert.equal(
    objects.some((o) => o.apiVersion.startsWith("keda.sh")),
    false,
  );
  assert.deepEqual(
    notices.map((n) => [n.component, n.reason]),
    [
      ["engine", "KedaMissing"],
      ["relay", "KedaMissing"],
      ["worker", "KedaMissing"],
    ],
  );
  for (const n of notices) assert.ok(n.message.includes("KEDA"));
  const worker = find(objects, "HorizontalPodAutoscaler", "shop-worker") as Json;
  assert.equal(worker.spec.minReplicas, 1);
  assert.deepEqual(worker.spec.metrics, [
    {
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 75 } },
    },
  ]);
  const relay = find(objects, "HorizontalPodAutoscaler", "shop-relay") as Json;
  assert.deepEqual(relay.spec.metrics, [
    {
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
    },
  ]);
});

test("no autoscaling entries: nothing", () => {
  const { objects, notices } = renderAutoscaling(
    ctxOf({ components: [{ name: "api", type: "service", image: "ex/api:1" }] }),
  );
  assert.deepEqual(objects, []);
  assert.deepEqual(notices, []);
});
