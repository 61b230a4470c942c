import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { containerResources, gpuScheduling } from "../../../operator/render/gpu.ts";
import { comp, ctxOf } from "./app-fixtures.ts";

const spec: ArchitectureSpec = {
  gpuPools: [
    { name: "a100" },
    {
      name: "l4",
      nodeSelector: { "pool.example.com/name": "l4", "cloud.example.com/accelerator": "nvidia-l4" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
      resourceName: "nvidia.com/mig-1g.10gb",
    },
  ],
  components: [
    { name: "embedder", type: "worker", image: "ex/embedder:1", gpu: { pool: "a100", count: 2 } },
    { name: "tagger", type: "job", image: "ex/tagger:1", gpu: { pool: "l4", count: 1 } },
    { name: "api", type: "service", image: "ex/api:1" },
  ],
};

test("a GPU component gets its pool's default node selector, toleration and resource", () => {
  const ctx = ctxOf(spec);
  const g = gpuScheduling(ctx, comp(ctx, "embedder"));
  assert.deepEqual(g.pod, {
    nodeSelector: { "nvidia.com/gpu.present": "true" },
    tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
  });
  assert.deepEqual(g.resources, { "nvidia.com/gpu": "2" });
});

test("a custom pool's labels (sorted), tolerations and resource name are used", () => {
  const ctx = ctxOf(spec);
  const g = gpuScheduling(ctx, comp(ctx, "tagger"));
  assert.deepEqual(Object.keys(g.pod.nodeSelector ?? {}), [
    "cloud.example.com/accelerator",
    "pool.example.com/name",
  ]);
  assert.deepEqual(g.pod.tolerations, [
    { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" },
  ]);
  assert.deepEqual(g.resources, { "nvidia.com/mig-1g.10gb": "1" });
});

test("GPUs go in both requests and limits, next to CPU and memory", () => {
  const ctx = ctxOf(spec);
  assert.deepEqual(containerResources(ctx, comp(ctx, "embedder")), {
    requests: {
      cpu: "100m",
      memory: "128Mi",
      "ephemeral-storage": "256Mi",
      "nvidia.com/gpu": "2",
    },
    limits: { memory: "128Mi", "nvidia.com/gpu": "2" },
  });
});

test("a component without gpu gets no placement and no extended resource", () => {
  const ctx = ctxOf(spec);
  const api = comp(ctx, "api");
  assert.deepEqual(gpuScheduling(ctx, api), { pod: {}, resources: {} });
  assert.deepEqual(containerResources(ctx, api), {
    requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "256Mi" },
    limits: { memory: "128Mi" },
  });
});
