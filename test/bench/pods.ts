// Pods for the memory bench. The apiserver tier runs no controllers, so
// seeded Deployments and StatefulSets get no pods: these are made as their
// controllers and a kubelet would make them (the template's labels and spec,
// an owner reference, a Running status with the fields a kubelet reports), so
// the operator's pod cache is measured on pods of realistic size.
import type { KubeObject } from "../../operator/kube/types.ts";
import { type BenchApi, pool } from "./lib.ts";

type Workload = KubeObject & {
  metadata: KubeObject["metadata"] & { uid: string };
  spec: {
    replicas?: number;
    template: { metadata?: { labels?: Record<string, string> }; spec: Record<string, unknown> };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
};

const POD_TIME = "2026-12-01T10:00:00Z";

function podsOf(w: Workload, ns: string): { pod: KubeObject; status: Record<string, unknown> }[] {
  const replicas = Math.min(w.spec.replicas ?? 1, 3);
  const deployment = w.kind === "Deployment";
  const owner = deployment
    ? { apiVersion: "apps/v1", kind: "ReplicaSet", name: `${w.metadata.name}-5c7d9f8b4` }
    : { apiVersion: "apps/v1", kind: "StatefulSet", name: w.metadata.name };
  const containers = (w.spec.template.spec.containers ?? []) as { name: string; image: string }[];
  return Array.from({ length: replicas }, (_, i) => {
    const name = deployment
      ? `${owner.name}-${(i + 10).toString(36)}x7qz`
      : `${w.metadata.name}-${i}`;
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: ns,
        labels: {
          ...(w.spec.template.metadata?.labels ?? {}),
          ...(deployment
            ? { "pod-template-hash": "5c7d9f8b4" }
            : {
                "statefulset.kubernetes.io/pod-name": name,
                "apps.kubernetes.io/pod-index": String(i),
              }),
        },
        ownerReferences: [
          { ...owner, uid: w.metadata.uid, controller: true, blockOwnerDeletion: true },
        ],
      } as KubeObject["metadata"],
      spec: {
        ...w.spec.template.spec,
        // The claims a StatefulSet controller would add from its templates.
        volumes: [
          ...((w.spec.template.spec.volumes as unknown[] | undefined) ?? []),
          ...(w.spec.volumeClaimTemplates ?? []).map((c) => ({
            name: c.metadata.name,
            persistentVolumeClaim: { claimName: `${c.metadata.name}-${w.metadata.name}-${i}` },
          })),
        ],
        nodeName: `node-${i}`,
      },
    };
    const at = { lastProbeTime: null, lastTransitionTime: POD_TIME };
    const status = {
      phase: "Running",
      conditions: [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
      ].map((type) => ({ type, status: "True", ...at })),
      hostIP: `10.1.0.${i + 1}`,
      hostIPs: [{ ip: `10.1.0.${i + 1}` }],
      podIP: `10.244.${i}.17`,
      podIPs: [{ ip: `10.244.${i}.17` }],
      startTime: POD_TIME,
      qosClass: "Burstable",
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image.split(":")[0]}@sha256:${"0123456789abcdef".repeat(4)}`,
        containerID: `containerd://${"fedcba9876543210".repeat(4)}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: POD_TIME } },
        lastState: {},
      })),
    };
    return { pod, status };
  });
}

/** Pods for every seeded Deployment and StatefulSet in `ns` that has none yet; returns how many exist. */
export async function seedPods(api: BenchApi, ns: string, concurrency: number): Promise<number> {
  const existing = await api.ok<{ items: unknown[] }>(
    "GET",
    `/api/v1/namespaces/${ns}/pods?labelSelector=archctl.io%2Farchitecture`,
  );
  if (existing.items.length > 0) return existing.items.length;
  const workloads: Workload[] = [];
  for (const path of [
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    `/apis/apps/v1/namespaces/${ns}/statefulsets`,
  ]) {
    const list = await api.ok<{ items: Workload[] }>("GET", path);
    workloads.push(
      ...list.items.map((w) => ({
        ...w,
        kind: path.endsWith("deployments") ? "Deployment" : "StatefulSet",
      })),
    );
  }
  const pods = workloads.flatMap((w) => podsOf(w, ns));
  await pool(pods, concurrency, async ({ pod, status }) => {
    await api.ok("POST", `/api/v1/namespaces/${ns}/pods`, pod);
    await api.ok(
      "PATCH",
      `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/status`,
      { status },
      "application/merge-patch+json",
    );
  });
  return pods.length;
}
