// Proof that the local kwok cluster behaves like a cluster: rollouts,
// scheduling onto simulated (GPU) nodes with taints, garbage collection, CRD
// validation at the API server, kubectl. Runs against an existing cluster
// too (ARCHCTL_TEST_KUBECONFIG); GPU checks skip there without a GPU pool,
// never on the local cluster, whose GPU pool and nodes are checked instead.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { AppsV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { waitEstablished } from "../cluster/kubectl.ts";
import {
  DEFAULT_NODES,
  GPU_PRESENT_LABEL,
  GPU_PRODUCT_LABEL,
  GPU_RESOURCE,
  GPU_TAINT,
  simulatedNodes,
} from "../cluster/nodes.ts";
import { getCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;
let core: CoreV1Api;
let apps: AppsV1Api;

// First run on a fresh machine builds the binaries (about 6-7 min here) before the cluster starts.
before(
  async () => {
    cluster = await getCluster("kwok");
    core = cluster.kc.makeApiClient(CoreV1Api);
    apps = cluster.kc.makeApiClient(AppsV1Api);
  },
  { timeout: 40 * 60_000 },
);

const FAKE_IMAGE = "registry.invalid/archctl/fake:1";

function podReady(p: V1Pod): boolean {
  return (
    p.status?.phase === "Running" &&
    (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

function pod(
  name: string,
  extra: { gpu?: number; tolerate?: boolean; gpuSelector?: boolean } = {},
): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: name } },
    spec: {
      ...(extra.gpuSelector ? { nodeSelector: { [GPU_PRESENT_LABEL]: "true" } } : {}),
      ...(extra.tolerate
        ? {
            tolerations: [
              {
                key: GPU_TAINT.key,
                operator: "Equal",
                value: GPU_TAINT.value,
                effect: GPU_TAINT.effect,
              },
            ],
          }
        : {}),
      containers: [
        {
          name: "main",
          image: FAKE_IMAGE,
          resources: extra.gpu
            ? {
                limits: { [GPU_RESOURCE]: String(extra.gpu) },
                requests: { [GPU_RESOURCE]: String(extra.gpu) },
              }
            : { requests: { cpu: "100m", memory: "64Mi" } },
        },
      ],
    },
  };
}

describe("local kwok cluster", { timeout: 10 * 60_000 }, () => {
  test("a Deployment rolls out and its pods are Running/Ready on simulated nodes", async (t) => {
    const ns = await cluster.namespace(t);
    await cluster.apply(ns, [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              containers: [{ name: "web", image: FAKE_IMAGE, ports: [{ containerPort: 8080 }] }],
            },
          },
        },
      },
    ]);
    await cluster.kubectl(["rollout", "status", "deployment/web", "-n", ns, "--timeout=120s"], {
      timeoutMs: 130_000,
    });

    const dep = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
    assert.equal(dep.status?.readyReplicas, 3);
    assert.equal(dep.status?.updatedReplicas, 3);

    const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=web" })).items;
    assert.equal(pods.length, 3);
    const nodes = await core.listNode();
    const byName = new Map(nodes.items.map((n) => [n.metadata?.name ?? "", n]));
    for (const p of pods) {
      assert.ok(podReady(p), `pod ${p.metadata?.name} is ${p.status?.phase}`);
      assert.ok(p.status?.podIP, "pod has an IP");
      assert.equal(p.status?.containerStatuses?.[0]?.ready, true);
      const node = byName.get(p.spec?.nodeName ?? "");
      assert.ok(node, `pod is bound to a known node (${p.spec?.nodeName})`);
      // Untolerating pods never land on the tainted GPU pool.
      assert.notEqual(
        node.metadata?.labels?.[GPU_PRESENT_LABEL],
        "true",
        "ordinary pod on a GPU node",
      );
      if (!cluster.existing) {
        assert.equal(
          node.metadata?.annotations?.["kwok.x-k8s.io/node"],
          "fake",
          "scheduled onto a simulated node",
        );
      }
    }
  });

  test("a pod requesting nvidia.com/gpu and tolerating the taint lands on a GPU node; one that does not tolerate it never does", async (t) => {
    const gpuNodes = await cluster.gpuNodes();
    if (cluster.existing) {
      // A user's cluster may have no GPU pool; that is not a failure of ours.
      if (gpuNodes.length === 0) {
        t.skip(`no node labelled ${GPU_PRESENT_LABEL}=true in this existing cluster`);
        return;
      }
    } else {
      // The local cluster always has its simulated GPU pool: missing nodes
      // are a bug to report, not a reason to skip.
      assert.ok(
        gpuNodes.length >= DEFAULT_NODES.gpuNodes,
        `local cluster: ${gpuNodes.length} nodes labelled ${GPU_PRESENT_LABEL}=true, expected ${DEFAULT_NODES.gpuNodes} (test/cluster/nodes.ts)`,
      );
      for (const name of gpuNodes) {
        const n = await core.readNode({ name });
        assert.equal(n.status?.capacity?.[GPU_RESOURCE], String(DEFAULT_NODES.gpusPerNode), name);
        assert.equal(
          n.status?.allocatable?.[GPU_RESOURCE],
          String(DEFAULT_NODES.gpusPerNode),
          name,
        );
        assert.equal(n.metadata?.labels?.[GPU_PRODUCT_LABEL], DEFAULT_NODES.gpuProduct, name);
        assert.deepEqual(
          (n.spec?.taints ?? []).map((x) => `${x.key}=${x.value}:${x.effect}`),
          [`${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`],
          name,
        );
      }
    }
    const ns = await cluster.namespace(t);
    await cluster.apply(ns, [
      pod("trainer", { gpu: 1, tolerate: true }),
      pod("no-toleration", { gpu: 1 }),
      pod("no-toleration-selector", { gpuSelector: true }),
    ]);

    const trainer = await cluster.eventually(
      "trainer Running/Ready",
      async () => {
        const p = await core.readNamespacedPod({ name: "trainer", namespace: ns });
        return podReady(p) ? p : undefined;
      },
      90_000,
    );
    assert.ok(
      gpuNodes.includes(trainer.spec?.nodeName ?? ""),
      `trainer on ${trainer.spec?.nodeName}, not a GPU node`,
    );

    for (const name of ["no-toleration", "no-toleration-selector"]) {
      // The scheduler must have looked at it and said no.
      const p = await cluster.eventually(
        `${name} marked Unschedulable`,
        async () => {
          const got = await core.readNamespacedPod({ name, namespace: ns });
          const cond = (got.status?.conditions ?? []).find((c) => c.type === "PodScheduled");
          return cond?.status === "False" && cond.reason === "Unschedulable" ? got : undefined;
        },
        60_000,
      );
      assert.equal(p.spec?.nodeName, undefined, `${name} was bound to ${p.spec?.nodeName}`);
      const msg =
        (p.status?.conditions ?? []).find((c) => c.type === "PodScheduled")?.message ?? "";
      assert.match(msg, /untolerated taint|Insufficient nvidia\.com\/gpu|didn't match/, msg);
    }
    // ...and it stays that way.
    await new Promise((r) => setTimeout(r, 2_000));
    for (const name of ["no-toleration", "no-toleration-selector"]) {
      const p = await core.readNamespacedPod({ name, namespace: ns });
      assert.equal(p.spec?.nodeName, undefined);
      assert.equal(p.status?.phase, "Pending");
    }
  });

  test("deleting an owner garbage-collects its children", async (t) => {
    const ns = await cluster.namespace(t);
    // 1. Deployment -> ReplicaSet -> Pods, all by the controllers' ownerReferences.
    await cluster.apply(ns, [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "gc" },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "gc" } },
          template: {
            metadata: { labels: { app: "gc" } },
            spec: { containers: [{ name: "c", image: FAKE_IMAGE }] },
          },
        },
      },
    ]);
    await cluster.kubectl(["rollout", "status", "deployment/gc", "-n", ns, "--timeout=120s"], {
      timeoutMs: 130_000,
    });
    // 2. A child we own by hand, the way the operator owns what it renders.
    const owner = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "owner" }, data: { role: "owner" } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: "child",
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "ConfigMap",
              name: "owner",
              uid: owner.metadata?.uid ?? "",
              blockOwnerDeletion: true,
            },
          ],
        },
        data: { role: "child" },
      },
    });

    await apps.deleteNamespacedDeployment({
      name: "gc",
      namespace: ns,
      propagationPolicy: "Background",
    });
    await core.deleteNamespacedConfigMap({
      name: "owner",
      namespace: ns,
      propagationPolicy: "Background",
    });

    await cluster.eventually(
      "ReplicaSets and Pods of the deleted Deployment to be collected",
      async () => {
        const rs = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: "app=gc" });
        const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=gc" });
        return rs.items.length === 0 && pods.items.length === 0;
      },
      90_000,
    );
    await cluster.eventually(
      "the child ConfigMap to be collected",
      async () => {
        const cms = await core.listNamespacedConfigMap({ namespace: ns });
        return !cms.items.some((c) => c.metadata?.name === "child");
      },
      60_000,
    );
  });

  test("a CRD with a schema rejects an invalid object at the API server, and kubectl get works", async (t) => {
    const ns = await cluster.namespace(t);
    const crd = "widgets.e2e.archctl.io";
    await cluster.apply(undefined, [
      {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: crd },
        spec: {
          group: "e2e.archctl.io",
          names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
          scope: "Namespaced",
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  required: ["spec"],
                  properties: {
                    spec: {
                      type: "object",
                      required: ["size"],
                      properties: {
                        size: { type: "string", enum: ["small", "large"] },
                        replicas: { type: "integer", minimum: 1, maximum: 10 },
                      },
                    },
                  },
                },
              },
              additionalPrinterColumns: [{ name: "Size", type: "string", jsonPath: ".spec.size" }],
            },
          ],
        },
      },
    ]);
    t.after(async () => {
      // Leave nothing behind in an existing cluster.
      if (cluster.existing)
        await cluster.kubectl(["delete", "crd", crd, "--wait=false"], { reject: false });
    });
    await waitEstablished(cluster.kubectl, [crd]);

    const widget = (name: string, spec: object) => ({
      apiVersion: "e2e.archctl.io/v1",
      kind: "Widget",
      metadata: { name, namespace: ns },
      spec,
    });
    // kubectl validates client-side only with --validate, so this is the API server's answer.
    const bad = await cluster.kubectl(["create", "--validate=false", "-f", "-"], {
      input: JSON.stringify(widget("bad", { size: "huge", replicas: 50 })),
      reject: false,
    });
    assert.notEqual(bad.exitCode, 0, "invalid Widget was accepted");
    assert.match(bad.stderr, /is invalid/);
    assert.match(bad.stderr, /spec\.size: Unsupported value: "huge"/);
    assert.match(bad.stderr, /spec\.replicas: Invalid value: 50/);

    await cluster.kubectl(["create", "-f", "-"], {
      input: JSON.stringify(widget("good", { size: "small", replicas: 2 })),
    });
    const got = await cluster.kubectl(["get", "widgets", "-n", ns]);
    // The printer column from the CRD (custom columns replace the default AGE).
    assert.match(got.stdout, /^NAME\s+SIZE\s*$/m);
    assert.match(got.stdout, /good\s+small/);
    // kubectl's default table for nodes: NAME STATUS ROLES AGE VERSION.
    const table = await cluster.kubectl(["get", "nodes", "--no-headers"]);
    const status = new Map(
      table.stdout
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => {
          const [name = "", st = ""] = l.trim().split(/\s+/);
          return [name, st] as const;
        }),
    );
    if (cluster.existing) {
      assert.ok(status.size >= 1, `kubectl get nodes listed no node:\n${table.stdout}`);
    } else {
      for (const n of simulatedNodes()) {
        const name = n.metadata.name as string;
        assert.equal(status.get(name), "Ready", `${name} in kubectl get nodes:\n${table.stdout}`);
      }
    }
  });
});
