// The pod cache keeps only what the status reads, and its index finds a
// component's pods by architecture and component label.
import assert from "node:assert/strict";
import { test } from "node:test";
import { lean } from "../../../operator/runtime/informer.ts";
import type { CachedPod } from "../../../operator/runtime/pod-cache.ts";
import { PodIndex } from "../../../operator/runtime/pod-cache.ts";
import { firstCause } from "../../../operator/status/causes.ts";

/** A Pod as the API server sends it, with the bulk a real one carries. */
function fullPod(name: string, component: string, arch = "shop"): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "ns",
      uid: `uid-${name}`,
      resourceVersion: "42",
      creationTimestamp: "2026-12-02T11:00:00Z",
      generateName: "shop-api-5c7d9-",
      labels: {
        "archctl.io/architecture": arch,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": `${arch}-${component}`,
        "pod-template-hash": "5c7d9",
      },
      annotations: { "archctl.io/config-hash": "abc" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "shop-api-5c7d9",
          uid: "rs",
          controller: true,
        },
      ],
      managedFields: [{ manager: "kube-controller-manager", fieldsV1: { "f:spec": {} } }],
    },
    spec: {
      containers: [
        {
          name: "app",
          image: "ghcr.io/x/api:1",
          env: [{ name: "DB_URL", valueFrom: { secretKeyRef: { name: "s", key: "url" } } }],
          resources: { requests: { cpu: "100m" } },
          readinessProbe: { httpGet: { path: "/healthz", port: 8080 } },
        },
      ],
      nodeSelector: { "gpu.example.com/model": "l4" },
      volumes: [{ name: "tmp", emptyDir: {} }],
    },
    status: {
      phase: "Running",
      podIP: "10.0.0.1",
      hostIP: "10.1.0.1",
      conditions: [
        { type: "Initialized", status: "True", lastTransitionTime: "2026-12-02T11:00:00Z" },
        { type: "PodScheduled", status: "True", lastTransitionTime: "2026-12-02T11:00:00Z" },
        { type: "Ready", status: "False", reason: "ContainersNotReady", message: "not ready" },
      ],
      containerStatuses: [
        {
          name: "app",
          image: "ghcr.io/x/api:1",
          imageID: "sha256:abc",
          containerID: "containerd://abc",
          ready: false,
          restartCount: 4,
          started: false,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
          lastState: {
            terminated: {
              exitCode: 2,
              reason: "Error",
              startedAt: "x",
              finishedAt: "y",
              containerID: "c",
            },
          },
        },
      ],
    },
  };
}

test("a cached Pod keeps what the status reads and nothing else", () => {
  const pod = lean(fullPod("shop-api-5c7d9-x1", "api")) as unknown as CachedPod;
  assert.deepEqual(pod, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "shop-api-5c7d9-x1",
      labels: { "archctl.io/architecture": "shop", "app.kubernetes.io/component": "api" },
      namespace: "ns",
      uid: "uid-shop-api-5c7d9-x1",
      resourceVersion: "42",
      creationTimestamp: "2026-12-02T11:00:00Z",
      ownerReferences: [{ kind: "ReplicaSet", name: "shop-api-5c7d9" }],
    },
    spec: { containers: [{ name: "app", image: "ghcr.io/x/api:1" }] },
    status: {
      phase: "Running",
      conditions: [
        { type: "PodScheduled", status: "True", lastTransitionTime: "2026-12-02T11:00:00Z" },
        { type: "Ready", status: "False", reason: "ContainersNotReady", message: "not ready" },
      ],
      containerStatuses: [
        {
          name: "app",
          image: "ghcr.io/x/api:1",
          ready: false,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
          lastState: { terminated: { exitCode: 2, reason: "Error" } },
        },
      ],
    },
  });
  // What is kept is enough to say why.
  assert.match(firstCause([pod], [])?.message ?? "", /keeps crashing .*last exit code 2 \(Error\)/);
});

test("the index finds a component's pods, follows relabels and forgets deleted pods", () => {
  const index = new PodIndex();
  const pod = (name: string, component: string, arch = "shop") =>
    lean(fullPod(name, component, arch)) as unknown as CachedPod;
  index.apply("add", pod("a1", "api"));
  index.apply("add", pod("a2", "api"));
  index.apply("add", pod("d1", "db"));
  index.apply("add", pod("o1", "api", "other"));
  const names = (arch: string, component: string) =>
    index
      .pods("ns", arch, component)
      .map((p) => p.metadata.name)
      .sort();
  assert.deepEqual(names("shop", "api"), ["a1", "a2"]);
  assert.deepEqual(names("shop", "db"), ["d1"]);
  assert.deepEqual(names("other", "api"), ["o1"]);
  assert.deepEqual(index.pods("elsewhere", "shop", "api"), []);
  index.apply("update", pod("a2", "db"));
  assert.deepEqual(names("shop", "api"), ["a1"]);
  assert.deepEqual(names("shop", "db"), ["a2", "d1"]);
  index.apply("delete", pod("a1", "api"));
  assert.deepEqual(names("shop", "api"), []);
  assert.equal(index.size, 3);
});
