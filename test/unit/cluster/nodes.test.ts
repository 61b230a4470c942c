// The simulated nodes of the kwok tier: names and counts from the options,
// the GPU pool's labels, taint and capacity, and what kubectl needs to accept
// a Node object.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DEFAULT_NODES,
  GPU_PRESENT_LABEL,
  GPU_PRODUCT_LABEL,
  GPU_RESOURCE,
  GPU_TAINT,
  type Manifest,
  SIMULATED_NODE_LABEL,
  simulatedNodes,
  simulatedNodesList,
} from "../../cluster/nodes.ts";

const names = (ms: Manifest[]) => ms.map((m) => m.metadata.name as string);
const gpu = (ms: Manifest[]) => ms.filter((m) => m.metadata.labels[GPU_PRESENT_LABEL] === "true");
const workers = (ms: Manifest[]) =>
  ms.filter((m) => m.metadata.labels[GPU_PRESENT_LABEL] !== "true");

describe("simulatedNodes", () => {
  test("defaults: three workers and a GPU pool of two", () => {
    assert.deepEqual(names(simulatedNodes()), [
      "kwok-worker-0",
      "kwok-worker-1",
      "kwok-worker-2",
      "kwok-gpu-0",
      "kwok-gpu-1",
    ]);
  });

  test("counts come from the options (zero included)", () => {
    assert.deepEqual(names(simulatedNodes({ workers: 1, gpuNodes: 4 })), [
      "kwok-worker-0",
      "kwok-gpu-0",
      "kwok-gpu-1",
      "kwok-gpu-2",
      "kwok-gpu-3",
    ]);
    assert.deepEqual(names(simulatedNodes({ workers: 2, gpuNodes: 0 })), [
      "kwok-worker-0",
      "kwok-worker-1",
    ]);
    assert.deepEqual(simulatedNodes({ workers: 0, gpuNodes: 0 }), []);
  });

  test("GPU nodes: labels, the nvidia.com/gpu=present:NoSchedule taint and nvidia.com/gpu capacity", () => {
    const pool = gpu(simulatedNodes());
    assert.equal(pool.length, 2);
    for (const n of pool) {
      assert.equal(n.metadata.labels[GPU_PRESENT_LABEL], "true");
      assert.equal(n.metadata.labels[GPU_PRODUCT_LABEL], "NVIDIA-A100-SXM4-80GB");
      assert.equal(n.metadata.labels["nvidia.com/gpu.count"], "8");
      assert.equal(n.metadata.labels["archctl.io/pool"], "gpu");
      assert.deepEqual(n.spec.taints, [
        { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
      ]);
      // Extended resources are quantities: strings in the Node object.
      assert.equal(n.status.capacity[GPU_RESOURCE], "8");
      assert.equal(n.status.allocatable[GPU_RESOURCE], "8");
    }
  });

  test("GPU count per node and product follow the options", () => {
    const pool = gpu(simulatedNodes({ gpuNodes: 1, gpusPerNode: 4, gpuProduct: "NVIDIA-H100" }));
    assert.equal(pool.length, 1);
    const [n] = pool;
    assert.equal(n?.status.capacity[GPU_RESOURCE], "4");
    assert.equal(n?.metadata.labels["nvidia.com/gpu.count"], "4");
    assert.equal(n?.metadata.labels[GPU_PRODUCT_LABEL], "NVIDIA-H100");
  });

  test("workers: no taint, no GPU capacity, general pool, sizes from the options", () => {
    const ws = workers(simulatedNodes({ cpu: "8", memory: "16Gi", pods: "50" }));
    assert.equal(ws.length, DEFAULT_NODES.workers);
    for (const n of ws) {
      assert.equal(n.spec.taints, undefined);
      assert.equal(n.status.capacity[GPU_RESOURCE], undefined);
      assert.equal(n.metadata.labels[GPU_PRODUCT_LABEL], undefined);
      assert.equal(n.metadata.labels["archctl.io/pool"], "general");
      assert.deepEqual(n.status.capacity, {
        cpu: "8",
        memory: "16Gi",
        pods: "50",
        "ephemeral-storage": "200Gi",
      });
      assert.match(n.metadata.labels["topology.kubernetes.io/zone"] ?? "", /^zone-[abc]$/);
      assert.deepEqual(n.status.allocatable, n.status.capacity);
    }
  });

  test("every node is marked simulated, fake for kwok, and complete enough for kubectl", () => {
    for (const n of simulatedNodes()) {
      assert.equal(n.apiVersion, "v1");
      assert.equal(n.kind, "Node");
      assert.equal(n.metadata.labels[SIMULATED_NODE_LABEL], "true");
      assert.equal(n.metadata.labels["kubernetes.io/hostname"], n.metadata.name);
      assert.equal(n.metadata.annotations["kwok.x-k8s.io/node"], "fake");
      // kubectl's client-side validation refuses a nodeInfo without these.
      for (const f of [
        "machineID",
        "systemUUID",
        "bootID",
        "kernelVersion",
        "osImage",
        "containerRuntimeVersion",
        "kubeletVersion",
        "kubeProxyVersion",
        "operatingSystem",
        "architecture",
      ])
        assert.equal(typeof n.status.nodeInfo[f], "string", `${n.metadata.name}: nodeInfo.${f}`);
    }
  });

  test("each node has its own taint object (the shared constant is never aliased)", () => {
    const [a, b] = gpu(simulatedNodes());
    assert.ok(a && b);
    a.spec.taints[0].value = "changed";
    assert.equal(b.spec.taints[0].value, "present");
    assert.equal(GPU_TAINT.value, "present");
  });

  test("counts that are not whole numbers >= 0 are refused, not turned into zero nodes", () => {
    for (const bad of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
      assert.throws(() => simulatedNodes({ workers: bad }), /workers must be a whole number/);
      assert.throws(() => simulatedNodes({ gpuNodes: bad }), /gpuNodes must be a whole number/);
      assert.throws(
        () => simulatedNodes({ gpusPerNode: bad }),
        /gpusPerNode must be a whole number/,
      );
    }
  });

  test("simulatedNodesList wraps the same nodes in a v1 List", () => {
    const list = simulatedNodesList({ workers: 1, gpuNodes: 1 });
    assert.equal(list.kind, "List");
    assert.equal(list.apiVersion, "v1");
    assert.deepEqual(list.items, simulatedNodes({ workers: 1, gpuNodes: 1 }));
  });
});
